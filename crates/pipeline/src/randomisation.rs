//! The model parameter randomisation test of Adebayo et al. (2018), what text and video share:
//! parameters re-drawn at their own scale, and per method and step the mean Spearman ρ of the
//! randomised model's explanations with the trained model's; a method whose explanations stay
//! alike to the end is flagged.

use ndarray::{Array, Dimension};
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::correlation::spearman;

/// A method's correlation with its own explanations of the trained model after each step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RandomisationCurve {
    pub method: String,
    /// Per step: the layers randomised so far, the mean Spearman ρ of the relevance, and of its
    /// absolute values (Adebayo et al. report both), over the documents where they are defined.
    pub steps: Vec<RandomisationStep>,
    /// Whether the explanations of the fully randomised model still correlate with the
    /// trained model's by ρ ≥ [`FLAG_RHO`] (signed or absolute).
    pub flagged: bool,
}

/// The layers randomised so far and the correlations left.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RandomisationStep {
    pub randomised: Vec<String>,
    pub spearman: f64,
    pub spearman_abs: f64,
    pub documents: usize,
}

/// The correlation left after full randomisation at which a method is flagged.
pub const FLAG_RHO: f64 = 0.5;

/// `values` re-drawn from `N(0, σ²)` with `σ` their own standard deviation (all zero stays zero).
pub fn redraw<D: Dimension>(values: &mut Array<f32, D>, rng: &mut StdRng) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let sd = (values.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n).sqrt();
    let normal = Normal::new(0.0, sd as f32).expect("a finite deviation");
    values.map_inplace(|v| *v = normal.sample(rng));
}

/// Spearman's ρ of a randomised model's relevance `randomised` with the trained model's
/// `trained`, and ρ of their absolute values (Adebayo et al. report both); `None` where undefined.
pub fn correlations(trained: &[f64], randomised: &[f64]) -> (Option<f64>, Option<f64>) {
    let abs = |v: &[f64]| v.iter().map(|x| x.abs()).collect::<Vec<_>>();
    (spearman(trained, randomised), spearman(&abs(trained), &abs(randomised)))
}

/// One input's (ρ, ρ of |R|) per method and per step, `None` where undefined.
pub type InputCorrelations = Vec<Vec<(Option<f64>, Option<f64>)>>;

/// The curves of `methods` over inputs' correlations `per_input[input][method][step]`, step `s`
/// having randomised `cascade[..=s]`: means over the inputs where both are defined.
pub fn curves(
    methods: &[String],
    cascade: &[&str],
    per_input: &[InputCorrelations],
) -> Vec<RandomisationCurve> {
    methods
        .iter()
        .enumerate()
        .map(|(m, method)| {
            let steps: Vec<RandomisationStep> = (0..cascade.len())
                .map(|s| {
                    let pairs: Vec<(f64, f64)> =
                        per_input.iter().filter_map(|d| Some((d[m][s].0?, d[m][s].1?))).collect();
                    let n = pairs.len().max(1) as f64;
                    RandomisationStep {
                        randomised: cascade[..=s].iter().map(|l| l.to_string()).collect(),
                        spearman: pairs.iter().map(|p| p.0).sum::<f64>() / n,
                        spearman_abs: pairs.iter().map(|p| p.1).sum::<f64>() / n,
                        documents: pairs.len(),
                    }
                })
                .collect();
            let flagged = steps
                .last()
                .is_some_and(|last| last.spearman >= FLAG_RHO || last.spearman_abs >= FLAG_RHO);
            RandomisationCurve { method: method.clone(), steps, flagged }
        })
        .collect()
}
