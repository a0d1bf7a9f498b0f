//! The compressed-domain action classifier and its scoring: motion descriptors → PCA →
//! diagonal Gaussian mixture → improved Fisher vector (per descriptor type) → one-vs-rest
//! linear SVM. Training is in `training`, the model folder in `model_files`.
//!
//! The SVM's hyperplane is kept as an `lrp::Dense` layer (weights `[dims, classes]`, bias
//! `[classes]`) and the normalisation as an `lrp::PowerNorm`, so scoring and the explanation
//! use one object each.

use std::path::Path;

use lrp::{Dense, PowerNorm};
use ndarray::{concatenate, Array1, Axis};
use pipeline::metrics::argmax;
use serde::{Deserialize, Serialize};

use crate::clip_descriptors::{channel, stream_clip, ClipDescriptors, StreamedClip};
use crate::error::VideoError;
use crate::fisher::FisherEncoder;
use crate::motion::{MotionFrame, MotionOptions};
use crate::training::{TrainOptions, TrainingRecord};

/// A model's JSON part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VideoModelConfig {
    pub format: String,
    pub version: u32,
    pub classes: Vec<String>,
    pub options: TrainOptions,
    /// PCA output dimensions per descriptor type.
    pub pca_dims: [usize; 3],
    pub training: TrainingRecord,
    /// Held-out accuracy measured at training time, if there was a held-out part.
    pub test_accuracy: Option<f64>,
}

/// A trained classifier.
pub struct VideoClassifier {
    pub config: VideoModelConfig,
    pub encoders: [FisherEncoder; 3],
    /// The SVM hyperplanes, one output per class.
    pub svm: Dense,
}

/// A clip's class and the scores of every class.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VideoPrediction {
    pub class: usize,
    pub class_name: String,
    pub scores: Vec<f32>,
    /// Frames and decoder damage of the clip, when it was streamed from a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clip: Option<StreamedClip>,
}

impl VideoClassifier {
    /// The "improved" normalisation of the Fisher vector: signed square root, then unit
    /// length, each descriptor type's part on its own.
    pub fn normalisation(&self) -> PowerNorm {
        PowerNorm::new(0.5, self.encoders.iter().map(FisherEncoder::fisher_len).collect())
            .expect("encoders have parts")
    }

    /// The raw Fisher-vector parts (HOF, MBHx, MBHy) concatenated.
    pub fn raw_fisher_vector(raw: &[Array1<f32>]) -> Array1<f32> {
        concatenate(Axis(0), &raw.iter().map(|p| p.view()).collect::<Vec<_>>()).expect("1-d parts")
    }

    /// The normalised Fisher vector of the raw parts.
    pub fn normalised(&self, raw: &[Array1<f32>]) -> Array1<f32> {
        let fv = self.normalisation().forward(Self::raw_fisher_vector(raw).into_dyn().view());
        fv.into_dimensionality().expect("1-d")
    }

    /// The normalised Fisher vector of a clip's descriptors.
    pub fn fisher_vector(&self, clip: &ClipDescriptors) -> Array1<f32> {
        let raw: Vec<Array1<f32>> =
            self.encoders.iter().zip(&clip.channels).map(|(e, x)| e.raw(x.view())).collect();
        self.normalised(&raw)
    }

    /// SVM scores of a Fisher vector.
    pub fn scores(&self, fv: &Array1<f32>) -> Array1<f32> {
        let mut s = fv.dot(&self.svm.weight);
        if let Some(b) = &self.svm.bias {
            s += b;
        }
        s
    }

    pub fn predict_descriptors(&self, clip: &ClipDescriptors) -> VideoPrediction {
        let scores = self.scores(&self.fisher_vector(clip));
        let class = argmax(&scores);
        VideoPrediction {
            class,
            class_name: self.config.classes[class].clone(),
            scores: scores.to_vec(),
            clip: None,
        }
    }

    /// How this model reads a clip's motion: its block size, the stream given (see
    /// [`MotionOptions::stream`]).
    pub fn reading(&self, stream: Option<usize>) -> MotionOptions {
        MotionOptions { block: self.config.options.block, pictures: false, stream }
    }

    /// The raw Fisher-vector parts `Σ_i φ(x_i)` (HOF, MBHx, MBHy) of the clip at `path` and its
    /// number of descriptors, streamed: the parts are sums over descriptors, accumulated batch
    /// by batch, so memory does not grow with the clip. `frame_seen` sees every frame's motion.
    pub fn clip_raw_fisher(
        &self,
        path: &Path,
        stream: Option<usize>,
        frame_seen: impl FnMut(&MotionFrame),
    ) -> Result<(Vec<Array1<f32>>, usize, StreamedClip), VideoError> {
        let mut raw: Vec<Array1<f64>> =
            self.encoders.iter().map(|e| Array1::zeros(e.fisher_len())).collect();
        let mut count = 0usize;
        let streamed = stream_clip(
            path,
            self.reading(stream),
            self.config.options.descriptor,
            frame_seen,
            |batch| {
                for (c, (encoder, sum)) in self.encoders.iter().zip(&mut raw).enumerate() {
                    *sum += &encoder.term_sum(channel(batch, c).view(), 1);
                }
                count += batch.len();
                Ok(())
            },
        )?;
        Ok((
            raw.into_iter().map(|r| r.mapv(|v| (v / count as f64) as f32)).collect(),
            count,
            streamed,
        ))
    }

    /// The normalised Fisher vector of the clip at `path`, streamed.
    pub fn clip_fisher_vector(
        &self,
        path: &Path,
        stream: Option<usize>,
    ) -> Result<(Array1<f32>, StreamedClip), VideoError> {
        let (raw, _, streamed) = self.clip_raw_fisher(path, stream, |_| {})?;
        Ok((self.normalised(&raw), streamed))
    }

    /// Class and scores of the clip at `path` (streamed), read from `stream` (the default
    /// stream when `None`).
    pub fn predict(
        &self,
        path: &Path,
        stream: Option<usize>,
    ) -> Result<VideoPrediction, VideoError> {
        let (fv, streamed) = self.clip_fisher_vector(path, stream)?;
        let scores = self.scores(&fv);
        let class = argmax(&scores);
        Ok(VideoPrediction {
            class,
            class_name: self.config.classes[class].clone(),
            scores: scores.to_vec(),
            clip: Some(streamed),
        })
    }
}
