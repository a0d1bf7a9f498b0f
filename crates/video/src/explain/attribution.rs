//! A clip's relevance per block and frame by any [`Method`].
//!
//! The gradient methods differentiate the class score with respect to the clip's descriptors
//! after PCA, `y_i` ([`DescriptorScores`]): the score is smooth in them (mixture posteriors,
//! Fisher terms, power normalisation, SVM), while the descriptors are histograms of block
//! motion, piecewise constant in it. Each descriptor's score is then spread flat over its
//! receptive field, as LRP's last step does. Integrated Gradients starts from the motionless
//! clip's descriptors (every block's motion removed, as deletion removes it), so its sum
//! explains `f(clip) − f(motionless clip)`. Occlusion needs no gradient: it removes the
//! motion of block × frame cuboids and records the score's drop.

use lrp::{
    integrated_gradients, smooth_grad, Attribute, Composite, Differentiable, Layer, LinearMap,
    LrpError, Network, Quadrature, SmoothGradSettings, Target, WeightMod,
};
use ndarray::{concatenate, s, Array1, Array2, Array3, ArrayD, ArrayView2, Axis, Ix2};
use pipeline::conservation::Completeness;

use crate::decode::MotionField;
use crate::error::VideoError;
use crate::explain::EditableClip;
use crate::explain::{descriptors_of, motionless, remove_motion, ClipMotion};
use crate::explain::{explain_descriptors, spread_over_fields, FisherTerms};
use crate::explain::{Clips, Cuboid, Method, Motionless};
use crate::features::ClipDescriptors;
use crate::model::VideoClassifier;

/// The class scores as a function of a clip's `count` descriptors after PCA, one row each,
/// the three types side by side `[count, d_hof + d_mbhx + d_mbhy]`.
pub struct DescriptorScores<'m> {
    model: &'m VideoClassifier,
    /// The normalisation and the SVM, for the gradient at the raw Fisher vector.
    head: Network,
    count: usize,
}

impl<'m> DescriptorScores<'m> {
    pub fn new(model: &'m VideoClassifier, count: usize) -> Self {
        DescriptorScores {
            model,
            head: Network::new(vec![
                Layer::PowerNorm(model.normalisation()),
                Layer::Dense(model.svm.clone()),
            ]),
            count,
        }
    }

    /// A clip's projected descriptors, the input [`DescriptorScores`] takes.
    pub fn input(&self, clip: &ClipDescriptors) -> Array2<f32> {
        let parts: Vec<Array2<f32>> = self
            .model
            .encoders
            .iter()
            .zip(&clip.channels)
            .map(|(e, x)| e.projection.apply(x.view()))
            .collect();
        concatenate(Axis(1), &parts.iter().map(|p| p.view()).collect::<Vec<_>>())
            .expect("one row per descriptor")
    }

    /// `x` split into the three types' columns, after checking its shape.
    fn parts<'x>(&self, x: &'x ArrayD<f32>) -> Result<Vec<ArrayView2<'x, f32>>, LrpError> {
        let dims: Vec<usize> = self.model.encoders.iter().map(|e| e.gmm.dims()).collect();
        let total: usize = dims.iter().sum();
        let x = x
            .view()
            .into_dimensionality::<Ix2>()
            .ok()
            .filter(|x| x.dim() == (self.count, total))
            .ok_or_else(|| {
                LrpError::InvalidMethod(format!(
                    "descriptor input of shape {:?}, expected [{}, {total}]",
                    x.shape(),
                    self.count
                ))
            })?;
        let mut start = 0;
        Ok(dims
            .iter()
            .map(|&d| {
                start += d;
                x.slice_move(s![.., start - d..start])
            })
            .collect())
    }

    fn raw_fisher_vector(&self, parts: &[ArrayView2<f32>]) -> Array1<f32> {
        let raw: Vec<Array1<f32>> = self
            .model
            .encoders
            .iter()
            .zip(parts)
            .map(|(e, y)| e.projected_term_sum(*y, self.count).mapv(|v| v as f32))
            .collect();
        VideoClassifier::raw_fisher_vector(&raw)
    }
}

