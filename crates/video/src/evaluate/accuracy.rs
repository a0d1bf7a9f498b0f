//! Accuracy, per-class recall and the confusion matrix of a video classifier, on held-out
//! clips or by k-fold cross-validation.

use pipeline::metrics::Confusion;
use pipeline::progress::Progress;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::VideoError;
use crate::model::LabelledClip;
use crate::model::TrainOptions;
use crate::model::{train_classifier, VideoClassifier};

/// How a classifier did on a set of clips.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VideoAccuracy {
    pub clips: usize,
    pub accuracy: f64,
    /// Per class, in class order (NaN-free: a class without clips gets 0).
    pub recall: Vec<f64>,
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<usize>>,
}

impl VideoAccuracy {
    fn from_pairs(pairs: &[(usize, usize)], classes: usize) -> Self {
        let confusion = Confusion::from_pairs(pairs.iter().copied(), classes);
        VideoAccuracy {
            clips: pairs.len(),
            accuracy: confusion.accuracy(),
            recall: confusion.recall(),
            confusion: confusion.counts,
        }
    }
}

/// Predicts every clip (in parallel) and compares with its label.
pub fn evaluate_accuracy(
    model: &VideoClassifier,
    clips: &[LabelledClip],
    progress: &Progress,
) -> Result<VideoAccuracy, VideoError> {
    let done = std::sync::atomic::AtomicUsize::new(0);
    let pairs: Vec<(usize, usize)> = clips
        .par_iter()
        .map(|clip| {
            let p = model.predict(&clip.path, None)?;
            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, clips.len());
            Ok((clip.label, p.class))
        })
        .collect::<Result<_, VideoError>>()?;
    Ok(VideoAccuracy::from_pairs(&pairs, model.config.classes.len()))
}

/// k-fold cross-validation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CrossValidation {
    pub folds: Vec<VideoAccuracy>,
    /// All held-out predictions together.
    pub pooled: VideoAccuracy,
}

/// Splits `clips` into `k` stratified folds (round-robin per class, in the given order),
/// trains on k−1 and evaluates on the rest, `k` times.
pub fn cross_validate(
    clips: &[LabelledClip],
    classes: &[String],
    k: usize,
    options: &TrainOptions,
    progress: &Progress,
) -> Result<CrossValidation, VideoError> {
    if k < 2 || k > clips.len() {
        return Err(VideoError::Invalid(format!("{k} folds for {} clips", clips.len())));
    }
    let mut fold_of = vec![0; clips.len()];
    for class in 0..classes.len() {
        for (n, (i, _)) in clips.iter().enumerate().filter(|(_, c)| c.label == class).enumerate() {
            fold_of[i] = n % k;
        }
    }
    let (mut folds, mut pooled) = (Vec::new(), Vec::new());
    for fold in 0..k {
        let train: Vec<LabelledClip> = clips
            .iter()
            .zip(&fold_of)
            .filter(|(_, &f)| f != fold)
            .map(|(c, _)| c.clone())
            .collect();
        let test: Vec<LabelledClip> = clips
            .iter()
            .zip(&fold_of)
            .filter(|(_, &f)| f == fold)
            .map(|(c, _)| c.clone())
            .collect();
        let model = train_classifier(&train, classes, options, &|_, _| {})?;
        let e = evaluate_accuracy(&model, &test, &|_, _| {})?;
        for (truth, row) in e.confusion.iter().enumerate() {
            for (predicted, &n) in row.iter().enumerate() {
                pooled.extend(std::iter::repeat_n((truth, predicted), n));
            }
        }
        folds.push(e);
        progress(fold + 1, k);
    }
    Ok(CrossValidation { folds, pooled: VideoAccuracy::from_pairs(&pooled, classes.len()) })
}
