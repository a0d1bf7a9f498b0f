//! Operators with weights: convolutions, BatchNormalization, dense layers (`Gemm`, `MatMul`
//! by a constant; `MatMul` of two computed tensors is a graph product).

use lrp::{Conv1d, Conv2d, Conv2dGeometry, Dense, Layer, NodeId, Op};
use ndarray::{Array1, Array2, Array3, Array4, ArrayD, IxDyn};
use onnx_protobuf::NodeProto;

use super::builder::{attribute, int_attribute, ints_attribute, Builder};
use super::Value;
use crate::error::ImportError;
use crate::tensor::Constant;

impl Builder {
    pub(super) fn conv(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let (id, shape) = self.node_input(node)?;
        if let Some(pad) = attribute(node, "auto_pad")
            .map(|a| String::from_utf8_lossy(&a.s).into_owned())
            .filter(|p| p != "NOTSET" && p != "VALID")
        {
            return Err(Self::fail(
                node,
                format!("auto_pad {pad} is not supported; export with explicit pads"),
            ));
        }
        let groups = int_attribute(node, "group", 1) as usize;
        let key = self.conv1d_key(node, groups);
        let kept = key.as_ref().and_then(|k| self.convolutions.lock().ok()?.get(k).cloned());
        if let (3, Some(conv)) = (shape.len(), kept) {
            return self.conv1d(node, id, &shape, conv);
        }
        let Constant::Float(w) = self.constant(node, 1)? else {
            return Err(Self::fail(node, "the weights must be floats"));
        };
        let filters = w.shape()[0];
        let bias = match node.input.get(2).filter(|s| !s.is_empty()) {
            Some(_) => Some(
                self.constant(node, 2)?
                    .to_float()
                    .into_shape_with_order(filters)
                    .map_err(|e| Self::fail(node, e.to_string()))?,
            ),
            None => None,
        };
        match (shape.len(), w.ndim()) {
            (3, 3) => {
                // ONNX `[F, C/G, k]` → relvis `[k, C/G, F]`.
                let w: Array3<f32> = w.into_dimensionality().expect("3-d");
                let weight = w.permuted_axes([2, 1, 0]).as_standard_layout().into_owned();
                let conv = Conv1d::grouped(weight, bias, groups)?;
                if let (Some(key), Ok(mut kept)) = (key, self.convolutions.lock()) {
                    conv.lay_out_filters();
                    kept.insert(key, conv.clone());
                }
                self.conv1d(node, id, &shape, conv)
            }
            (4, 4) => self.conv2d(node, id, &shape, w.into_dimensionality().expect("4-d"), bias, groups),
            _ => Err(Self::fail(node, format!("a {}-D convolution of an input {shape:?}; relvis reads 1-D and 2-D convolutions", w.ndim().saturating_sub(2)))),
        }
    }

    /// What identifies a convolution's layer apart from its input: its weights and bias by
    /// initialiser name, and its groups; `None` where a weight is computed rather than stored.
    fn conv1d_key(&self, node: &NodeProto, groups: usize) -> Option<String> {
        let weights = node.input.get(1..)?.iter().filter(|name| !name.is_empty());
        let mut key = format!("{groups}");
        for name in weights {
            if !self.initialisers.contains_key(name) {
                return None;
            }
            key.push('\u{0}');
            key.push_str(name);
        }
        Some(key)
    }

