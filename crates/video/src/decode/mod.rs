//! Stage 1, decoding: motion vectors read from compressed video with each vector's reference,
//! or re-estimated where a codec exports none; packed B-frames unpacked; display rotation;
//! fields on a block grid; decoded pictures; what `xai-video mv` reports.

mod field;
mod motion;
mod motion_summary;
mod picture;
mod rotation;
mod unpack;

pub(crate) use field::FieldBuilder;
pub use field::MotionField;
pub(crate) use motion::init;
pub use motion::{
    FrameKind, MotionFrame, MotionOptions, MotionReader, MotionSource, ReferenceCheck,
    VectorOrigin, VideoInfo,
};
pub use motion_summary::{summarize_motion, FrameSummary, MotionSummary};
pub use picture::RgbImage;
pub use rotation::DisplayRotation;
pub(crate) use unpack::Unpacker;