impl Differentiable for DescriptorScores<'_> {
    fn outputs(&self, x: ArrayD<f32>) -> Result<Vec<f32>, LrpError> {
        Ok(self
            .head
            .forward(self.raw_fisher_vector(&self.parts(&x)?).into_dyn())?
            .output()
            .iter()
            .copied()
            .collect())
    }

    /// The gradient at the raw Fisher vector from the core, then through each type's Fisher
    /// terms ([`crate::features::FisherEncoder::projected_gradient`]).
    fn score_gradient(&self, x: ArrayD<f32>, class: usize) -> Result<(f32, ArrayD<f32>), LrpError> {
        let parts = self.parts(&x)?;
        let trace = self.head.forward(self.raw_fisher_vector(&parts).into_dyn())?;
        let at_raw = trace.gradient(&Target::Output(class))?;
        let mut offset = 0;
        let mut columns = Vec::with_capacity(3);
        for (encoder, y) in self.model.encoders.iter().zip(&parts) {
            columns.push(encoder.projected_gradient(
                *y,
                self.count,
                at_raw.slice(s![offset..offset + encoder.fisher_len()]),
            ));
            offset += encoder.fisher_len();
        }
        let gradient = concatenate(Axis(1), &columns.iter().map(|c| c.view()).collect::<Vec<_>>())
            .expect("one row per descriptor");
        let score = trace.output().iter().nth(class).copied().expect("the target was checked");
        Ok((score, gradient.into_dyn()))
    }
}

/// A clip's relevance per block and frame, and Integrated Gradients' completeness.
#[derive(Clone, Debug)]
pub struct BlockRelevance {
    /// `[frames, rows, cols]`.
    pub blocks: Array3<f32>,
    pub completeness: Option<Completeness>,
}

impl BlockRelevance {
    /// Relevance without a report of its completeness.
    fn plain(blocks: Array3<f32>) -> Self {
        BlockRelevance { blocks, completeness: None }
    }
}

/// A clip explained for `class`: what each method computes, onto blocks and frames.
struct ClipPass<'c> {
    model: &'c VideoClassifier,
    clip: &'c ClipMotion,
    class: usize,
}

impl ClipPass<'_> {
    fn scores(&self) -> DescriptorScores<'_> {
        DescriptorScores::new(self.model, self.clip.descriptors.fields.len())
    }

    /// Each descriptor's gradient norm `‖∂f_c/∂y_i‖₂`, spread over its receptive field.
    fn spread_norms(&self, gradient: ArrayD<f32>) -> Result<BlockRelevance, VideoError> {
        let gradient: Array2<f32> = gradient.into_dimensionality().expect("2-d");
        let norms: Array1<f32> =
            gradient.outer_iter().map(|r| r.iter().map(|v| v * v).sum::<f32>().sqrt()).collect();
        Ok(BlockRelevance::plain(spread_over_fields(&self.clip.descriptors, &norms)?))
    }
}

impl Attribute<Clips> for ClipPass<'_> {
    type Output = BlockRelevance;
    type Error = VideoError;

    fn lrp(&self, composite: &Composite) -> Result<BlockRelevance, VideoError> {
        let e =
            explain_descriptors(self.model, &self.clip.descriptors, Some(self.class), composite)?;
        Ok(BlockRelevance::plain(e.blocks))
    }

    fn sensitivity(&self) -> Result<BlockRelevance, VideoError> {
        let scores = self.scores();
        let (_, gradient) =
            scores.score_gradient(scores.input(&self.clip.descriptors).into_dyn(), self.class)?;
        self.spread_norms(gradient)
    }

    fn gradient_x_input(&self) -> Result<BlockRelevance, VideoError> {
        Ok(BlockRelevance::plain(gradient_times_input(
            self.model,
            &self.clip.descriptors,
            self.class,
        )?))
    }

    fn integrated_gradients(
        &self,
        steps: usize,
        quadrature: Quadrature,
        _: &Motionless,
    ) -> Result<BlockRelevance, VideoError> {
        let (model, clip, d) = (self.model, self.clip, &self.clip.descriptors);
        let scores = self.scores();
        let baseline = descriptors_of(model, &motionless(&clip.frames), clip.size)?;
        let ig = integrated_gradients(
            &scores,
            &scores.input(d).into_dyn(),
            &scores.input(&baseline).into_dyn(),
            self.class,
            steps,
            quadrature,
        )?;
        let per_descriptor =
            ig.attribution.into_dimensionality::<Ix2>().expect("2-d").sum_axis(Axis(1));
        Ok(BlockRelevance {
            blocks: spread_over_fields(d, &per_descriptor)?,
            completeness: Some(Completeness {
                baseline: Motionless::NAME.into(),
                steps,
                quadrature: quadrature.to_string(),
                score: ig.score,
                baseline_score: ig.baseline_score,
                error: ig.completeness_error,
            }),
        })
    }

    fn smooth_grad(&self, settings: &SmoothGradSettings) -> Result<BlockRelevance, VideoError> {
        let scores = self.scores();
        let mean = smooth_grad(
            &scores,
            &scores.input(&self.clip.descriptors).into_dyn(),
            self.class,
            settings,
        )?;
        self.spread_norms(mean)
    }

    fn occlusion(&self, &Cuboid { blocks, frames }: &Cuboid) -> Result<BlockRelevance, VideoError> {
        Ok(BlockRelevance::plain(occlusion(self.model, self.clip, self.class, blocks, frames)?))
    }
}

