//! A clip's relevance per block and frame by any method, as written on the command line:
//! `lrp` (with a rule or composite for the chain, see [`crate::explain`]), `sa`, `gxi`,
//! `ig[:steps=N,quadrature=midpoint|gauss-legendre|graded]`, `smoothgrad[:samples=N,noise=F,seed=S]` and
//! `occlusion[:blocks=B,frames=F]`.
//!
//! The gradient methods differentiate the class score with respect to the clip's descriptors
//! after PCA, `y_i` ([`DescriptorScores`]): the score is smooth in them (mixture posteriors,
//! Fisher terms, power normalisation, SVM), while the descriptors are histograms of block
//! motion, piecewise constant in it. Each descriptor's score is then spread flat over its
//! receptive field, as LRP's last step does. Integrated Gradients starts from the motionless
//! clip's descriptors (every block's motion removed, as deletion removes it), so its sum
//! explains `f(clip) − f(motionless clip)`. Occlusion needs no gradient: it removes the
//! motion of block × frame cuboids and records the score's drop.

use std::fmt;

use lrp::{
    integrated_gradients, smooth_grad, Composite, Differentiable, Layer, LrpError, Network,
    Quadrature, SmoothGradSettings, Target,
};
use ndarray::{concatenate, s, Array1, Array2, Array3, ArrayD, ArrayView2, Axis, Ix2};
use pipeline::conservation::Completeness;
use pipeline::method_spec::{MethodSpec, SMOOTHGRAD_KEYS};

use crate::decode::MotionField;
use crate::error::VideoError;
use crate::explain::EditableClip;
use crate::explain::{descriptors_of, motionless, remove_motion, ClipMotion};
use crate::explain::{explain_descriptors, gradient_times_input, spread_over_fields, DEFAULT_RULE};
use crate::features::ClipDescriptors;
use crate::model::VideoClassifier;

/// How a clip's relevance is computed.
#[derive(Clone, Debug, PartialEq)]
pub enum Method {
    /// LRP through the chain with a rule per step.
    Lrp(Composite),
    /// Sensitivity: `‖∂f_c/∂y_i‖₂` per descriptor (unsigned).
    Sensitivity,
    /// Gradient × Input with each descriptor's presence as its input:
    /// `φ_i · ∂f_c/∂Φ` (see [`gradient_times_input`]).
    GradientXInput,
    /// Integrated Gradients from the motionless clip, `steps` midpoints, summed per descriptor.
    IntegratedGradients { steps: usize, quadrature: Quadrature },
    /// SmoothGrad: the mean gradient over noisy copies of the descriptors, its norm per
    /// descriptor like SA (unsigned).
    SmoothGrad(SmoothGradSettings),
    /// Occlusion: the score's drop when the motion of a cuboid of `blocks × blocks` blocks ×
    /// `frames` frames is removed, given to each of its cells (cuboids tile the clip).
    Occlusion { blocks: usize, frames: usize },
}

/// Integrated Gradients' default steps.
pub const IG_STEPS: usize = 32;
/// SmoothGrad's defaults, as for text.
pub const SMOOTHGRAD: SmoothGradSettings = SmoothGradSettings { samples: 16, noise: 0.15, seed: 0 };
/// Occlusion's default cuboid: a descriptor's side and length.
pub const OCCLUSION: (usize, usize) = (2, 5);

impl Method {
    /// `method` as written, with the rule (or composite) LRP uses.
    pub fn parse(method: &str, rule: &str) -> Result<Self, VideoError> {
        let spec = MethodSpec::parse(method, |name| match name {
            "ig" => &["steps", "quadrature"],
            "smoothgrad" => SMOOTHGRAD_KEYS,
            "occlusion" => &["blocks", "frames"],
            _ => &[],
        })
        .map_err(VideoError::Settings)?;
        Ok(match spec.name.as_str() {
            "lrp" => Method::Lrp(
                rule.parse().map_err(|e| VideoError::Settings(format!("rule `{rule}`: {e}")))?,
            ),
            "sa" => Method::Sensitivity,
            "gxi" => Method::GradientXInput,
            "ig" => Method::IntegratedGradients {
                steps: spec.count("steps", IG_STEPS).map_err(VideoError::Settings)?,
                quadrature: spec
                    .get("quadrature")
                    .unwrap_or("midpoint")
                    .parse()
                    .map_err(|e| VideoError::Settings(spec.error(e)))?,
            },
            "smoothgrad" => {
                Method::SmoothGrad(spec.smooth_grad(SMOOTHGRAD).map_err(VideoError::Settings)?)
            }
            "occlusion" => Method::Occlusion {
                blocks: spec.count("blocks", OCCLUSION.0).map_err(VideoError::Settings)?,
                frames: spec.count("frames", OCCLUSION.1).map_err(VideoError::Settings)?,
            },
            other => {
                return Err(VideoError::Settings(format!(
                    "method `{other}`: expected lrp, sa, gxi, ig, smoothgrad or occlusion"
                )))
            }
        })
    }

