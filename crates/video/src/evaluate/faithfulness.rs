//! Judging video explanations, method by method, over a set's clips (the video half of
//! `evaluate`; the text half is `text::faithfulness`):
//!
//! - **deletion** curves: the most relevant block cells (frame, row, column) lose their motion
//!   first, either removed (no displacement, [`Imputation::Zero`]) or filled in from their
//!   neighbours' motion ([`Imputation::Neighbours`], after ROAD: Rong et al. 2022), so that a
//!   method is not rewarded for pushing the clip out of distribution; AOPC of each;
//! - **insertion** curves: from the motionless clip, the most relevant cells get their motion
//!   back first; the mean score along the curve;
//! - **localisation** of the positive relevance on the figure's masks of synthetic clips and
//!   on a planted cue (relevance mass and rank accuracy, pointing game; [`pipeline::localisation`]);
//! - the **randomisation** test: the SVM re-drawn, then the mixtures' means as well
//!   ([`CASCADE`]), and each method's block maps compared with the trained model's.
//!
//! Every clip is explained for the class the model predicts; a seeded random order is the
//! chance line.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ndarray::Array3;
use pipeline::localisation::Localisation;
use pipeline::metrics::argmax;
use pipeline::progress::Progress;
use pipeline::randomisation::RandomisationCurve;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::VideoError;
use crate::evaluate::perturbation_curves::ranked;
use crate::evaluate::{deletion_curve, insertion_curve, randomisation_test, Imputation};
use crate::explain::{block_relevance, ClipMotion, Method};
use crate::model::LabelledClip;
use crate::model::VideoClassifier;
use crate::synth::{artifact_rect, read_masks, ArtifactKind};

/// What to measure.
#[derive(Clone, Debug)]
pub struct VideoEvaluationSettings {
    pub methods: Vec<Method>,
    /// Deletion and insertion steps.
    pub steps: usize,
    /// Share of all cells deleted (or inserted) by the last step.
    pub fraction: f64,
    /// Clips in the randomisation test (spread evenly over the set).
    pub randomisation_clips: usize,
    /// Seeds the random order and the randomised models.
    pub seed: u64,
}

impl VideoEvaluationSettings {
    pub fn check(&self) -> Result<(), VideoError> {
        if self.methods.is_empty()
            || self.steps == 0
            || !(self.fraction > 0.0 && self.fraction <= 1.0)
        {
            return Err(VideoError::Settings(format!("evaluation settings: a method or more, steps ≥ 1 and a fraction in (0, 1] (got {} methods, {} steps, {})", self.methods.len(), self.steps, self.fraction)));
        }
        Ok(())
    }
}

/// One ranking's results over the clips.
#[derive(Clone, Debug, Serialize)]
pub struct VideoMethodScores {
    /// The method as written (`random` for the chance line).
    pub method: String,
    pub clips: usize,
    /// Mean class score after `k = 0 … steps` steps of deletion, motion removed.
    pub deletion: Vec<f64>,
    /// … motion filled in from the neighbours.
    pub deletion_imputed: Vec<f64>,
    /// Mean class score after `k` steps of insertion into the motionless clip.
    pub insertion: Vec<f64>,
    /// `mean_k (s_0 − s_k)` of each deletion curve: removed, imputed.
    pub aopc: [f64; 2],
    /// `mean_k s_k` of the insertion curve.
    pub insertion_area: f64,
    /// On the figure's masks, over the clips that have them.
    pub figure: Option<Localisation>,
    /// On the planted cue, over the clips that carry it.
    pub cue: Option<Localisation>,
    /// Integrated Gradients: the mean `|Σ R − (f(x) − f(x'))|` and the mean `|f(x) − f(x')|`
    /// over the clips.
    pub completeness: Option<[f64; 2]>,
    /// Seconds spent on this ranking's relevance, summed over threads.
    pub relevance_seconds: f64,
}

/// A model's evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct VideoEvaluation {
    pub model: String,
    pub clips: usize,
    pub steps: usize,
    pub fraction: f64,
    pub methods: Vec<VideoMethodScores>,
    pub randomisation: Vec<RandomisationCurve>,
    pub seconds: f64,
}

