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

use ndarray::{Array2, Array3};
use pipeline::localisation::Localisation;
use pipeline::metrics::argmax;
use pipeline::progress::Progress;
use pipeline::randomisation::{
    correlations, curves, redraw, InputCorrelations, RandomisationCurve,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::Serialize;

use crate::decode::MotionField;
use crate::error::VideoError;
use crate::explain::EditableClip;
use crate::explain::{block_relevance, motionless, remove_motion, ClipMotion, Method};
use crate::model::LabelledClip;
use crate::model::VideoClassifier;
use crate::synth::{artifact_rect, read_masks, ArtifactKind};

/// What is randomised, step by step, from the top.
pub const CASCADE: [&str; 2] = ["svm", "gmm-means"];

/// How a deleted cell's motion is filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imputation {
    /// No motion.
    Zero,
    /// The harmonic fill of its frame's other cells: each deleted cell the mean of its four
    /// neighbours (deleted ones by their own fill), so the fill carries no trace of the order.
    Neighbours,
}

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

/// `model` with the first `steps` parts of [`CASCADE`] re-drawn from `N(0, σ²)` at their
/// own deviation: the SVM's weights and biases, then every mixture's means.
pub fn randomised_classifier(model: &VideoClassifier, steps: usize, seed: u64) -> VideoClassifier {
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut svm, mut encoders) = (model.svm.clone(), model.encoders.clone());
    redraw(&mut svm.weight, &mut rng);
    svm.bias.iter_mut().for_each(|b| redraw(b, &mut rng));
    if steps >= 2 {
        encoders.iter_mut().for_each(|e| redraw(&mut e.gmm.means, &mut rng));
    }
    VideoClassifier { config: model.config.clone(), encoders, svm }
}

/// Fills the `removed` cells of `field` from `original`'s other cells by [`Imputation::Neighbours`]
/// (Gauss–Seidel sweeps until no fill moves by 10⁻⁴ pixels); a frame with every cell removed
/// stays motionless.
pub fn impute_from_neighbours(field: &mut MotionField, removed: &Array2<bool>) {
    let (rows, cols) = removed.dim();
    for (r, c) in removed.indexed_iter().filter(|(_, &m)| m).map(|(i, _)| i) {
        remove_motion(field, r, c);
    }
    if removed.iter().all(|&m| m) {
        return;
    }
    for _ in 0..500 {
        let mut moved = 0f32;
        for r in 0..rows {
            for c in 0..cols {
                if !removed[[r, c]] {
                    continue;
                }
                let neighbours: Vec<(usize, usize)> =
                    [(r.wrapping_sub(1), c), (r + 1, c), (r, c.wrapping_sub(1)), (r, c + 1)]
                        .into_iter()
                        .filter(|&(y, x)| y < rows && x < cols)
                        .collect();
                let n = neighbours.len() as f32;
                let (dx, dy) = neighbours.iter().fold((0.0, 0.0), |(a, b), &(y, x)| {
                    (a + field.dx[[y, x]], b + field.dy[[y, x]])
                });
                moved = moved
                    .max((dx / n - field.dx[[r, c]]).abs())
                    .max((dy / n - field.dy[[r, c]]).abs());
                field.dx[[r, c]] = dx / n;
                field.dy[[r, c]] = dy / n;
                field.has_vector[[r, c]] = true;
            }
        }
        if moved < 1e-4 {
            break;
        }
    }
}

