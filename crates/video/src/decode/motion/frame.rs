//! What the reader gives: a clip's description, the options it reads with, and each frame's
//! motion with how it was obtained.

use ffmpeg_next::util::picture;
use serde::Serialize;

use super::reference::ReferenceCheck;
use crate::decode::DisplayRotation;
use crate::decode::MotionField;
use crate::decode::RgbImage;

/// The coding type of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum FrameKind {
    I,
    P,
    B,
    /// Any other (switching, sprite) or unknown type.
    Other,
}

impl FrameKind {
    pub(crate) fn of(kind: picture::Type) -> Self {
        match kind {
            picture::Type::I | picture::Type::SI => FrameKind::I,
            picture::Type::P | picture::Type::SP => FrameKind::P,
            picture::Type::B | picture::Type::BI => FrameKind::B,
            _ => FrameKind::Other,
        }
    }

    /// One letter: I, P, B or ?.
    pub fn letter(self) -> char {
        match self {
            FrameKind::I => 'I',
            FrameKind::P => 'P',
            FrameKind::B => 'B',
            FrameKind::Other => '?',
        }
    }
}

/// Where a clip's vectors come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VectorOrigin {
    /// The vectors the encoder stored in the stream.
    Exported,
    /// The decoder exports none for this codec: estimated again from the decoded pictures
    /// by libx264's motion search (see [`estimate`]).
    Reestimated,
}

/// What the container and the decoder say of a clip.
#[derive(Clone, Debug, Serialize)]
pub struct VideoInfo {
    pub codec: String,
    /// The stream read (FFmpeg's index in the file).
    pub stream: usize,
    pub vectors: VectorOrigin,
    /// Picture size as displayed (after `rotation`); fields and pictures have this size.
    pub width: usize,
    pub height: usize,
    /// The turn the stream's display matrix asks for (phone videos), applied to vectors and pictures.
    pub rotation: DisplayRotation,
    /// Average frames per second, when the container gives it.
    pub frame_rate: Option<f64>,
    /// Seconds, when the container gives it.
    pub duration: Option<f64>,
}

/// How to read motion.
#[derive(Clone, Copy, Debug)]
pub struct MotionOptions {
    /// Block side of the grid in pixels (16 by default, 8 for finer fields).
    pub block: usize,
    /// Also convert each decoded picture to RGB (for drawing).
    pub pictures: bool,
    /// The stream to read (FFmpeg's index); by default the first video stream with exported
    /// vectors, else the first one that decodes.
    pub stream: Option<usize>,
}

impl Default for MotionOptions {
    fn default() -> Self {
        MotionOptions { block: 16, pictures: false, stream: None }
    }
}

impl MotionOptions {
    /// The default options with another block size.
    pub fn with_block(block: usize) -> Self {
        MotionOptions { block, ..MotionOptions::default() }
    }
}

/// How a frame's field was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MotionSource {
    /// From the vectors exported for this frame.
    Exported,
    /// From vectors estimated again from the decoded pictures.
    Reestimated,
    /// An MPEG-4 Part 2 B-frame: the next reference frame's field (see the module notes).
    NextReference,
    /// No vectors of its own: the previous frame's field.
    Carried,
}

/// One frame's motion.
#[derive(Clone, Debug)]
pub struct MotionFrame {
    /// Position in display order, from 0.
    pub index: usize,
    /// Presentation time in seconds (variable frame rates keep their real times).
    pub time: f64,
    pub kind: FrameKind,
    /// Motion vectors behind this frame's field.
    pub vectors: usize,
    /// No vectors of its own: the field is the previous frame's.
    pub carried: bool,
    pub source: MotionSource,
    /// How the vectors' references were found.
    pub references: ReferenceCheck,
    pub field: MotionField,
    /// The decoded picture, when asked for.
    pub picture: Option<RgbImage>,
}
