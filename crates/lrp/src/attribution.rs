//! Attributions that take many passes instead of one: Integrated Gradients (Sundararajan et
//! al. 2017), SmoothGrad (Smilkov et al. 2017) and occlusion (Zeiler & Fergus 2014). They need
//! only scores and gradients, so they run on any [`Differentiable`] model.

use std::ops::Range;

use ndarray::ArrayD;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

use crate::error::LrpError;
use crate::explain::Target;
use crate::gradient_sum::{affine_first_gradient_sum, Samples};
use crate::graph::Graph;
use crate::network::Network;

/// A model that gives its outputs, and one output's gradient, at any input.
pub trait Differentiable {
    /// The outputs at `x`, flattened.
    fn outputs(&self, x: ArrayD<f32>) -> Result<Vec<f32>, LrpError>;
    /// Output `class`'s score at `x` and its gradient `∂f_c/∂x`.
    fn score_gradient(&self, x: ArrayD<f32>, class: usize) -> Result<(f32, ArrayD<f32>), LrpError>;
    /// `Σ_k w_k ∇f_c(x_k)` in f64 over the weighted `samples`: by default one forward and one
    /// backward pass each.
    fn gradient_sum(&self, samples: Samples<'_>, class: usize) -> Result<ArrayD<f64>, LrpError> {
        gradient_sum_by_passes(self, samples, class)
    }
}

/// [`Differentiable::gradient_sum`] by a forward and a backward pass per sample.
fn gradient_sum_by_passes<M: Differentiable + ?Sized>(
    model: &M,
    samples: Samples<'_>,
    class: usize,
) -> Result<ArrayD<f64>, LrpError> {
    let mut sum = ArrayD::<f64>::zeros(samples.shape().unwrap_or(&[0]));
    samples.try_for_each(|x, w| {
        let (_, gradient) = model.score_gradient(x, class)?;
        sum.zip_mut_with(&gradient, |s, &g| *s += w * f64::from(g));
        Ok(())
    })?;
    Ok(sum)
}

/// A network and a graph both run to a trace with the same `output` and `gradient`.
macro_rules! differentiable_by_trace {
    () => {
        fn outputs(&self, x: ArrayD<f32>) -> Result<Vec<f32>, LrpError> {
            Ok(self.forward(x)?.output().iter().copied().collect())
        }

        fn score_gradient(
            &self,
            x: ArrayD<f32>,
            class: usize,
        ) -> Result<(f32, ArrayD<f32>), LrpError> {
            let trace = self.forward(x)?;
            let gradient = trace.gradient(&Target::Output(class))?;
            Ok((
                trace.output().iter().nth(class).copied().expect("the target was checked"),
                gradient,
            ))
        }
    };
}

impl Differentiable for Graph {
    differentiable_by_trace!();
}

impl Differentiable for Network {
    differentiable_by_trace!();

    /// Without a pass per sample where the first layer is affine ([`affine_first_gradient_sum`]).
    fn gradient_sum(&self, samples: Samples<'_>, class: usize) -> Result<ArrayD<f64>, LrpError> {
        affine_first_gradient_sum(self, samples, class)
            .unwrap_or_else(|| gradient_sum_by_passes(self, samples, class))
    }
}

/// Where Integrated Gradients samples the path `x' + α(x − x')`, `α ∈ [0, 1]`, and how it
/// weighs the samples: `∫₀¹ g(α) dα ≈ Σ_k w_k g(α_k)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Quadrature {
    /// `α_k = (k − ½)/m`, `w_k = 1/m` (Captum's `riemann_middle`): error `O(1/m²)` where the
    /// path is smooth.
    #[default]
    Midpoint,
    /// The `m` Gauss–Legendre nodes on `[0, 1]` and their weights (Captum's default): exact for
    /// polynomials of degree below `2m`, and the nodes crowd towards both ends of the path
    /// (the first at `α ≈ 1.45/m²`), where a score that turns steeply near the baseline needs them.
    GaussLegendre,
    /// Midpoints in `t` mapped by `α = t²`, `w_k = 2 t_k / m`: nodes crowd towards the
    /// baseline, and a score that starts like `√α` (a signed square root of terms that grow
    /// from zero, as the improved Fisher vector's are from the motionless clip) becomes a
    /// smooth integrand in `t`, where the other rules converge as slowly as `1/√m`.
    Graded,
}

