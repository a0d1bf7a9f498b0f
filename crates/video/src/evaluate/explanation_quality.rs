//! How good a video explanation is: a perturbation curve (remove the motion of the most
//! relevant blocks first, in the spirit of the seed's evaluation, against Gradient × Input and
//! random orders), and,
//! on synthetic clips, the share of positive relevance on the figure's mask or on a planted cue.

use ndarray::Array3;
use pipeline::progress::Progress;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;

use crate::decode::FrameKind;
use crate::decode::MotionField;
use crate::error::VideoError;
use crate::evaluate::{deletion_curve, Imputation};
use crate::explain::ClipMotion;
use crate::features::ClipDescriptors;
use crate::model::VideoClassifier;

/// Scores after each removal step for one ordering of the blocks.
#[derive(Clone, Debug, Serialize)]
pub struct PerturbationCurve {
    pub order: String,
    /// The class score before any removal, then after each step.
    pub scores: Vec<f32>,
    /// Area over the perturbation curve: mean of `score₀ − score_k` over the steps.
    pub aopc: f32,
}

/// Block cells (frame, row, col) removed step by step.
#[derive(Clone, Debug, Serialize)]
pub struct Perturbation {
    pub cells: usize,
    pub cells_per_step: usize,
    pub curves: Vec<PerturbationCurve>,
}

fn aopc(scores: &[f32]) -> f32 {
    let first = scores[0];
    scores.iter().map(|s| first - s).sum::<f32>() / scores.len() as f32
}

/// How a clip's cells are removed for the perturbation curves: `steps` steps of
/// `fraction / steps` of all cells each, in the explanations' orders and in `random_orders`
/// seeded random ones.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerturbationSettings {
    pub steps: usize,
    pub fraction: f64,
    pub random_orders: usize,
}

/// The perturbation curves of a clip's fields for `class`: cells by decreasing LRP relevance
/// and by decreasing Gradient × Input (both `[frames, rows, cols]`), and random orders.
pub fn perturbation(
    model: &VideoClassifier,
    (frames, size): (&[(FrameKind, MotionField)], (usize, usize)),
    class: usize,
    relevance: &Array3<f32>,
    gradient_input: &Array3<f32>,
    settings: &PerturbationSettings,
) -> Result<Perturbation, VideoError> {
    let PerturbationSettings { steps, fraction, random_orders } = *settings;
    let clip = ClipMotion::new(model, frames.to_vec(), size)?;
    let curve = |order: &[(usize, usize, usize)],
                 per_step: usize,
                 name: String|
     -> Result<PerturbationCurve, VideoError> {
        let scores = deletion_curve(model, &clip, class, order, per_step, steps, Imputation::Zero)?;
        Ok(PerturbationCurve { order: name, aopc: aopc(&scores), scores })
    };
    let mut cells: Vec<(usize, usize, usize)> = relevance.indexed_iter().map(|(i, _)| i).collect();
    let per_step = ((cells.len() as f64 * fraction / steps.max(1) as f64).round() as usize).max(1);
    cells.sort_by(|a, b| relevance[[b.0, b.1, b.2]].total_cmp(&relevance[[a.0, a.1, a.2]]));
    let mut curves = vec![curve(&cells, per_step, "lrp".into())?];
    cells.sort_by(|a, b| {
        gradient_input[[b.0, b.1, b.2]].total_cmp(&gradient_input[[a.0, a.1, a.2]])
    });
    curves.push(curve(&cells, per_step, "gradient×input".into())?);
    for seed in 0..random_orders {
        cells.shuffle(&mut StdRng::seed_from_u64(seed as u64));
        curves.push(curve(&cells, per_step, format!("random-{seed}"))?);
    }
    Ok(Perturbation { cells: cells.len(), cells_per_step: per_step, curves })
}

/// How positive relevance falls on a region.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct RegionShare {
    /// Share of the positive relevance on the region.
    pub relevance: f32,
    /// Share of the picture's area the region covers (what evenly spread relevance would get).
    pub area: f32,
}

