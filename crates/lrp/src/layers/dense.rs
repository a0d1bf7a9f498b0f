//! Dense (affine) layer over the last axis: `z[…, j] = Σ_i x[…, i] w_ij + b_j`.

use ndarray::{Array1, Array2, ArrayD, ArrayView1, ArrayViewD, CowArray, Ix2, IxDyn};

use crate::error::LrpError;
use crate::linear::{LinearMap, WeightMod};

/// An affine map applied to the last axis of its input, so it serves both a feature
/// vector `(n_in)` and a sequence of vectors `(T, n_in)` (position-wise, like PyTorch's `Linear`).
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    /// Weights `w_ij`, shape `(n_in, n_out)`.
    pub weight: Array2<f32>,
    /// Bias `b_j`, shape `(n_out)`.
    pub bias: Option<Array1<f32>>,
}

impl Dense {
    /// A dense layer from weights `(n_in, n_out)` and an optional bias `(n_out)`.
    pub fn new(weight: Array2<f32>, bias: Option<Array1<f32>>) -> Result<Self, LrpError> {
        if let Some(b) = &bias {
            if b.len() != weight.ncols() {
                return Err(LrpError::InvalidLayer(format!(
                    "dense bias has {} values, the weights have {} outputs",
                    b.len(),
                    weight.ncols()
                )));
            }
        }
        Ok(Dense { weight, bias })
    }

    /// Number of inputs per position.
    pub fn inputs(&self) -> usize {
        self.weight.nrows()
    }

    /// Number of outputs per position.
    pub fn outputs(&self) -> usize {
        self.weight.ncols()
    }
}

/// Views `x` of shape `(…, n)` as a matrix `(rows, n)`, copying only if not contiguous.
/// `x` as rows of its last axis, a view where its layout allows (no copy of a standard array).
pub(crate) fn as_rows<'a>(x: &'a ArrayViewD<'_, f32>) -> CowArray<'a, f32, Ix2> {
    let n = *x.shape().last().expect("checked by output_shape");
    let rows = x.len() / n.max(1);
    x.to_shape((rows, n)).expect("rows of the last axis")
}

pub(crate) fn from_rows(m: Array2<f32>, like: &[usize]) -> ArrayD<f32> {
    let mut shape = like.to_vec();
    *shape.last_mut().expect("at least one axis") = m.ncols();
    m.into_shape_with_order(IxDyn(&shape)).expect("same number of elements")
}

impl LinearMap for Dense {
    fn name(&self) -> &str {
        "dense"
    }

    fn output_shape(&self, shape: &[usize], layer: usize) -> Result<Vec<usize>, LrpError> {
        match shape.last() {
            Some(&n) if n == self.inputs() => {
                if shape.iter().product::<usize>() == 0 {
                    return Err(LrpError::EmptySequence { layer, kind: "dense".into() });
                }
                let mut out = shape.to_vec();
                *out.last_mut().expect("non-empty") = self.outputs();
                Ok(out)
            }
            _ => Err(LrpError::ShapeMismatch {
                layer,
                kind: "dense".into(),
                expected: format!("(…, {})", self.inputs()),
                got: shape.to_vec(),
            }),
        }
    }

    fn forward(&self, x: ArrayViewD<f32>, weights: WeightMod) -> ArrayD<f32> {
        let w = weights.weights(&self.weight);
        let shape = x.shape().to_vec();
        let rows = match x.view().into_dimensionality::<Ix2>() {
            Ok(m) => m.dot(&*w),
            Err(_) => as_rows(&x).dot(&*w),
        };
        from_rows(rows, &shape)
    }

    fn transpose(
        &self,
        s: ArrayViewD<f32>,
        weights: WeightMod,
        input_shape: &[usize],
    ) -> ArrayD<f32> {
        let w = weights.weights(&self.weight);
        let rows = match s.view().into_dimensionality::<Ix2>() {
            Ok(m) => m.dot(&w.t()),
            Err(_) => as_rows(&s).dot(&w.t()),
        };
        from_rows(rows, input_shape)
    }

    fn bias(&self) -> Option<ArrayView1<'_, f32>> {
        self.bias.as_ref().map(|b| b.view())
    }
}
