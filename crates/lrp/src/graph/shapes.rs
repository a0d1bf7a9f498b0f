//! The shape of every node's value, and the checks that an operation accepts its inputs'
//! shapes: what the forward pass asks before it computes, and what a rewrite of the graph
//! needs to know without computing.

use super::tensor_ops::{broadcast_shape, matmul_fits};
use super::{Graph, Node, Op};
use crate::error::LrpError;

impl Graph {
    /// The shape of every node's value for an input of shape `input`. Fails, naming the node,
    /// on a shape an operation does not accept.
    pub fn shapes(&self, input: &[usize]) -> Result<Vec<Vec<usize>>, LrpError> {
        let mut shapes: Vec<Vec<usize>> = Vec::with_capacity(self.nodes.len());
        shapes.push(input.to_vec());
        for (index, node) in self.nodes.iter().enumerate().skip(1) {
            let shape = match &node.op {
                Op::Constant(c) => c.shape().to_vec(),
                _ => {
                    let inputs: Vec<&[usize]> =
                        node.inputs.iter().map(|&i| shapes[i].as_slice()).collect();
                    node_shape(index, node, &inputs)?
                }
            };
            shapes.push(shape);
        }
        Ok(shapes)
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

/// The shape of node `index`'s value for inputs of `shapes`, or which shape it does not
/// accept.
pub(super) fn node_shape(
    index: usize,
    node: &Node,
    shapes: &[&[usize]],
) -> Result<Vec<usize>, LrpError> {
    let first = shapes[0];
    let broadcast = || {
        broadcast_shape(shapes.iter().copied()).ok_or_else(|| {
            let other =
                shapes.iter().find(|x| broadcast_shape([first, **x]).is_none()).unwrap_or(&first);
            mismatch(index, node, format!("a shape that broadcasts with {first:?}"), other)
        })
    };
    match &node.op {
        Op::Input => unreachable!("Graph::new keeps the input at node 0"),
        Op::Constant(_) => unreachable!("a constant has no inputs"),
        Op::Layer(layer) => layer.output_shape(first, index),
        Op::Add | Op::Product | Op::Quotient | Op::Gate => broadcast(),
        Op::Affine { scale, .. } => {
            if first.last() != Some(&scale.len()) {
                return Err(mismatch(
                    index,
                    node,
                    format!("{} channels on the last axis", scale.len()),
                    first,
                ));
            }
            Ok(first.to_vec())
        }
        Op::Scale(c) => {
            if c.broadcast(first).is_none() {
                return Err(mismatch(
                    index,
                    node,
                    format!("a shape {:?} broadcasts to", c.shape()),
                    first,
                ));
            }
            Ok(first.to_vec())
        }
        Op::Concat { axis } => {
            let fits = |x: &[usize]| {
                x.len() == first.len()
                    && *axis < x.len()
                    && (0..x.len()).all(|a| a == *axis || x[a] == first[a])
            };
            if let Some(x) = shapes.iter().find(|x| !fits(x)) {
                return Err(mismatch(
                    index,
                    node,
                    format!("{first:?} in every axis but {axis}"),
                    x,
                ));
            }
            let mut shape = first.to_vec();
            shape[*axis] = shapes.iter().map(|x| x[*axis]).sum();
            Ok(shape)
        }
        Op::Reshape(shape) => {
            if shape.iter().product::<usize>() != first.iter().product::<usize>() {
                return Err(mismatch(
                    index,
                    node,
                    format!("{} values for the shape {shape:?}", shape.iter().product::<usize>()),
                    first,
                ));
            }
            Ok(shape.clone())
        }
        Op::Transpose(perm) => {
            let mut sorted = perm.clone();
            sorted.sort_unstable();
            if sorted != (0..first.len()).collect::<Vec<_>>() {
                return Err(mismatch(
                    index,
                    node,
                    format!("{} axes for the permutation {perm:?}", perm.len()),
                    first,
                ));
            }
            Ok(perm.iter().map(|&p| first[p]).collect())
        }
        Op::Slice { axis, start, end } => {
            if *axis >= first.len() || start >= end || *end > first[*axis] {
                return Err(mismatch(
                    index,
                    node,
                    format!("an axis {axis} of at least {end} values"),
                    first,
                ));
            }
            let mut shape = first.to_vec();
            shape[*axis] = end - start;
            Ok(shape)
        }
        Op::Mean { axis } | Op::Softmax { axis } => {
            if *axis >= first.len() {
                return Err(mismatch(index, node, format!("an axis {axis}"), first));
            }
            let mut shape = first.to_vec();
            if let Op::Mean { .. } = node.op {
                shape[*axis] = 1;
            }
            Ok(shape)
        }
        Op::MatMul => {
            let second = shapes[1];
            if !matmul_fits(first, second) {
                return Err(mismatch(
                    index,
                    node,
                    format!("a matrix product with {first:?}"),
                    second,
                ));
            }
            let mut shape = first.to_vec();
            *shape.last_mut().expect("rank 2 or more") = second[second.len() - 1];
            Ok(shape)
        }
        Op::Elementwise(_) => Ok(first.to_vec()),
        Op::LayerNorm(norm) => {
            // `γ` scales `x` (a shape that broadcasts to it), `β` is added (any shape that
            // broadcasts with it), as by the steps they replace.
            let gamma_fits = |g: &ndarray::ArrayD<f32>| g.broadcast(first).is_some();
            let with_beta = match &norm.beta {
                Some(b) => broadcast_shape([first, b.shape()]),
                None => Some(first.to_vec()),
            };
            match with_beta {
                Some(shape)
                    if norm.axis < first.len() && norm.gamma.as_ref().is_none_or(gamma_fits) =>
                {
                    Ok(shape)
                }
                _ => Err(mismatch(
                    index,
                    node,
                    format!("an axis {} and γ, β that broadcast to it", norm.axis),
                    first,
                )),
            }
        }
    }
}
