//! The operations of a graph that are linear maps, for the generic LRP step
//! ([`crate::linear::propagate`]): `Add` over its stacked inputs, `Scale`, `Affine`.

use ndarray::{Array1, ArrayD, ArrayView1, ArrayViewD, Axis, IxDyn};

use crate::error::LrpError;
use crate::linear::{LinearMap, WeightMod};

/// `z = Σ_k x_k` over stacked inputs `[K, …]`: every weight is 1.
pub(super) struct SumMap;

impl LinearMap for SumMap {
    fn name(&self) -> &str {
        "add"
    }

    fn output_shape(&self, shape: &[usize], _layer: usize) -> Result<Vec<usize>, LrpError> {
        Ok(shape[1..].to_vec())
    }

    fn forward(&self, x: ArrayViewD<f32>, weights: WeightMod) -> ArrayD<f32> {
        x.sum_axis(Axis(0)) * weights.apply(1.0)
    }

    fn transpose(
        &self,
        s: ArrayViewD<f32>,
        weights: WeightMod,
        input_shape: &[usize],
    ) -> ArrayD<f32> {
        let w = weights.apply(1.0);
        s.broadcast(IxDyn(input_shape))
            .expect("stacked inputs of the output's shape")
            .mapv(|v| v * w)
    }

    fn bias(&self) -> Option<ndarray::ArrayView1<'_, f32>> {
        None
    }
}

/// `z = c ⊙ x`: a diagonal map whose weights are the factors.
pub(super) struct ScaleMap {
    pub(super) factor: ArrayD<f32>,
}

impl LinearMap for ScaleMap {
    fn name(&self) -> &str {
        "scale"
    }

    fn output_shape(&self, shape: &[usize], _layer: usize) -> Result<Vec<usize>, LrpError> {
        Ok(shape.to_vec())
    }

    fn forward(&self, x: ArrayViewD<f32>, weights: WeightMod) -> ArrayD<f32> {
        &x * &*weights.weights(&self.factor)
    }

    fn transpose(
        &self,
        s: ArrayViewD<f32>,
        weights: WeightMod,
        _input_shape: &[usize],
    ) -> ArrayD<f32> {
        &s * &*weights.weights(&self.factor)
    }

    fn bias(&self) -> Option<ndarray::ArrayView1<'_, f32>> {
        None
    }
}

/// `z[…, c] = a_c x[…, c] + b_c`: a diagonal map over the last axis with a bias.
pub(super) struct AffineMap<'a> {
    pub(super) scale: &'a Array1<f32>,
    pub(super) shift: &'a Array1<f32>,
}

impl LinearMap for AffineMap<'_> {
    fn name(&self) -> &str {
        "affine"
    }

    fn output_shape(&self, shape: &[usize], _layer: usize) -> Result<Vec<usize>, LrpError> {
        Ok(shape.to_vec())
    }

    fn forward(&self, x: ArrayViewD<f32>, weights: WeightMod) -> ArrayD<f32> {
        &x * &*weights.weights(self.scale)
    }

    fn transpose(
        &self,
        s: ArrayViewD<f32>,
        weights: WeightMod,
        _input_shape: &[usize],
    ) -> ArrayD<f32> {
        &s * &*weights.weights(self.scale)
    }

    fn bias(&self) -> Option<ArrayView1<'_, f32>> {
        Some(self.shift.view())
    }
}
