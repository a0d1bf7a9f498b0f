//! 1-D convolution over a sequence of vectors (stride 1, no padding):
//! `z[t, f] = Σ_k Σ_d x[t + k, d] · w[k, d, f] + b_f` for `t = 0 … T − width`.

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array1, Array2, Array3, ArrayD, ArrayView1, ArrayView2, ArrayViewD, Axis, Ix2, ShapeBuilder};

use crate::error::LrpError;
use crate::linear::{LinearMap, WeightMod};

/// The transposed map goes sparse when at most one in this many output values is non-zero.
const SPARSE_FRACTION: usize = 16;

/// A convolution whose windows span `width` consecutive positions of a `(T, channels)` sequence,
/// with any number of filters; output `(T − width + 1, filters)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv1d {
    /// Filters `w[k, d, f]`, shape `(width, channels, filters)`.
    pub weight: Array3<f32>,
    /// Bias per filter, shape `(filters)`.
    pub bias: Option<Array1<f32>>,
}

impl Conv1d {
    /// A convolution from filters `(width, channels, filters)` and an optional bias `(filters)`.
    pub fn new(weight: Array3<f32>, bias: Option<Array1<f32>>) -> Result<Self, LrpError> {
        let (width, _, filters) = weight.dim();
        if width == 0 {
            return Err(LrpError::InvalidLayer("conv1d window width must be at least 1".into()));
        }
        if let Some(b) = &bias {
            if b.len() != filters {
                return Err(LrpError::InvalidLayer(format!(
                    "conv1d bias has {} values for {filters} filters",
                    b.len()
                )));
            }
        }
        Ok(Conv1d { weight, bias })
    }

    /// Window width in positions.
    pub fn width(&self) -> usize {
        self.weight.dim().0
    }

    /// Input channels per position.
    pub fn channels(&self) -> usize {
        self.weight.dim().1
    }

    /// Number of filters (output channels).
    pub fn filters(&self) -> usize {
        self.weight.dim().2
    }
}

impl LinearMap for Conv1d {
    fn name(&self) -> &str {
        "conv1d"
    }

    fn output_shape(&self, shape: &[usize], layer: usize) -> Result<Vec<usize>, LrpError> {
        let kind = || "conv1d".to_string();
        match *shape {
            [len, d] if d == self.channels() => {
                if len == 0 {
                    Err(LrpError::EmptySequence { layer, kind: kind() })
                } else if len < self.width() {
                    Err(LrpError::SequenceTooShort { layer, kind: kind(), len, window: self.width() })
                } else {
                    Ok(vec![len - self.width() + 1, self.filters()])
                }
            }
            _ => Err(LrpError::ShapeMismatch {
                layer,
                kind: kind(),
                expected: format!("(T, {})", self.channels()),
                got: shape.to_vec(),
            }),
        }
    }

    // One matrix product over all windows at once, without an im2col copy: in a row-major
    // `(T, channels)` sequence, window t is the contiguous run x[t..t + width] flattened, so the
    // `(T', width · channels)` window matrix is a view with row stride `channels` (rows overlap).
    fn forward(&self, x: ArrayViewD<f32>, weights: WeightMod) -> ArrayD<f32> {
        let x = x.into_dimensionality::<Ix2>().expect("checked by output_shape");
        let x = x.as_standard_layout();
        let w = weights.weights(&self.weight);
        let (width, channels, filters) = w.dim();
        let out_len = x.nrows() + 1 - width;
        let flat = x.as_slice().expect("standard layout");
        let windows = ArrayView2::from_shape((out_len, width * channels).strides((channels, 1)), flat)
            .expect("every window lies inside the sequence");
        let w = w.as_standard_layout();
        let w = w.view().into_shape_with_order((width * channels, filters)).expect("standard layout");
        windows.dot(&w).into_dyn()
    }

    fn transpose(&self, s: ArrayViewD<f32>, weights: WeightMod, input_shape: &[usize]) -> ArrayD<f32> {
        let s = s.into_dimensionality::<Ix2>().expect("output of this layer");
        let w = weights.weights(&self.weight);
        let out_len = s.nrows();
        let mut c = Array2::<f32>::zeros((input_shape[0], input_shape[1]));
        let nonzero = s.iter().filter(|&&v| v != 0.0).count();
        if nonzero * SPARSE_FRACTION <= s.len() {
            // Behind a global max-pool only one position per filter carries a signal: adding
            // those filters' columns beats a dense product by a factor of about T.
            let filter_major = w.view().permuted_axes([0, 2, 1]).as_standard_layout().into_owned();
            for ((t, f), &v) in s.indexed_iter() {
                if v != 0.0 {
                    for k in 0..self.width() {
                        c.row_mut(t + k).scaled_add(v, &filter_major.slice(s![k, f, ..]));
                    }
                }
            }
        } else {
            for (k, w_k) in w.axis_iter(Axis(0)).enumerate() {
                general_mat_mul(1.0, &s, &w_k.t(), 1.0, &mut c.slice_mut(s![k..k + out_len, ..]));
            }
        }
        c.into_dyn()
    }

    fn bias(&self) -> Option<ArrayView1<'_, f32>> {
        self.bias.as_ref().map(|b| b.view())
    }
}
