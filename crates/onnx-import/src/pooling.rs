//! Average pooling over positions as linear maps, so every rule applies to it:
//! `z[w, c] = (1/k) Σ_{t ∈ window w} x[t, c]` on a `[L, C]` input (a global mean is one window
//! of all `L` positions, a sum the same with factor 1).

use ndarray::{ArrayD, ArrayView1, ArrayViewD, Axis, Ix2, IxDyn};

use lrp::{LinearMap, LrpError, WeightMod};

/// Windows of `size` positions every `stride`, each averaged (or summed) per channel.
#[derive(Debug)]
pub struct WindowMean {
    /// `None`: one window over all positions.
    pub window: Option<(usize, usize)>,
    /// `true`: the mean (`1/k`), else the sum.
    pub mean: bool,
}

impl WindowMean {
    fn windows(&self, len: usize) -> Vec<(usize, usize)> {
        match self.window {
            None => vec![(0, len)],
            Some((size, stride)) if len >= size => {
                (0..=(len - size) / stride).map(|w| (w * stride, w * stride + size)).collect()
            }
            Some(_) => Vec::new(),
        }
    }

    fn factor(&self, start: usize, end: usize, weights: WeightMod) -> f32 {
        weights.apply(if self.mean { 1.0 / (end - start) as f32 } else { 1.0 })
    }
}

impl LinearMap for WindowMean {
    fn name(&self) -> &str {
        "averagepool"
    }

    fn output_shape(&self, shape: &[usize], layer: usize) -> Result<Vec<usize>, LrpError> {
        let windows = match shape {
            [len, _] => self.windows(*len).len(),
            _ => 0,
        };
        if windows == 0 {
            return Err(LrpError::ShapeMismatch {
                layer,
                kind: "averagepool".into(),
                expected: "(positions ≥ window, channels)".into(),
                got: shape.to_vec(),
            });
        }
        Ok(vec![windows, shape[1]])
    }

    fn forward(&self, x: ArrayViewD<f32>, weights: WeightMod) -> ArrayD<f32> {
        let x = x.into_dimensionality::<Ix2>().expect("checked by output_shape");
        let windows = self.windows(x.nrows());
        let mut z = ndarray::Array2::<f32>::zeros((windows.len(), x.ncols()));
        for (mut row, &(start, end)) in z.outer_iter_mut().zip(&windows) {
            row.assign(
                &(x.slice(ndarray::s![start..end, ..]).sum_axis(Axis(0))
                    * self.factor(start, end, weights)),
            );
        }
        z.into_dyn()
    }

    fn transpose(
        &self,
        s: ArrayViewD<f32>,
        weights: WeightMod,
        input_shape: &[usize],
    ) -> ArrayD<f32> {
        let s = s.into_dimensionality::<Ix2>().expect("output shaped");
        let mut c = ArrayD::<f32>::zeros(IxDyn(input_shape));
        for (row, &(start, end)) in s.outer_iter().zip(&self.windows(input_shape[0])) {
            let f = self.factor(start, end, weights);
            for t in start..end {
                let mut target = c.index_axis_mut(Axis(0), t);
                target.scaled_add(f, &row);
            }
        }
        c
    }

    fn bias(&self) -> Option<ArrayView1<'_, f32>> {
        None
    }
}
