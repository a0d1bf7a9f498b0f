//! What a model folder records: the format and its version, the classes, the training
//! settings and what training measured.

use serde::{Deserialize, Serialize};

use crate::error::VideoError;
use crate::features::DescriptorOptions;

pub const CONFIG_FILE: &str = "model.json";
pub const WEIGHTS_FILE: &str = "weights.safetensors";
pub(crate) const FORMAT: &str = "relvis-video-fv";
pub(crate) const FORMAT_VERSION: u32 = 1;

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

/// Training settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    pub block: usize,
    pub descriptor: DescriptorOptions,
    /// Mixture components per descriptor type.
    pub components: usize,
    /// Descriptors sampled per clip for PCA and the mixture.
    pub sample_per_clip: usize,
    /// The SVM's C.
    pub c: f64,
    pub seed: u64,
}

impl TrainOptions {
    /// Checks the settings: a block of at least one pixel, a valid descriptor layout, at least
    /// one mixture component and one descriptor per clip, and a finite `c > 0`.
    pub fn check(&self) -> Result<(), VideoError> {
        let bad = |what: String| Err(VideoError::Settings(format!("training settings: {what}")));
        if self.block == 0 {
            return bad("block must be at least one pixel".into());
        }
        self.descriptor
            .check()
            .map_err(|e| VideoError::Settings(format!("training settings: {e}")))?;
        if self.components == 0 || self.sample_per_clip == 0 {
            return bad("components and sample_per_clip must be at least 1".into());
        }
        if !(self.c.is_finite() && self.c > 0.0) {
            return bad(format!("c {}: expected a finite number above 0", self.c));
        }
        Ok(())
    }
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            block: 16,
            descriptor: DescriptorOptions::default(),
            components: 32,
            sample_per_clip: 300,
            c: 10.0,
            seed: 1,
        }
    }
}

/// What a model records of its training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    pub clips: usize,
    pub descriptors_sampled: usize,
    pub train_accuracy: f64,
    pub seconds: f64,
    /// Frames decoded per second over both passes.
    pub frames_per_second: f64,
}
