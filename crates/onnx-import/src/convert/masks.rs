//! The operators exporters write to build attention masks, segment ids and positions:
//! `ConstantOfShape`, `Equal`, `Not`, `Where`, `Range`, `CumSum`. For one document read
//! without padding all of it is constant and folds; a `Where` that picks between a computed
//! value and a constant under a constant condition is a mask (a scale and a constant summand).

use lrp::Op;
use ndarray::{ArrayD, Axis, IxDyn};
use onnx_protobuf::NodeProto;

use super::builder::{attribute, axis, int_attribute, Builder};
use super::Value;
use crate::error::ImportError;
use crate::tensor::{broadcast_shape, decode, Constant};

impl Builder {
    pub(super) fn constant_of_shape(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let shape: Vec<usize> = self
            .constant(node, 0)?
            .ints()
            .ok_or_else(|| Self::fail(node, "the shape must be integers"))?
            .iter()
            .map(|&d| d.max(0) as usize)
            .collect();
        let fill = match attribute(node, "value").and_then(|a| a.t.as_ref()) {
            Some(t) => decode(t, None)?,
            None => Constant::Float(ArrayD::zeros(IxDyn(&[1]))),
        };
        let value = match fill {
            Constant::Int(a) => Constant::Int(ArrayD::from_elem(
                IxDyn(&shape),
                a.iter().copied().next().unwrap_or(0),
            )),
            Constant::Float(a) => Constant::Float(ArrayD::from_elem(
                IxDyn(&shape),
                a.iter().copied().next().unwrap_or(0.0),
            )),
        };
        self.set(node, Value::Constant(value));
        Ok(())
    }

    /// `Equal` of constants; of the token ids and a constant (RoBERTa's test for padding), all
    /// false: a document read alone is not padded.
    pub(super) fn equal(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        match (self.value(node, 0)?, self.value(node, 1)?) {
            (Value::Constant(a), Value::Constant(b)) => {
                let z = a.binary(&b, "Equal").ok_or_else(|| {
                    Self::fail(
                        node,
                        format!("{:?} and {:?} do not broadcast", a.shape(), b.shape()),
                    )
                })?;
                self.set(node, Value::Constant(z));
            }
            (Value::TokenIds, Value::Constant(c)) | (Value::Constant(c), Value::TokenIds) => {
                let ids = &self.input_shape[..2];
                let shape = broadcast_shape(ids, c.shape())
                    .ok_or_else(|| Self::fail(node, "the compared shapes do not broadcast"))?;
                self.notes.push(format!(
                    "`{}` compares the token ids with {:?}: false everywhere, the document is read without padding",
                    node.name,
                    c.ints().unwrap_or_default()
                ));
                self.set(node, Value::Constant(Constant::Int(ArrayD::zeros(IxDyn(&shape)))));
            }
            _ => return Err(Self::fail(node, "a comparison of computed values")),
        }
        Ok(())
    }

    pub(super) fn not(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let c = self.constant(node, 0)?;
        let z = c.to_float().mapv(|v| i64::from(v == 0.0));
        self.set(node, Value::Constant(Constant::Int(z)));
        Ok(())
    }

