//! Operators that fold to constants or only move values: gathers, concatenations, reshapes.

use lrp::Op;
use ndarray::{ArrayD, Axis, IxDyn};
use onnx_protobuf::NodeProto;

use super::builder::{axis, int_attribute, shape_of, Builder};
use super::Value;
use crate::error::ImportError;
use crate::tensor::Constant;

impl Builder<'_> {
    pub(super) fn reshaped(
        &mut self,
        node: &NodeProto,
        v: Value,
        target: Vec<usize>,
    ) -> Result<(), ImportError> {
        match v {
            Value::Constant(Constant::Int(a)) => {
                let a = a
                    .into_shape_with_order(IxDyn(&target))
                    .map_err(|e| Self::fail(node, e.to_string()))?;
                self.set(node, Value::Constant(Constant::Int(a)));
            }
            Value::Constant(Constant::Float(a)) => {
                let a = a
                    .into_shape_with_order(IxDyn(&target))
                    .map_err(|e| Self::fail(node, e.to_string()))?;
                self.set(node, Value::Constant(Constant::Float(a)));
            }
            Value::Node { id, shape } => {
                if shape.iter().product::<usize>() != target.iter().product::<usize>() {
                    return Err(Self::fail(
                        node,
                        format!("cannot reshape {shape:?} to {target:?}"),
                    ));
                }
                let r = self.reshape(&node.name, id, target.clone());
                self.set(node, Value::Node { id: r, shape: target });
            }
            Value::TokenIds => return Err(Self::fail(node, "token ids cannot be reshaped")),
        }
        Ok(())
    }

    pub(super) fn gather(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        if let Value::TokenIds = self.value(node, 1)? {
            // The graph's input is the gathered embeddings `[1, T, D]` (the table, checked when
            // the model was read, is not copied).
            let Some(Constant::Float(table)) = self.initialisers.get(&node.input[0]) else {
                return Err(Self::fail(
                    node,
                    "the token ids are gathered from something other than an embedding table",
                ));
            };
            let shape = vec![1, self.input_shape.get(1).copied().unwrap_or(0), table.shape()[1]];
            self.set(node, Value::Node { id: 0, shape });
            return Ok(());
        }
        match (self.value(node, 0)?, self.value(node, 1)?) {
            (Value::Constant(data), Value::Constant(indices)) => {
                let a = axis(int_attribute(node, "axis", 0), data.shape().len());
                let picks = indices.ints().ok_or_else(|| Self::fail(node, "indices must be integers"))?;
                let len = data.shape()[a] as i64;
                let picks: Vec<usize> = picks.iter().map(|&i| if i < 0 { (len + i) as usize } else { i as usize }).collect();
                let scalar = indices.shape().is_empty();
                let gathered = match data {
                    Constant::Int(d) => {
                        let g = d.select(Axis(a), &picks);
                        Constant::Int(if scalar { g.index_axis_move(Axis(a), 0) } else { g })
                    }
                    Constant::Float(d) => {
                        let g = d.select(Axis(a), &picks);
                        Constant::Float(if scalar { g.index_axis_move(Axis(a), 0) } else { g })
                    }
                };
                self.set(node, Value::Constant(gathered));
            }
            _ => return Err(Self::fail(node, "a gather of computed values (only an embedding lookup of the input's token ids, or shape arithmetic)")),
        }
        Ok(())
    }

    pub(super) fn concat(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let values: Vec<Value> =
            (0..node.input.len()).map(|i| self.value(node, i)).collect::<Result<_, _>>()?;
        let rank = values.iter().find_map(shape_of).map_or(1, |s| s.len());
        let a = axis(int_attribute(node, "axis", 0), rank);
        if values.iter().all(|v| matches!(v, Value::Constant(Constant::Int(_)))) {
            let parts: Vec<ArrayD<i64>> = values
                .into_iter()
                .map(|v| if let Value::Constant(Constant::Int(x)) = v { x } else { unreachable!() })
                .collect();
            let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
            let joined = ndarray::concatenate(Axis(a), &views)
                .map_err(|e| Self::fail(node, e.to_string()))?;
            self.set(node, Value::Constant(Constant::Int(joined)));
            return Ok(());
        }
        let mut ids = Vec::new();
        let mut shape: Option<Vec<usize>> = None;
        for v in values {
            let (id, s) = self.as_node(node, v)?;
            shape = Some(match shape {
                None => s,
                Some(mut total) => {
                    total[a] += s[a];
                    total
                }
            });
            ids.push(id);
        }
        let c = self.add(&node.name, Op::Concat { axis: a }, ids);
        self.set(node, Value::Node { id: c, shape: shape.expect("at least one input") });
        Ok(())
    }
}

/// ONNX Reshape's target: `0` copies the input's dimension, one `-1` takes what is left.
pub(super) fn reshape_target(shape: &[usize], spec: &[i64]) -> Option<Vec<usize>> {
    let total: usize = shape.iter().product();
    let mut dims: Vec<Option<usize>> = spec
        .iter()
        .enumerate()
        .map(|(i, &d)| match d {
            0 => shape.get(i).copied(),
            d if d > 0 => Some(d as usize),
            _ => None,
        })
        .collect();
    let known: usize = dims.iter().flatten().product();
    let unknown = dims.iter().filter(|d| d.is_none()).count();
    if unknown > 1 || (unknown == 1 && (known == 0 || !total.is_multiple_of(known))) {
        return None;
    }
    for d in dims.iter_mut().filter(|d| d.is_none()) {
        *d = Some(total / known);
    }
    let dims: Vec<usize> = dims.into_iter().flatten().collect();
    (dims.iter().product::<usize>() == total).then_some(dims)
}
