//! The backward passes over a forward pass's values: LRP (a rule per node), the gradient and
//! Gradient×Input. A node read by several others receives the sum of what each sends back.

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, Slice};

use super::maps::{AffineMap, ScaleMap, SumMap};
use super::tensor_ops::{
    matmul_gradient, mean_gradient, reduce_to, scaled, slice_gradient, softmax_gradient, standard,
    zip_broadcast,
};
use super::{GraphTrace, Node, NodeId, Op};
use crate::composite::Composite;
use crate::error::LrpError;
use crate::explain::{sum, Explanation, LayerRelevance, Target};
use crate::layers::{Conv1d, Layer, LayerKind, MaxPool};
use crate::linear::propagate;
use crate::pooled_backward::{pooled_gradient, pooled_lrp, PooledValues};
use crate::rule::{Attention, Rule};

/// What a node of the backward pass sends on.
pub(super) enum Sent {
    /// To each of its inputs, in order (`None`: nothing).
    Inputs(Vec<Option<ArrayD<f32>>>),
    /// Past a chain of nodes that only read one another (a convolution, its ReLU and a global
    /// max-pool), to the node the chain reads.
    Past(NodeId, ArrayD<f32>),
}

/// A convolution, a ReLU and a global max-pool in a chain whose inner nodes have no other
/// reader: the pooled passes take the three at once.
struct PooledChain<'g> {
    /// The nodes of the pool, the ReLU and the convolution.
    nodes: [NodeId; 3],
    conv: &'g Conv1d,
    /// The node the convolution reads.
    input: NodeId,
}

