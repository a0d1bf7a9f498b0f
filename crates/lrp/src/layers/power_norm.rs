//! Power and L2 normalisation per segment of a vector, as in the "improved" Fisher vector
//! (Perronnin et al. 2010): `s_j = sign(x_j)|x_j|^p`, then `y = s/‖s‖` within each segment
//! (a zero segment stays zero). Element-wise up to a positive factor per segment, so LRP
//! passes relevance through unchanged (Bach et al. 2016); the gradient is exact.

use ndarray::{Array1, ArrayD, ArrayView1, ArrayViewD, Ix1};

use crate::error::LrpError;

/// Signed power `p` and L2 normalisation of each of consecutive segments of a 1-D input.
#[derive(Clone, Debug, PartialEq)]
pub struct PowerNorm {
    power: f32,
    segments: Vec<usize>,
}

impl PowerNorm {
    /// Normalisation with exponent `power > 0` over segments of the given lengths (each ≥ 1),
    /// which together make the input.
    pub fn new(power: f32, segments: Vec<usize>) -> Result<Self, LrpError> {
        if !(power.is_finite() && power > 0.0) {
            return Err(LrpError::InvalidLayer(format!(
                "power normalisation needs an exponent above 0, got {power}"
            )));
        }
        if segments.is_empty() || segments.contains(&0) {
            return Err(LrpError::InvalidLayer(format!(
                "power normalisation needs segments of at least one element, got {segments:?}"
            )));
        }
        Ok(PowerNorm { power, segments })
    }

    pub fn power(&self) -> f32 {
        self.power
    }

    /// The segments' lengths, in order.
    pub fn segments(&self) -> &[usize] {
        &self.segments
    }

    /// Checks the input shape (a vector as long as the segments together) and gives the output shape.
    pub fn output_shape(&self, shape: &[usize], layer: usize) -> Result<Vec<usize>, LrpError> {
        let len: usize = self.segments.iter().sum();
        if shape != [len] {
            return Err(LrpError::ShapeMismatch {
                layer,
                kind: "powernorm".into(),
                expected: format!("({len})"),
                got: shape.to_vec(),
            });
        }
        Ok(shape.to_vec())
    }

    /// `sign(x)|x|^p`; the square root for `p = ½`, because `sqrt` is correctly rounded and
    /// `powf` is not always.
    fn signed_power(&self, x: f32) -> f32 {
        let magnitude = if self.power == 0.5 { x.abs().sqrt() } else { x.abs().powf(self.power) };
        x.signum() * magnitude
    }

    /// The segments' ranges in the input.
    fn ranges(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        self.segments.iter().scan(0, |start, &len| {
            *start += len;
            Some(*start - len..*start)
        })
    }

    /// `y = s/‖s‖` per segment.
    pub fn forward(&self, x: ArrayViewD<f32>) -> ArrayD<f32> {
        let x = x.into_dimensionality::<Ix1>().expect("checked by output_shape");
        let mut y = x.mapv(|v| self.signed_power(v));
        for range in self.ranges() {
            let mut part = y.slice_mut(ndarray::s![range]);
            let norm = part.dot(&part).sqrt();
            if norm > 0.0 {
                part /= norm;
            }
        }
        y.into_dyn()
    }

    /// `∂L/∂x` for `g = ∂L/∂y`: per segment `(g − y (y·g)) / ‖s‖ ⊙ p|x|^(p−1)`, with
    /// `∂s_j/∂x_j` taken as 0 where `x_j = 0` (the one-sided limit for `p > 1`, a subgradient
    /// for `p < 1`, where it is infinite) unless `p = 1`; 0 for a zero segment.
    pub fn gradient(&self, x: ArrayViewD<f32>, g: ArrayViewD<f32>) -> ArrayD<f32> {
        let x = x.into_dimensionality::<Ix1>().expect("checked by output_shape");
        let g = g.into_dimensionality::<Ix1>().expect("shaped like the output");
        let mut out = Array1::<f32>::zeros(x.len());
        for range in self.ranges() {
            let (x, g) = (x.slice(ndarray::s![range.clone()]), g.slice(ndarray::s![range.clone()]));
            out.slice_mut(ndarray::s![range]).assign(&self.segment_gradient(x, g));
        }
        out.into_dyn()
    }

