//! Operators that compute: convolutions, normalisation, pooling, reductions, dense layers and
//! arithmetic with constants.

use lrp::{Conv1d, Conv2d, Conv2dGeometry, Dense, Layer, MaxPool, NodeId, Op};
use ndarray::{Array1, Array2, Array3, Array4, ArrayD, IxDyn};
use onnx_protobuf::NodeProto;

use super::builder::{attribute, axis, int_attribute, ints_attribute, Builder};
use super::Value;
use crate::error::ImportError;
use crate::pooling::WindowMean;
use crate::tensor::Constant;

impl Builder<'_> {
    pub(super) fn conv(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let (id, shape) = self.node_input(node)?;
        let Constant::Float(w) = self.constant(node, 1)? else {
            return Err(Self::fail(node, "the weights must be floats"));
        };
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
            (3, 3) => self.conv1d(node, id, &shape, w.into_dimensionality().expect("3-d"), bias, groups),
            (4, 4) => self.conv2d(node, id, &shape, w.into_dimensionality().expect("4-d"), bias, groups),
            _ => Err(Self::fail(node, format!("a {}-D convolution of an input {shape:?}; relvis reads 1-D and 2-D convolutions", w.ndim().saturating_sub(2)))),
        }
    }

    fn conv1d(
        &mut self,
        node: &NodeProto,
        id: NodeId,
        shape: &[usize],
        w: Array3<f32>,
        bias: Option<Array1<f32>>,
        groups: usize,
    ) -> Result<(), ImportError> {
        for (attr, allowed) in [("strides", 1), ("dilations", 1)] {
            if ints_attribute(node, attr).is_some_and(|v| v.iter().any(|&s| s != allowed)) {
                return Err(Self::fail(
                    node,
                    format!("{attr} other than 1 are not supported in 1-D convolutions"),
                ));
            }
        }
        let (filters, _, width) = w.dim();
        // ONNX `[F, C/G, k]` → relvis `[k, C/G, F]`.
        let weight: Array3<f32> = w.permuted_axes([2, 1, 0]).as_standard_layout().into_owned();
        let conv = Conv1d::grouped(weight, bias, groups)?;
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

    /// Pooling over positions: a `[1, C, L]` input, or `[1, C, H, W]` when the windows run along
    /// one axis (the other of size 1, as after a convolution spanning the embedding) or are global.
    pub(super) fn pool(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let (id, shape) = self.node_input(node)?;
        if shape.len() != 3 && shape.len() != 4 {
            return Err(Self::fail(
                node,
                format!("an input {shape:?}; relvis pools [1, C, L] or [1, C, H, W]"),
            ));
        }
        if ints_attribute(node, "pads").is_some_and(|p| p.iter().any(|&v| v != 0)) {
            return Err(Self::fail(node, "padded pooling is not supported"));
        }
        let op = node.op_type.as_str();
        let global = op.starts_with("Global");
        let spatial = &shape[2..];
        // The one axis the windows run along, and their size and stride there.
        let (along, size, stride) = if global {
            (0, spatial.iter().product(), 1)
        } else {
            let kernel = ints_attribute(node, "kernel_shape")
                .ok_or_else(|| Self::fail(node, "no kernel_shape"))?;
            let strides = ints_attribute(node, "strides").unwrap_or_else(|| vec![1; kernel.len()]);
            let moving: Vec<usize> = (0..spatial.len())
                .filter(|&a| spatial[a] > 1 || kernel.get(a) != Some(&1))
                .collect();
            match moving[..] {
                [a] if kernel.len() == spatial.len() => {
                    (a, kernel[a] as usize, strides.get(a).copied().unwrap_or(1) as usize)
                }
                [] => (0, 1, 1),
                _ => {
                    return Err(Self::fail(
                        node,
                        format!("windows {kernel:?} over {spatial:?}; relvis pools along one axis"),
                    ))
                }
            }
        };
        let positions: usize = spatial.iter().product();
        if size > positions || size == 0 || stride == 0 {
            return Err(Self::fail(node, format!("a window of {size} over {spatial:?} positions")));
        }
        let last = self.channels_last_of(&node.name, id, &shape);
        let flat = if spatial.len() > 1 {
            self.reshape(&format!("{}/positions", node.name), last, vec![positions, shape[1]])
        } else {
            last
        };
        let layer = if op.contains("Max") {
            Layer::MaxPool(if global {
                MaxPool::Global
            } else {
                MaxPool::Windowed { size, stride }
            })
        } else {
            Layer::Linear(Box::new(WindowMean {
                window: (!global).then_some((size, stride)),
                mean: true,
            }))
        };
        let windows = (positions - size) / stride + 1;
        let mut out_spatial = if global { vec![1; spatial.len()] } else { spatial.to_vec() };
        out_spatial[along] = windows;
        let p = self.add(&node.name, Op::Layer(layer), vec![flat]);
        // A global max gives `[C]`, and windows over a grid run on its positions `[H·W, C]`.
        let p = if global && op.contains("Max") || spatial.len() > 1 {
            let out: Vec<usize> = out_spatial.iter().copied().chain([shape[1]]).collect();
            self.reshape(&format!("{}/channels_last_shape", node.name), p, out)
        } else {
            p
        };
        let v = self.channels_first_of(&node.name, p, &out_spatial, shape[1]);
        self.set(node, v);
        Ok(())
    }

    pub(super) fn reduce(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let axes = match ints_attribute(node, "axes") {
            Some(a) => a,
            None if node.input.len() > 1 => self
                .constant(node, 1)?
                .ints()
                .ok_or_else(|| Self::fail(node, "axes must be integers"))?,
            None => return Err(Self::fail(node, "a reduction over every axis")),
        };
        if let Value::Constant(c) = self.value(node, 0)? {
            // Folded: the sum of an attention mask is the number of tokens.
            let mut a = c.to_float();
            let rank = a.ndim();
            let keep = int_attribute(node, "keepdims", 1) == 1;
            let mut axes: Vec<usize> = axes.iter().map(|&x| axis(x, rank)).collect();
            axes.sort_unstable_by(|x, y| y.cmp(x));
            for &ax in &axes {
                let lane = a.len_of(ndarray::Axis(ax)) as f32;
                let reduced = match node.op_type.as_str() {
                    "ReduceMax" => {
                        a.fold_axis(ndarray::Axis(ax), f32::NEG_INFINITY, |m, &v| m.max(v))
                    }
                    "ReduceMean" => a.sum_axis(ndarray::Axis(ax)) / lane,
                    _ => a.sum_axis(ndarray::Axis(ax)),
                };
                a = if keep { reduced.insert_axis(ndarray::Axis(ax)) } else { reduced };
            }
            self.set(node, Value::Constant(Constant::Float(a)));
            return Ok(());
        }
        let (id, shape) = self.node_input(node)?;
        let axes: Vec<usize> = axes.iter().map(|&a| axis(a, shape.len())).collect();
        let rank = shape.len();
        // Every position of a channels-first `[1, C, spatial…]` value (axes of size 1 may be
        // left out), or the positions of a channels-last `[1, L, C]` one.
        let channels_first = rank >= 3
            && axes.iter().all(|&a| a >= 2)
            && (2..rank).all(|a| axes.contains(&a) || shape[a] == 1);
        let positions_first = rank == 3 && axes == [1];
        if !channels_first && !positions_first {
            return Err(Self::fail(node, format!("a reduction over axes {axes:?} of {shape:?}; relvis reduces all positions of [1, C, L…] or [1, L, C]")));
        }
        let keep = int_attribute(node, "keepdims", 1) == 1;
        let flat = if channels_first {
            let last = self.channels_last_of(&node.name, id, &shape);
            let positions = shape[2..].iter().product();
            if rank > 3 {
                self.reshape(&format!("{}/positions", node.name), last, vec![positions, shape[1]])
            } else {
                last
            }
        } else {
            self.reshape(&format!("{}/drop_batch", node.name), id, vec![shape[1], shape[2]])
        };
        let layer = match node.op_type.as_str() {
            "ReduceMax" => Layer::MaxPool(MaxPool::Global),
            op => Layer::Linear(Box::new(WindowMean { window: None, mean: op == "ReduceMean" })),
        };
        let p = self.add(&node.name, Op::Layer(layer), vec![flat]);
        let out: Vec<usize> = (0..rank)
            .filter(|a| keep || !axes.contains(a))
            .map(|a| if axes.contains(&a) { 1 } else { shape[a] })
            .collect();
        let r = self.reshape(&format!("{}/shape", node.name), p, out.clone());
        self.set(node, Value::Node { id: r, shape: out });
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

    pub(super) fn arithmetic(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let op = node.op_type.as_str();
        let (a, b) = (self.value(node, 0)?, self.value(node, 1)?);
        match (a, b) {
            (Value::Constant(x), Value::Constant(y)) => {
                let (x, y) = (x.to_float(), y.to_float());
                let z = match op {
                    "Add" => &x + &y,
                    "Sub" => &x - &y,
                    "Mul" => &x * &y,
                    _ => &x / &y,
                };
                self.set(node, Value::Constant(Constant::Float(z)));
            }
            (Value::Node { id, shape }, Value::Constant(c)) | (Value::Constant(c), Value::Node { id, shape }) if op == "Add" || op == "Mul" || self.value(node, 0).is_ok_and(|v| matches!(v, Value::Node { .. })) => {
                let c = c.to_float();
                match op {
                    "Add" | "Sub" => {
                        let c = if op == "Sub" { -c } else { c };
                        if self.fold_bias(node, id, &c) {
                            self.set(node, Value::Node { id, shape });
                            return Ok(());
                        }
                        let k = self.constant_node(&format!("{}/constant", node.name), c);
                        let s = self.add(&node.name, Op::Add, vec![id, k]);
                        self.set(node, Value::Node { id: s, shape });
                    }
                    _ => {
                        let c = if op == "Div" { c.mapv(|v| 1.0 / v) } else { c };
                        if c.broadcast(IxDyn(&shape)).is_none() {
                            return Err(Self::fail(node, format!("a constant {:?} for an input {shape:?}", c.shape())));
                        }
                        let s = self.add(&node.name, Op::Scale(c), vec![id]);
                        self.set(node, Value::Node { id: s, shape });
                    }
                }
            }
            (Value::Node { id: x, shape }, Value::Node { id: y, .. }) if op == "Add" || op == "Sub" => {
                let y = if op == "Sub" { self.add(&format!("{}/negate", node.name), Op::Scale(ArrayD::from_elem(IxDyn(&[]), -1.0)), vec![y]) } else { y };
                let s = self.add(&node.name, Op::Add, vec![x, y]);
                self.set(node, Value::Node { id: s, shape });
            }
            _ => return Err(Self::fail(node, "a product, quotient or difference of this kind (computed divisor, two computed factors, or token ids)")),
        }
        Ok(())
    }

    /// Folds a constant added to the output of a dense layer without bias (PyTorch's `Linear`
    /// on 3-D inputs exports as MatMul + Add) into its bias, when nothing else reads that output.
    pub(super) fn fold_bias(&mut self, node: &NodeProto, id: NodeId, c: &ArrayD<f32>) -> bool {
        let read_once = node.input.iter().any(|i| {
            matches!(self.values.get(i), Some(Value::Node { id: v, .. }) if *v == id)
                && self.readers.get(i) == Some(&1)
        });
        let Op::Layer(Layer::Dense(d)) = &mut self.nodes[id].op else { return false };
        let n_out = d.outputs();
        if d.bias.is_some() || !read_once || c.len() != n_out || c.shape().last() != Some(&n_out) {
            return false;
        }
        d.bias = Some(c.iter().copied().collect());
        self.notes.push(format!(
            "the constant added by `{}` is the bias of the product before it",
            node.name
        ));
        true
    }
}