impl GraphTrace<'_> {
    /// LRP of `target` at the output node, a rule per node that takes one from `composite`
    /// (by node index, else by kind). The report lists every node the relevance passes, from
    /// the output back to the input.
    pub fn lrp(&self, target: &Target, composite: &Composite) -> Result<Explanation, LrpError> {
        composite.validate()?;
        if let Some(attention) = composite.attention() {
            return self.attention_lrp(target, composite, attention);
        }
        let top = target.top(self.output(), true)?;
        let explained = sum(top.view());
        let mut layers = Vec::new();
        let readers = self.graph.readers();
        let mut known = vec![None; readers.len()];
        let relevance = self.backward(top, |index, node, inputs, r| {
            let relevance_out = known[index].take().unwrap_or_else(|| sum(r.view()));
            if let Some(chain) = self.pooled_chain(index, &readers) {
                let rule = composite.rule_for_step(chain.nodes[2], LayerKind::Conv1d, true);
                if let Some(pooled) = pooled_lrp(chain.conv, &self.pooled_values(&chain), &r, rule)
                {
                    layers.extend(pooled.reports(chain.nodes, rule, relevance_out));
                    if readers[chain.input] == 1 {
                        known[chain.input] = Some(pooled.input);
                    }
                    return Sent::Past(chain.input, pooled.relevance);
                }
            }
            let (sent, rule) = self.relevance_step(index, node, inputs, r, composite);
            let received = self.received_sums(node, &sent, (&readers, &mut known), |_, s| sum(s));
            layers.push(self.node_report(index, node, rule, relevance_out, |k| received[k]));
            Sent::Inputs(sent)
        });
        Ok(Explanation { relevance, explained, layers })
    }

    /// Per input `k` of `node`, `total(k, s)` of what it was sent (0 for nothing and for a
    /// constant, whose share is absorbed). An input that no other node reads receives exactly
    /// that, so the sum is kept in `known` as that input's own `relevance_out` (`readers` per
    /// node) instead of being taken again when its turn comes.
    pub(super) fn received_sums(
        &self,
        node: &Node,
        sent: &[Option<ArrayD<f32>>],
        (readers, known): (&[usize], &mut [Option<f64>]),
        total: impl Fn(usize, ArrayViewD<f32>) -> f64,
    ) -> Vec<f64> {
        node.inputs
            .iter()
            .zip(sent)
            .enumerate()
            .map(|(k, (&i, s))| match s {
                Some(s) if !self.graph.is_constant(i) => {
                    let received = total(k, s.view());
                    if readers[i] == 1 {
                        known[i] = Some(received);
                    }
                    received
                }
                _ => 0.0,
            })
            .collect()
    }

    /// One node's sums for the report: `relevance_in` adds what `received(k)` gives for each
    /// input `k` that is computed; what goes to a constant is absorbed, as by a layer's bias.
    pub(super) fn node_report(
        &self,
        index: usize,
        node: &Node,
        rule: Option<Rule>,
        relevance_out: f64,
        received: impl Fn(usize) -> f64,
    ) -> LayerRelevance {
        let relevance_in = node
            .inputs
            .iter()
            .enumerate()
            .filter(|(_, &i)| !self.graph.is_constant(i))
            .map(|(k, _)| received(k))
            .sum();
        LayerRelevance { index, kind: node.op.kind(), rule, relevance_out, relevance_in }
    }

    /// The gradient of the explained quantity (`f_j`, or `Σ r·f` for a given `r`) with
    /// respect to the input.
    pub fn gradient(&self, target: &Target) -> Result<ArrayD<f32>, LrpError> {
        let top = target.top(self.output(), false)?;
        let readers = self.graph.readers();
        Ok(self.backward(top, |index, node, inputs, g| {
            if let Some(chain) = self.pooled_chain(index, &readers) {
                if let Some(g) = pooled_gradient(chain.conv, &self.pooled_values(&chain), &g) {
                    return Sent::Past(chain.input, g);
                }
            }
            Sent::Inputs(
                gradient_step(node, inputs, self.values[index].view(), g)
                    .into_iter()
                    .map(Some)
                    .collect(),
            )
        }))
    }

    /// The chain a global max-pool at node `pool` ends, when it reads a ReLU that reads a 1-D
    /// convolution of a computed value and neither has another reader (`readers` per node).
    fn pooled_chain(&self, pool: NodeId, readers: &[usize]) -> Option<PooledChain<'_>> {
        let nodes = &self.graph.nodes;
        let single_input = |id: NodeId| match nodes[id].inputs[..] {
            [input] if readers[input] == 1 => Some(input),
            _ => None,
        };
        let Op::Layer(Layer::MaxPool(MaxPool::Global)) = nodes[pool].op else { return None };
        let relu = single_input(pool)?;
        let Op::Layer(Layer::Relu) = nodes[relu].op else { return None };
        let conv = single_input(relu)?;
        let Op::Layer(Layer::Conv1d(layer)) = &nodes[conv].op else { return None };
        let [input] = nodes[conv].inputs[..] else { return None };
        if self.graph.is_constant(input) {
            return None;
        }
        Some(PooledChain { nodes: [pool, relu, conv], conv: layer, input })
    }

    /// The values the pooled passes read for `chain`.
    fn pooled_values(&self, chain: &PooledChain<'_>) -> PooledValues<'_> {
        let [_, relu, conv] = chain.nodes;
        PooledValues { x: &self.values[chain.input], z: &self.values[conv], a: &self.values[relu] }
    }

    /// Gradient×Input: `x_i · ∂f/∂x_i`.
    pub fn gradient_x_input(&self, target: &Target) -> Result<ArrayD<f32>, LrpError> {
        Ok(self.gradient(target)? * &self.input())
    }

    /// Sends `top` from the output node back to the input: `step` gives, for a node and the
    /// signal summed at its output, what it sends on (to an input, `None`: nothing, and a node
    /// that receives nothing is skipped with all that only it reads).
    pub(super) fn backward(
        &self,
        top: ArrayD<f32>,
        mut step: impl FnMut(usize, &Node, &[ArrayViewD<f32>], ArrayD<f32>) -> Sent,
    ) -> ArrayD<f32> {
        let nodes = &self.graph.nodes;
        let mut signal: Vec<Option<ArrayD<f32>>> = (0..nodes.len()).map(|_| None).collect();
        signal[self.graph.output] = Some(top);
        for index in (1..nodes.len()).rev() {
            let node = &nodes[index];
            if matches!(node.op, Op::Constant(_)) {
                continue;
            }
            let Some(s) = signal[index].take() else { continue };
            let inputs: Vec<ArrayViewD<f32>> =
                node.inputs.iter().map(|&i| self.values[i].view()).collect();
            let mut receive = |i: NodeId, sent: ArrayD<f32>| match &mut signal[i] {
                Some(existing) => *existing += &sent,
                slot => *slot = Some(sent),
            };
            match step(index, node, &inputs, s) {
                Sent::Inputs(sent) => node
                    .inputs
                    .iter()
                    .zip(sent)
                    .for_each(|(&i, sent)| sent.into_iter().for_each(|s| receive(i, s))),
                Sent::Past(i, sent) => receive(i, sent),
            }
        }
        signal[0].take().unwrap_or_else(|| ArrayD::zeros(self.values[0].raw_dim()))
    }

    /// What one node's inputs receive of the relevance `r` at its output (`None`: nothing), and
    /// the rule used.
    fn relevance_step(
        &self,
        index: usize,
        node: &Node,
        inputs: &[ArrayViewD<f32>],
        r: ArrayD<f32>,
        composite: &Composite,
    ) -> (Vec<Option<ArrayD<f32>>>, Option<Rule>) {
        let z = self.values[index].view();
        let (sent, rule) = match &node.op {
            Op::Layer(layer) => match layer.as_linear() {
                None => (
                    vec![layer
                        .pass_relevance(inputs[0].view(), r)
                        .expect("a layer without a rule")],
                    None,
                ),
                Some(map) => {
                    let rule =
                        composite.rule_for_step(index, layer.kind(), layer.kind().has_weights());
                    (vec![propagate(map, inputs[0].view(), Some(z), r.view(), &rule)], Some(rule))
                }
            },
            Op::Add => {
                let rule = composite.rule_for_step(index, LayerKind::Add, false);
                let broadcast: Vec<ArrayViewD<f32>> = inputs
                    .iter()
                    .map(|x| x.broadcast(z.raw_dim()).expect("checked forward"))
                    .collect();
                let stacked = ndarray::stack(Axis(0), &broadcast).expect("one shape");
                let r_in = propagate(&SumMap, stacked.view(), Some(z), r.view(), &rule);
                (
                    r_in.outer_iter()
                        .zip(inputs)
                        .map(|(part, x)| reduce_to(part.to_owned(), x.shape()))
                        .collect(),
                    Some(rule),
                )
            }
            Op::Affine { scale, shift } => {
                let rule = composite.rule_for_step(index, LayerKind::Affine, true);
                let map = AffineMap { scale, shift };
                (vec![propagate(&map, inputs[0].view(), Some(z), r.view(), &rule)], Some(rule))
            }
            Op::Scale(c) => {
                let rule = composite.rule_for_step(index, LayerKind::Scale, false);
                let map = ScaleMap {
                    factor: c.broadcast(inputs[0].raw_dim()).expect("checked forward").to_owned(),
                };
                (vec![propagate(&map, inputs[0].view(), Some(z), r.view(), &rule)], Some(rule))
            }
            Op::Concat { .. } | Op::Reshape(_) | Op::Transpose(_) | Op::Slice { .. } => {
                (shape_step(node, inputs, r), None)
            }
            Op::Input | Op::Constant(_) => unreachable!("no backward step"),
            // The operations of attention and normalisation by AttnLRP's rules, in relevance
            // form: `g = R / z`, the rule's modified gradient, `R_x = x ⊙ g_x`.
            _ => {
                let g = zip_broadcast(&r.view(), &z, |r, z| if z == 0.0 { 0.0 } else { r / z });
                let sent = self.rule_gradient(node, inputs, z, g, Attention::AttnLrp);
                return (sent.into_iter().zip(inputs).map(|(g, x)| Some(g? * x)).collect(), None);
            }
        };
        (sent.into_iter().map(Some).collect(), rule)
    }
}