    /// `Where(c, x, y)`: `x` where `c`, else `y`.
    pub(super) fn where_op(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let condition = self.constant(node, 0)?;
        let (x, y) = (self.value(node, 1)?, self.value(node, 2)?);
        if let (Value::Constant(x), Value::Constant(y)) = (&x, &y) {
            let shape = broadcast_shape(condition.shape(), x.shape())
                .and_then(|s| broadcast_shape(&s, y.shape()))
                .ok_or_else(|| Self::fail(node, "the shapes do not broadcast"))?;
            let dim = IxDyn(&shape);
            let c = condition.to_float();
            let c = c.broadcast(dim.clone()).expect("broadcast checked");
            let pick = |a: &ArrayD<i64>, b: &ArrayD<i64>| {
                let (a, b) = (
                    a.broadcast(dim.clone()).expect("checked"),
                    b.broadcast(dim.clone()).expect("checked"),
                );
                ndarray::Zip::from(&c)
                    .and(&a)
                    .and(&b)
                    .map_collect(|&c, &a, &b| if c != 0.0 { a } else { b })
            };
            let z = match (x, y) {
                (Constant::Int(a), Constant::Int(b)) => Constant::Int(pick(a, b)),
                _ => {
                    let (a, b) = (x.to_float(), y.to_float());
                    let (a, b) = (
                        a.broadcast(dim.clone()).expect("checked"),
                        b.broadcast(dim.clone()).expect("checked"),
                    );
                    Constant::Float(ndarray::Zip::from(&c).and(&a).and(&b).map_collect(
                        |&c, &a, &b| {
                            if c != 0.0 {
                                a
                            } else {
                                b
                            }
                        },
                    ))
                }
            };
            self.set(node, Value::Constant(z));
            return Ok(());
        }
        // One branch computed: z = keep ⊙ v + (1 − keep) ⊙ constant.
        let (computed, constant, keep_where_true) = match (x, y) {
            (v @ Value::Node { .. }, Value::Constant(c)) => (v, c, true),
            (Value::Constant(c), v @ Value::Node { .. }) => (v, c, false),
            _ => return Err(Self::fail(node, "a choice between two computed values")),
        };
        let Value::Node { id, shape } = computed else { unreachable!("matched above") };
        let full = broadcast_shape(&shape, condition.shape())
            .and_then(|s| broadcast_shape(&s, constant.shape()));
        if full.as_ref() != Some(&shape) {
            return Err(Self::fail(node, format!("a mask that does not fit the value {shape:?}")));
        }
        let keep =
            condition.to_float().mapv(|c| if (c != 0.0) == keep_where_true { 1.0 } else { 0.0 });
        let name = node.name.as_str();
        let mut out = id;
        if keep.iter().any(|&k| k != 1.0) {
            out = self.add(&format!("{name}/mask"), Op::Scale(keep.clone()), vec![out]);
        }
        let fill = &constant.to_float() * &keep.mapv(|k| 1.0 - k);
        if fill.iter().any(|&v| v != 0.0) {
            let k = self.constant_node(&format!("{name}/fill"), fill);
            out = self.add(name, Op::Add, vec![out, k]);
        }
        self.set(node, Value::Node { id: out, shape });
        Ok(())
    }

    pub(super) fn range(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let scalar = |b: &Self, i: usize| -> Result<f64, ImportError> {
            b.constant(node, i)?
                .to_float()
                .iter()
                .next()
                .map(|&v| f64::from(v))
                .ok_or_else(|| Self::fail(node, format!("input {i} is empty")))
        };
        let (start, limit, delta) = (scalar(self, 0)?, scalar(self, 1)?, scalar(self, 2)?);
        if delta == 0.0 {
            return Err(Self::fail(node, "a step of 0"));
        }
        let n = ((limit - start) / delta).ceil().max(0.0) as usize;
        let values: Vec<f64> = (0..n).map(|i| start + i as f64 * delta).collect();
        let integers = matches!(self.constant(node, 0)?, Constant::Int(_));
        let value = if integers {
            Constant::Int(
                ArrayD::from_shape_vec(IxDyn(&[n]), values.iter().map(|&v| v as i64).collect())
                    .expect("1-d"),
            )
        } else {
            Constant::Float(
                ArrayD::from_shape_vec(IxDyn(&[n]), values.iter().map(|&v| v as f32).collect())
                    .expect("1-d"),
            )
        };
        self.set(node, Value::Constant(value));
        Ok(())
    }

    pub(super) fn cumsum(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let c = self.constant(node, 0)?;
        let a = self
            .constant(node, 1)?
            .ints()
            .and_then(|a| a.first().copied())
            .ok_or_else(|| Self::fail(node, "the axis must be an integer"))?;
        let ax = Axis(axis(a, c.shape().len()));
        let (exclusive, reverse) =
            (int_attribute(node, "exclusive", 0) != 0, int_attribute(node, "reverse", 0) != 0);
        let mut values = c.to_float().mapv(f64::from);
        for mut lane in values.lanes_mut(ax) {
            let order: Vec<usize> =
                if reverse { (0..lane.len()).rev().collect() } else { (0..lane.len()).collect() };
            let mut total = 0.0;
            for i in order {
                let v = lane[i];
                lane[i] = if exclusive { total } else { total + v };
                total += v;
            }
        }
        let value = match c {
            Constant::Int(_) => Constant::Int(values.mapv(|v| v as i64)),
            Constant::Float(_) => Constant::Float(values.mapv(|v| v as f32)),
        };
        self.set(node, Value::Constant(value));
        Ok(())
    }
}
