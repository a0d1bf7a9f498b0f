//! The compressed-domain action classifier and its scoring: motion descriptors → PCA →
//! diagonal Gaussian mixture → improved Fisher vector (per descriptor type) → one-vs-rest
//! linear SVM; its model folder, `model.json` (format, version, classes, settings, training
//! record) and `weights.safetensors` (PCA, mixture and SVM tensors), written through a staged
//! folder and read back with every shape, value and variance checked. Training is in
//! `training`.
//!
//! The SVM's hyperplane is kept as an `lrp::Dense` layer (weights `[dims, classes]`, bias
//! `[classes]`) and the normalisation as an `lrp::PowerNorm`, so scoring and the explanation
//! use one object each.

use std::fs;
use std::path::Path;

use lrp::{Dense, PowerNorm};
use ndarray::{concatenate, Array1, ArrayD, Axis, Ix1, Ix2};
use pipeline::bounded_read;
use pipeline::metrics::argmax;
use pipeline::model_folder::{
    check_format, read_tensor, save_folder, tensor_file, WeightPrecision,
};
use safetensors::tensor::SafeTensors;
use serde::Serialize;

use crate::decode::{MotionFrame, MotionOptions};
use crate::error::VideoError;
use crate::features::{stream_clip, ClipDescriptors, StreamedClip, CHANNELS};
use crate::features::{DiagonalGmm, FisherEncoder, Projection, MIN_VARIANCE};
use crate::model::{VideoModelConfig, CONFIG_FILE, FORMAT, FORMAT_VERSION, WEIGHTS_FILE};

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
    /// The index of the class called `name`.
    pub fn class_index(&self, name: &str) -> Result<usize, VideoError> {
        pipeline::metrics::class_index(&self.config.classes, name).map_err(|unknown| {
            VideoError::Settings(format!(
                "unknown class `{name}`; the model knows {}",
                unknown.classes.join(", ")
            ))
        })
    }

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
                    *sum += &encoder.term_sum(batch.channel(c), 1);
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

impl VideoClassifier {
    /// Writes the model folder `dir` (refused if it exists unless `overwrite`), through a
    /// temporary folder moved into place.
    pub fn save(&self, dir: &Path, overwrite: bool) -> Result<(), VideoError> {
        save_folder(dir, overwrite, CONFIG_FILE, |staging| {
            let config_path = staging.join(CONFIG_FILE);
            fs::write(
                &config_path,
                serde_json::to_string_pretty(&self.config).expect("serialises"),
            )
            .map_err(|e| VideoError::write(&config_path, e))?;
            let weights_path = staging.join(WEIGHTS_FILE);
            let weights =
                tensor_file(&self.tensors(), WeightPrecision::F32, FORMAT, FORMAT_VERSION)
                    .map_err(VideoError::Invalid)?;
            fs::write(&weights_path, weights).map_err(|e| VideoError::write(&weights_path, e))
        })
    }

    fn tensors(&self) -> Vec<(String, ArrayD<f32>)> {
        let mut out = Vec::new();
        for (name, e) in CHANNELS.iter().zip(&self.encoders) {
            out.push((format!("{name}.pca.mean"), e.projection.mean.clone().into_dyn()));
            out.push((
                format!("{name}.pca.components"),
                e.projection.components.clone().into_dyn(),
            ));
            out.push((format!("{name}.gmm.weights"), e.gmm.weights.clone().into_dyn()));
            out.push((format!("{name}.gmm.means"), e.gmm.means.clone().into_dyn()));
            out.push((format!("{name}.gmm.variances"), e.gmm.variances.clone().into_dyn()));
        }
        out.push(("svm.weight".into(), self.svm.weight.clone().into_dyn()));
        out.push((
            "svm.bias".into(),
            self.svm.bias.clone().expect("the SVM has a bias").into_dyn(),
        ));
        out
    }

