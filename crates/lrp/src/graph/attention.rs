//! LRP through attention and normalisation: AttnLRP (Achtibat et al., ICML 2024) and CP-LRP
//! (Ali et al., ICML 2022), computed as lxt computes them ("efficient" form): a backward pass
//! of a modified gradient `g`, the relevance of every tensor `R = x ⊙ g`. Per operation:
//!
//! - dense and convolution layers: the gradient, i.e. LRP-0 with the bias keeping its share;
//!   with ε, `g ← g ⊙ z / (z + ε sign z)` first (the ε rule);
//! - sums, scalings by constants, means, reshapes: the gradient (relevance in proportion);
//! - `Product` and `MatMul` of two computed tensors: AttnLRP's uniform rule, the gradient
//!   halved for each factor, so each receives half of the product's ε-free relevance
//!   `R_a = ½ a ⊙ ∂z/∂a ᵀ (R / z)`; CP-LRP holds attention weights (a factor computed from a
//!   softmax) constant, the other factor gets the whole gradient;
//! - `Softmax`: AttnLRP, the gradient: `R_x = x ⊙ (R_s − s Σ R_s)`; CP-LRP, nothing;
//! - `Quotient` `a / b`: `b` held constant (a normalisation's standard deviation, lxt's
//!   `stop_gradient`), `g_a = g / b`;
//! - `LayerNorm`: the same, its deviation held constant, the centring and `γ` linear:
//!   `g_c = γ ⊙ g / d`, `g_x = g_c − mean g_c` (lxt's layer normalisation);
//! - `Elementwise` and `Gate`: the identity rule, `g_x = g ⊙ f(x) / (x + 10⁻¹⁰)` (lxt's
//!   `identity_rule_implicit`), i.e. `R_x = R_z`.

use ndarray::{ArrayD, ArrayViewD, Zip};

use super::backward::{gradient_step, Sent};
use super::tensor_ops::{matmul, reduce_to, softmax_gradient, zip_broadcast};
use super::{GraphTrace, Node, NodeId, Op};
use crate::composite::Composite;
use crate::error::LrpError;
use crate::explain::{sum_of_products, Explanation, Target};
use crate::rule::{Attention, Rule};

/// lxt's stabiliser of the identity rule's ratio `f(x) / x`.
const IDENTITY_EPSILON: f32 = 1e-10;

