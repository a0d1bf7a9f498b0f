//! The video pipeline: motion vectors read from compressed video, motion fields on a block
//! grid, motion descriptors with their receptive fields, the synthetic action set, the
//! Fisher-vector / linear-SVM classifier, its LRP explanations onto blocks and frames, their
//! evaluation, and SpRAy over them.

pub mod batch;
pub mod classifier;
pub mod dataset;
pub mod default_model;
mod error;
pub mod evaluate;
pub mod explain;
pub mod descriptor;
pub mod draw;
pub mod encode;
pub mod field;
pub mod heatmap;
pub mod fisher;
pub mod motion;
pub mod picture;
pub mod quality;
pub mod report;
pub mod rotation;
mod unpack;

pub use error::VideoError;
pub use descriptor::{Descriptor, DescriptorExtractor, DescriptorOptions};
pub use encode::{ClipWriter, EncodeOptions, Encoder};
pub use field::MotionField;
pub use motion::{FrameKind, MotionFrame, MotionOptions, MotionReader, MotionSource, ReferenceCheck, VectorOrigin, VideoInfo};
pub use picture::RgbImage;
pub mod strategies;
pub mod summary;
pub mod synth;
pub use summary::{summarize, MotionSummary};
