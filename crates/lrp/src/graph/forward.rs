//! The forward pass: every node's value from its inputs' values, shapes checked and named.

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

use super::tensor_ops::{
    broadcast_shape, matmul, matmul_fits, mean, scaled, softmax, standard, sum_broadcast,
    zip_broadcast,
};
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

fn mismatch(index: usize, node: &Node, expected: String, got: &[usize]) -> LrpError {
    LrpError::ShapeMismatch {
        layer: index,
        kind: format!("{} `{}`", node.op.kind(), node.name),
        expected,
        got: got.to_vec(),
    }
}

/// One node's value from its inputs' values, shapes checked.
fn forward(index: usize, node: &Node, inputs: &[ArrayViewD<f32>]) -> Result<ArrayD<f32>, LrpError> {
    let first = &inputs[0];
    match &node.op {
        Op::Input => unreachable!("Graph::new keeps the input at node 0"),
        Op::Constant(_) => unreachable!("a constant has no inputs"),
        Op::Layer(layer) => {
            layer.output_shape(first.shape(), index)?;
            Ok(layer.forward(first.view()))
        }
        Op::Add => {
            let shape = broadcast_shape(inputs.iter().map(|x| x.shape())).ok_or_else(|| {
                let other = inputs
                    .iter()
                    .find(|x| broadcast_shape([first.shape(), x.shape()]).is_none())
                    .unwrap_or(first);
                mismatch(
                    index,
                    node,
                    format!("a shape that broadcasts with {:?}", first.shape()),
                    other.shape(),
                )
            })?;
            Ok(sum_broadcast(inputs, &shape))
        }
        Op::Affine { scale, shift } => {
            if first.shape().last() != Some(&scale.len()) {
                return Err(mismatch(
                    index,
                    node,
                    format!("{} channels on the last axis", scale.len()),
                    first.shape(),
                ));
            }
            Ok(&(first * scale) + shift)
        }
        Op::Scale(c) => {
            if c.broadcast(first.raw_dim()).is_none() {
                return Err(mismatch(
                    index,
                    node,
                    format!("a shape {:?} broadcasts to", c.shape()),
                    first.shape(),
                ));
            }
            Ok(scaled(first, c))
        }
        Op::Concat { axis } => {
            let fits = |x: &ArrayViewD<f32>| {
                x.ndim() == first.ndim()
                    && *axis < x.ndim()
                    && (0..x.ndim()).all(|a| a == *axis || x.shape()[a] == first.shape()[a])
            };
            if let Some(x) = inputs.iter().find(|x| !fits(x)) {
                return Err(mismatch(
                    index,
                    node,
                    format!("{:?} in every axis but {axis}", first.shape()),
                    x.shape(),
                ));
            }
            Ok(ndarray::concatenate(Axis(*axis), inputs).expect("shapes checked"))
        }
        Op::Reshape(shape) => {
            if shape.iter().product::<usize>() != first.len() {
                return Err(mismatch(
                    index,
                    node,
                    format!("{} values for the shape {shape:?}", shape.iter().product::<usize>()),
                    first.shape(),
                ));
            }
            Ok(standard(first.view()).into_shape_with_order(IxDyn(shape)).expect("length checked"))
        }
        Op::Transpose(perm) => {
            let mut sorted = perm.clone();
            sorted.sort_unstable();
            if sorted != (0..first.ndim()).collect::<Vec<_>>() {
                return Err(mismatch(
                    index,
                    node,
                    format!("{} axes for the permutation {perm:?}", perm.len()),
                    first.shape(),
                ));
            }
            Ok(standard(first.view().permuted_axes(IxDyn(perm))))
        }
        Op::Slice { axis, start, end } => {
            if *axis >= first.ndim() || start >= end || *end > first.shape()[*axis] {
                return Err(mismatch(
                    index,
                    node,
                    format!("an axis {axis} of at least {end} values"),
                    first.shape(),
                ));
            }
            Ok(first.slice_axis(Axis(*axis), ndarray::Slice::from(*start..*end)).to_owned())
        }
        Op::Mean { axis } | Op::Softmax { axis } => {
            if *axis >= first.ndim() {
                return Err(mismatch(index, node, format!("an axis {axis}"), first.shape()));
            }
            Ok(match node.op {
                Op::Mean { .. } => mean(first, *axis),
                _ => softmax(first, *axis),
            })
        }
        Op::Product | Op::Quotient | Op::Gate => {
            let second = &inputs[1];
            if broadcast_shape([first.shape(), second.shape()]).is_none() {
                return Err(mismatch(
                    index,
                    node,
                    format!("a shape that broadcasts with {:?}", first.shape()),
                    second.shape(),
                ));
            }
            Ok(match node.op {
                Op::Quotient => zip_broadcast(first, second, |a, b| a / b),
                _ => zip_broadcast(first, second, |a, b| a * b),
            })
        }
        Op::MatMul => {
            let second = &inputs[1];
            if !matmul_fits(first.shape(), second.shape()) {
                return Err(mismatch(
                    index,
                    node,
                    format!("a matrix product with {:?}", first.shape()),
                    second.shape(),
                ));
            }
            Ok(matmul(first, second, false, false))
        }
        Op::Elementwise(f) => Ok(f.forward(first.view())),
        Op::LayerNorm(norm) => {
            // `γ` scales `x` (a shape that broadcasts to it), `β` is added (any shape that
            // broadcasts with it), as by the steps they replace.
            let gamma_fits = |g: &ArrayD<f32>| g.broadcast(first.raw_dim()).is_some();
            let beta_fits = |b: &ArrayD<f32>| broadcast_shape([first.shape(), b.shape()]).is_some();
            if norm.axis >= first.ndim()
                || !norm.gamma.as_ref().is_none_or(gamma_fits)
                || !norm.beta.as_ref().is_none_or(beta_fits)
            {
                return Err(mismatch(
                    index,
                    node,
                    format!("an axis {} and γ, β that broadcast to it", norm.axis),
                    first.shape(),
                ));
            }
            Ok(norm.forward(first))
        }
    }
}