/// Scores of `class` after each step of deleting `order`'s cells, `per_step` at a time. Each
/// step edits only the frames it deletes in (an [`EditableClip`]), and the imputed fill of a
/// frame is computed again from all its deleted cells.
pub fn deletion_curve(
    model: &VideoClassifier,
    clip: &ClipMotion,
    class: usize,
    order: &[(usize, usize, usize)],
    per_step: usize,
    steps: usize,
    imputation: Imputation,
) -> Result<Vec<f32>, VideoError> {
    let mut removed: Vec<Array2<bool>> =
        clip.frames.iter().map(|(_, f)| Array2::from_elem(f.dx.dim(), false)).collect();
    let mut editable = EditableClip::new(model, clip);
    let mut scores = vec![editable.scores()[class]];
    for step in 0..steps {
        let mut frames: Vec<usize> = Vec::new();
        for &(t, r, c) in order.iter().skip(step * per_step).take(per_step) {
            removed[t][[r, c]] = true;
            frames.push(t);
        }
        frames.sort_unstable();
        frames.dedup();
        let edits = frames
            .into_iter()
            .map(|t| {
                let (mut field, gone) = (clip.frames[t].1.clone(), &removed[t]);
                match imputation {
                    Imputation::Zero => gone
                        .indexed_iter()
                        .filter(|(_, &m)| m)
                        .for_each(|((r, c), _)| remove_motion(&mut field, r, c)),
                    Imputation::Neighbours => impute_from_neighbours(&mut field, gone),
                }
                (t, field)
            })
            .collect();
        scores.push(editable.apply(edits)?[class]);
    }
    Ok(scores)
}

/// Scores of `class` from the motionless clip, `order`'s cells getting their motion back
/// `per_step` at a time.
pub fn insertion_curve(
    model: &VideoClassifier,
    clip: &ClipMotion,
    class: usize,
    order: &[(usize, usize, usize)],
    per_step: usize,
    steps: usize,
) -> Result<Vec<f32>, VideoError> {
    let mut editable = EditableClip::from_frames(model, motionless(&clip.frames), clip.size)?;
    let mut scores = vec![editable.scores()[class]];
    for step in 0..steps {
        let mut edits: Vec<(usize, MotionField)> = Vec::new();
        for &(t, r, c) in order.iter().skip(step * per_step).take(per_step) {
            let i = match edits.iter().position(|(frame, _)| *frame == t) {
                Some(i) => i,
                None => {
                    edits.push((t, editable.frames()[t].1.clone()));
                    edits.len() - 1
                }
            };
            let (target, source) = (&mut edits[i].1, &clip.frames[t].1);
            target.dx[[r, c]] = source.dx[[r, c]];
            target.dy[[r, c]] = source.dy[[r, c]];
            target.has_vector[[r, c]] = source.has_vector[[r, c]];
        }
        scores.push(editable.apply(edits)?[class]);
    }
    Ok(scores)
}

/// The cells of a `[frames, rows, cols]` map by decreasing value (ties by position).
fn ranked(map: &Array3<f32>) -> Vec<(usize, usize, usize)> {
    let mut cells: Vec<(usize, usize, usize)> = map.indexed_iter().map(|(i, _)| i).collect();
    cells.sort_by(|a, b| map[[b.0, b.1, b.2]].total_cmp(&map[[a.0, a.1, a.2]]).then(a.cmp(b)));
    cells
}

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

/// The randomisation test on `clips`: per step of [`CASCADE`], each method's block map under
/// the randomised model against the trained model's (Spearman ρ, and of |R|), for the class
/// the trained model predicts.
pub fn randomisation_test(
    model: &VideoClassifier,
    clips: &[LabelledClip],
    methods: &[Method],
    seed: u64,
    progress: &Progress,
) -> Result<Vec<RandomisationCurve>, VideoError> {
    let models: Vec<VideoClassifier> =
        (1..=CASCADE.len()).map(|k| randomised_classifier(model, k, seed)).collect();
    let done = AtomicUsize::new(0);
    let per_clip: Vec<InputCorrelations> = clips
        .par_iter()
        .map(|labelled| -> Result<InputCorrelations, VideoError> {
            let clip = ClipMotion::read(model, &labelled.path, None)?;
            let class = argmax(&model.scores(&model.fisher_vector(&clip.descriptors)));
            let map = |m: &VideoClassifier, method: &Method| -> Result<Vec<f64>, VideoError> {
                Ok(block_relevance(m, &clip, class, method)?
                    .blocks
                    .iter()
                    .map(|&v| f64::from(v))
                    .collect())
            };
            let rows = methods
                .iter()
                .map(|method| {
                    let trained = map(model, method)?;
                    models
                        .iter()
                        .map(|m| Ok(correlations(&trained, &map(m, method)?)))
                        .collect::<Result<Vec<_>, VideoError>>()
                })
                .collect::<Result<Vec<_>, VideoError>>()?;
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, clips.len());
            Ok(rows)
        })
        .collect::<Result<_, _>>()?;
    let names: Vec<String> = methods.iter().map(Method::to_string).collect();
    Ok(curves(&names, &CASCADE, &per_clip))
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
mod tests {
    use super::*;

