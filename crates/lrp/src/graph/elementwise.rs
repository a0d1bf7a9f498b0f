//! Functions applied to every value of a tensor, with their derivatives for the gradient.
//! Under LRP each passes relevance unchanged (the identity rule, see [`super::Attention`]).

use std::fmt;

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
            Elementwise::Erf => libm::erff(x),
            Elementwise::Tanh => x.tanh(),
            Elementwise::Sqrt => x.sqrt(),
            Elementwise::Power(p) => power(x, p),
            Elementwise::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Elementwise::Exp => x.exp(),
            Elementwise::Reciprocal => 1.0 / x,
            Elementwise::Gelu => 0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2)),
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
                let cdf = 0.5 * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2));
                let pdf = (-0.5 * x * x).exp() / (2.0 * std::f32::consts::PI).sqrt();
                cdf + x * pdf
            }
        }
    }

    pub(super) fn forward(&self, x: ArrayViewD<f32>) -> ArrayD<f32> {
        x.mapv(|v| self.value(v))
    }

    /// `g ⊙ f′(x)`.
    pub(super) fn gradient(&self, x: ArrayViewD<f32>, g: ArrayD<f32>) -> ArrayD<f32> {
        let mut g = g;
        Zip::from(&mut g).and(&x).for_each(|g, &x| *g *= self.derivative(x));
        g
    }
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