/// The share of positive block relevance that falls on per-pixel masks (`masks[t]` is
/// row-major `width × height`), each block counted by the fraction of its pixels on the mask.
pub fn region_share(
    relevance: &Array3<f32>,
    masks: &[Vec<bool>],
    width: usize,
    height: usize,
    block: usize,
) -> RegionShare {
    let (frames, rows, cols) = relevance.dim();
    let (mut on, mut all, mut area, mut pixels) = (0f64, 0f64, 0f64, 0f64);
    for t in 0..frames.min(masks.len()) {
        for r in 0..rows {
            for c in 0..cols {
                let (ys, xs) = (
                    r * block..((r + 1) * block).min(height),
                    c * block..((c + 1) * block).min(width),
                );
                let total = (ys.len() * xs.len()) as f64;
                let covered = ys
                    .clone()
                    .flat_map(|y| xs.clone().map(move |x| (x, y)))
                    .filter(|&(x, y)| masks[t][y * width + x])
                    .count() as f64;
                let positive = f64::from(relevance[[t, r, c]].max(0.0));
                if total > 0.0 {
                    on += positive * covered / total;
                }
                all += positive;
                area += covered;
                pixels += total;
            }
        }
    }
    RegionShare {
        relevance: if all > 0.0 { (on / all) as f32 } else { 0.0 },
        area: if pixels > 0.0 { (area / pixels) as f32 } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_share_weights_blocks_by_covered_pixels() {
        // One frame, 2×2 blocks of 2 pixels; the mask covers block (0, 0) and half of (0, 1).
        let mut relevance = Array3::zeros((1, 2, 2));
        relevance[[0, 0, 0]] = 1.0;
        relevance[[0, 0, 1]] = 2.0;
        relevance[[0, 1, 1]] = 1.0;
        relevance[[0, 1, 0]] = -5.0; // negative relevance is left out
        let mask: Vec<bool> = (0..16)
            .map(|i| {
                let (x, y) = (i % 4, i / 4);
                y < 2 && x <= 2
            })
            .collect();
        let share = region_share(&relevance, &[mask], 4, 4, 2);
        assert!((share.relevance - (1.0 + 2.0 * 0.5) / 4.0).abs() < 1e-6, "{share:?}");
        assert!((share.area - 6.0 / 16.0).abs() < 1e-6);
    }

    #[test]
    fn aopc_is_the_mean_drop() {
        assert_eq!(aopc(&[3.0, 2.0, 1.0, 0.0]), (0.0 + 1.0 + 2.0 + 3.0) / 4.0);
    }
}

/// Per class: how relevance fell on the figure (and on a planted cue).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClassShares {
    pub class: String,
    pub clips: usize,
    pub figure: RegionShare,
    /// Over the class's clips that carry a planted cue, if any do.
    pub cue: Option<RegionShare>,
}

/// The evaluation of explanations over a set's held-out clips.
#[derive(Clone, Debug, Serialize)]
pub struct RelevanceReport {
    /// Correctly classified clips explained (for their true class).
    pub clips: usize,
    pub steps: usize,
    pub fraction: f64,
    /// Mean score after each step, per ordering ("lrp", "gradient×input", "random": the mean
    /// of the random orders).
    pub mean_curves: Vec<PerturbationCurve>,
    pub per_class: Vec<ClassShares>,
}

/// A synthetic set's planted cue, from its `manifest.json`: its kind and the clips that
/// carry it (paths below `root`).
pub fn planted_cue(
    root: &std::path::Path,
) -> Option<(crate::synth::ArtifactKind, Vec<std::path::PathBuf>)> {
    let text = std::fs::read_to_string(root.join("manifest.json")).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let kind = value.get("options")?.get("artifact")?.as_array()?.get(1)?.as_str()?.parse().ok()?;
    let clips = value
        .get("clips")?
        .as_array()?
        .iter()
        .filter(|c| c["artifact"] == true)
        .filter_map(|c| c["video"].as_str().map(|v| root.join(v)))
        .collect();
    Some((kind, clips))
}

