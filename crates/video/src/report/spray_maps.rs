//! SpRAy over video explanations: each clip's block relevance for a class, sum-pooled onto a
//! fixed grid of time bins × rows × columns and normalised, clustered with `spray`; and the
//! frames of one long clip clustered into phases.

use pipeline::progress::Progress;
use std::path::PathBuf;

use ndarray::{Array2, Array3, Axis};
use rayon::prelude::*;
use serde::Serialize;
use spray::maps::{normalise, pool_3d, Normalisation};
use spray::{analyse, Analysis, SprayOptions};

use crate::error::VideoError;
use crate::explain::{default_rules, explain_descriptors, ExplanationRecord};
use crate::features::clip_descriptors;
use crate::model::LabelledClip;
use crate::model::VideoClassifier;

/// Frames shown per clip.
pub const SHOWN_FRAMES: usize = 3;

/// What the page keeps of a clip's explanation: the curve, the most relevant frames' block
/// relevance, the clip's largest |R| (what the frames' levels are shares of), the scores.
#[derive(Clone, Debug)]
pub struct ClipView {
    pub per_frame: Vec<f32>,
    /// `(frame, [rows, cols] relevance)`, most relevant frame first.
    pub top: Vec<(usize, Array2<f32>)>,
    pub max_abs: f32,
    pub score: f32,
    pub predicted: usize,
}

impl ClipView {
    /// From block relevance `[frames, rows, cols]` and the relevance per frame.
    pub fn of(
        blocks: ndarray::ArrayView3<f32>,
        per_frame: &[f32],
        score: f32,
        scores: &[f32],
    ) -> Self {
        let mut order: Vec<usize> = (0..per_frame.len()).collect();
        order.sort_by(|&a, &b| per_frame[b].total_cmp(&per_frame[a]));
        let top = order
            .into_iter()
            .take(SHOWN_FRAMES)
            .map(|t| (t, blocks.index_axis(Axis(0), t).to_owned()))
            .collect();
        let max_abs = blocks.iter().fold(0f32, |m, v| m.max(v.abs()));
        let predicted =
            (0..scores.len()).max_by(|&a, &b| scores[a].total_cmp(&scores[b])).unwrap_or(0);
        ClipView { per_frame: per_frame.to_vec(), top, max_abs, score, predicted }
    }
}

/// The fixed shape maps are pooled to: time bins, rows, columns.
pub type Grid = (usize, usize, usize);

/// One class's analysis.
#[derive(Clone, Debug, Serialize)]
pub struct ClassStrategies {
    pub class: String,
    pub clips: Vec<PathBuf>,
    pub grid: Grid,
    pub analysis: Analysis,
    /// Mean pooled map of each cluster, `[t, h, w]` flattened.
    #[serde(skip)]
    pub cluster_means: Vec<Array3<f64>>,
    /// With ground truth per clip (e.g. a planted cue): how pure the clusters are against it.
    pub purity: Option<f64>,
    /// What the viewer shows of each clip's explanation, in the order of `clips`.
    #[serde(skip)]
    pub views: Vec<ClipView>,
}

fn spray_error(e: spray::SprayError) -> VideoError {
    VideoError::Invalid(format!("SpRAy: {e}"))
}

/// Share of clips whose cluster's majority truth is their own.
pub fn purity(labels: &[usize], truth: &[bool]) -> f64 {
    let clusters = labels.iter().max().map_or(0, |m| m + 1);
    let mut counts = vec![[0usize; 2]; clusters];
    for (&l, &t) in labels.iter().zip(truth) {
        counts[l][usize::from(t)] += 1;
    }
    counts.iter().map(|c| c[0].max(c[1])).sum::<usize>() as f64 / labels.len().max(1) as f64
}

/// How relevance maps become SpRAy's input and are clustered: pooled to `grid`, normalised
/// as `normalisation` says, analysed with `spray`'s options.
#[derive(Clone, Debug)]
pub struct SprayMapSettings {
    pub grid: Grid,
    pub normalisation: Normalisation,
    pub spray: SprayOptions,
}

