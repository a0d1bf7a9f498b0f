//! Functions applied to every value of a tensor, with their derivatives for the gradient.
//! Under LRP each passes relevance unchanged (the identity rule, see [`super::Attention`]).

use std::fmt;

use std::f32::consts::FRAC_1_SQRT_2;

use ndarray::{ArrayD, ArrayViewD, Zip};

/// An element-wise function `z_i = f(x_i)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Elementwise {
    /// `erf x`
    Erf,
    /// `tanh x`
    Tanh,
    /// `√x`
    Sqrt,
    /// `x^p`
    Power(f32),
    /// `σ(x) = 1 / (1 + e^−x)`
    Sigmoid,
    /// `e^x`
    Exp,
    /// `1 / x`
    Reciprocal,
    /// `x · Φ(x) = x (1 + erf(x/√2)) / 2` (ONNX `Gelu`, exact form)
    Gelu,
}

impl Elementwise {
    /// `f(x)`.
    pub fn value(&self, x: f32) -> f32 {
        match *self {
            Elementwise::Erf => erf(x),
            Elementwise::Tanh => x.tanh(),
            Elementwise::Sqrt => x.sqrt(),
            Elementwise::Power(p) => power(x, p),
            Elementwise::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Elementwise::Exp => x.exp(),
            Elementwise::Reciprocal => 1.0 / x,
            Elementwise::Gelu => gelu(x),
        }
    }

    /// `f′(x)`.
    pub fn derivative(&self, x: f32) -> f32 {
        match *self {
            Elementwise::Erf => std::f32::consts::FRAC_2_SQRT_PI * (-x * x).exp(),
            Elementwise::Tanh => 1.0 - x.tanh().powi(2),
            Elementwise::Sqrt => 0.5 / x.sqrt(),
            Elementwise::Power(p) => p * power(x, p - 1.0),
            Elementwise::Sigmoid => {
                let s = 1.0 / (1.0 + (-x).exp());
                s * (1.0 - s)
            }
            Elementwise::Exp => x.exp(),
            Elementwise::Reciprocal => -1.0 / (x * x),
            Elementwise::Gelu => {
                let cdf = 0.5 * (1.0 + erf(x * FRAC_1_SQRT_2));
                let pdf = (-0.5 * x * x).exp() / (2.0 * std::f32::consts::PI).sqrt();
                cdf + x * pdf
            }
        }
    }

    pub(super) fn forward(&self, x: ArrayViewD<f32>) -> ArrayD<f32> {
        let mut z = x.to_owned();
        match (self, z.as_slice_memory_order_mut()) {
            (Elementwise::Erf, Some(values)) => erf_slice(values),
            (Elementwise::Gelu, Some(values)) => gelu_slice(values),
            _ => z.mapv_inplace(|v| self.value(v)),
        }
        z
    }

    /// `g ⊙ f′(x)`.
    pub(super) fn gradient(&self, x: ArrayViewD<f32>, g: ArrayD<f32>) -> ArrayD<f32> {
        let mut g = g;
        Zip::from(&mut g).and(&x).for_each(|g, &x| *g *= self.derivative(x));
        g
    }
}

/// `erf x` by Eigen's rational approximation `x · P(x²) / Q(x²)`, `x` clamped to `[−4, 4]`
/// (beyond, erf rounds to ±1 in f32), `P` of degree 6 and `Q` of degree 4. Written out
/// because the C library's `erff` is a branching call per value (GELU's was 5 % of a small
/// BERT's explanation) and no crate the workspace uses evaluates erf over a slice; this form
/// has no branches and vectorises. Within 4·10⁻⁷ of the exact value, 3.3·10⁻⁷ near ±1 where
/// `erff` is within 6·10⁻⁸; relative error below 4·10⁻⁷ (tested).
#[inline]
fn erf(x: f32) -> f32 {
    const P: [f32; 7] = [
        -2.726_142_3e-10,
        2.770_681_4e-8,
        -2.101_024e-6,
        -5.692_506_4e-5,
        -7.349_906_3e-4,
        -2.954_6e-3,
        -1.609_603_3e-2,
    ];
    const Q: [f32; 5] =
        [-1.456_607_2e-5, -2.133_740_6e-4, -1.682_827e-3, -7.373_329e-3, -1.426_474e-2];
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let p = P.iter().fold(0.0, |p, &c| p * x2 + c);
    let q = Q.iter().fold(0.0, |q, &c| q * x2 + c);
    (x * p / q).clamp(-1.0, 1.0)
}

/// GELU, `x · (1 + erf(x/√2)) / 2`.
#[inline]
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * FRAC_1_SQRT_2))
}

/// [`erf`] of every value in place, compiled for AVX-512 and AVX2 as well (`multiversion`):
/// Rust neither fuses nor reorders the arithmetic, so every version gives the same values.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn erf_slice(values: &mut [f32]) {
    values.iter_mut().for_each(|v| *v = erf(*v));
}

/// [`gelu`] of every value in place, as [`erf_slice`].
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn gelu_slice(values: &mut [f32]) {
    values.iter_mut().for_each(|v| *v = gelu(*v));
}

/// `x^p`, with whole powers by repeated products (as ONNX Runtime and PyTorch compute `x²`,
/// exact for negative `x`); the square (a layer normalisation's variance) inline, as `powi`
/// is a library call per value that computes the same `x · x`.
fn power(x: f32, p: f32) -> f32 {
    if p == 2.0 {
        x * x
    } else if p.fract() == 0.0 && p.abs() <= 16.0 {
        x.powi(p as i32)
    } else {
        x.powf(p)
    }
}

impl fmt::Display for Elementwise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Elementwise::Erf => f.write_str("erf"),
            Elementwise::Tanh => f.write_str("tanh"),
            Elementwise::Sqrt => f.write_str("sqrt"),
            Elementwise::Power(p) => write!(f, "power {p}"),
            Elementwise::Sigmoid => f.write_str("sigmoid"),
            Elementwise::Exp => f.write_str("exp"),
            Elementwise::Reciprocal => f.write_str("reciprocal"),
            Elementwise::Gelu => f.write_str("gelu"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against erf in f64 every 1/1024 over [−6, 6] (both sides of the clamp), the slice
    /// versions equal to the per-value one, and NaN kept.
    #[test]
    fn erf_is_within_four_ten_millionths_of_erf_in_f64() {
        let x: Vec<f32> = (-6 * 1024..=6 * 1024).map(|k| k as f32 / 1024.0).collect();
        let mut worst = 0.0f64;
        for &v in &x {
            let error = (f64::from(erf(v)) - libm::erf(f64::from(v))).abs();
            worst = worst.max(error);
            // Near 0 relative to the value: erf x ≈ 2x/√π.
            let relative = error / libm::erf(f64::from(v)).abs().max(1e-30);
            assert!(v == 0.0 || relative < 4e-7, "erf({v}): relative error {relative}");
        }
        assert!(worst < 4e-7, "largest error {worst}");
        let mut values = x.clone();
        erf_slice(&mut values);
        assert!(values.iter().zip(&x).all(|(&e, &v)| e.to_bits() == erf(v).to_bits()));
        let mut values = x.clone();
        gelu_slice(&mut values);
        assert!(values.iter().zip(&x).all(|(&g, &v)| g.to_bits() == gelu(v).to_bits()));
        assert_eq!(erf(0.0), 0.0);
        assert!((1.0 - erf(40.0)).abs() <= f32::EPSILON && erf(-40.0) == -erf(40.0));
        assert!(erf(f32::NAN).is_nan() && gelu(f32::NAN).is_nan());
    }
}