/// Explains every correctly classified clip for its true class and measures the
/// explanations: perturbation curves (LRP order, G×I order and random ones) and, where a clip
/// has a `.mask.pbm` beside it, the share on the figure (and on the cue in the clips that
/// carry it).
pub fn evaluate_relevance(
    model: &VideoClassifier,
    clips: &[crate::model::LabelledClip],
    cue: Option<&(crate::synth::ArtifactKind, Vec<std::path::PathBuf>)>,
    settings: &PerturbationSettings,
    rules: &lrp::Composite,
    progress: &Progress,
) -> Result<RelevanceReport, VideoError> {
    use rayon::prelude::*;
    let PerturbationSettings { steps, fraction, .. } = *settings;
    let classes = &model.config.classes;
    let block = model.config.options.block;
    let done = std::sync::atomic::AtomicUsize::new(0);
    type Outcome = Option<(usize, Perturbation, Option<RegionShare>, Option<RegionShare>)>;
    let outcomes: Vec<Outcome> = clips
        .par_iter()
        .map(|clip| -> Result<Outcome, VideoError> {
            let reader = crate::decode::MotionReader::open(
                &clip.path,
                crate::decode::MotionOptions {
                    block,
                    pictures: false,
                    ..crate::decode::MotionOptions::default()
                },
            )?;
            let size = (reader.info().width, reader.info().height);
            let frames: Vec<(FrameKind, MotionField)> =
                reader.map(|f| f.map(|f| (f.kind, f.field))).collect::<Result<_, _>>()?;
            let d = ClipDescriptors::from_fields(
                frames.iter().map(|(k, f)| Ok((*k, f))),
                size,
                model.config.options.descriptor,
            )?;
            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, clips.len());
            if model.predict_descriptors(&d).class != clip.label {
                return Ok(None);
            }
            let e = crate::explain::explain_descriptors(model, &d, Some(clip.label), rules)?;
            let gi = crate::explain::gradient_times_input(model, &d, clip.label)?;
            let p = perturbation(model, (&frames, size), clip.label, &e.blocks, &gi, settings)?;
            let mask_path = clip.path.with_extension("mask.pbm");
            let (figure, cue_share) = if mask_path.is_file() {
                let (w, h, masks) = crate::synth::read_masks(&mask_path)?;
                let figure = region_share(&e.blocks, &masks, w, h, block);
                let cue_share =
                    cue.filter(|(_, carriers)| carriers.contains(&clip.path)).map(|(kind, _)| {
                        let cue_masks: Vec<Vec<bool>> = (0..masks.len())
                            .map(|t| {
                                let (xs, ys) = crate::synth::artifact_rect(*kind, w, h, t);
                                (0..w * h)
                                    .map(|i| xs.contains(&(i % w)) && ys.contains(&(i / w)))
                                    .collect()
                            })
                            .collect();
                        region_share(&e.blocks, &cue_masks, w, h, block)
                    });
                (Some(figure), cue_share)
            } else {
                (None, None)
            };
            Ok(Some((clip.label, p, figure, cue_share)))
        })
        .collect::<Result<_, _>>()?;
    let explained: Vec<_> = outcomes.into_iter().flatten().collect();
    let mean_curve =
        |name: &str, pick: &dyn Fn(&Perturbation) -> Vec<Vec<f32>>| -> PerturbationCurve {
            let all: Vec<Vec<f32>> = explained.iter().flat_map(|(_, p, _, _)| pick(p)).collect();
            let scores: Vec<f32> = (0..=steps)
                .map(|k| all.iter().map(|s| s[k]).sum::<f32>() / all.len().max(1) as f32)
                .collect();
            PerturbationCurve {
                order: name.to_string(),
                aopc: all.iter().map(|s| aopc(s)).sum::<f32>() / all.len().max(1) as f32,
                scores,
            }
        };
    let mean_curves = if explained.is_empty() {
        Vec::new()
    } else {
        vec![
            mean_curve("lrp", &|p| vec![p.curves[0].scores.clone()]),
            mean_curve("gradient×input", &|p| vec![p.curves[1].scores.clone()]),
            mean_curve("random", &|p| p.curves[2..].iter().map(|c| c.scores.clone()).collect()),
        ]
    };
    let per_class = classes
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let mine: Vec<_> = explained.iter().filter(|(label, ..)| *label == k).collect();
            let mean = |shares: Vec<RegionShare>| -> Option<RegionShare> {
                let n = shares.len() as f32;
                (n > 0.0).then(|| RegionShare {
                    relevance: shares.iter().map(|s| s.relevance).sum::<f32>() / n,
                    area: shares.iter().map(|s| s.area).sum::<f32>() / n,
                })
            };
            ClassShares {
                class: name.clone(),
                clips: mine.len(),
                figure: mean(mine.iter().filter_map(|(_, _, f, _)| *f).collect())
                    .unwrap_or_default(),
                cue: mean(mine.iter().filter_map(|(_, _, _, c)| *c).collect()),
            }
        })
        .collect();
    Ok(RelevanceReport { clips: explained.len(), steps, fraction, mean_curves, per_class })
}