/// What one node's inputs receive of the gradient `g` at its output `z`.
pub(super) fn gradient_step(
    node: &Node,
    inputs: &[ArrayViewD<f32>],
    z: ArrayViewD<f32>,
    g: ArrayD<f32>,
) -> Vec<ArrayD<f32>> {
    let x = &inputs[0];
    match &node.op {
        Op::Layer(layer) => vec![layer.gradient(x.view(), g)],
        Op::Add => {
            // Every input receives `g` (summed where it was broadcast): copies for all but the
            // last, which takes `g` itself.
            let (last, rest) = inputs.split_last().expect("an Add has inputs");
            let mut sent: Vec<_> = rest.iter().map(|x| reduce_to(g.clone(), x.shape())).collect();
            sent.push(reduce_to(g, last.shape()));
            sent
        }
        Op::Affine { scale, .. } => vec![&g * scale],
        Op::Scale(c) => vec![scaled(&g.view(), c)],
        Op::Mean { axis } => vec![mean_gradient(x.shape(), &g, *axis)],
        Op::Softmax { axis } => vec![softmax_gradient(&z, &g, *axis)],
        Op::Elementwise(f) => vec![f.gradient(x.view(), g)],
        Op::LayerNorm(norm) => vec![norm.gradient(x, &g)],
        Op::MatMul => {
            let (ga, gb) = matmul_gradient(x, &inputs[1], &g);
            vec![ga, gb]
        }
        Op::Product | Op::Gate => vec![
            reduce_to(zip_broadcast(&g.view(), &inputs[1], |g, b| g * b), x.shape()),
            reduce_to(zip_broadcast(&g.view(), x, |g, a| g * a), inputs[1].shape()),
        ],
        Op::Quotient => {
            let b = &inputs[1];
            let ga = zip_broadcast(&g.view(), b, |g, b| g / b);
            // ∂(a/b)/∂b = −a/b² = −z/b.
            let gz = zip_broadcast(&g.view(), &z, |g, z| g * z);
            let gb = zip_broadcast(&gz.view(), b, |gz, b| -gz / b);
            vec![reduce_to(ga, x.shape()), reduce_to(gb, b.shape())]
        }
        _ => shape_step(node, inputs, g),
    }
}

/// A signal sent back through an operation that only moves values: each input receives the
/// part that came from its own values.
fn shape_step(node: &Node, inputs: &[ArrayViewD<f32>], s: ArrayD<f32>) -> Vec<ArrayD<f32>> {
    match &node.op {
        Op::Concat { axis } => {
            let mut start = 0;
            inputs
                .iter()
                .map(|x| {
                    let len = x.shape()[*axis];
                    let part =
                        s.slice_axis(Axis(*axis), Slice::from(start..start + len)).to_owned();
                    start += len;
                    part
                })
                .collect()
        }
        Op::Reshape(_) => vec![s.into_shape_with_order(inputs[0].raw_dim()).expect("same length")],
        Op::Slice { axis, start, end } => {
            vec![slice_gradient(inputs[0].shape(), &s, *axis, *start, *end)]
        }
        Op::Transpose(perm) => {
            let mut inverse = vec![0; perm.len()];
            for (i, &p) in perm.iter().enumerate() {
                inverse[p] = i;
            }
            vec![standard(s.view().permuted_axes(IxDyn(&inverse)))]
        }
        _ => unreachable!("only operations that move values"),
    }
}