    /// Reads a model folder.
    pub fn load(dir: &Path) -> Result<Self, VideoError> {
        let config_path = dir.join(CONFIG_FILE);
        let missing = |path: &Path, e: std::io::Error| {
            let problem = if dir.join("tokenizer.json").is_file() || dir.join("vocab.txt").is_file()
            {
                "a relvis text model folder; xai-video needs a video model".to_string()
            } else {
                format!("{e} (not a relvis video model folder?)")
            };
            VideoError::ModelFile { path: path.to_path_buf(), problem }
        };
        let config = bounded_read::read_text_file(&config_path, bounded_read::MODEL_CONFIG)
            .map_err(|e| missing(&config_path, e))?;
        let weights_path = dir.join(WEIGHTS_FILE);
        let weights = bounded_read::read_file(&weights_path, bounded_read::MODEL_WEIGHTS)
            .map_err(|e| missing(&weights_path, e))?;
        Self::from_files(&config, &config_path, &weights, &weights_path)
    }

    /// A model from its files' contents, checking format, version, every tensor's shape and
    /// that all values are finite; the paths name the files in errors.
    pub fn from_files(
        config: &str,
        config_path: &Path,
        weights: &[u8],
        weights_path: &Path,
    ) -> Result<Self, VideoError> {
        let problem = |path: &Path, problem: String| VideoError::ModelFile {
            path: path.to_path_buf(),
            problem,
        };
        let value: serde_json::Value = serde_json::from_str(config)
            .map_err(|e| problem(config_path, format!("not a model file ({e})")))?;
        check_format(&value, FORMAT, FORMAT_VERSION..=FORMAT_VERSION, "video")
            .map_err(|p| problem(config_path, p))?;
        let config: VideoModelConfig =
            serde_json::from_value(value).map_err(|e| problem(config_path, e.to_string()))?;
        let tensors =
            SafeTensors::deserialize(weights).map_err(|e| problem(weights_path, e.to_string()))?;
        let read = |name: &str, shape: &[usize]| {
            read_tensor(&tensors, name, WeightPrecision::F32, shape)
                .map_err(|p| problem(weights_path, p))
        };
        let o = &config.options;
        let inputs = [o.descriptor.hof_len(), o.descriptor.mbh_len(), o.descriptor.mbh_len()];
        let (k, classes) = (o.components, config.classes.len());
        let mut encoders = Vec::new();
        let mut dims = 0;
        for (c, name) in CHANNELS.iter().enumerate() {
            let d = config.pca_dims[c];
            let two = |a: ArrayD<f32>| a.into_dimensionality::<Ix2>().expect("2-d");
            let one = |a: ArrayD<f32>| a.into_dimensionality::<Ix1>().expect("1-d");
            let projection = Projection {
                mean: one(read(&format!("{name}.pca.mean"), &[inputs[c]])?),
                components: two(read(&format!("{name}.pca.components"), &[d, inputs[c]])?),
            };
            let gmm = DiagonalGmm {
                weights: one(read(&format!("{name}.gmm.weights"), &[k])?),
                means: two(read(&format!("{name}.gmm.means"), &[k, d])?),
                variances: two(read(&format!("{name}.gmm.variances"), &[k, d])?),
            };
            // Training floors every variance at MIN_VARIANCE; a smaller one makes the Fisher terms overflow.
            if gmm.variances.iter().any(|&v| f64::from(v) < 0.999 * MIN_VARIANCE) {
                return Err(problem(
                    weights_path,
                    format!(
                        "tensor `{name}.gmm.variances` holds a variance below {MIN_VARIANCE:e}"
                    ),
                ));
            }
            dims += 2 * k * d;
            encoders.push(FisherEncoder { projection, gmm });
        }
        let weight =
            read("svm.weight", &[dims, classes])?.into_dimensionality::<Ix2>().expect("2-d");
        let bias = read("svm.bias", &[classes])?.into_dimensionality::<Ix1>().expect("1-d");
        let svm =
            Dense::new(weight, Some(bias)).map_err(|e| problem(weights_path, e.to_string()))?;
        let encoders: [FisherEncoder; 3] =
            encoders.try_into().unwrap_or_else(|_| unreachable!("three channels"));
        Ok(VideoClassifier { config, encoders, svm })
    }
}
