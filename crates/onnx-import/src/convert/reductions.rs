//! Pooling over positions and reductions (max, mean, sum) of computed values; a reduction of
//! a constant (an attention mask's sum) is folded.

use lrp::{Layer, MaxPool, Op};
use onnx_protobuf::NodeProto;

use super::builder::{axis, int_attribute, ints_attribute, Builder};
use super::Value;
use crate::error::ImportError;
use crate::pooling::WindowMean;
use crate::tensor::Constant;

impl Builder {
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
        let keep = int_attribute(node, "keepdims", 1) == 1;
        if let ([a], "ReduceMean", false) =
            (&axes[..], node.op_type.as_str(), self.channels_last.contains_key(&id))
        {
            // A mean over one axis of a value that is not a convolution's output (a layer
            // normalisation's mean over the last axis, written out).
            if keep && (*a + 1 == rank || *a != 1) {
                let m = self.add(&node.name, Op::Mean { axis: *a }, vec![id]);
                let mut out = shape.clone();
                out[*a] = 1;
                self.set(node, Value::Node { id: m, shape: out });
                return Ok(());
            }
        }
        // Every position of a channels-first `[1, C, spatial…]` value (axes of size 1 may be
        // left out), or the positions of a channels-last `[1, L, C]` one.
        let channels_first = rank >= 3
            && axes.iter().all(|&a| a >= 2)
            && (2..rank).all(|a| axes.contains(&a) || shape[a] == 1);
        let positions_first = rank == 3 && axes == [1];
        if !channels_first && !positions_first {
            return Err(Self::fail(node, format!("a reduction over axes {axes:?} of {shape:?}; relvis reduces all positions of [1, C, L…] or [1, L, C]")));
        }
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
}