    /// The method's name without its settings.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Lrp(_) => "lrp",
            Method::Sensitivity => "sa",
            Method::GradientXInput => "gxi",
            Method::IntegratedGradients { .. } => "ig",
            Method::SmoothGrad(_) => "smoothgrad",
            Method::Occlusion { .. } => "occlusion",
        }
    }
}

/// `lrp RULES` (or `lrp` alone, the default rule) or a method with its settings.
impl std::str::FromStr for Method {
    type Err = VideoError;

    fn from_str(written: &str) -> Result<Self, VideoError> {
        match written.trim().split_once(' ') {
            Some((name, rule)) if name.eq_ignore_ascii_case("lrp") => {
                Method::parse(name, rule.trim())
            }
            _ => Method::parse(written, DEFAULT_RULE),
        }
    }
}

/// As [`Method::parse`] reads it (with LRP's rules after a space).
impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Method::Lrp(composite) => write!(f, "lrp {composite}"),
            Method::Sensitivity | Method::GradientXInput => f.write_str(self.name()),
            Method::IntegratedGradients { steps, quadrature: Quadrature::Midpoint } => {
                write!(f, "ig:steps={steps}")
            }
            Method::IntegratedGradients { steps, quadrature } => {
                write!(f, "ig:steps={steps},quadrature={quadrature}")
            }
            Method::SmoothGrad(s) => {
                write!(f, "smoothgrad:samples={},noise={},seed={}", s.samples, s.noise, s.seed)
            }
            Method::Occlusion { blocks, frames } => {
                write!(f, "occlusion:blocks={blocks},frames={frames}")
            }
        }
    }
}

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

/// The relevance of `class`'s score on `clip` by `method`.
pub fn block_relevance(
    model: &VideoClassifier,
    clip: &ClipMotion,
    class: usize,
    method: &Method,
) -> Result<BlockRelevance, VideoError> {
    let d = &clip.descriptors;
    let plain = |blocks| Ok(BlockRelevance { blocks, completeness: None });
    let row_norms = |g: &Array2<f32>| -> Array1<f32> {
        g.outer_iter().map(|r| r.iter().map(|v| v * v).sum::<f32>().sqrt()).collect()
    };
    match method {
        Method::Lrp(rules) => plain(explain_descriptors(model, d, Some(class), rules)?.blocks),
        Method::GradientXInput => plain(gradient_times_input(model, d, class)?),
        Method::Sensitivity => {
            let scores = DescriptorScores::new(model, d.fields.len());
            let (_, gradient) = scores.score_gradient(scores.input(d).into_dyn(), class)?;
            plain(spread_over_fields(d, &row_norms(&gradient.into_dimensionality().expect("2-d")))?)
        }
        Method::SmoothGrad(settings) => {
            let scores = DescriptorScores::new(model, d.fields.len());
            let mean = smooth_grad(&scores, &scores.input(d).into_dyn(), class, settings)?;
            plain(spread_over_fields(d, &row_norms(&mean.into_dimensionality().expect("2-d")))?)
        }
        Method::IntegratedGradients { steps, quadrature } => {
            let scores = DescriptorScores::new(model, d.fields.len());
            let baseline = descriptors_of(model, &motionless(&clip.frames), clip.size)?;
            let ig = integrated_gradients(
                &scores,
                &scores.input(d).into_dyn(),
                &scores.input(&baseline).into_dyn(),
                class,
                *steps,
                *quadrature,
            )?;
            let per_descriptor =
                ig.attribution.into_dimensionality::<Ix2>().expect("2-d").sum_axis(Axis(1));
            Ok(BlockRelevance {
                blocks: spread_over_fields(d, &per_descriptor)?,
                completeness: Some(Completeness {
                    baseline: "motionless".into(),
                    steps: *steps,
                    quadrature: quadrature.to_string(),
                    score: ig.score,
                    baseline_score: ig.baseline_score,
                    error: ig.completeness_error,
                }),
            })
        }
        Method::Occlusion { blocks, frames } => {
            plain(occlusion(model, clip, class, *blocks, *frames)?)
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_read_back_as_they_are_written() {
        let parse = |m: &str| m.parse::<Method>().unwrap();
        assert_eq!(
            parse("ig"),
            Method::IntegratedGradients { steps: IG_STEPS, quadrature: Quadrature::Midpoint }
        );
        assert_eq!(
            parse("ig:steps=8,quadrature=gauss-legendre"),
            Method::IntegratedGradients { steps: 8, quadrature: Quadrature::GaussLegendre }
        );
        for m in [
            "ig:steps=8",
            "ig:steps=8,quadrature=gauss-legendre",
            "occlusion:blocks=2,frames=5",
            "sa",
            "gxi",
        ] {
            assert_eq!(parse(m).to_string(), m);
        }
        let wrong = "ig:quadrature=simpson".parse::<Method>().unwrap_err().to_string();
        assert!(wrong.contains("quadrature `simpson`"), "{wrong}");
    }
}