impl Quadrature {
    /// The nodes `α_k` (ascending) and weights `w_k` (summing to 1) of an `m`-point rule.
    pub fn nodes(self, m: usize) -> Vec<(f64, f64)> {
        match self {
            Quadrature::Midpoint => {
                (0..m).map(|k| ((k as f64 + 0.5) / m as f64, 1.0 / m as f64)).collect()
            }
            Quadrature::GaussLegendre => gauss_legendre(m),
            Quadrature::Graded => (0..m)
                .map(|k| ((k as f64 + 0.5) / m as f64, 2.0 * (k as f64 + 0.5) / (m * m) as f64))
                .map(|(t, w)| (t * t, w))
                .collect(),
        }
    }
}

impl std::fmt::Display for Quadrature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Quadrature::Midpoint => "midpoint",
            Quadrature::GaussLegendre => "gauss-legendre",
            Quadrature::Graded => "graded",
        })
    }
}

impl std::str::FromStr for Quadrature {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "midpoint" => Ok(Quadrature::Midpoint),
            "gauss-legendre" | "gausslegendre" => Ok(Quadrature::GaussLegendre),
            "graded" => Ok(Quadrature::Graded),
            other => {
                Err(format!("quadrature `{other}`: expected midpoint, gauss-legendre or graded"))
            }
        }
    }
}

/// `P_m(z)` and `P_m'(z)` by the three-term recurrence `j P_j = (2j − 1) z P_{j−1} − (j − 1) P_{j−2}`.
fn legendre(m: usize, z: f64) -> (f64, f64) {
    let (mut p, mut previous) = (1.0, 0.0);
    for j in 1..=m {
        let j = j as f64;
        (p, previous) = (((2.0 * j - 1.0) * z * p - (j - 1.0) * previous) / j, p);
    }
    (p, m as f64 * (z * p - previous) / (z * z - 1.0))
}

/// The `m` roots `z_i` of `P_m` by Newton's method from `cos(π(i + ¾)/(m + ½))`, weights
/// `2/((1 − z²) P_m'(z)²)`, mapped from `[−1, 1]` onto `[0, 1]`. By hand because the crates
/// that give Gauss–Legendre nodes bring a linear-algebra library for an eigenvalue route to
/// what these ten lines reach to f64 rounding.
fn gauss_legendre(m: usize) -> Vec<(f64, f64)> {
    (0..m)
        .map(|i| {
            let mut z = (std::f64::consts::PI * (i as f64 + 0.75) / (m as f64 + 0.5)).cos();
            for _ in 0..100 {
                let (p, dp) = legendre(m, z);
                let step = p / dp;
                z -= step;
                if step.abs() < 1e-15 {
                    break;
                }
            }
            let (_, dp) = legendre(m, z);
            ((1.0 - z) / 2.0, 1.0 / ((1.0 - z * z) * dp * dp))
        })
        .collect()
}

/// Integrated Gradients of one output, with how far it is from complete.
#[derive(Clone, Debug, PartialEq)]
pub struct IntegratedGradients {
    /// `(x − x') ⊙ Σ_k w_k ∇f(x' + α_k (x − x'))` over the [`Quadrature`]'s nodes, shaped like `x`.
    pub attribution: ArrayD<f32>,
    /// `f(x)`.
    pub score: f64,
    /// `f(x')`.
    pub baseline_score: f64,
    /// `Σ attribution − (f(x) − f(x'))`: zero for the exact integral; the midpoint sum's error
    /// falls as `1/m²` where `f` is smooth along the path.
    pub completeness_error: f64,
}

