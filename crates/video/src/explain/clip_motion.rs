//! A clip as the explanations edit it: its motion fields, picture size and descriptors, and
//! how a block's motion is removed.

use crate::decode::FrameKind;
use crate::decode::MotionField;
use crate::error::VideoError;
use crate::features::ClipDescriptors;
use crate::model::VideoClassifier;

/// A clip as its motion fields, its picture size and its descriptors.
pub struct ClipMotion {
    pub frames: Vec<(FrameKind, MotionField)>,
    pub size: (usize, usize),
    pub descriptors: ClipDescriptors,
}

impl ClipMotion {
    /// The clip's descriptors computed from its `frames`.
    pub fn new(
        model: &VideoClassifier,
        frames: Vec<(FrameKind, MotionField)>,
        size: (usize, usize),
    ) -> Result<Self, VideoError> {
        let descriptors = descriptors_of(model, &frames, size)?;
        Ok(ClipMotion { frames, size, descriptors })
    }

    /// Reads a clip's motion as `model` does.
    pub fn read(
        model: &VideoClassifier,
        path: &std::path::Path,
        stream: Option<usize>,
    ) -> Result<Self, VideoError> {
        let reader = crate::decode::MotionReader::open(path, model.reading(stream))?;
        let size = (reader.info().width, reader.info().height);
        let frames = reader.map(|f| f.map(|f| (f.kind, f.field))).collect::<Result<Vec<_>, _>>()?;
        Self::new(model, frames, size)
    }
}

pub(crate) fn descriptors_of(
    model: &VideoClassifier,
    frames: &[(FrameKind, MotionField)],
    size: (usize, usize),
) -> Result<ClipDescriptors, VideoError> {
    ClipDescriptors::from_fields(
        frames.iter().map(|(k, f)| Ok((*k, f))),
        size,
        model.config.options.descriptor,
    )
}

/// Removes a block's motion: no displacement, no vector (how deletion and occlusion remove it).
pub fn remove_motion(field: &mut MotionField, row: usize, col: usize) {
    field.dx[[row, col]] = 0.0;
    field.dy[[row, col]] = 0.0;
    field.has_vector[[row, col]] = false;
}

/// The clip with every block's motion removed.
pub fn motionless(frames: &[(FrameKind, MotionField)]) -> Vec<(FrameKind, MotionField)> {
    frames
        .iter()
        .map(|(kind, field)| {
            let mut field = field.clone();
            field.dx.fill(0.0);
            field.dy.fill(0.0);
            field.has_vector.fill(false);
            (*kind, field)
        })
        .collect()
}
