//! Computing only the positions the output reads. An encoder classifier reads one token of
//! its last layer (BERT's pooler, DistilBERT's and RoBERTa's heads read the first); the
//! layer computes its queries, attention, feed-forward part and normalisations for every token
//! and the slice then drops all but one, and the backward passes carry zeros through them.
//! Moved toward the input, through operations that compute each position along the sliced
//! axis from the same position of their inputs, the slice leaves the same values at the
//! positions kept (each computed by the same arithmetic) and the same relevance (what the
//! output does not read receives nothing under every rule).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use ndarray::{ArrayD, Axis, Slice};

use super::shapes::node_shape;
use super::{Graph, Node, NodeId, Op};
use crate::error::LrpError;
use crate::layers::Layer;

/// A slice `start..end` along an axis.
#[derive(Clone, Copy)]
struct Range {
    axis: usize,
    start: usize,
    end: usize,
}

/// How a slice of a node's value moves to its inputs: per input, the axis to slice it along
/// (`None`: the input is broadcast along the sliced axis, or the operation does not read it
/// there, and is read whole), and the operation that then computes the slice.
struct Moved {
    inputs: Vec<Option<usize>>,
    op: Option<Op>,
}

/// What the rewrite keeps per node while it works: the value's shape, how many nodes read it,
/// where it goes when the graph is put back in order (its place; new nodes just before the
/// node that reads them), and the slices still to move.
struct Rewrite {
    shapes: Vec<Vec<usize>>,
    readers: Vec<usize>,
    place: Vec<(usize, u8)>,
    pending: Vec<NodeId>,
}

impl Graph {
    /// Moves every slice toward the input (module docs) while the node it reads has no other
    /// reader, for an input of shape `input`. Returns how many operations now compute a part
    /// of what they computed. Fails, naming the node, on a shape an operation does not accept.
    pub fn slice_early(&mut self, input: &[usize]) -> Result<usize, LrpError> {
        let mut w = Rewrite {
            shapes: self.shapes(input)?,
            readers: self.readers(),
            place: (0..self.nodes.len()).map(|i| (i, 1)).collect(),
            pending: (0..self.nodes.len())
                .filter(|&i| matches!(self.nodes[i].op, Op::Slice { .. }))
                .collect(),
        };
        let mut moved = 0;
        while let Some(slice) = w.pending.pop() {
            let Op::Slice { axis, start, end } = self.nodes[slice].op else { continue };
            let x = self.nodes[slice].inputs[0];
            // A slice taken again below is pending twice; once moved it has no reader.
            if w.readers[slice] == 0 || w.readers[x] != 1 || x == self.output {
                continue;
            }
            let range = Range { axis, start, end };
            let Some(how) = self.moved_through(x, range, &w.shapes) else { continue };
            for (k, along) in how.inputs.iter().enumerate() {
                if let Some(along) = *along {
                    self.slice_input(x, k, Range { axis: along, ..range }, &mut w)?;
                }
            }
            if let Some(op) = how.op {
                self.nodes[x].op = op;
            }
            // The node computes what the slice did: the slice's readers read it.
            w.shapes[x] = w.shapes[slice].clone();
            w.readers[x] = w.readers[slice];
            w.readers[slice] = 0;
            for node in &mut self.nodes {
                node.inputs.iter_mut().filter(|i| **i == slice).for_each(|i| *i = x);
            }
            if self.output == slice {
                self.output = x;
            }
            moved += 1;
        }
        if moved > 0 {
            self.put_in_order(&w.place);
            self.remove_unreachable();
        }
        Ok(moved)
    }

    /// Makes node `x` read the slice `part` of its input `k`: a new slice node (pending, to move
    /// on), a new constant for a constant, or the same slice another reader already took.
    fn slice_input(
        &mut self,
        x: NodeId,
        k: usize,
        part: Range,
        w: &mut Rewrite,
    ) -> Result<(), LrpError> {
        let read = self.nodes[x].inputs[k];
        // When the other reader of `read` already took the same slice (the two readers of a
        // residual's normalisation), both read that slice, which may move on. Only then: a
        // slice read twice sums what both send back before `read` receives it, in another order
        // than `read` would have.
        let same = |(i, n): &(usize, &Node)| {
            w.readers[*i] > 0
                && n.inputs == [read]
                && matches!(n.op, Op::Slice { axis, start, end }
                    if (axis, start, end) == (part.axis, part.start, part.end))
        };
        let taken = self.nodes.iter().enumerate().find(same).map(|(i, _)| i);
        if let (Some(taken), 2) = (taken, w.readers[read]) {
            w.readers[taken] += 1;
            w.readers[read] -= 1;
            w.pending.push(taken);
            self.nodes[x].inputs[k] = taken;
            return Ok(());
        }
        let new = self.nodes.len();
        let name = format!("{}/slice", self.nodes[read].name);
        let node = match &self.nodes[read].op {
            Op::Constant(c) => {
                w.readers[read] -= 1;
                Node::new(name, Op::Constant(sliced(c, part)), vec![])
            }
            _ => {
                w.pending.push(new);
                let Range { axis, start, end } = part;
                Node::new(name, Op::Slice { axis, start, end }, vec![read])
            }
        };
        let shape = match &node.op {
            Op::Constant(c) => c.shape().to_vec(),
            _ => node_shape(new, &node, &[&w.shapes[read]])?,
        };
        self.nodes.push(node);
        w.shapes.push(shape);
        w.readers.push(1);
        w.place.push((w.place[x].0, 0));
        self.nodes[x].inputs[k] = new;
        Ok(())
    }