/// A set's planted cue: its kind and the clips that carry it.
pub type PlantedCue = (ArtifactKind, Vec<PathBuf>);

/// Per-frame pixel masks as cells of a `[frames, rows, cols]` grid of `block`-pixel blocks: a
/// cell is on the mask when at least half of its pixels are.
pub fn block_mask(
    masks: &[Vec<bool>],
    (width, height): (usize, usize),
    block: usize,
    (frames, rows, cols): (usize, usize, usize),
) -> Vec<bool> {
    let mut out = Vec::with_capacity(frames * rows * cols);
    for t in 0..frames {
        for r in 0..rows {
            for c in 0..cols {
                let (ys, xs) = (
                    r * block..((r + 1) * block).min(height),
                    c * block..((c + 1) * block).min(width),
                );
                let total = ys.len() * xs.len();
                let on = masks.get(t).map_or(0, |m| {
                    ys.clone()
                        .flat_map(|y| xs.clone().map(move |x| y * width + x))
                        .filter(|&i| m[i])
                        .count()
                });
                out.push(total > 0 && 2 * on >= total);
            }
        }
    }
    out
}

/// One clip's ground truth: the figure's cells and, if it carries the planted cue, the cue's.
struct Truth {
    figure: Option<Vec<bool>>,
    cue: Option<Vec<bool>>,
}

fn truth(
    clip: &LabelledClip,
    cue: Option<&PlantedCue>,
    block: usize,
    grid: (usize, usize, usize),
) -> Result<Truth, VideoError> {
    let mask_path = clip.path.with_extension("mask.pbm");
    if !mask_path.is_file() {
        return Ok(Truth { figure: None, cue: None });
    }
    let (w, h, masks) = read_masks(&mask_path)?;
    let cue = cue.filter(|(_, carriers)| carriers.contains(&clip.path)).map(|(kind, _)| {
        let cue_masks: Vec<Vec<bool>> = (0..grid.0)
            .map(|t| {
                let (xs, ys) = artifact_rect(*kind, w, h, t);
                (0..w * h).map(|i| xs.contains(&(i % w)) && ys.contains(&(i / w))).collect()
            })
            .collect();
        block_mask(&cue_masks, (w, h), block, grid)
    });
    Ok(Truth { figure: Some(block_mask(&masks, (w, h), block, grid)), cue })
}

/// One ranking's results on one clip (sums of one, for [`VideoMethodScores::add`]).
fn clip_scores(
    model: &VideoClassifier,
    clip: &ClipMotion,
    class: usize,
    name: String,
    map: &Array3<f32>,
    truth: &Truth,
    settings: &VideoEvaluationSettings,
) -> Result<VideoMethodScores, VideoError> {
    let order = ranked(map);
    let per_step =
        ((order.len() as f64 * settings.fraction / settings.steps as f64).round() as usize).max(1);
    let wide = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<_>>();
    // Localisation of the evidence for the class, R⁺: a signed map may sum to nearly zero
    // (Gradient × Input does, exactly: the Fisher vector's normalisation is scale-invariant),
    // and a share of a sum near zero says nothing.
    let positive: Vec<f32> = map.iter().map(|&r| r.max(0.0)).collect();
    let flat = positive.as_slice();
    Ok(VideoMethodScores {
        method: name,
        clips: 1,
        deletion: wide(deletion_curve(
            model,
            clip,
            class,
            &order,
            per_step,
            settings.steps,
            Imputation::Zero,
        )?),
        deletion_imputed: wide(deletion_curve(
            model,
            clip,
            class,
            &order,
            per_step,
            settings.steps,
            Imputation::Neighbours,
        )?),
        insertion: wide(insertion_curve(model, clip, class, &order, per_step, settings.steps)?),
        aopc: [0.0; 2],
        insertion_area: 0.0,
        figure: truth.figure.as_ref().and_then(|m| Localisation::of(flat, m)),
        cue: truth.cue.as_ref().and_then(|m| Localisation::of(flat, m)),
        completeness: None,
        relevance_seconds: 0.0,
    })
}

