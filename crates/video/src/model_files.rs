//! The classifier's model folder: `model.json` (format, version, classes, settings, training
//! record) and `weights.safetensors` (PCA, mixture and SVM tensors), written through a staged
//! folder and read back with every shape, value and variance checked.

use std::fs;
use std::path::Path;

use lrp::Dense;
use ndarray::{ArrayD, Ix1, Ix2};
use pipeline::bounded_read;
use pipeline::model_folder::{
    check_format, read_tensor, save_folder, tensor_file, WeightPrecision,
};
use safetensors::tensor::SafeTensors;

use crate::classifier::{VideoClassifier, VideoModelConfig};
use crate::clip_descriptors::CHANNELS;
use crate::error::VideoError;
use crate::fisher::{DiagonalGmm, FisherEncoder, Projection, MIN_VARIANCE};

pub const CONFIG_FILE: &str = "model.json";
pub const WEIGHTS_FILE: &str = "weights.safetensors";
pub(crate) const FORMAT: &str = "relvis-video-fv";
pub(crate) const FORMAT_VERSION: u32 = 1;

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
