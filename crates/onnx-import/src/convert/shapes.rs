//! Operators that fold to constants or only move values: gathers, concatenations, reshapes.

use lrp::Op;
use ndarray::{ArrayD, Axis, IxDyn};
use onnx_protobuf::NodeProto;

use super::builder::{attribute, axis, int_attribute, ints_attribute, shape_of, Builder};
use super::Value;
use crate::error::ImportError;
use crate::tensor::{decode, Constant};

impl Builder {
    pub(super) fn pass_through(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let v = self.value(node, 0)?;
        self.set(node, v);
        Ok(())
    }

    /// `Cast` folds on constants (floats; integers; booleans as 0 and 1) and passes computed
    /// values, which are floats already.
    pub(super) fn cast(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let v = match self.value(node, 0)? {
            Value::Constant(c) => Value::Constant(match int_attribute(node, "to", 1) {
                1 | 10 | 11 | 16 => Constant::Float(c.to_float()),
                9 => Constant::Int(c.to_float().mapv(|v| i64::from(v != 0.0))),
                _ => match c {
                    Constant::Int(a) => Constant::Int(a),
                    Constant::Float(a) => Constant::Int(a.mapv(|v| v as i64)),
                },
            }),
            v => v,
        };
        self.set(node, v);
        Ok(())
    }

    pub(super) fn constant_op(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let t = attribute(node, "value")
            .and_then(|a| a.t.as_ref())
            .ok_or_else(|| Self::fail(node, "only a tensor `value` is supported"))?;
        self.set(node, Value::Constant(decode(t, None)?));
        Ok(())
    }

    /// `Shape` (with opset 15's `start` and `end`) is known once the input length is.
    pub(super) fn shape(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let shape = match self.value(node, 0)? {
            Value::Node { shape, .. } => shape,
            Value::Constant(c) => c.shape().to_vec(),
            Value::TokenIds => self.input_shape[..2].to_vec(),
        };
        let rank = shape.len() as i64;
        let clamp = |v: i64| (if v < 0 { v + rank } else { v }).clamp(0, rank) as usize;
        let start = clamp(int_attribute(node, "start", 0));
        let end = clamp(int_attribute(node, "end", rank));
        let dims: Vec<i64> = shape[start..end.max(start)].iter().map(|&d| d as i64).collect();
        self.set(
            node,
            Value::Constant(Constant::Int(
                ArrayD::from_shape_vec(IxDyn(&[dims.len()]), dims).expect("1-d"),
            )),
        );
        Ok(())
    }