/// Explains every clip for `class`, pools the maps and clusters them; `truth` (one flag per
/// clip) gives the clusters' purity.
pub fn class_strategies(
    model: &VideoClassifier,
    (clips, class): (&[LabelledClip], usize),
    settings: &SprayMapSettings,
    truth: Option<&[bool]>,
    progress: &Progress,
) -> Result<ClassStrategies, VideoError> {
    let grid = settings.grid;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let (maps, views): (Vec<Array3<f64>>, Vec<ClipView>) = clips
        .par_iter()
        .map(|clip| {
            let d =
                clip_descriptors(&clip.path, model.reading(None), model.config.options.descriptor)?;
            let e = explain_descriptors(model, &d, Some(class), &default_rules())?;
            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, clips.len());
            Ok((
                pool_3d(e.blocks.view(), grid),
                ClipView::of(e.blocks.view(), &e.per_frame, e.score, &e.scores),
            ))
        })
        .collect::<Result<Vec<_>, VideoError>>()?
        .into_iter()
        .unzip();
    let clips = clips.iter().map(|c| c.path.clone()).collect();
    strategies(&model.config.classes[class], clips, (&maps, views), settings, truth)
}

/// Clusters the maps of `clips` for `class`, already pooled to the settings' grid
/// (explanations made elsewhere, e.g. gathered from the worker mode's output); `views` go
/// with the clips.
pub fn strategies(
    class: &str,
    clips: Vec<PathBuf>,
    (maps, views): (&[Array3<f64>], Vec<ClipView>),
    settings: &SprayMapSettings,
    truth: Option<&[bool]>,
) -> Result<ClassStrategies, VideoError> {
    let SprayMapSettings { grid, normalisation: how, spray: options } = settings;
    let grid = *grid;
    let size = grid.0 * grid.1 * grid.2;
    let mut x = Array2::<f64>::zeros((maps.len(), size));
    for (mut row, map) in x.outer_iter_mut().zip(maps) {
        let mut v = map.iter().copied().collect::<ndarray::Array1<f64>>();
        normalise(&mut v, *how);
        row.assign(&v);
    }
    let analysis = analyse(x.view(), options).map_err(spray_error)?;
    let cluster_means = (0..analysis.clusters)
        .map(|c| {
            let rows: Vec<usize> = analysis
                .labels
                .iter()
                .enumerate()
                .filter(|(_, &l)| l == c)
                .map(|(i, _)| i)
                .collect();
            let mean = x
                .select(Axis(0), &rows)
                .mean_axis(Axis(0))
                .unwrap_or_else(|| ndarray::Array1::zeros(size));
            mean.into_shape_with_order(grid).expect("grid-sized")
        })
        .collect();
    let purity = truth.map(|t| purity(&analysis.labels, t));
    Ok(ClassStrategies {
        class: class.to_string(),
        clips,
        grid,
        analysis,
        cluster_means,
        purity,
        views,
    })
}

/// The block relevance of a gathered explanation, `[frames, rows, cols]`, pooled to `grid`,
/// and what the viewer shows of it.
pub fn pooled_record(
    record: &ExplanationRecord,
    grid: Grid,
) -> Result<(Array3<f64>, ClipView), VideoError> {
    let (frames, rows) = (record.blocks.len(), record.blocks.first().map_or(0, Vec::len));
    let cols = record.blocks.first().and_then(|f| f.first()).map_or(0, Vec::len);
    if frames == 0
        || rows == 0
        || cols == 0
        || record.blocks.iter().any(|f| f.len() != rows || f.iter().any(|r| r.len() != cols))
    {
        return Err(VideoError::Invalid("`blocks` is not a frames × rows × columns array".into()));
    }
    let flat: Vec<f32> = record.blocks.iter().flatten().flatten().copied().collect();
    let blocks = Array3::from_shape_vec((frames, rows, cols), flat).expect("checked shape");
    Ok((
        pool_3d(blocks.view(), grid),
        ClipView::of(blocks.view(), &record.per_frame, record.score, &record.scores),
    ))
}

/// The frames of one clip clustered into phases by their block relevance for `class`
/// (each frame's `[rows, cols]` map pooled to `(h, w)`).
pub fn frame_phases(
    model: &VideoClassifier,
    clip: &std::path::Path,
    stream: Option<usize>,
    class: Option<usize>,
    (h, w): (usize, usize),
    how: Normalisation,
    options: &SprayOptions,
) -> Result<(String, Analysis), VideoError> {
    let d = clip_descriptors(clip, model.reading(stream), model.config.options.descriptor)?;
    let e = explain_descriptors(model, &d, class, &default_rules())?;
    let frames = e.blocks.len_of(Axis(0));
    let mut x = Array2::<f64>::zeros((frames, h * w));
    for (t, mut row) in x.outer_iter_mut().enumerate() {
        let frame = e.blocks.slice(ndarray::s![t..t + 1, .., ..]);
        let mut v: ndarray::Array1<f64> = pool_3d(frame, (1, h, w)).iter().copied().collect();
        normalise(&mut v, how);
        row.assign(&v);
    }
    Ok((e.class_name, analyse(x.view(), options).map_err(spray_error)?))
}