    /// How a slice `range` of node `x`'s value (of `shapes[x]`) moves to its inputs, when
    /// each position along the axis comes from the same position of the inputs.
    fn moved_through(&self, x: NodeId, range: Range, shapes: &[Vec<usize>]) -> Option<Moved> {
        let node = &self.nodes[x];
        let shape = &shapes[x];
        let axis = range.axis;
        let last = shape.len().checked_sub(1)?;
        let all = |along: usize| Moved { inputs: vec![Some(along); node.inputs.len()], op: None };
        match &node.op {
            Op::Input | Op::Constant(_) => None,
            Op::Add | Op::Product | Op::Quotient | Op::Gate => {
                // An input broadcast along the axis is read whole.
                let inputs = node
                    .inputs
                    .iter()
                    .map(|&i| {
                        let rank = shapes[i].len();
                        let along = (axis + rank).checked_sub(shape.len())?;
                        (shapes[i][along] == shape[axis]).then_some(along)
                    })
                    .collect();
                Some(Moved { inputs, op: None })
            }
            Op::Layer(Layer::Relu | Layer::LeakyRelu(_)) | Op::Elementwise(_) => Some(all(axis)),
            Op::Layer(Layer::Dense(_)) | Op::Affine { .. } if axis != last => Some(all(axis)),
            Op::Softmax { axis: along } | Op::Mean { axis: along } | Op::Concat { axis: along }
                if *along != axis =>
            {
                Some(all(axis))
            }
            Op::LayerNorm(norm) if norm.axis != axis => {
                let spans = |c: &Option<ArrayD<f32>>| {
                    c.as_ref().is_some_and(|c| {
                        (axis + c.ndim()).checked_sub(shape.len()).is_some_and(|a| c.shape()[a] > 1)
                    })
                };
                (!spans(&norm.gamma) && !spans(&norm.beta)).then(|| all(axis))
            }
            Op::Scale(c) => {
                let along = (axis + c.ndim()).checked_sub(shape.len());
                let op = match along {
                    Some(a) if c.shape()[a] > 1 => {
                        Some(Op::Scale(sliced(c, Range { axis: a, ..range })))
                    }
                    _ => None,
                };
                Some(Moved { inputs: vec![Some(axis)], op })
            }
            Op::Transpose(perm) => Some(all(perm[axis])),
            Op::Reshape(to) => {
                // The axis is kept whole by the reshape: as many values before it, and its own
                // length, in the input.
                let from = &shapes[node.inputs[0]];
                let before: usize = to[..axis].iter().product();
                let along = (0..from.len()).find(|&b| {
                    from[b] == to[axis] && from[..b].iter().product::<usize>() == before
                })?;
                let mut to = to.clone();
                to[axis] = range.end - range.start;
                Some(Moved { inputs: vec![Some(along)], op: Some(Op::Reshape(to)) })
            }
            Op::Slice { axis: along, start, .. } if *along == axis => Some(Moved {
                inputs: vec![None],
                op: Some(Op::Slice { axis, start: start + range.start, end: start + range.end }),
            }),
            Op::Slice { .. } => Some(all(axis)),
            // Leading axes belong to both factors, rows to the first, columns to the second.
            Op::MatMul if axis + 2 < shape.len() => Some(all(axis)),
            Op::MatMul if axis + 2 == shape.len() => {
                Some(Moved { inputs: vec![Some(axis), None], op: None })
            }
            Op::MatMul => Some(Moved { inputs: vec![None, Some(axis)], op: None }),
            _ => None,
        }
    }

    /// The nodes in an order where every node's inputs come before it: by `place` (a node's
    /// place, then 0 for new nodes before 1 for the node they were made for), a node not
    /// before its inputs. The input stays node 0.
    fn put_in_order(&mut self, place: &[(usize, u8)]) {
        let count = self.nodes.len();
        let mut waiting: Vec<usize> = self.nodes.iter().map(|n| n.inputs.len()).collect();
        let mut readers_of: Vec<Vec<NodeId>> = vec![Vec::new(); count];
        for (id, node) in self.nodes.iter().enumerate() {
            node.inputs.iter().for_each(|&i| readers_of[i].push(id));
        }
        let mut ready: BinaryHeap<Reverse<((usize, u8), NodeId)>> =
            (0..count).filter(|&i| waiting[i] == 0).map(|i| Reverse((place[i], i))).collect();
        let mut order = Vec::with_capacity(count);
        while let Some(Reverse((_, id))) = ready.pop() {
            order.push(id);
            for &reader in &readers_of[id] {
                waiting[reader] -= 1;
                if waiting[reader] == 0 {
                    ready.push(Reverse((place[reader], reader)));
                }
            }
        }
        self.renumber(&order);
    }
}

/// `c[…, start..end, …]` along `range.axis`.
fn sliced(c: &ArrayD<f32>, range: Range) -> ArrayD<f32> {
    c.slice_axis(Axis(range.axis), Slice::from(range.start..range.end)).to_owned()
}
