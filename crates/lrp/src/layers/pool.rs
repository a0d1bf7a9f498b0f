//! Max-pooling over time (the first axis of a `(T, channels)` sequence), global or windowed.
//! Relevance and gradient both go to the window's maximum; tied maxima share it evenly.

use ndarray::{Array2, ArrayD, ArrayViewD, Axis, Ix1, Ix2, IxDyn};

use crate::error::LrpError;

/// Max-pooling over the time axis of a `(T, channels)` input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxPool {
    /// Maximum over all positions: `(T, C) → (C)`.
    Global,
    /// Maximum over windows of `size` positions every `stride`: `(T, C) → ((T − size)/stride + 1, C)`.
    Windowed { size: usize, stride: usize },
}

impl MaxPool {
    /// Windows `(start, end)` along time for a sequence of `len` positions.
    fn windows(&self, len: usize) -> Vec<(usize, usize)> {
        match *self {
            MaxPool::Global => vec![(0, len)],
            MaxPool::Windowed { size, stride } => {
                (0..=(len - size) / stride).map(|i| (i * stride, i * stride + size)).collect()
            }
        }
    }

    /// Checks the input shape and gives the output shape.
    pub fn output_shape(&self, shape: &[usize], layer: usize) -> Result<Vec<usize>, LrpError> {
        let kind = || "maxpool".to_string();
        let [len, channels] = *shape else {
            return Err(LrpError::ShapeMismatch {
                layer,
                kind: kind(),
                expected: "(T, channels)".into(),
                got: shape.to_vec(),
            });
        };
        if len == 0 {
            return Err(LrpError::EmptySequence { layer, kind: kind() });
        }
        match *self {
            MaxPool::Global => Ok(vec![channels]),
            MaxPool::Windowed { size, stride } => {
                if size == 0 || stride == 0 {
                    Err(LrpError::InvalidLayer("max-pool size and stride must be at least 1".into()))
                } else if len < size {
                    Err(LrpError::SequenceTooShort { layer, kind: kind(), len, window: size })
                } else {
                    Ok(vec![(len - size) / stride + 1, channels])
                }
            }
        }
    }

    /// The pooled maxima.
    pub fn forward(&self, x: ArrayViewD<f32>) -> ArrayD<f32> {
        let x = x.into_dimensionality::<Ix2>().expect("checked by output_shape");
        let windows = self.windows(x.nrows());
        let mut out = Array2::<f32>::zeros((windows.len(), x.ncols()));
        for (row, &(start, end)) in out.axis_iter_mut(Axis(0)).zip(&windows) {
            for (o, column) in row.into_iter().zip(x.slice(ndarray::s![start..end, ..]).axis_iter(Axis(1))) {
                *o = column.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            }
        }
        match self {
            MaxPool::Global => out.index_axis_move(Axis(0), 0).into_dyn(),
            MaxPool::Windowed { .. } => out.into_dyn(),
        }
    }

    /// Routes an output-shaped signal (relevance or gradient) back to the maxima of the input `x`,
    /// splitting it evenly between tied maxima.
    pub fn route(&self, x: ArrayViewD<f32>, signal: ArrayViewD<f32>) -> ArrayD<f32> {
        let x = x.into_dimensionality::<Ix2>().expect("checked by output_shape");
        let signal: Array2<f32> = match self {
            MaxPool::Global => {
                let s = signal.into_dimensionality::<Ix1>().expect("global pool output");
                s.insert_axis(Axis(0)).to_owned()
            }
            MaxPool::Windowed { .. } => signal.into_dimensionality::<Ix2>().expect("pool output").to_owned(),
        };
        let mut back = Array2::<f32>::zeros(x.raw_dim());
        for (w, &(start, end)) in self.windows(x.nrows()).iter().enumerate() {
            for channel in 0..x.ncols() {
                let column = x.slice(ndarray::s![start..end, channel]);
                let max = column.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
                let ties = column.iter().filter(|&&v| v == max).count() as f32;
                let share = signal[[w, channel]] / ties;
                for (t, &v) in column.iter().enumerate() {
                    if v == max {
                        back[[start + t, channel]] += share;
                    }
                }
            }
        }
        back.into_dimensionality::<IxDyn>().expect("to dynamic")
    }
}
