//! The dispatch: what each supported ONNX operator becomes, by name (the operator families'
//! conversions in `layers` and `shapes`).

use lrp::{Dense, Layer, Op};
use ndarray::{Array2, ArrayD, IxDyn};
use onnx_protobuf::NodeProto;

use super::builder::{attribute, axis, int_attribute, ints_attribute, shape_of, Builder};
use super::shapes::reshape_target;
use super::Value;
use crate::error::{ImportError, UnsupportedNode};
use crate::tensor::{decode, Constant};

impl Builder<'_> {
    pub(super) fn convert(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let op = node.op_type.as_str();
        let name = node.name.as_str();
        match op {
            "Identity" | "Dropout" | "Cast" => {
                let v = self.value(node, 0)?;
                let v = match (op, v) {
                    ("Cast", Value::Constant(c)) => {
                        let to = int_attribute(node, "to", 1);
                        Value::Constant(if to == 1 || to == 11 {
                            Constant::Float(c.to_float())
                        } else {
                            Constant::Int(c.to_float().mapv(|v| v as i64))
                        })
                    }
                    (_, v) => v,
                };
                self.set(node, v);
            }
            "Constant" => {
                let t = attribute(node, "value")
                    .and_then(|a| a.t.as_ref())
                    .ok_or_else(|| Self::fail(node, "only a tensor `value` is supported"))?;
                self.set(node, Value::Constant(decode(t)?));
            }
            "Shape" => {
                let shape = match self.value(node, 0)? {
                    Value::Node { shape, .. } => shape,
                    Value::Constant(c) => c.shape().to_vec(),
                    Value::TokenIds => self.input_shape[..2].to_vec(),
                };
                let dims: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
                self.set(
                    node,
                    Value::Constant(Constant::Int(
                        ArrayD::from_shape_vec(IxDyn(&[dims.len()]), dims).expect("1-d"),
                    )),
                );
            }
            "Gather" => self.gather(node)?,
            "Unsqueeze" | "Squeeze" => {
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
                let shape =
                    shape_of(&v).ok_or_else(|| Self::fail(node, "token ids cannot be reshaped"))?;
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
                    shape
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| !axes.contains(i))
                        .map(|(_, &d)| d)
                        .collect()
                };
                self.reshaped(node, v, target)?;
            }
            "Flatten" => {
                let v = self.value(node, 0)?;
                let shape = shape_of(&v)
                    .ok_or_else(|| Self::fail(node, "token ids cannot be flattened"))?;
                let a = axis(int_attribute(node, "axis", 1), shape.len());
                self.reshaped(
                    node,
                    v,
                    vec![shape[..a].iter().product(), shape[a..].iter().product()],
                )?;
            }
            "Reshape" => {
                let v = self.value(node, 0)?;
                let shape =
                    shape_of(&v).ok_or_else(|| Self::fail(node, "token ids cannot be reshaped"))?;
                let spec = self
                    .constant(node, 1)?
                    .ints()
                    .ok_or_else(|| Self::fail(node, "the shape must be integers"))?;
                let target = reshape_target(&shape, &spec).ok_or_else(|| {
                    Self::fail(node, format!("cannot reshape {shape:?} to {spec:?}"))
                })?;
                self.reshaped(node, v, target)?;
            }
            "Transpose" => {
                let v = self.value(node, 0)?;
                let shape = shape_of(&v)
                    .ok_or_else(|| Self::fail(node, "token ids cannot be transposed"))?;
                let perm: Vec<usize> = ints_attribute(node, "perm").map_or_else(
                    || (0..shape.len()).rev().collect(),
                    |p| p.iter().map(|&a| axis(a, shape.len())).collect(),
                );
                let target: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
                match v {
                    Value::Constant(c) => {
                        let t = c
                            .to_float()
                            .permuted_axes(IxDyn(&perm))
                            .as_standard_layout()
                            .into_owned();
                        self.set(node, Value::Constant(Constant::Float(t)));
                    }
                    other => {
                        let (id, _) = self.as_node(node, other)?;
                        let channels_first = perm == [0, 2, 1] && shape[0] == 1;
                        let t = self.add(name, Op::Transpose(perm), vec![id]);
                        if channels_first {
                            // `[1, L, C]` to `[1, C, L]`: the source is already the channels-last copy.
                            let last = self.reshape(
                                &format!("{name}/channels_last"),
                                id,
                                shape[1..].to_vec(),
                            );
                            self.channels_last.insert(t, last);
                        }
                        self.set(node, Value::Node { id: t, shape: target });
                    }
                }
            }
            "Concat" => self.concat(node)?,
            "Relu" | "LeakyRelu" => {
                let (id, shape) = self.node_input(node)?;
                let layer = || {
                    if op == "Relu" {
                        Layer::Relu
                    } else {
                        Layer::LeakyRelu(attribute(node, "alpha").map_or(0.01, |a| a.f))
                    }
                };
                let r = self.add(name, Op::Layer(layer()), vec![id]);
                if let Some(&last) = self.channels_last.get(&id) {
                    // The same activation on the channels-last copy keeps pooling on it exact.
                    let r_last =
                        self.add(&format!("{name}/channels_last"), Op::Layer(layer()), vec![last]);
                    self.channels_last.insert(r, r_last);
                }
                self.set(node, Value::Node { id: r, shape });
            }
            "Conv" => self.conv(node)?,
            "BatchNormalization" => self.batch_norm(node)?,
            "MaxPool" | "GlobalMaxPool" | "AveragePool" | "GlobalAveragePool" => self.pool(node)?,
            "ReduceMax" | "ReduceMean" | "ReduceSum" => self.reduce(node)?,
            "Gemm" => self.gemm(node)?,
            "MatMul" => {
                let (id, shape) = self.node_input(node)?;
                let Constant::Float(w) = self.constant(node, 1).map_err(|_| {
                    ImportError::Unsupported(vec![UnsupportedNode {
                        name: name.into(),
                        op: op.into(),
                    }])
                })?
                else {
                    return Err(Self::fail(node, "the weights must be floats"));
                };
                if w.ndim() != 2 || shape.last() != Some(&w.shape()[0]) {
                    return Err(Self::fail(
                        node,
                        format!("weights {:?} for an input {shape:?}", w.shape()),
                    ));
                }
                let w: Array2<f32> = w.into_dimensionality().expect("2-d");
                let mut out = shape.clone();
                *out.last_mut().expect("rank ≥ 1") = w.ncols();
                let d = self.add(name, Op::Layer(Layer::Dense(Dense::new(w, None)?)), vec![id]);
                self.set(node, Value::Node { id: d, shape: out });
            }
            "Add" | "Sub" | "Mul" | "Div" => self.arithmetic(node)?,
            other => {
                return Err(ImportError::Unsupported(vec![UnsupportedNode {
                    name: name.into(),
                    op: other.into(),
                }]))
            }
        }
        Ok(())
    }
}