impl VideoMethodScores {
    fn add(&mut self, other: &VideoMethodScores) {
        let add = |a: &mut Vec<f64>, b: &Vec<f64>| a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        self.clips += other.clips;
        add(&mut self.deletion, &other.deletion);
        add(&mut self.deletion_imputed, &other.deletion_imputed);
        add(&mut self.insertion, &other.insertion);
        for (mine, theirs) in [(&mut self.figure, &other.figure), (&mut self.cue, &other.cue)] {
            if let Some(o) = theirs {
                mine.get_or_insert_with(Localisation::default).add(o);
            }
        }
        if let Some([error, gap]) = other.completeness {
            let sum = self.completeness.get_or_insert([0.0; 2]);
            sum[0] += error;
            sum[1] += gap;
        }
        self.relevance_seconds += other.relevance_seconds;
    }

    /// Sums made means, and the areas.
    fn finish(mut self) -> Self {
        let n = self.clips.max(1) as f64;
        for curve in [&mut self.deletion, &mut self.deletion_imputed, &mut self.insertion] {
            curve.iter_mut().for_each(|v| *v /= n);
        }
        let aopc = |c: &[f64]| c.iter().map(|s| c[0] - s).sum::<f64>() / c.len() as f64;
        self.aopc = [aopc(&self.deletion), aopc(&self.deletion_imputed)];
        self.insertion_area = self.insertion.iter().sum::<f64>() / self.insertion.len() as f64;
        self.figure = self.figure.map(Localisation::mean);
        self.cue = self.cue.map(Localisation::mean);
        self.completeness = self.completeness.map(|[error, gap]| [error / n, gap / n]);
        self
    }
}