/// The relevance of `class`'s score on `clip` by `method`.
pub fn block_relevance(
    model: &VideoClassifier,
    clip: &ClipMotion,
    class: usize,
    method: &Method,
) -> Result<BlockRelevance, VideoError> {
    method.attribute(&ClipPass { model, clip, class })
}

/// Occlusion over cuboids tiling the clip, `side × side` blocks × `length` frames each: every
/// cell gets `f(clip) − f(clip without its cuboid's motion)`. Tiles, not a sliding window: a
/// stride of one block and one frame would take `side² · length` times as many evaluations.
fn occlusion(
    model: &VideoClassifier,
    clip: &ClipMotion,
    class: usize,
    side: usize,
    length: usize,
) -> Result<Array3<f32>, VideoError> {
    let (t_count, rows, cols) =
        (clip.frames.len(), clip.descriptors.grid.0, clip.descriptors.grid.1);
    let editable = EditableClip::new(model, clip);
    let score = editable.scores()[class];
    let mut out = Array3::<f32>::zeros((t_count, rows, cols));
    for t0 in (0..t_count).step_by(length) {
        for r0 in (0..rows).step_by(side) {
            for c0 in (0..cols).step_by(side) {
                let (ts, rs, cs) = (
                    t0..(t0 + length).min(t_count),
                    r0..(r0 + side).min(rows),
                    c0..(c0 + side).min(cols),
                );
                let edits: Vec<(usize, MotionField)> = ts
                    .clone()
                    .map(|t| {
                        let mut field = clip.frames[t].1.clone();
                        for r in rs.clone() {
                            for c in cs.clone() {
                                remove_motion(&mut field, r, c);
                            }
                        }
                        (t, field)
                    })
                    .collect();
                let drop = score - editable.scores_with(&edits)?[class];
                out.slice_mut(s![ts, rs, cs]).fill(drop);
            }
        }
    }
    Ok(out)
}

/// Gradient × Input at the descriptor level, spread flat over the receptive fields: each
/// descriptor's `φ_i · ∂score/∂Φ` (its input is its weight 1 in `Φ = Σ_i φ_i`), the gradient
/// taken by the core through the SVM and the normalisation (a [`lrp::Network`] of
/// [`lrp::PowerNorm`] and the SVM's [`lrp::Dense`]) and through the Fisher terms' transpose.
/// A gradient-based baseline for the perturbation curves, `[frames, rows, cols]`.
pub fn gradient_times_input(
    model: &VideoClassifier,
    clip: &ClipDescriptors,
    class: usize,
) -> Result<Array3<f32>, VideoError> {
    let n = clip.fields.len();
    let raw: Vec<Array1<f32>> =
        model.encoders.iter().zip(&clip.channels).map(|(e, x)| e.raw(x.view())).collect();
    let head = Network::new(vec![
        Layer::PowerNorm(model.normalisation()),
        Layer::Dense(model.svm.clone()),
    ]);
    let at_raw = head
        .forward(VideoClassifier::raw_fisher_vector(&raw).into_dyn())?
        .gradient(&Target::Output(class))?;
    let mut per_descriptor = Array1::<f32>::zeros(n);
    let mut offset = 0;
    for (encoder, x) in model.encoders.iter().zip(&clip.channels) {
        let part = at_raw.slice(s![offset..offset + encoder.fisher_len()]);
        offset += encoder.fisher_len();
        let map = FisherTerms { encoder, descriptors: x.view(), count: n };
        per_descriptor += &map
            .transpose(part.into_dyn(), WeightMod::Identity, &[n])
            .into_dimensionality::<ndarray::Ix1>()
            .expect("1-d");
    }
    spread_over_fields(clip, &per_descriptor)
}
