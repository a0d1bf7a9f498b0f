//! Max-pooling over time (the first axis of a `(T, channels)` sequence), global or windowed.
//! Relevance and gradient both go to the window's maximum; tied maxima share it evenly.

use ndarray::{Array1, Array2, ArrayD, ArrayViewD, Axis, Ix2};

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
        let (x, columns) = (x.as_standard_layout(), x.ncols());
        let data = x.as_slice().expect("standard layout");
        let windows = self.windows(x.nrows());
        let mut out = Array2::<f32>::zeros((windows.len(), columns));
        for (mut row, &(start, end)) in out.axis_iter_mut(Axis(0)).zip(&windows) {
            row.assign(&Array1::from(column_maxima(
                &data[start * columns..end * columns],
                columns,
            )));
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
        let (x, columns) = (x.as_standard_layout(), x.ncols());
        let data = x.as_slice().expect("standard layout");
        let signal = match self {
            MaxPool::Global => {
                signal.into_shape_with_order((1, columns)).expect("global pool output")
            }
            MaxPool::Windowed { .. } => signal.into_dimensionality::<Ix2>().expect("pool output"),
        };
        let mut back = Array2::<f32>::zeros(x.raw_dim());
        let back_data = back.as_slice_mut().expect("a fresh array is contiguous");
        for (w, &(start, end)) in self.windows(x.nrows()).iter().enumerate() {
            let window = &data[start * columns..end * columns];
            let signal = signal.row(w);
            shares_at_maxima(
                window,
                columns,
                signal.iter().copied(),
                |_| false,
                |t, f, share| {
                    back_data[(start + t) * columns + f] += share;
                },
            );
        }
        back.into_dyn()
    }
}

/// Each column's signal (`signal`, one value per column) split evenly between the rows of
/// `window` (rows of `columns` values) holding the column's maximum: `visit(t, f, share)`
/// for columns in order and their rows in order, none for a zero signal or a column whose
/// maximum `skip` names.
pub(crate) fn shares_at_maxima(
    window: &[f32],
    columns: usize,
    signal: impl Iterator<Item = f32>,
    skip: impl Fn(f32) -> bool,
    mut visit: impl FnMut(usize, usize, f32),
) {
    let (max, maxima) = TiedMaxima::find(window, columns);
    for (f, g) in signal.enumerate().filter(|&(f, g)| g != 0.0 && !skip(max[f])) {
        let share = g / maxima.ties[f] as f32;
        for t in maxima.rows(window, &max, f) {
            visit(t, f, share);
        }
    }
}

/// The maximum of each column of `x` (rows of `columns` values in memory order), by selects
/// that vectorise (`f32::max` keeps NaN rules that do not). Compiled for AVX-512 and AVX2 as
/// well, chosen at run time (`multiversion`; compares and selects give the same in each).
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
pub(crate) fn column_maxima(x: &[f32], columns: usize) -> Vec<f32> {
    let mut max = vec![f32::NEG_INFINITY; columns];
    for row in x.chunks_exact(columns.max(1)) {
        max.iter_mut().zip(row).for_each(|(m, &v)| *m = if v > *m { v } else { *m });
    }
    max
}

/// Where each column's maximum lies in rows of values: how many rows hold it, and the last.
pub(crate) struct TiedMaxima {
    pub ties: Vec<u32>,
    pub last: Vec<u32>,
}

impl TiedMaxima {
    /// Each column's maximum of `x` (rows of `columns` values) and where it lies, in one pass
    /// over `x` in memory order: a larger value restarts its column's count at its row, an
    /// equal one adds to it (two passes, maxima and then ties, read the values twice).
    pub(crate) fn find(x: &[f32], columns: usize) -> (Vec<f32>, TiedMaxima) {
        let mut max = vec![f32::NEG_INFINITY; columns];
        let (mut ties, mut last) = (vec![0u32; columns], vec![0u32; columns]);
        for (t, row) in x.chunks_exact(columns.max(1)).enumerate() {
            add_row(&mut max, &mut ties, &mut last, row, t as u32);
        }
        (max, TiedMaxima { ties, last })
    }

    /// The rows of `x` holding column `f`'s maximum.
    pub(crate) fn rows<'a>(
        &self,
        x: &'a [f32],
        max: &'a [f32],
        f: usize,
    ) -> impl Iterator<Item = usize> + 'a {
        let (columns, last, single) = (max.len(), self.last[f] as usize, self.ties[f] == 1);
        let rows = match self.ties[f] {
            0 => 0..0,
            1 => last..last + 1,
            _ => 0..last + 1,
        };
        rows.filter(move |&t| single || x[t * columns + f] == max[f])
    }
}

/// Row `t` of values into each column's running maximum, its count of rows and its last row,
/// by selects. Compiled as [`column_maxima`] is.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn add_row(max: &mut [f32], ties: &mut [u32], last: &mut [u32], row: &[f32], t: u32) {
    let columns = max.iter_mut().zip(ties.iter_mut()).zip(last.iter_mut());
    for (((m, n), l), &v) in columns.zip(row) {
        let (above, tied) = (v > *m, v == *m);
        *n = if above { 1 } else { *n + u32::from(tied) };
        *l = if above | tied { t } else { *l };
        *m = if above { v } else { *m };
    }
}
