//! The model parameter randomisation test for video (Adebayo et al. 2018): the SVM re-drawn,
//! then the mixtures' means as well, and each method's block maps under the randomised model
//! compared with the trained model's.

use std::sync::atomic::{AtomicUsize, Ordering};

use pipeline::metrics::argmax;
use pipeline::progress::Progress;
use pipeline::randomisation::{
    correlations, curves, redraw, InputCorrelations, RandomisationCurve,
};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rayon::prelude::*;

use crate::error::VideoError;
use crate::explain::{block_relevance, ClipMotion, Method};
use crate::model::{LabelledClip, VideoClassifier};

/// What is randomised, step by step, from the top.
pub const CASCADE: [&str; 2] = ["svm", "gmm-means"];

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