    fn field(dx: &[&[f32]]) -> MotionField {
        let (rows, cols) = (dx.len(), dx[0].len());
        let dx = Array2::from_shape_fn((rows, cols), |(r, c)| dx[r][c]);
        MotionField {
            block: 16,
            dy: dx.mapv(|v| -2.0 * v),
            dx,
            has_vector: Array2::from_elem((rows, cols), true),
        }
    }

    #[test]
    fn neighbours_fill_is_the_harmonic_interpolation() {
        // A row [a, ?, ?, d]: x₁ = (a + x₂)/2, x₂ = (x₁ + d)/2, so x₁ = (2a + d)/3, x₂ = (a + 2d)/3.
        let mut f = field(&[&[3.0, 100.0, -100.0, 9.0]]);
        let removed = Array2::from_shape_vec((1, 4), vec![false, true, true, false]).unwrap();
        impute_from_neighbours(&mut f, &removed);
        assert!(
            (f.dx[[0, 1]] - 5.0).abs() < 1e-3 && (f.dx[[0, 2]] - 7.0).abs() < 1e-3,
            "{:?}",
            f.dx
        );
        assert!((f.dy[[0, 1]] + 10.0).abs() < 1e-3 && f.dx[[0, 0]] == 3.0 && f.dx[[0, 3]] == 9.0);
        // A 3×3 frame with its centre removed: the mean of its four neighbours (not the corners').
        let mut f = field(&[&[50.0, 1.0, 50.0], &[2.0, 0.0, 3.0], &[50.0, 4.0, 50.0]]);
        let mut removed = Array2::from_elem((3, 3), false);
        removed[[1, 1]] = true;
        impute_from_neighbours(&mut f, &removed);
        assert!((f.dx[[1, 1]] - 2.5).abs() < 1e-5);
        // Everything removed: no motion left to draw from.
        let mut f = field(&[&[1.0, 2.0]]);
        impute_from_neighbours(&mut f, &Array2::from_elem((1, 2), true));
        assert!(f.dx.iter().all(|&v| v == 0.0) && f.has_vector.iter().all(|&v| !v));
    }

    #[test]
    fn a_block_is_on_the_mask_when_half_its_pixels_are() {
        // 4×2 pixels, blocks of 2: block (0, 0) has 2 of 4 pixels on, block (0, 1) one.
        let mask = vec![true, false, true, false, true, false, false, false];
        assert_eq!(block_mask(&[mask], (4, 2), 2, (1, 1, 2)), [true, false]);
        // A frame without a mask is off everywhere.
        assert_eq!(block_mask(&[], (4, 2), 2, (1, 1, 2)), [false, false]);
    }

    #[test]
    fn means_and_areas_from_the_sums() {
        let row = |deletion: Vec<f64>, insertion: Vec<f64>| VideoMethodScores {
            method: "m".into(),
            clips: 1,
            deletion_imputed: deletion.clone(),
            deletion,
            insertion,
            aopc: [0.0; 2],
            insertion_area: 0.0,
            figure: Localisation::of(&[1.0, 0.0], &[true, false]),
            cue: None,
            completeness: Some([0.25, 1.0]),
            relevance_seconds: 1.0,
        };
        let (a, b) = (
            row(vec![4.0, 2.0, 0.0], vec![0.0, 1.0, 2.0]),
            row(vec![2.0, 2.0, 2.0], vec![0.0, 3.0, 4.0]),
        );
        let mut sum = zeroed(&a);
        sum.add(&a);
        sum.add(&b);
        let m = sum.finish();
        assert_eq!(m.deletion, [3.0, 2.0, 1.0]);
        assert_eq!(m.aopc, [(0.0 + 1.0 + 2.0) / 3.0; 2]);
        assert_eq!(m.insertion_area, (0.0 + 2.0 + 3.0) / 3.0);
        assert_eq!(m.figure.unwrap().pointing_game, 1.0);
        assert_eq!((m.completeness, m.relevance_seconds, m.clips), (Some([0.25, 1.0]), 2.0, 2));
    }
}