    fn segment_gradient(&self, x: ArrayView1<f32>, g: ArrayView1<f32>) -> Array1<f32> {
        let s = x.mapv(|v| self.signed_power(v));
        let norm = s.dot(&s).sqrt();
        if norm == 0.0 {
            return Array1::zeros(x.len());
        }
        let y = &s / norm;
        let projected = (&g - &(&y * y.dot(&g))) / norm;
        ndarray::Zip::from(&projected).and(&x).map_collect(|&d, &v| {
            if v != 0.0 {
                d * self.power * v.abs().powf(self.power - 1.0)
            } else if self.power == 1.0 {
                d
            } else {
                0.0
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// The normalisation in f64, written out: `s = sign(x)|x|^p`, `y = s/‖s‖` per segment.
    fn forward_f64(x: &[f64], p: f64, segments: &[usize]) -> Vec<f64> {
        let mut out = Vec::new();
        let mut start = 0;
        for &len in segments {
            let s: Vec<f64> =
                x[start..start + len].iter().map(|v| v.signum() * v.abs().powf(p)).collect();
            let norm = s.iter().map(|v| v * v).sum::<f64>().sqrt();
            out.extend(s.iter().map(|v| if norm > 0.0 { v / norm } else { 0.0 }));
            start += len;
        }
        out
    }

    #[test]
    fn signed_square_root_then_unit_length_per_segment() {
        let layer = PowerNorm::new(0.5, vec![3, 2]).unwrap();
        let y = layer.forward(array![4.0f32, -9.0, 0.0, 0.0, 0.0].into_dyn().view());
        let expected = [2.0 / 13f32.sqrt(), -3.0 / 13f32.sqrt(), 0.0, 0.0, 0.0];
        for (a, b) in y.iter().zip(expected) {
            assert!((a - b).abs() < 1e-7, "{y}");
        }
    }

    #[test]
    fn matches_the_formula_in_f64() {
        let x = [0.3, -1.2, 0.05, 2.0, -0.7, 0.0, 1.1];
        for p in [0.5, 1.0, 2.0, 0.3] {
            let layer = PowerNorm::new(p as f32, vec![4, 3]).unwrap();
            let y = layer.forward(Array1::from_iter(x.iter().map(|&v| v as f32)).into_dyn().view());
            for (a, b) in y.iter().zip(forward_f64(&x, p, &[4, 3])) {
                assert!((f64::from(*a) - b).abs() < 1e-6, "p {p}: {a} vs {b}");
            }
        }
    }

    /// `Σ_k g_k ∂y_k/∂x_i` against central differences of the f64 formula.
    #[test]
    fn gradient_matches_finite_differences() {
        let x = [0.3, -1.2, 0.05, 2.0, -0.7, 0.4, 1.1];
        let g = [1.0, -0.5, 2.0, 0.25, -1.5, 0.75, 0.1];
        let segments = [4, 3];
        for p in [0.5, 1.0, 2.0, 0.3] {
            let layer = PowerNorm::new(p as f32, segments.to_vec()).unwrap();
            let to32 = |v: &[f64]| Array1::from_iter(v.iter().map(|&v| v as f32)).into_dyn();
            let analytic = layer.gradient(to32(&x).view(), to32(&g).view());
            let h = 1e-6;
            for i in 0..x.len() {
                let (mut up, mut down) = (x.to_vec(), x.to_vec());
                up[i] += h;
                down[i] -= h;
                let dot = |y: Vec<f64>| y.iter().zip(&g).map(|(a, b)| a * b).sum::<f64>();
                let numeric = (dot(forward_f64(&up, p, &segments))
                    - dot(forward_f64(&down, p, &segments)))
                    / (2.0 * h);
                let a = f64::from(analytic[i]);
                assert!(
                    (a - numeric).abs() < 1e-4 * numeric.abs().max(1.0),
                    "p {p}, element {i}: {a} vs {numeric}"
                );
            }
        }
    }

    #[test]
    fn a_zero_segment_has_no_gradient() {
        let layer = PowerNorm::new(0.5, vec![2, 2]).unwrap();
        let gradient = layer.gradient(
            array![0.0f32, 0.0, 1.0, 4.0].into_dyn().view(),
            array![1.0f32, 1.0, 1.0, 0.0].into_dyn().view(),
        );
        assert_eq!(gradient.as_slice().unwrap()[..2], [0.0, 0.0]);
        assert!(gradient[2] != 0.0);
    }

    #[test]
    fn refuses_a_bad_exponent_segments_or_shape() {
        assert!(PowerNorm::new(0.0, vec![2]).is_err());
        assert!(PowerNorm::new(f32::NAN, vec![2]).is_err());
        assert!(PowerNorm::new(0.5, vec![]).is_err());
        assert!(PowerNorm::new(0.5, vec![2, 0]).is_err());
        assert!(PowerNorm::new(0.5, vec![2, 3]).unwrap().output_shape(&[4], 0).is_err());
    }
}
