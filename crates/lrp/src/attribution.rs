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
use crate::graph::Graph;
use crate::network::Network;

/// A model that gives its outputs, and one output's gradient, at any input.
pub trait Differentiable {
    /// The outputs at `x`, flattened.
    fn outputs(&self, x: ArrayD<f32>) -> Result<Vec<f32>, LrpError>;
    /// Output `class`'s score at `x` and its gradient `∂f_c/∂x`.
    fn score_gradient(&self, x: ArrayD<f32>, class: usize) -> Result<(f32, ArrayD<f32>), LrpError>;
}

/// A network and a graph both run to a trace with the same `output` and `gradient`.
macro_rules! differentiable_by_trace {
    ($model:ty) => {
        impl Differentiable for $model {
            fn outputs(&self, x: ArrayD<f32>) -> Result<Vec<f32>, LrpError> {
                Ok(self.forward(x)?.output().iter().copied().collect())
            }

            fn score_gradient(&self, x: ArrayD<f32>, class: usize) -> Result<(f32, ArrayD<f32>), LrpError> {
                let trace = self.forward(x)?;
                let gradient = trace.gradient(&Target::Output(class))?;
                Ok((trace.output().iter().nth(class).copied().expect("the target was checked"), gradient))
            }
        }
    };
}

differentiable_by_trace!(Network);
differentiable_by_trace!(Graph);

/// Integrated Gradients of one output, with how far it is from complete.
#[derive(Clone, Debug, PartialEq)]
pub struct IntegratedGradients {
    /// `(x − x') ⊙ (1/m) Σ_{k=1}^{m} ∇f(x' + (k − ½)/m · (x − x'))`, shaped like `x`.
    pub attribution: ArrayD<f32>,
    /// `f(x)`.
    pub score: f64,
    /// `f(x')`.
    pub baseline_score: f64,
    /// `Σ attribution − (f(x) − f(x'))`: zero for the exact integral; the midpoint sum's error
    /// falls as `1/m²` where `f` is smooth along the path.
    pub completeness_error: f64,
}

/// Integrated Gradients of output `class` from `baseline` to `x` with `steps` midpoints.
pub fn integrated_gradients(model: &dyn Differentiable, x: &ArrayD<f32>, baseline: &ArrayD<f32>, class: usize, steps: usize) -> Result<IntegratedGradients, LrpError> {
    if steps == 0 {
        return Err(LrpError::InvalidMethod("Integrated Gradients needs at least one step".into()));
    }
    if baseline.shape() != x.shape() {
        return Err(LrpError::InvalidMethod(format!("the baseline has shape {:?}, the input {:?}", baseline.shape(), x.shape())));
    }
    let delta = x - baseline;
    let mut mean = ArrayD::<f64>::zeros(x.raw_dim());
    for k in 0..steps {
        let alpha = (k as f32 + 0.5) / steps as f32;
        let (_, gradient) = model.score_gradient(baseline + &(&delta * alpha), class)?;
        mean.zip_mut_with(&gradient, |m, &g| *m += f64::from(g));
    }
    let mut attribution = ArrayD::<f32>::zeros(x.raw_dim());
    ndarray::Zip::from(&mut attribution).and(&mean).and(&delta).for_each(|a, &m, &d| *a = (m / steps as f64 * f64::from(d)) as f32);
    let score = f64::from(class_score(model, x.clone(), class)?);
    let baseline_score = f64::from(class_score(model, baseline.clone(), class)?);
    let total: f64 = attribution.iter().map(|&a| f64::from(a)).sum();
    Ok(IntegratedGradients { attribution, score, baseline_score, completeness_error: total - (score - baseline_score) })
}

fn class_score(model: &dyn Differentiable, x: ArrayD<f32>, class: usize) -> Result<f32, LrpError> {
    let outputs = model.outputs(x)?;
    outputs.get(class).copied().ok_or(LrpError::TargetOutOfRange { index: class, len: outputs.len() })
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
pub fn smooth_grad_inputs(x: &ArrayD<f32>, settings: &SmoothGradSettings) -> Result<Vec<ArrayD<f32>>, LrpError> {
    if settings.samples == 0 || !(settings.noise >= 0.0 && settings.noise.is_finite()) {
        return Err(LrpError::InvalidMethod(format!("SmoothGrad needs one sample or more and a finite noise level ≥ 0, got {} and {}", settings.samples, settings.noise)));
    }
    let (low, high) = x.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
    let sigma = if x.is_empty() { 0.0 } else { settings.noise * (high - low) };
    let normal = Normal::new(0.0, sigma).expect("σ is finite and ≥ 0");
    let mut rng = StdRng::seed_from_u64(settings.seed);
    Ok((0..settings.samples).map(|_| x.mapv(|v| v + normal.sample(&mut rng))).collect())
}

/// SmoothGrad of output `class`: `(1/n) Σ_i ∇f(x + ε_i)` over [`smooth_grad_inputs`].
pub fn smooth_grad(model: &dyn Differentiable, x: &ArrayD<f32>, class: usize, settings: &SmoothGradSettings) -> Result<ArrayD<f32>, LrpError> {
    let mut mean = ArrayD::<f64>::zeros(x.raw_dim());
    for noisy in smooth_grad_inputs(x, settings)? {
        let (_, gradient) = model.score_gradient(noisy, class)?;
        mean.zip_mut_with(&gradient, |m, &g| *m += f64::from(g));
    }
    Ok(mean.mapv(|m| (m / settings.samples as f64) as f32))
}

/// Occlusion over `units` input units (words, blocks) in windows of `window` consecutive
/// units, stride 1: unit `u` gets the mean, over the windows `W ∋ u`, of `f(x) − f(x without W)`.
/// `occluded(W)` is the score with the units of `W` occluded; `score` is `f(x)`.
pub fn occlusion<E>(units: usize, window: usize, score: f32, mut occluded: impl FnMut(Range<usize>) -> Result<f32, E>) -> Result<Vec<f64>, E> {
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
