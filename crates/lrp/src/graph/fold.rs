//! Folding a BatchNormalization (`Affine` node) into the dense or convolution layer before it,
//! as zennit's canonizer does: one layer that computes the same function.

use ndarray::{Array1, Axis};

use super::{Graph, NodeId, Op};
use crate::layers::Layer;

impl Graph {
    /// Folds every `Affine` node into the dense or convolution layer it reads, where that
    /// layer feeds nothing else: `w'_·c = scale_c · w_·c`, `b'_c = scale_c · b_c + shift_c`.
    /// The graph computes the same function with one node fewer per fold; the names of the
    /// folded nodes are returned (an explanation says which were folded).
    pub fn fold_affine(&mut self) -> Vec<String> {
        let mut folded = Vec::new();
        for index in 0..self.nodes.len() {
            let Op::Affine { scale, shift } = &self.nodes[index].op else { continue };
            let source = self.nodes[index].inputs[0];
            let readers = self.nodes.iter().filter(|n| n.inputs.contains(&source)).count();
            if readers != 1 || source == self.output {
                continue;
            }
            let (scale, shift) = (scale.clone(), shift.clone());
            let fits = |filters: usize| filters == scale.len();
            let done = match &mut self.nodes[source].op {
                Op::Layer(Layer::Dense(d)) if fits(d.outputs()) => {
                    fold(d.weight.view_mut().into_dyn(), &mut d.bias, &scale, &shift);
                    true
                }
                Op::Layer(Layer::Conv1d(c)) if fits(c.filters()) => {
                    fold(c.weight.view_mut().into_dyn(), &mut c.bias, &scale, &shift);
                    true
                }
                Op::Layer(Layer::Conv2d(c)) if fits(c.filters()) => {
                    fold(c.weight.view_mut().into_dyn(), &mut c.bias, &scale, &shift);
                    true
                }
                _ => false,
            };
            if done {
                folded.push(self.nodes[index].name.clone());
                // The affine node becomes a pass-through of its layer's (now folded) output.
                self.nodes[index].op = Op::Reshape(Vec::new());
            }
        }
        self.remove_pass_throughs();
        folded
    }

    /// Removes the nodes `fold_affine` emptied (`Reshape` to an empty shape), reading their
    /// input instead, and renumbers the rest.
    fn remove_pass_throughs(&mut self) {
        let mut target: Vec<NodeId> = Vec::with_capacity(self.nodes.len());
        let mut kept = Vec::with_capacity(self.nodes.len());
        for (index, mut node) in std::mem::take(&mut self.nodes).into_iter().enumerate() {
            node.inputs.iter_mut().for_each(|i| *i = target[*i]);
            if matches!(&node.op, Op::Reshape(shape) if shape.is_empty()) {
                target.push(node.inputs[0]);
            } else {
                target.push(kept.len());
                kept.push(node);
            }
            debug_assert_eq!(target.len(), index + 1);
        }
        self.output = target[self.output];
        self.nodes = kept;
    }
}

/// `w[…, c] *= scale_c`, `b_c = scale_c · b_c + shift_c` (a missing bias counts as 0).
fn fold(
    mut weight: ndarray::ArrayViewMutD<f32>,
    bias: &mut Option<Array1<f32>>,
    scale: &Array1<f32>,
    shift: &Array1<f32>,
) {
    for mut lane in weight.lanes_mut(Axis(weight.ndim() - 1)) {
        lane *= scale;
    }
    let b = bias.get_or_insert_with(|| Array1::zeros(scale.len()));
    *b = &*b * scale + shift;
}
