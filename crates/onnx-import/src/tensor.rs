//! ONNX tensors (initialisers, `Constant` values) as `ndarray` arrays: floats for weights,
//! integers for shapes, axes and indices.

use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::TensorProto;
use protobuf::Enum;

use crate::error::ImportError;
use crate::external_data;

/// A constant value: weights and other floats, or the integers of shape arithmetic.
#[derive(Clone, Debug)]
pub enum Constant {
    Float(ArrayD<f32>),
    Int(ArrayD<i64>),
}

impl Constant {
    pub fn shape(&self) -> &[usize] {
        match self {
            Constant::Float(a) => a.shape(),
            Constant::Int(a) => a.shape(),
        }
    }

    /// The values as floats (integers converted).
    pub fn to_float(&self) -> ArrayD<f32> {
        match self {
            Constant::Float(a) => a.clone(),
            Constant::Int(a) => a.mapv(|v| v as f32),
        }
    }

    /// `self ∘ other` for `op` one of `Add`, `Sub`, `Mul`, `Div`, `Equal`, broadcast as in NumPy:
    /// integers stay integers (shape arithmetic), anything else is computed in floats; `Equal`
    /// gives 0 and 1. `None` where the shapes do not broadcast.
    pub fn binary(&self, other: &Constant, op: &str) -> Option<Constant> {
        let shape = broadcast_shape(self.shape(), other.shape())?;
        let dim = IxDyn(&shape);
        Some(match (self, other) {
            (Constant::Int(a), Constant::Int(b)) => {
                let (a, b) = (a.broadcast(dim.clone())?, b.broadcast(dim)?);
                Constant::Int(ndarray::Zip::from(&a).and(&b).map_collect(|&a, &b| match op {
                    "Add" => a + b,
                    "Sub" => a - b,
                    "Mul" => a * b,
                    "Equal" => i64::from(a == b),
                    _ if b == 0 => 0,
                    _ => a.div_euclid(b),
                }))
            }
            _ => {
                let (a, b) = (self.to_float(), other.to_float());
                let (a, b) = (a.broadcast(dim.clone())?, b.broadcast(dim)?);
                let z = ndarray::Zip::from(&a).and(&b).map_collect(|&a, &b| match op {
                    "Add" => a + b,
                    "Sub" => a - b,
                    "Mul" => a * b,
                    "Equal" => f32::from(u8::from(a == b)),
                    _ => a / b,
                });
                if op == "Equal" {
                    Constant::Int(z.mapv(|v| v as i64))
                } else {
                    Constant::Float(z)
                }
            }
        })
    }

    /// The values as integers, for shapes and axes; floats are refused.
    pub fn ints(&self) -> Option<Vec<i64>> {
        match self {
            Constant::Int(a) => Some(a.iter().copied().collect()),
            Constant::Float(_) => None,
        }
    }
}

/// Decodes a tensor from its typed fields or its little-endian raw bytes, read from the
/// model's `folder` for a tensor stored beside the model.
pub fn decode(t: &TensorProto, folder: Option<&Path>) -> Result<Constant, ImportError> {
    let external;
    let raw: &[u8] = if external_data::is_external(t) {
        external = external_data::read(t, folder)?;
        &external
    } else {
        &t.raw_data
    };
    let shape: Vec<usize> = t
        .dims
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<Result<_, _>>()
        .map_err(|_| invalid(t, "a negative dimension"))?;
    let len: usize = shape.iter().product();
    let kind = DataType::from_i32(t.data_type)
        .ok_or_else(|| invalid(t, &format!("data type {}", t.data_type)))?;
    let constant = match kind {
        DataType::FLOAT => {
            let values: Vec<f32> = if raw.is_empty() {
                t.float_data.clone()
            } else {
                raw.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
            };
            Constant::Float(array(t, shape, values, len)?)
        }
        DataType::DOUBLE => {
            let values: Vec<f32> = if raw.is_empty() {
                t.double_data.iter().map(|&v| v as f32).collect()
            } else {
                raw.chunks_exact(8)
                    .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")) as f32)
                    .collect()
            };
            Constant::Float(array(t, shape, values, len)?)
        }
        DataType::INT64 => {
            let values: Vec<i64> = if raw.is_empty() {
                t.int64_data.clone()
            } else {
                raw.chunks_exact(8)
                    .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
                    .collect()
            };
            Constant::Int(array(t, shape, values, len)?)
        }
        DataType::INT32 => {
            let values: Vec<i64> = if raw.is_empty() {
                t.int32_data.iter().map(|&v| i64::from(v)).collect()
            } else {
                raw.chunks_exact(4)
                    .map(|b| i64::from(i32::from_le_bytes(b.try_into().expect("4 bytes"))))
                    .collect()
            };
            Constant::Int(array(t, shape, values, len)?)
        }
        other => return Err(invalid(t, &format!("data type {other:?}"))),
    };
    if let Constant::Float(a) = &constant {
        if let Some(i) = a.iter().position(|v| !v.is_finite()) {
            return Err(invalid(t, &format!("a non-finite value at flat index {i}")));
        }
    }
    Ok(constant)
}

fn array<T>(
    t: &TensorProto,
    shape: Vec<usize>,
    values: Vec<T>,
    len: usize,
) -> Result<ArrayD<T>, ImportError> {
    if values.len() != len {
        return Err(invalid(t, &format!("{} values for the shape {shape:?}", values.len())));
    }
    Ok(ArrayD::from_shape_vec(IxDyn(&shape), values).expect("length checked"))
}

fn invalid(t: &TensorProto, problem: &str) -> ImportError {
    ImportError::Invalid(format!("tensor `{}`: {problem}", t.name))
}

/// The shape `a` and `b` broadcast to, as in NumPy (trailing axes aligned).
pub(crate) fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    (0..n)
        .map(|k| {
            let x = if k + a.len() >= n { a[k + a.len() - n] } else { 1 };
            let y = if k + b.len() >= n { b[k + b.len() - n] } else { 1 };
            match (x, y) {
                (x, y) if x == y => Some(x),
                (1, y) => Some(y),
                (x, 1) => Some(x),
                _ => None,
            }
        })
        .collect()
}
