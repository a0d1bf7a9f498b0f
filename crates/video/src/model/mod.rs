//! Stage 3, the model: labelled clip sets; the Fisher-vector / linear-SVM classifier, its
//! model folder and what it records, its training and the embedded default; many clips at once.

mod batch;
mod classifier;
mod config;
mod dataset;
mod default_model;
mod training;

pub use batch::{expand_clips, map_clips, report_folders};
pub use classifier::{VideoClassifier, VideoPrediction};
pub use config::{TrainOptions, TrainingRecord, VideoModelConfig, CONFIG_FILE, WEIGHTS_FILE};
pub(crate) use config::{FORMAT, FORMAT_VERSION};
pub use dataset::{all_clips, is_video_file, load_clip_set, ClipSet, LabelledClip};
pub use default_model::default_model;
pub use training::train_classifier;
