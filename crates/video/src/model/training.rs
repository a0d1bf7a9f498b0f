//! Training the classifier in two passes over the clips: a seeded sample of descriptors for
//! PCA and the mixture, then every clip's Fisher vector for one linear SVM per class against
//! the rest (`linfa-svm`). `linfa-svm` keeps a linear model's hyperplane private; its weights
//! are read back through `weighted_sum` on the unit vectors (the map is linear) and its bias
//! is `−rho`.

use std::time::Instant;

use linfa::traits::Fit;
use linfa::Dataset;
use linfa_svm::Svm;
use lrp::Dense;
use ndarray::{concatenate, Array1, Array2, Axis};
use pipeline::metrics::argmax;
use pipeline::progress::Progress;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use crate::decode::MotionOptions;
use crate::error::VideoError;
use crate::features::Descriptor;
use crate::features::{channel, stream_descriptors};
use crate::features::{DiagonalGmm, FisherEncoder, Projection};
use crate::model::LabelledClip;
use crate::model::VideoClassifier;
use crate::model::{TrainOptions, TrainingRecord, VideoModelConfig, FORMAT, FORMAT_VERSION};

/// Trains a classifier on `clips` (labels index `classes`); `progress(done, total)` after each clip of
/// each of the two passes (sampling for PCA and the mixture; Fisher vectors).
pub fn train_classifier(
    clips: &[LabelledClip],
    classes: &[String],
    options: &TrainOptions,
    progress: &Progress,
) -> Result<VideoClassifier, VideoError> {
    let start = Instant::now();
    options.check()?;
    if clips.is_empty() {
        return Err(VideoError::Invalid("no training clips".into()));
    }
    let total = 2 * clips.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let tick = || progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, total);
    // Pass 1: a seeded sample of descriptors from every clip.
    let samples: Vec<([Array2<f32>; 3], usize)> = clips
        .par_iter()
        .enumerate()
        .map(|(i, clip)| {
            // A seeded reservoir sample (Algorithm R) over the streamed descriptors.
            let mut rng =
                StdRng::seed_from_u64(options.seed ^ (i as u64).wrapping_mul(0x9E37_79B9));
            let (mut kept, mut seen): (Vec<Descriptor>, usize) = (Vec::new(), 0);
            let frames = stream_descriptors(
                &clip.path,
                MotionOptions::with_block(options.block),
                options.descriptor,
                |batch| {
                    for i in 0..batch.len() {
                        if kept.len() < options.sample_per_clip {
                            kept.push(batch.descriptor(i));
                        } else {
                            let j = rng.gen_range(0..=seen);
                            if j < kept.len() {
                                kept[j] = batch.descriptor(i);
                            }
                        }
                        seen += 1;
                    }
                    Ok(())
                },
            )?
            .frames;
            tick();
            Ok(([channel(&kept, 0), channel(&kept, 1), channel(&kept, 2)], frames))
        })
        .collect::<Result<_, VideoError>>()?;
    let frames: usize = samples.iter().map(|(_, f)| f).sum();
    let mut encoders = Vec::new();
    let mut pca_dims = [0; 3];
    for c in 0..3 {
        let x = concatenate(Axis(0), &samples.iter().map(|(s, _)| s[c].view()).collect::<Vec<_>>())
            .expect("equal widths");
        let projection = Projection::fit(x.view(), x.ncols() / 2)?;
        pca_dims[c] = projection.output_dims();
        let gmm = DiagonalGmm::fit(
            projection.apply(x.view()).view(),
            options.components,
            100,
            options.seed + c as u64,
        )?;
        encoders.push(FisherEncoder { projection, gmm });
    }
    let descriptors_sampled = samples.iter().map(|(s, _)| s[0].nrows()).sum();
    drop(samples);
    let encoders: [FisherEncoder; 3] =
        encoders.try_into().unwrap_or_else(|_| unreachable!("three channels"));
    let placeholder = Dense::new(Array2::zeros((1, classes.len())), None)
        .map_err(|e| VideoError::Invalid(e.to_string()))?;
    let config = VideoModelConfig {
        format: FORMAT.into(),
        version: FORMAT_VERSION,
        classes: classes.to_vec(),
        options: options.clone(),
        pca_dims,
        training: TrainingRecord {
            clips: clips.len(),
            descriptors_sampled,
            train_accuracy: 0.0,
            seconds: 0.0,
            frames_per_second: 0.0,
        },
        test_accuracy: None,
    };
    let mut model = VideoClassifier { config, encoders, svm: placeholder };
    // Pass 2: Fisher vectors, then one linear SVM per class against the rest.
    let fvs: Vec<Array1<f32>> = clips
        .par_iter()
        .map(|clip| {
            let (fv, _) = model.clip_fisher_vector(&clip.path, None)?;
            tick();
            Ok(fv)
        })
        .collect::<Result<_, VideoError>>()?;
    let x = ndarray::stack(Axis(0), &fvs.iter().map(|f| f.view()).collect::<Vec<_>>())
        .expect("equal lengths")
        .mapv(f64::from);
    let dims = x.ncols();
    let mut weight = Array2::<f32>::zeros((dims, classes.len()));
    let mut bias = Array1::<f32>::zeros(classes.len());
    for (k, name) in classes.iter().enumerate() {
        let targets: Array1<bool> = clips.iter().map(|c| c.label == k).collect();
        if targets.iter().all(|&t| t) || !targets.iter().any(|&t| t) {
            return Err(VideoError::Invalid(format!(
                "class `{name}` needs training clips of its own and of other classes"
            )));
        }
        let svm = Svm::<f64, bool>::params()
            .pos_neg_weights(options.c, options.c)
            .linear_kernel()
            .fit(&Dataset::new(x.clone(), targets))
            .map_err(|e| VideoError::Invalid(format!("SVM for `{name}`: {e}")))?;
        let mut unit = Array1::<f64>::zeros(dims);
        for j in 0..dims {
            unit[j] = 1.0;
            weight[[j, k]] = svm.weighted_sum(&unit) as f32;
            unit[j] = 0.0;
        }
        bias[k] = -svm.rho as f32;
    }
    model.svm = Dense::new(weight, Some(bias)).map_err(|e| VideoError::Invalid(e.to_string()))?;
    let correct =
        fvs.iter().zip(clips).filter(|(fv, clip)| argmax(&model.scores(fv)) == clip.label).count();
    let seconds = start.elapsed().as_secs_f64();
    model.config.training = TrainingRecord {
        clips: clips.len(),
        descriptors_sampled,
        train_accuracy: correct as f64 / clips.len() as f64,
        seconds,
        frames_per_second: 2.0 * frames as f64 / seconds,
    };
    Ok(model)
}
