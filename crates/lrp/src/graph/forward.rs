//! The forward pass: every node's value from its inputs' values, shapes checked and named.

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

use super::shapes::node_shape;
use super::tensor_ops::{matmul, mean, scaled, softmax, standard, sum_broadcast, zip_broadcast};
use super::{Graph, GraphTrace, Node, Op};
use crate::error::LrpError;

impl Graph {
    /// Runs the graph on `input` and keeps every node's value. Fails, naming the node, on a
    /// shape an operation does not accept, and on NaN or infinite inputs.
    pub fn forward(&self, input: ArrayD<f32>) -> Result<GraphTrace<'_>, LrpError> {
        if let Some(index) = input.iter().position(|v| !v.is_finite()) {
            return Err(LrpError::NonFiniteInput { index });
        }
        let mut values: Vec<ArrayD<f32>> = Vec::with_capacity(self.nodes.len());
        values.push(input);
        for (index, node) in self.nodes.iter().enumerate().skip(1) {
            let value = match &node.op {
                Op::Constant(c) => c.clone(),
                _ => {
                    let inputs: Vec<ArrayViewD<f32>> =
                        node.inputs.iter().map(|&i| values[i].view()).collect();
                    forward(index, node, &inputs)?
                }
            };
            values.push(value);
        }
        Ok(GraphTrace { graph: self, values })
    }
}

/// One node's value from its inputs' values, shapes checked.
fn forward(index: usize, node: &Node, inputs: &[ArrayViewD<f32>]) -> Result<ArrayD<f32>, LrpError> {
    let shapes: Vec<&[usize]> = inputs.iter().map(|x| x.shape()).collect();
    let shape = node_shape(index, node, &shapes)?;
    let first = &inputs[0];
    Ok(match &node.op {
        Op::Input | Op::Constant(_) => unreachable!("checked by node_shape"),
        Op::Layer(layer) => layer.forward(first.view()),
        Op::Add => sum_broadcast(inputs, &shape),
        Op::Affine { scale, shift } => &(first * scale) + shift,
        Op::Scale(c) => scaled(first, c),
        Op::Concat { axis } => ndarray::concatenate(Axis(*axis), inputs).expect("shapes checked"),
        Op::Reshape(shape) => {
            standard(first.view()).into_shape_with_order(IxDyn(shape)).expect("length checked")
        }
        Op::Transpose(perm) => standard(first.view().permuted_axes(IxDyn(perm))),
        Op::Slice { axis, start, end } => {
            first.slice_axis(Axis(*axis), ndarray::Slice::from(*start..*end)).to_owned()
        }
        Op::Mean { axis } => mean(first, *axis),
        Op::Softmax { axis } => softmax(first, *axis),
        Op::Quotient => zip_broadcast(first, &inputs[1], |a, b| a / b),
        Op::Product | Op::Gate => zip_broadcast(first, &inputs[1], |a, b| a * b),
        Op::MatMul => matmul(first, &inputs[1], false, false),
        Op::Elementwise(f) => f.forward(first.view()),
        Op::LayerNorm(norm) => norm.forward(first),
    })
}