    fn conv1d(
        &mut self,
        node: &NodeProto,
        id: NodeId,
        shape: &[usize],
        conv: Conv1d,
    ) -> Result<(), ImportError> {
        for (attr, allowed) in [("strides", 1), ("dilations", 1)] {
            if ints_attribute(node, attr).is_some_and(|v| v.iter().any(|&s| s != allowed)) {
                return Err(Self::fail(
                    node,
                    format!("{attr} other than 1 are not supported in 1-D convolutions"),
                ));
            }
        }
        let (width, filters) = (conv.width(), conv.filters());
        let mut last = self.channels_last_of(&node.name, id, shape);
        let mut len = shape[2];
        let pads = ints_attribute(node, "pads").unwrap_or_default();
        if pads.iter().any(|&p| p != 0) {
            let (before, after) =
                (pads[0] as usize, pads.get(1).copied().unwrap_or(pads[0]) as usize);
            let channels = shape[1];
            let mut parts = Vec::new();
            if before > 0 {
                parts.push(self.constant_node(
                    &format!("{}/pad_before", node.name),
                    ArrayD::zeros(IxDyn(&[before, channels])),
                ));
            }
            parts.push(last);
            if after > 0 {
                parts.push(self.constant_node(
                    &format!("{}/pad_after", node.name),
                    ArrayD::zeros(IxDyn(&[after, channels])),
                ));
            }
            last = self.add(&format!("{}/padded", node.name), Op::Concat { axis: 0 }, parts);
            len += before + after;
        }
        if len < width {
            return Err(Self::fail(
                node,
                format!("{len} positions are fewer than the window of {width}"),
            ));
        }
        let c = self.add(&node.name, Op::Layer(Layer::Conv1d(conv)), vec![last]);
        let v = self.channels_first_of(&node.name, c, &[len - width + 1], filters);
        self.set(node, v);
        Ok(())
    }

    /// A convolution over `[1, C, H, W]`, e.g. PyTorch's `Conv2d(1, F, (k, D))` over the
    /// embeddings seen as a one-channel words × dimensions image (Kim's CNN as often written).
    fn conv2d(
        &mut self,
        node: &NodeProto,
        id: NodeId,
        shape: &[usize],
        w: Array4<f32>,
        bias: Option<Array1<f32>>,
        groups: usize,
    ) -> Result<(), ImportError> {
        let pair = |attr: &str| -> Result<(usize, usize), ImportError> {
            match ints_attribute(node, attr).as_deref() {
                None => Ok((1, 1)),
                Some(&[a, b]) if a > 0 && b > 0 => Ok((a as usize, b as usize)),
                Some(v) => {
                    Err(Self::fail(node, format!("{attr} {v:?}; two positive values expected")))
                }
            }
        };
        let padding = match ints_attribute(node, "pads").as_deref() {
            None => (0, 0, 0, 0),
            Some(&[t, l, b, r]) if t >= 0 && l >= 0 && b >= 0 && r >= 0 => {
                (t as usize, l as usize, b as usize, r as usize)
            }
            Some(v) => {
                return Err(Self::fail(
                    node,
                    format!("pads {v:?}; four non-negative values expected"),
                ))
            }
        };
        let geometry =
            Conv2dGeometry { strides: pair("strides")?, dilations: pair("dilations")?, padding };
        let filters = w.dim().0;
        // ONNX `[F, C/G, kh, kw]` → relvis `[kh, kw, C/G, F]`.
        let weight: Array4<f32> = w.permuted_axes([2, 3, 1, 0]).as_standard_layout().into_owned();
        let conv = Conv2d::new(weight, bias, groups, geometry)?;
        if shape[1] != conv.channels() {
            return Err(Self::fail(
                node,
                format!("filters for {} channels, an input {shape:?}", conv.channels()),
            ));
        }
        let (rows, cols) = conv.output_size(shape[2], shape[3]).ok_or_else(|| {
            Self::fail(
                node,
                format!("the {:?} kernel does not fit an input {shape:?}", conv.kernel()),
            )
        })?;
        let last = self.channels_last_of(&node.name, id, shape);
        let c = self.add(&node.name, Op::Layer(Layer::Conv2d(conv)), vec![last]);
        let v = self.channels_first_of(&node.name, c, &[rows, cols], filters);
        self.set(node, v);
        Ok(())
    }

