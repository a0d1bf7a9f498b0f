//! The video pipeline, in stage order:
//!
//! 1. **Decoding and motion**: motion vectors read from compressed video with each vector's
//!    reference, or re-estimated where a codec exports none ([`motion`]), packed B-frames
//!    unpacked, display rotation ([`rotation`]); fields on a block grid ([`field`]); decoded
//!    pictures ([`picture`]); what `xai-video mv` reports ([`motion_summary`]).
//! 2. **Features**: HOF/MBH descriptors with their receptive fields ([`descriptor`]); a clip's
//!    descriptors, all at once or streamed while it decodes ([`clip_descriptors`]); PCA,
//!    Gaussian mixture and Fisher vectors ([`fisher`]).
//! 3. **Model**: labelled clip sets ([`dataset`]); the Fisher-vector / linear-SVM classifier
//!    and its scoring ([`classifier`]), its training ([`training`]), model folder
//!    ([`model_files`]) and embedded default ([`default_model`]); accuracy and
//!    cross-validation ([`accuracy`]); many clips at once ([`batch`]).
//! 4. **Explanation**: LRP through the chain onto blocks and frames ([`explain`]); the other
//!    methods — SA, IG, SmoothGrad, occlusion — and one entry for all ([`attribution`]); a clip
//!    scored again after edits of a few cells ([`editable_clip`]); deletion, insertion,
//!    localisation and randomisation over a set ([`faithfulness`]) and its page
//!    ([`evaluation_page`]); how good the explanations are ([`explanation_quality`]); SpRAy maps of clips and frames
//!    ([`spray_maps`]); the report folder ([`report`]) with its pictures ([`heatmap`],
//!    [`draw`]).
//! 5. **Synthetic set**: rendered actions with masks and planted cues ([`synth`]), encoded with
//!    the encoders real footage meets ([`encode`]).

// 1. Decoding and motion
pub mod field;
pub mod motion;
pub mod motion_summary;
pub mod picture;
pub mod rotation;
mod unpack;
// 2. Features
pub mod clip_descriptors;
pub mod descriptor;
pub mod fisher;
// 3. Model
pub mod accuracy;
pub mod batch;
pub mod classifier;
pub mod dataset;
pub mod default_model;
pub mod model_files;
pub mod training;
// 4. Explanation
pub mod attribution;
pub mod draw;
pub mod editable_clip;
pub mod evaluation_page;
pub mod explain;
pub mod explanation_quality;
pub mod faithfulness;
pub mod heatmap;
pub mod report;
pub mod spray_maps;
pub mod spray_page;
// 5. Synthetic set
pub mod encode;
pub mod synth;

mod error;

pub use descriptor::{Descriptor, DescriptorExtractor, DescriptorOptions};
pub use encode::{ClipWriter, EncodeOptions, Encoder};
pub use error::VideoError;
pub use field::MotionField;
pub use motion::{
    FrameKind, MotionFrame, MotionOptions, MotionReader, MotionSource, ReferenceCheck,
    VectorOrigin, VideoInfo,
};
pub use motion_summary::{summarize, MotionSummary};
pub use picture::RgbImage;