/// Evaluates `settings.methods` (and a random order) on `clips`, in parallel over clips, then
/// the randomisation test on `settings.randomisation_clips` of them; `name` names the model.
pub fn evaluate_video(
    model: &VideoClassifier,
    name: &str,
    clips: &[LabelledClip],
    cue: Option<&PlantedCue>,
    settings: &VideoEvaluationSettings,
    progress: &Progress,
) -> Result<VideoEvaluation, VideoError> {
    settings.check()?;
    let started = Instant::now();
    let block = model.config.options.block;
    let total = clips.len() + settings.randomisation_clips.min(clips.len());
    let done = AtomicUsize::new(0);
    let per_clip: Vec<Vec<VideoMethodScores>> = clips
        .par_iter()
        .enumerate()
        .map(|(index, labelled)| -> Result<Vec<VideoMethodScores>, VideoError> {
            let clip = ClipMotion::read(model, &labelled.path, None)?;
            let class = argmax(&model.scores(&model.fisher_vector(&clip.descriptors)));
            let grid = (clip.frames.len(), clip.descriptors.grid.0, clip.descriptors.grid.1);
            let truth = truth(labelled, cue, block, grid)?;
            let mut rows = Vec::with_capacity(settings.methods.len() + 1);
            for method in &settings.methods {
                let start = Instant::now();
                let relevance = block_relevance(model, &clip, class, method)?;
                let seconds = start.elapsed().as_secs_f64();
                let mut row = clip_scores(
                    model,
                    &clip,
                    class,
                    method.to_string(),
                    &relevance.blocks,
                    &truth,
                    settings,
                )?;
                row.relevance_seconds = seconds;
                row.completeness = relevance
                    .completeness
                    .map(|c| [c.error.abs(), (c.score - c.baseline_score).abs()]);
                rows.push(row);
            }
            let mut random: Vec<f32> = (0..grid.0 * grid.1 * grid.2).map(|i| i as f32).collect();
            random.shuffle(&mut StdRng::seed_from_u64(settings.seed.wrapping_add(index as u64)));
            rows.push(clip_scores(
                model,
                &clip,
                class,
                "random".into(),
                &Array3::from_shape_vec(grid, random).expect("one per cell"),
                &truth,
                settings,
            )?);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            Ok(rows)
        })
        .collect::<Result<_, _>>()?;
    let methods: Vec<VideoMethodScores> = match per_clip.first() {
        None => Vec::new(),
        Some(first) => (0..first.len())
            .map(|m| {
                let mut sum = zeroed(&first[m]);
                per_clip.iter().for_each(|rows| sum.add(&rows[m]));
                sum.finish()
            })
            .collect(),
    };
    let sample = pipeline::split::evenly_spread(clips, Some(settings.randomisation_clips));
    let randomisation = if settings.randomisation_clips == 0 {
        Vec::new()
    } else {
        randomisation_test(model, &sample, &settings.methods, settings.seed, &|_, _| {
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total)
        })?
    };
    Ok(VideoEvaluation {
        model: name.to_string(),
        clips: clips.len(),
        steps: settings.steps,
        fraction: settings.fraction,
        methods,
        randomisation,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A clip's row with every sum at zero (the curves' lengths kept).
fn zeroed(row: &VideoMethodScores) -> VideoMethodScores {
    let zeros = |v: &Vec<f64>| vec![0.0; v.len()];
    VideoMethodScores {
        method: row.method.clone(),
        clips: 0,
        deletion: zeros(&row.deletion),
        deletion_imputed: zeros(&row.deletion_imputed),
        insertion: zeros(&row.insertion),
        aopc: [0.0; 2],
        insertion_area: 0.0,
        figure: None,
        cue: None,
        completeness: None,
        relevance_seconds: 0.0,
    }
}

/// Several models' evaluations on one set.
#[derive(Clone, Debug, Serialize)]
pub struct VideoEvaluationReport {
    pub steps: usize,
    pub fraction: f64,
    pub models: Vec<VideoEvaluation>,
}

impl VideoEvaluationReport {
    /// The results as Markdown tables, one per model.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for m in &self.models {
            let _ = writeln!(
                out,
                "### {} — {} clips, {} steps of {:.1} % of the block cells
",
                m.model,
                m.clips,
                self.steps,
                100.0 * self.fraction / self.steps as f64
            );
            let (figure, cue) = (
                m.methods.iter().any(|s| s.figure.is_some()),
                m.methods.iter().any(|s| s.cue.is_some()),
            );
            let mut header =
                String::from("| method | AOPC removed | AOPC imputed | insertion area |");
            if figure {
                header.push_str(" figure mass | figure rank | figure pointing |");
            }
            if cue {
                header.push_str(" cue mass | cue pointing |");
            }
            header.push_str(" ρ after SVM | ρ after +means | IG error / gap | s per clip |");
            let columns = header.matches('|').count() - 1;
            let _ = writeln!(out, "{header}\n|{}", "---|".repeat(columns));
            for s in &m.methods {
                let mut row = format!(
                    "| {} | {:.4} | {:.4} | {:.4} |",
                    s.method, s.aopc[0], s.aopc[1], s.insertion_area
                );
                let localisation = |l: &Option<Localisation>, full: bool| match (l, full) {
                    (Some(l), true) => format!(
                        " {:.3} | {:.3} | {:.3} |",
                        l.mass_accuracy, l.rank_accuracy, l.pointing_game
                    ),
                    (Some(l), false) => {
                        format!(" {:.3} | {:.3} |", l.mass_accuracy, l.pointing_game)
                    }
                    (None, true) => " – | – | – |".into(),
                    (None, false) => " – | – |".into(),
                };
                if figure {
                    row.push_str(&localisation(&s.figure, true));
                }
                if cue {
                    row.push_str(&localisation(&s.cue, false));
                }
                match m.randomisation.iter().find(|r| r.method == s.method) {
                    Some(r) => {
                        for step in &r.steps {
                            let _ = write!(row, " {:.3} |", step.spearman);
                        }
                        if r.flagged {
                            row.insert_str(row.len() - 2, " (flagged)");
                        }
                    }
                    None => row.push_str(" – | – |"),
                }
                let _ = write!(
                    row,
                    " {} | {:.3} |",
                    s.completeness.map_or("–".into(), |[error, gap]| format!(
                        "{:.2} %",
                        100.0 * error / gap.max(1e-12)
                    )),
                    s.relevance_seconds / s.clips.max(1) as f64
                );
                let _ = writeln!(out, "{row}");
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests;
