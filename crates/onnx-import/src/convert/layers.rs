//! Operators that compute: convolutions, normalisation, pooling, reductions, dense layers and
//! arithmetic with constants.

use lrp::{Conv1d, Dense, Layer, MaxPool, NodeId, Op};
use ndarray::{Array1, Array2, Array3, ArrayD, IxDyn};
use onnx_protobuf::NodeProto;

use super::{attribute, axis, int_attribute, ints_attribute, Builder, Value};
use crate::error::ImportError;
use crate::pooling::WindowMean;
use crate::tensor::Constant;

impl Builder<'_> {
    pub(super) fn conv(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let (id, shape) = self.node_input(node)?;
        let Constant::Float(w) = self.constant(node, 1)? else { return Err(Self::fail(node, "the weights must be floats")) };
        if shape.len() != 3 || w.ndim() != 3 {
            return Err(Self::fail(node, format!("a {}-D convolution of an input {shape:?}; relvis reads 1-D convolutions over words", w.ndim().saturating_sub(2))));
        }
        for (attr, allowed) in [("strides", 1), ("dilations", 1)] {
            if ints_attribute(node, attr).is_some_and(|v| v.iter().any(|&s| s != allowed)) {
                return Err(Self::fail(node, format!("{attr} other than 1 are not supported")));
            }
        }
        let groups = int_attribute(node, "group", 1) as usize;
        let w: Array3<f32> = w.into_dimensionality().expect("3-d");
        let (filters, _, width) = w.dim();
        let bias = match node.input.get(2).filter(|s| !s.is_empty()) {
            Some(_) => Some(self.constant(node, 2)?.to_float().into_shape_with_order(filters).map_err(|e| Self::fail(node, e.to_string()))?),
            None => None,
        };
        // ONNX `[F, C/G, k]` → relvis `[k, C/G, F]`.
        let weight: Array3<f32> = w.permuted_axes([2, 1, 0]).as_standard_layout().into_owned();
        let conv = Conv1d::grouped(weight, bias, groups)?;
        let mut last = self.channels_last_of(&node.name, id, &shape);
        let mut len = shape[2];
        let pads = ints_attribute(node, "pads").unwrap_or_default();
        if pads.iter().any(|&p| p != 0) {
            let (before, after) = (pads[0] as usize, pads.get(1).copied().unwrap_or(pads[0]) as usize);
            let channels = shape[1];
            let mut parts = Vec::new();
            if before > 0 {
                parts.push(self.constant_node(&format!("{}/pad_before", node.name), ArrayD::zeros(IxDyn(&[before, channels]))));
            }
            parts.push(last);
            if after > 0 {
                parts.push(self.constant_node(&format!("{}/pad_after", node.name), ArrayD::zeros(IxDyn(&[after, channels]))));
            }
            last = self.add(&format!("{}/padded", node.name), Op::Concat { axis: 0 }, parts);
            len += before + after;
        }
        if len < width {
            return Err(Self::fail(node, format!("{len} positions are fewer than the window of {width}")));
        }
        let c = self.add(&node.name, Op::Layer(Layer::Conv1d(conv)), vec![last]);
        let v = self.channels_first_of(&node.name, c, len - width + 1, filters);
        self.set(node, v);
        Ok(())
    }

    pub(super) fn batch_norm(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let (id, shape) = self.node_input(node)?;
        let params: Vec<Array1<f32>> = (1..5).map(|i| self.constant(node, i)?.to_float().into_shape_with_order(shape[1]).map_err(|e| Self::fail(node, e.to_string()))).collect::<Result<_, ImportError>>()?;
        let epsilon = attribute(node, "epsilon").map_or(1e-5, |a| a.f);
        let op = Op::batch_norm(&params[0], &params[1], &params[2], &params[3], epsilon);
        match shape.len() {
            2 => {
                let a = self.add(&node.name, op, vec![id]);
                self.set(node, Value::Node { id: a, shape });
            }
            3 => {
                let last = self.channels_last_of(&node.name, id, &shape);
                let a = self.add(&node.name, op, vec![last]);
                let v = self.channels_first_of(&node.name, a, shape[2], shape[1]);
                self.set(node, v);
            }
            _ => return Err(Self::fail(node, format!("an input {shape:?}; relvis normalises [1, C] or [1, C, L]"))),
        }
        Ok(())
    }

    pub(super) fn pool(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let (id, shape) = self.node_input(node)?;
        if shape.len() != 3 {
            return Err(Self::fail(node, format!("an input {shape:?}; relvis pools [1, C, L]")));
        }
        if ints_attribute(node, "pads").is_some_and(|p| p.iter().any(|&v| v != 0)) {
            return Err(Self::fail(node, "padded pooling is not supported"));
        }
        let op = node.op_type.as_str();
        let last = self.channels_last_of(&node.name, id, &shape);
        let global = op.starts_with("Global");
        let (size, stride) = if global {
            (shape[2], 1)
        } else {
            let size = ints_attribute(node, "kernel_shape").and_then(|k| k.first().copied()).ok_or_else(|| Self::fail(node, "no kernel_shape"))? as usize;
            (size, ints_attribute(node, "strides").and_then(|s| s.first().copied()).unwrap_or(1) as usize)
        };
        if size > shape[2] || size == 0 || stride == 0 {
            return Err(Self::fail(node, format!("a window of {size} over {} positions", shape[2])));
        }
        let layer = if op.contains("Max") {
            Layer::MaxPool(if global { MaxPool::Global } else { MaxPool::Windowed { size, stride } })
        } else {
            Layer::Linear(Box::new(WindowMean { window: (!global).then_some((size, stride)), mean: true }))
        };
        let windows = (shape[2] - size) / stride + 1;
        let p = self.add(&node.name, Op::Layer(layer), vec![last]);
        let p = if global && op.contains("Max") { self.reshape(&format!("{}/one_position", node.name), p, vec![1, shape[1]]) } else { p };
        let v = self.channels_first_of(&node.name, p, windows, shape[1]);
        self.set(node, v);
        Ok(())
    }

    pub(super) fn reduce(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let axes = match ints_attribute(node, "axes") {
            Some(a) => a,
            None if node.input.len() > 1 => self.constant(node, 1)?.ints().ok_or_else(|| Self::fail(node, "axes must be integers"))?,
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
                    "ReduceMax" => a.fold_axis(ndarray::Axis(ax), f32::NEG_INFINITY, |m, &v| m.max(v)),
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
        let [reduced] = axes[..] else { return Err(Self::fail(node, "a reduction over several axes")) };
        if shape.len() != 3 || reduced == 0 {
            return Err(Self::fail(node, format!("a reduction over axis {reduced} of {shape:?}; relvis reduces positions of [1, C, L] or [1, L, C]")));
        }
        let keep = int_attribute(node, "keepdims", 1) == 1;
        // Positions on axis 2 (channels first) or axis 1 (channels last).
        let (len, channels) = if reduced == 2 { (shape[2], shape[1]) } else { (shape[1], shape[2]) };
        let last = if reduced == 2 {
            self.channels_last_of(&node.name, id, &shape)
        } else {
            self.reshape(&format!("{}/drop_batch", node.name), id, vec![len, channels])
        };
        let layer = match node.op_type.as_str() {
            "ReduceMax" => Layer::MaxPool(MaxPool::Global),
            op => Layer::Linear(Box::new(WindowMean { window: None, mean: op == "ReduceMean" })),
        };
        let p = self.add(&node.name, Op::Layer(layer), vec![last]);
        let mut out = shape.clone();
        out[reduced] = 1;
        if !keep {
            out.remove(reduced);
        }
        let r = self.reshape(&format!("{}/shape", node.name), p, out.clone());
        self.set(node, Value::Node { id: r, shape: out });
        Ok(())
    }

    pub(super) fn gemm(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let (id, shape) = self.node_input(node)?;
        if int_attribute(node, "transA", 0) != 0 {
            return Err(Self::fail(node, "transA is not supported"));
        }
        let Constant::Float(b) = self.constant(node, 1)? else { return Err(Self::fail(node, "the weights must be floats")) };
        let b: Array2<f32> = b.into_dimensionality().map_err(|_| Self::fail(node, "the weights must be 2-D"))?;
        let alpha = attribute(node, "alpha").map_or(1.0, |a| a.f);
        let beta = attribute(node, "beta").map_or(1.0, |a| a.f);
        let w = if int_attribute(node, "transB", 0) != 0 { b.reversed_axes() } else { b } * alpha;
        let w = w.as_standard_layout().into_owned();
        let n_out = w.ncols();
        let bias = match node.input.get(2).filter(|s| !s.is_empty()) {
            Some(_) => Some(self.constant(node, 2)?.to_float().into_shape_with_order(n_out).map_err(|e| Self::fail(node, e.to_string()))? * beta),
            None => None,
        };
        if shape.len() != 2 || shape[1] != w.nrows() {
            return Err(Self::fail(node, format!("weights for {} inputs, an input {shape:?}", w.nrows())));
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
        let read_once = node.input.iter().any(|i| matches!(self.values.get(i), Some(Value::Node { id: v, .. }) if *v == id) && self.readers.get(i) == Some(&1));
        let Op::Layer(Layer::Dense(d)) = &mut self.nodes[id].op else { return false };
        let n_out = d.outputs();
        if d.bias.is_some() || !read_once || c.len() != n_out || c.shape().last() != Some(&n_out) {
            return false;
        }
        d.bias = Some(c.iter().copied().collect());
        self.notes.push(format!("the constant added by `{}` is the bias of the product before it", node.name));
        true
    }
}
