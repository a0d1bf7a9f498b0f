//! Normalisation and attention weights: `LayerNormalization` written out as the operations
//! exporters use below opset 17 (so both forms get one treatment), `Softmax` inside the graph.

use lrp::{Elementwise, Op};
use ndarray::{ArrayD, IxDyn};
use onnx_protobuf::NodeProto;

use super::builder::{attribute, axis, int_attribute, Builder};
use super::Value;
use crate::error::ImportError;

impl Builder {
    /// `y = (x − mean x) / √(var x + ε) · γ + β` over the last axis: mean, difference, square,
    /// mean, sum with ε, square root, quotient, scale, summand. Its rules (the standard deviation
    /// held constant) come from the quotient's.
    pub(super) fn layer_norm(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let (id, shape) = self.node_input(node)?;
        let a = axis(int_attribute(node, "axis", -1), shape.len());
        if a + 1 != shape.len() {
            return Err(Self::fail(node, "a normalisation over more than the last axis"));
        }
        let width = shape[a];
        let parameter = |b: &Self, i: usize| -> Result<Option<ArrayD<f32>>, ImportError> {
            match node.input.get(i).filter(|n| !n.is_empty()) {
                None => Ok(None),
                Some(_) => {
                    let p = b.constant(node, i)?.to_float();
                    if p.len() != width {
                        return Err(Self::fail(
                            node,
                            format!("{} values for {width} channels", p.len()),
                        ));
                    }
                    Ok(Some(p.into_shape_with_order(IxDyn(&[width])).expect("length checked")))
                }
            }
        };
        let (gamma, beta) = (parameter(self, 1)?, parameter(self, 2)?);
        let epsilon = attribute(node, "epsilon").map_or(1e-5, |e| e.f);
        let name = node.name.as_str();
        let minus = ArrayD::from_elem(IxDyn(&[]), -1.0);
        let mean = self.add(&format!("{name}/mean"), Op::Mean { axis: a }, vec![id]);
        let negated = self.add(&format!("{name}/negate"), Op::Scale(minus), vec![mean]);
        let centred = self.add(&format!("{name}/centre"), Op::Add, vec![id, negated]);
        let square = self.add(
            &format!("{name}/square"),
            Op::Elementwise(Elementwise::Power(2.0)),
            vec![centred],
        );
        let variance = self.add(&format!("{name}/variance"), Op::Mean { axis: a }, vec![square]);
        let eps =
            self.constant_node(&format!("{name}/epsilon"), ArrayD::from_elem(IxDyn(&[]), epsilon));
        let shifted = self.add(&format!("{name}/variance_epsilon"), Op::Add, vec![variance, eps]);
        let deviation = self.add(
            &format!("{name}/deviation"),
            Op::Elementwise(Elementwise::Sqrt),
            vec![shifted],
        );
        let mut out =
            self.add(&format!("{name}/normalise"), Op::Quotient, vec![centred, deviation]);
        if let Some(gamma) = gamma {
            out = self.add(&format!("{name}/scale"), Op::Scale(gamma), vec![out]);
        }
        if let Some(beta) = beta {
            let b = self.constant_node(&format!("{name}/bias"), beta);
            out = self.add(name, Op::Add, vec![out, b]);
        }
        self.set(node, Value::Node { id: out, shape });
        Ok(())
    }

    /// `Softmax` inside the graph (the one at the output is left out before conversion).
    pub(super) fn softmax(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let (id, shape) = self.node_input(node)?;
        let a = axis(int_attribute(node, "axis", -1), shape.len());
        if a + 1 != shape.len() && shape[a + 1..].iter().any(|&d| d != 1) {
            return Err(Self::fail(node, "a softmax over more than one axis"));
        }
        let s = self.add(&node.name, Op::Softmax { axis: a }, vec![id]);
        self.set(node, Value::Node { id: s, shape });
        Ok(())
    }
}
