//! What a method yields on one document, position by position, and the two computations both
//! kinds of model share: Integrated Gradients summed per position, and occlusion by full
//! forward passes.

use lrp::{integrated_gradients, occlusion, position_sums, Differentiable, Quadrature};
use ndarray::{ArrayD, Axis};
use pipeline::conservation::Completeness;

use crate::error::TextError;
use crate::explain::{Baseline, Conservation};

/// Relevance per input position, and what LRP conserved or IG completed.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribution {
    /// One value per position (signed sums, or SA's norms).
    pub relevance: Vec<f32>,
    /// For LRP only; its input is all positions' relevance until it is split into words.
    pub conservation: Option<Conservation>,
    /// For Integrated Gradients only.
    pub completeness: Option<Completeness>,
}

impl Attribution {
    /// Relevance without a report of where it came from.
    pub fn plain(relevance: Vec<f32>) -> Self {
        Attribution { relevance, conservation: None, completeness: None }
    }
}

/// Integrated Gradients' relevance per position (summed over the last axis) on any
/// differentiable model, from `baseline` (of kind `kind`) in `steps` nodes of `quadrature`.
pub(crate) fn ig_relevance(
    model: &dyn Differentiable,
    x: &ArrayD<f32>,
    baseline: &ArrayD<f32>,
    class: usize,
    (steps, quadrature): (usize, Quadrature),
    kind: Baseline,
) -> Result<(ArrayD<f32>, Completeness), TextError> {
    let ig = integrated_gradients(model, x, baseline, class, steps, quadrature)?;
    let completeness = Completeness {
        baseline: kind.to_string(),
        steps,
        quadrature: quadrature.to_string(),
        score: ig.score,
        baseline_score: ig.baseline_score,
        error: ig.completeness_error,
    };
    Ok((position_sums(ig.attribution.view()), completeness))
}

/// Occlusion through full forward passes: positions `words` of the embedded document `x` (axis
/// `axis` holds positions) zeroed a window at a time; relevance per position along `axis`.
pub(crate) fn occlusion_by_forward(
    model: &dyn Differentiable,
    x: &ArrayD<f32>,
    axis: Axis,
    words: &[usize],
    window: usize,
    class: usize,
) -> Result<Vec<f32>, TextError> {
    let score = model.outputs(x.clone())?[class];
    let drops = occlusion(words.len(), window, score, |w| -> Result<f32, TextError> {
        let mut occluded = x.clone();
        words[w].iter().for_each(|&p| occluded.index_axis_mut(axis, p).fill(0.0));
        Ok(model.outputs(occluded)?[class])
    })?;
    let mut relevance = vec![0.0; x.len_of(axis)];
    words.iter().zip(drops).for_each(|(&p, d)| relevance[p] = d as f32);
    Ok(relevance)
}
