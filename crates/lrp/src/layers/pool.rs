//! Max-pooling over time (the first axis of a `(T, channels)` sequence), global or windowed.
//! Relevance and gradient both go to the window's maximum; tied maxima share it evenly.

use ndarray::{s, Array1, Array2, ArrayD, ArrayView2, ArrayViewD, ArrayViewMut1, Axis, Ix2, Zip};

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
                    Err(LrpError::InvalidLayer(
                        "max-pool size and stride must be at least 1".into(),
                    ))
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
            column_maxima(x.slice(s![start..end, ..]), row);
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
        let signal = match self {
            MaxPool::Global => {
                signal.into_shape_with_order((1, x.ncols())).expect("global pool output")
            }
            MaxPool::Windowed { .. } => signal.into_dimensionality::<Ix2>().expect("pool output"),
        };
        let mut back = Array2::<f32>::zeros(x.raw_dim());
        let mut max = Array1::<f32>::zeros(x.ncols());
        let mut ties = Array1::<f32>::zeros(x.ncols());
        // Row by row (the contiguous axis): maxima, then tie counts, then shares.
        for (w, &(start, end)) in self.windows(x.nrows()).iter().enumerate() {
            let window = x.slice(s![start..end, ..]);
            column_maxima(window, max.view_mut());
            ties.fill(0.0);
            for row in window.rows() {
                Zip::from(&mut ties)
                    .and(row)
                    .and(&max)
                    .for_each(|n, &v, &m| *n += f32::from(v == m));
            }
            let signal = signal.row(w);
            for (row, mut back_row) in
                window.rows().into_iter().zip(back.slice_mut(s![start..end, ..]).rows_mut())
            {
                Zip::from(&mut back_row).and(row).and(&max).and(&ties).and(&signal).for_each(
                    |b, &v, &m, &n, &g| {
                        if v == m {
                            *b += g / n;
                        }
                    },
                );
            }
        }
        back.into_dyn()
    }
}

/// The maximum of each column of `x`, written into `out`.
fn column_maxima(x: ArrayView2<f32>, mut out: ArrayViewMut1<f32>) {
    out.fill(f32::NEG_INFINITY);
    for row in x.rows() {
        Zip::from(&mut out).and(row).for_each(|m, &v| *m = m.max(v));
    }
}
