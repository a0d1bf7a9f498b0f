//! The synthetic action set: rendered actions with masks and planted cues, encoded with the
//! encoders real footage meets.

mod actions;
mod encode;

pub use actions::{
    artifact_rect, mixed_encoders, read_masks, render_set, ArtifactKind, Encodings, SynthClip,
    SynthOptions, ACTIONS,
};
pub use encode::{ClipWriter, EncodeOptions, Encoder};