/// Integrated Gradients of output `class` from `baseline` to `x` with `steps` nodes of `quadrature`.
pub fn integrated_gradients(
    model: &dyn Differentiable,
    x: &ArrayD<f32>,
    baseline: &ArrayD<f32>,
    class: usize,
    steps: usize,
    quadrature: Quadrature,
) -> Result<IntegratedGradients, LrpError> {
    if steps == 0 {
        return Err(LrpError::InvalidMethod("Integrated Gradients needs at least one step".into()));
    }
    if baseline.shape() != x.shape() {
        return Err(LrpError::InvalidMethod(format!(
            "the baseline has shape {:?}, the input {:?}",
            baseline.shape(),
            x.shape()
        )));
    }
    let delta = x - baseline;
    let nodes = quadrature.nodes(steps);
    let mean = model.gradient_sum(Samples::Path { baseline, x, nodes: &nodes }, class)?;
    let mut attribution = ArrayD::<f32>::zeros(x.raw_dim());
    ndarray::Zip::from(&mut attribution)
        .and(&mean)
        .and(&delta)
        .for_each(|a, &m, &d| *a = (m * f64::from(d)) as f32);
    let score = f64::from(class_score(model, x.clone(), class)?);
    let baseline_score = f64::from(class_score(model, baseline.clone(), class)?);
    let total: f64 = attribution.iter().map(|&a| f64::from(a)).sum();
    Ok(IntegratedGradients {
        attribution,
        score,
        baseline_score,
        completeness_error: total - (score - baseline_score),
    })
}

fn class_score(model: &dyn Differentiable, x: ArrayD<f32>, class: usize) -> Result<f32, LrpError> {
    let outputs = model.outputs(x)?;
    outputs
        .get(class)
        .copied()
        .ok_or(LrpError::TargetOutOfRange { index: class, len: outputs.len() })
}

/// How SmoothGrad perturbs its input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SmoothGradSettings {
    /// Noisy copies averaged, `n`.
    pub samples: usize,
    /// The noise's standard deviation as a share of the input's range: `σ = noise · (max x − min x)`.
    pub noise: f32,
    /// Seeds the noise.
    pub seed: u64,
}

/// The noisy copies SmoothGrad averages over: `x + ε_i`, `ε_i ~ N(0, σ²)` per element.
pub fn smooth_grad_inputs(
    x: &ArrayD<f32>,
    settings: &SmoothGradSettings,
) -> Result<Vec<ArrayD<f32>>, LrpError> {
    if settings.samples == 0 || !(settings.noise >= 0.0 && settings.noise.is_finite()) {
        return Err(LrpError::InvalidMethod(format!(
            "SmoothGrad needs one sample or more and a finite noise level ≥ 0, got {} and {}",
            settings.samples, settings.noise
        )));
    }
    let (low, high) =
        x.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
    let sigma = if x.is_empty() { 0.0 } else { settings.noise * (high - low) };
    let normal = Normal::new(0.0, sigma).expect("σ is finite and ≥ 0");
    let mut rng = StdRng::seed_from_u64(settings.seed);
    Ok((0..settings.samples).map(|_| x.mapv(|v| v + normal.sample(&mut rng))).collect())
}

/// SmoothGrad of output `class`: `(1/n) Σ_i ∇f(x + ε_i)` over [`smooth_grad_inputs`].
pub fn smooth_grad(
    model: &dyn Differentiable,
    x: &ArrayD<f32>,
    class: usize,
    settings: &SmoothGradSettings,
) -> Result<ArrayD<f32>, LrpError> {
    let sum = model.gradient_sum(Samples::Inputs(&smooth_grad_inputs(x, settings)?), class)?;
    Ok(sum.mapv(|s| (s / settings.samples as f64) as f32))
}

/// Occlusion over `units` input units (words, blocks) in windows of `window` consecutive
/// units, stride 1: unit `u` gets the mean, over the windows `W ∋ u`, of `f(x) − f(x without W)`.
/// `occluded(W)` is the score with the units of `W` occluded; `score` is `f(x)`.
pub fn occlusion<E>(
    units: usize,
    window: usize,
    score: f32,
    mut occluded: impl FnMut(Range<usize>) -> Result<f32, E>,
) -> Result<Vec<f64>, E> {
    let window = window.clamp(1, units.max(1));
    let mut sum = vec![0.0f64; units];
    let mut covering = vec![0usize; units];
    for start in 0..(units + 1).saturating_sub(window) {
        let drop = f64::from(score) - f64::from(occluded(start..start + window)?);
        for u in start..start + window {
            sum[u] += drop;
            covering[u] += 1;
        }
    }
    Ok(sum.iter().zip(&covering).map(|(&s, &c)| if c == 0 { 0.0 } else { s / c as f64 }).collect())
}