impl GraphTrace<'_> {
    /// AttnLRP or CP-LRP of `target` in lxt's form (module docs); dense and convolution layers
    /// take `composite`'s rule (LRP-0 or ε). The report gives every node's `Σ z ⊙ g` out and
    /// `Σ x ⊙ g` in (what goes to constants, such as position embeddings, is absorbed).
    pub(super) fn attention_lrp(
        &self,
        target: &Target,
        composite: &Composite,
        attention: Attention,
    ) -> Result<Explanation, LrpError> {
        let output = self.output();
        let seed = match target {
            Target::Output(_) => target.top(output.view(), false)?,
            Target::Relevance(_) => {
                let r = target.top(output.view(), true)?;
                zip_broadcast(&r.view(), &output, |r, z| if z == 0.0 { 0.0 } else { r / z })
            }
        };
        let explained = sum_of_products(seed.view(), output.view());
        let mut layers = Vec::new();
        let readers = self.graph.readers();
        let mut known = vec![None; readers.len()];
        let gradient = self.backward(seed, |index, node, inputs, g| {
            let z = self.values[index].view();
            let relevance_out =
                known[index].take().unwrap_or_else(|| sum_of_products(g.view(), z.view()));
            let (sent, rule) = self.attention_step(index, node, inputs, g, composite, attention);
            let received = self.received_sums(node, &sent, (&readers, &mut known), |k, s| {
                sum_of_products(s, inputs[k].view())
            });
            layers.push(self.node_report(index, node, rule, relevance_out, |k| received[k]));
            Sent::Inputs(sent)
        });
        let relevance = gradient * &self.input();
        Ok(Explanation { relevance, explained, layers })
    }

    /// What one node's inputs receive of the modified gradient `g` (`None`: nothing), and the
    /// rule used.
    fn attention_step(
        &self,
        index: usize,
        node: &Node,
        inputs: &[ArrayViewD<f32>],
        g: ArrayD<f32>,
        composite: &Composite,
        attention: Attention,
    ) -> (Vec<Option<ArrayD<f32>>>, Option<Rule>) {
        let z = self.values[index].view();
        match &node.op {
            Op::Layer(layer) if layer.kind().has_weights() => {
                let rule = composite.rule_for(index, layer.kind());
                let g = match rule {
                    Rule::Epsilon(eps) if eps > 0.0 => {
                        let mut g = g;
                        Zip::from(&mut g).and(&z).for_each(|g, &z| {
                            let stabilised = z + eps * if z < 0.0 { -1.0 } else { 1.0 };
                            *g *= z / stabilised;
                        });
                        g
                    }
                    _ => g,
                };
                (vec![Some(layer.gradient(inputs[0].view(), g))], Some(rule))
            }
            Op::Layer(_) | Op::Add | Op::Affine { .. } | Op::Scale(_) => {
                // A constant (a position embedding, a bias) keeps what it is sent: absorbed.
                let sent = gradient_step(node, inputs, z, g).into_iter().zip(&node.inputs);
                (sent.map(|(g, &i)| (!self.graph.is_constant(i)).then_some(g)).collect(), None)
            }
            _ => (self.rule_gradient(node, inputs, z, g, attention), None),
        }
    }

    /// The modified gradient through one of the operations of attention and normalisation
    /// (and the operations that only move values), for both passes. An input its rule gives
    /// nothing (a gate, a divisor, CP-LRP's attention weights) gets `None`, so that the
    /// backward pass skips what computes it instead of carrying zeros through it.
    pub(super) fn rule_gradient(
        &self,
        node: &Node,
        inputs: &[ArrayViewD<f32>],
        z: ArrayViewD<f32>,
        g: ArrayD<f32>,
        attention: Attention,
    ) -> Vec<Option<ArrayD<f32>>> {
        let identity = |x: &ArrayViewD<f32>, g: ArrayD<f32>| {
            let mut g = g;
            Zip::from(&mut g).and(x).and(&z).for_each(|g, &x, &z| *g *= z / (x + IDENTITY_EPSILON));
            g
        };
        match &node.op {
            Op::Elementwise(_) => vec![Some(identity(&inputs[0], g))],
            Op::Gate => vec![Some(identity(&inputs[0], g)), None],
            Op::LayerNorm(norm) => vec![Some(norm.held_gradient(&inputs[0], &g))],
            Op::Quotient => {
                let g = zip_broadcast(&g.view(), &inputs[1], |g, b| g / b);
                vec![Some(reduce_to(g, inputs[0].shape())), None]
            }
            Op::Softmax { axis } => match attention {
                Attention::AttnLrp => vec![Some(softmax_gradient(&z, &g, *axis))],
                Attention::CpLrp => vec![None],
            },
            Op::Product | Op::MatMul => {
                let weights = [
                    self.is_attention_weights(node.inputs[0]),
                    self.is_attention_weights(node.inputs[1]),
                ];
                let shares = match (attention, weights) {
                    (Attention::CpLrp, [true, false]) => [0.0, 1.0],
                    (Attention::CpLrp, [false, true]) => [1.0, 0.0],
                    _ => [0.5, 0.5],
                };
                let (a, b) = (&inputs[0], &inputs[1]);
                let factor_gradient = |k: usize| match (&node.op, k) {
                    (Op::MatMul, 0) => matmul(&g.view(), b, false, true),
                    (Op::MatMul, _) => matmul(a, &g.view(), true, false),
                    (_, 0) => reduce_to(zip_broadcast(&g.view(), b, |g, b| g * b), a.shape()),
                    _ => reduce_to(zip_broadcast(&g.view(), a, |g, a| g * a), b.shape()),
                };
                (0..2).map(|k| (shares[k] > 0.0).then(|| factor_gradient(k) * shares[k])).collect()
            }
            _ => gradient_step(node, inputs, z, g).into_iter().map(Some).collect(),
        }
    }

    /// Whether node `id` holds attention weights: a softmax's output, perhaps reshaped.
    fn is_attention_weights(&self, mut id: NodeId) -> bool {
        loop {
            let node = &self.graph.nodes[id];
            match node.op {
                Op::Softmax { .. } => return true,
                Op::Reshape(_) | Op::Transpose(_) | Op::Slice { .. } => id = node.inputs[0],
                _ => return false,
            }
        }
    }
}