    pub(super) fn squeeze(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let op = node.op_type.as_str();
        let v = self.value(node, 0)?;
        let axes = match ints_attribute(node, "axes") {
            Some(a) => Some(a),
            None if node.input.len() > 1 => Some(
                self.constant(node, 1)?
                    .ints()
                    .ok_or_else(|| Self::fail(node, "axes must be integers"))?,
            ),
            None => None,
        };
        let shape = shape_of(&v).ok_or_else(|| Self::fail(node, "token ids cannot be reshaped"))?;
        let target: Vec<usize> = if op == "Unsqueeze" {
            let axes = axes.ok_or_else(|| Self::fail(node, "no axes"))?;
            let rank = shape.len() + axes.len();
            let axes: Vec<usize> = axes.iter().map(|&a| axis(a, rank)).collect();
            let mut dims = shape.iter().copied();
            (0..rank)
                .map(|i| if axes.contains(&i) { 1 } else { dims.next().unwrap_or(1) })
                .collect()
        } else {
            let axes: Vec<usize> = axes.map_or_else(
                || (0..shape.len()).filter(|&i| shape[i] == 1).collect(),
                |a| a.iter().map(|&a| axis(a, shape.len())).collect(),
            );
            shape.iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &d)| d).collect()
        };
        self.reshaped(node, v, target)?;
        Ok(())
    }

    pub(super) fn flatten(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let v = self.value(node, 0)?;
        let shape =
            shape_of(&v).ok_or_else(|| Self::fail(node, "token ids cannot be flattened"))?;
        let a = axis(int_attribute(node, "axis", 1), shape.len());
        self.reshaped(node, v, vec![shape[..a].iter().product(), shape[a..].iter().product()])?;
        Ok(())
    }

    pub(super) fn reshape_op(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let v = self.value(node, 0)?;
        let shape = shape_of(&v).ok_or_else(|| Self::fail(node, "token ids cannot be reshaped"))?;
        let spec = self
            .constant(node, 1)?
            .ints()
            .ok_or_else(|| Self::fail(node, "the shape must be integers"))?;
        let target = reshape_target(&shape, &spec)
            .ok_or_else(|| Self::fail(node, format!("cannot reshape {shape:?} to {spec:?}")))?;
        self.reshaped(node, v, target)?;
        Ok(())
    }

    pub(super) fn transpose(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let name = node.name.as_str();
        let v = self.value(node, 0)?;
        let shape =
            shape_of(&v).ok_or_else(|| Self::fail(node, "token ids cannot be transposed"))?;
        let perm: Vec<usize> = ints_attribute(node, "perm").map_or_else(
            || (0..shape.len()).rev().collect(),
            |p| p.iter().map(|&a| axis(a, shape.len())).collect(),
        );
        let target: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
        match v {
            Value::Constant(c) => {
                let t = c.to_float().permuted_axes(IxDyn(&perm)).as_standard_layout().into_owned();
                self.set(node, Value::Constant(Constant::Float(t)));
            }
            other => {
                let (id, _) = self.as_node(node, other)?;
                let channels_first = perm == [0, 2, 1] && shape[0] == 1;
                let t = self.add(name, Op::Transpose(perm), vec![id]);
                if channels_first {
                    // `[1, L, C]` to `[1, C, L]`: the source is already the channels-last copy.
                    let last =
                        self.reshape(&format!("{name}/channels_last"), id, shape[1..].to_vec());
                    self.channels_last.insert(t, last);
                }
                self.set(node, Value::Node { id: t, shape: target });
            }
        }
        Ok(())
    }

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
                // ONNX's output shape: `data[..a] ++ indices ++ data[a + 1..]`.
                let shape: Vec<usize> = data.shape()[..a]
                    .iter()
                    .chain(indices.shape())
                    .chain(&data.shape()[a + 1..])
                    .copied()
                    .collect();
                fn reshaped<T: Clone>(g: ArrayD<T>, shape: &[usize]) -> ArrayD<T> {
                    g.as_standard_layout()
                        .into_owned()
                        .into_shape_with_order(IxDyn(shape))
                        .expect("as many values as the shape holds")
                }
                let gathered = match data {
                    Constant::Int(d) => Constant::Int(reshaped(d.select(Axis(a), &picks), &shape)),
                    Constant::Float(d) => Constant::Float(reshaped(d.select(Axis(a), &picks), &shape)),
                };
                self.set(node, Value::Constant(gathered));
            }
            (Value::Node { id, shape }, Value::Constant(indices)) => {
                // A position picked from a computed value (the first token, `[CLS]`): a slice,
                // and for a scalar index the axis dropped.
                let a = axis(int_attribute(node, "axis", 0), shape.len());
                let picks = indices.ints().ok_or_else(|| Self::fail(node, "indices must be integers"))?;
                let len = shape[a] as i64;
                let picks: Vec<usize> = picks.iter().map(|&i| if i < 0 { (len + i) as usize } else { i as usize }).collect();
                let contiguous = picks.windows(2).all(|w| w[1] == w[0] + 1);
                let (Some(&first), true) = (picks.first(), contiguous) else {
                    return Err(Self::fail(node, "a gather of computed values at positions that are not one run"));
                };
                let end = first + picks.len();
                if end > shape[a] {
                    return Err(Self::fail(node, format!("index {} of an axis of {}", end - 1, shape[a])));
                }
                let s = self.add(&format!("{}/slice", node.name), Op::Slice { axis: a, start: first, end }, vec![id]);
                let mut sliced = shape.clone();
                sliced[a] = picks.len();
                let mut out = sliced.clone();
                if indices.shape().is_empty() {
                    out.remove(a);
                } else {
                    out.splice(a..=a, indices.shape().iter().copied());
                }
                let r = self.reshape(&node.name, s, out.clone());
                self.set(node, Value::Node { id: r, shape: out });
            }
            _ => return Err(Self::fail(node, "a gather of computed values (only an embedding lookup of the input's token ids, a position of a computed value, or shape arithmetic)")),
        }
        Ok(())
    }

    /// `Slice` with constant bounds and steps of 1: folded on constants, a graph slice (one
    /// per axis) of a computed value.
    pub(super) fn slice(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let v = self.value(node, 0)?;
        let shape = shape_of(&v).ok_or_else(|| Self::fail(node, "token ids cannot be sliced"))?;
        let list = |b: &Self, i: usize| -> Result<Option<Vec<i64>>, ImportError> {
            match node.input.get(i).filter(|n| !n.is_empty()) {
                None => Ok(None),
                Some(_) => b
                    .constant(node, i)?
                    .ints()
                    .map(Some)
                    .ok_or_else(|| Self::fail(node, format!("input {i} must be integers"))),
            }
        };
        let (starts, ends) = match (ints_attribute(node, "starts"), ints_attribute(node, "ends")) {
            (Some(s), Some(e)) => (s, e),
            _ => (
                list(self, 1)?.ok_or_else(|| Self::fail(node, "no starts"))?,
                list(self, 2)?.ok_or_else(|| Self::fail(node, "no ends"))?,
            ),
        };
        let axes = ints_attribute(node, "axes")
            .or(list(self, 3)?)
            .unwrap_or_else(|| (0..starts.len() as i64).collect());
        if list(self, 4)?.is_some_and(|steps| steps.iter().any(|&s| s != 1)) {
            return Err(Self::fail(node, "only steps of 1 are supported"));
        }
        let mut v = v;
        for ((&start, &end), &a) in starts.iter().zip(&ends).zip(&axes) {
            let a = axis(a, shape.len());
            let len = shape[a] as i64;
            let clamp = |i: i64| (if i < 0 { i + len } else { i }).clamp(0, len) as usize;
            let (start, end) = (clamp(start), clamp(end).max(clamp(start)));
            v = match v {
                Value::Constant(Constant::Int(c)) => Value::Constant(Constant::Int(
                    c.slice_axis(Axis(a), ndarray::Slice::from(start..end)).to_owned(),
                )),
                Value::Constant(Constant::Float(c)) => Value::Constant(Constant::Float(
                    c.slice_axis(Axis(a), ndarray::Slice::from(start..end)).to_owned(),
                )),
                Value::Node { id, mut shape } if start > 0 || end < shape[a] => {
                    let s = self.add(&node.name, Op::Slice { axis: a, start, end }, vec![id]);
                    shape[a] = end - start;
                    Value::Node { id: s, shape }
                }
                other => other,
            };
        }
        self.set(node, v);
        Ok(())
    }

    /// `Split` into parts given by the `split` input (or attribute), or equal parts.
    pub(super) fn split(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let v = self.value(node, 0)?;
        let shape = shape_of(&v).ok_or_else(|| Self::fail(node, "token ids cannot be split"))?;
        let a = axis(int_attribute(node, "axis", 0), shape.len());
        let parts: Vec<usize> = match ints_attribute(node, "split") {
            Some(p) => p.iter().map(|&p| p.max(0) as usize).collect(),
            None if node.input.len() > 1 && !node.input[1].is_empty() => self
                .constant(node, 1)?
                .ints()
                .ok_or_else(|| Self::fail(node, "the parts must be integers"))?
                .iter()
                .map(|&p| p.max(0) as usize)
                .collect(),
            None => {
                let n = node.output.len().max(1);
                let size = shape[a].div_ceil(n);
                (0..n).map(|i| size.min(shape[a].saturating_sub(i * size))).collect()
            }
        };
        if parts.len() != node.output.len() || parts.iter().sum::<usize>() != shape[a] {
            return Err(Self::fail(node, format!("parts {parts:?} of an axis of {}", shape[a])));
        }
        let mut start = 0;
        for (part, output) in parts.iter().zip(&node.output) {
            let end = start + part;
            let value = match &v {
                Value::Constant(Constant::Int(c)) => Value::Constant(Constant::Int(
                    c.slice_axis(Axis(a), ndarray::Slice::from(start..end)).to_owned(),
                )),
                Value::Constant(Constant::Float(c)) => Value::Constant(Constant::Float(
                    c.slice_axis(Axis(a), ndarray::Slice::from(start..end)).to_owned(),
                )),
                Value::Node { id, shape } => {
                    let name = format!("{}/{output}", node.name);
                    let s = self.add(&name, Op::Slice { axis: a, start, end }, vec![*id]);
                    let mut shape = shape.clone();
                    shape[a] = *part;
                    Value::Node { id: s, shape }
                }
                Value::TokenIds => unreachable!("refused above"),
            };
            self.values.insert(output.clone(), value);
            start = end;
        }
        Ok(())
    }

    /// `Expand` of a constant to a constant shape (masks, segment ids), folded.
    pub(super) fn expand(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let target = self
            .constant(node, 1)?
            .ints()
            .ok_or_else(|| Self::fail(node, "the shape must be integers"))?;
        let target: Vec<usize> = target.iter().map(|&d| d.max(1) as usize).collect();
        let c = match self.value(node, 0)? {
            Value::Constant(c) => c,
            _ => return Err(Self::fail(node, "an expansion of a computed value")),
        };
        let shape = crate::tensor::broadcast_shape(c.shape(), &target).ok_or_else(|| {
            Self::fail(node, format!("{:?} does not expand to {target:?}", c.shape()))
        })?;
        let dim = IxDyn(&shape);
        let value = match c {
            Constant::Int(a) => Constant::Int(a.broadcast(dim).expect("checked").to_owned()),
            Constant::Float(a) => Constant::Float(a.broadcast(dim).expect("checked").to_owned()),
        };
        self.set(node, Value::Constant(value));
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