    pub(super) fn batch_norm(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let (id, shape) = self.node_input(node)?;
        let params: Vec<Array1<f32>> = (1..5)
            .map(|i| {
                self.constant(node, i)?
                    .to_float()
                    .into_shape_with_order(shape[1])
                    .map_err(|e| Self::fail(node, e.to_string()))
            })
            .collect::<Result<_, ImportError>>()?;
        let epsilon = attribute(node, "epsilon").map_or(1e-5, |a| a.f);
        let op = Op::batch_norm(&params[0], &params[1], &params[2], &params[3], epsilon);
        match shape.len() {
            2 => {
                let a = self.add(&node.name, op, vec![id]);
                self.set(node, Value::Node { id: a, shape });
            }
            3 | 4 => {
                let last = self.channels_last_of(&node.name, id, &shape);
                let a = self.add(&node.name, op, vec![last]);
                let v = self.channels_first_of(&node.name, a, &shape[2..], shape[1]);
                self.set(node, v);
            }
            _ => {
                return Err(Self::fail(
                    node,
                    format!(
                        "an input {shape:?}; relvis normalises [1, C], [1, C, L] or [1, C, H, W]"
                    ),
                ))
            }
        }
        Ok(())
    }

    pub(super) fn gemm(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let (id, shape) = self.node_input(node)?;
        if int_attribute(node, "transA", 0) != 0 {
            return Err(Self::fail(node, "transA is not supported"));
        }
        let Constant::Float(b) = self.constant(node, 1)? else {
            return Err(Self::fail(node, "the weights must be floats"));
        };
        let b: Array2<f32> =
            b.into_dimensionality().map_err(|_| Self::fail(node, "the weights must be 2-D"))?;
        let alpha = attribute(node, "alpha").map_or(1.0, |a| a.f);
        let beta = attribute(node, "beta").map_or(1.0, |a| a.f);
        let w = if int_attribute(node, "transB", 0) != 0 { b.reversed_axes() } else { b } * alpha;
        let w = w.as_standard_layout().into_owned();
        let n_out = w.ncols();
        let bias = match node.input.get(2).filter(|s| !s.is_empty()) {
            Some(_) => Some(
                self.constant(node, 2)?
                    .to_float()
                    .into_shape_with_order(n_out)
                    .map_err(|e| Self::fail(node, e.to_string()))?
                    * beta,
            ),
            None => None,
        };
        if shape.len() != 2 || shape[1] != w.nrows() {
            return Err(Self::fail(
                node,
                format!("weights for {} inputs, an input {shape:?}", w.nrows()),
            ));
        }
        let d = self.add(&node.name, Op::Layer(Layer::Dense(Dense::new(w, bias)?)), vec![id]);
        self.set(node, Value::Node { id: d, shape: vec![1, n_out] });
        Ok(())
    }

    /// `MatMul`: by a constant 2-D weight matrix, a dense layer over the last axis; of two
    /// computed tensors (attention's `q · kᵀ` and `weights · v`), a graph product.
    pub(super) fn matmul(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let name = node.name.as_str();
        let (id, shape) = self.node_input(node)?;
        let w = match self.value(node, 1)? {
            Value::Constant(Constant::Float(w)) => w,
            Value::Constant(Constant::Int(_)) => {
                return Err(Self::fail(node, "the weights must be floats"))
            }
            Value::Node { id: other, shape: other_shape } => {
                let rank = shape.len();
                let fits = rank >= 2
                    && other_shape.len() == rank
                    && shape[..rank - 2] == other_shape[..rank - 2]
                    && shape[rank - 1] == other_shape[rank - 2];
                if !fits {
                    return Err(Self::fail(
                        node,
                        format!("a product of {shape:?} and {other_shape:?}; relvis multiplies computed tensors whose leading axes are equal"),
                    ));
                }
                let mut out = shape.clone();
                out[rank - 1] = other_shape[rank - 1];
                let m = self.add(name, Op::MatMul, vec![id, other]);
                self.set(node, Value::Node { id: m, shape: out });
                return Ok(());
            }
            Value::TokenIds => return Err(Self::fail(node, "token ids cannot be multiplied")),
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
        Ok(())
    }
}
