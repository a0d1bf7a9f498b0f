//! What `xai-video mv` reports of a clip: codec, size, frame types, vectors per frame.

use std::path::Path;

use serde::Serialize;

use crate::decode::{MotionOptions, MotionReader, MotionSource, ReferenceCheck, VideoInfo};
use crate::error::VideoError;

/// One frame's line in the summary.
#[derive(Clone, Debug, Serialize)]
pub struct FrameSummary {
    pub index: usize,
    pub time: f64,
    pub kind: char,
    pub vectors: usize,
    pub carried: bool,
    pub source: MotionSource,
    pub references: ReferenceCheck,
    /// More than a quarter of its moving vectors' references assumed or guessed.
    pub uncertain: bool,
    /// Mean displacement (pixels per frame) over the blocks with a vector.
    pub mean_magnitude: f32,
}

/// A clip's motion, summarised.
#[derive(Clone, Debug, Serialize)]
pub struct MotionSummary {
    pub info: VideoInfo,
    pub block: usize,
    pub grid: (usize, usize),
    pub frames: usize,
    /// Frame types in display order, one letter each (I, P, B, ?).
    pub kinds: String,
    pub total_vectors: usize,
    /// How the vectors' references were found, over all frames.
    pub references: ReferenceCheck,
    /// Frames whose references were mostly assumed or guessed.
    pub uncertain_frames: usize,
    /// MPEG-4 Part 2 B-frames given the next reference frame's field.
    pub next_reference_frames: usize,
    /// Frames without vectors of their own (the previous field carried over).
    pub carried_frames: usize,
    /// Frames of another picture size, scaled to the first.
    pub resized_frames: usize,
    /// Mean of the per-frame mean magnitudes over frames with vectors.
    pub mean_magnitude: f32,
    pub corrupt_packets: usize,
    /// Frames flagged corrupt or patched by the decoder's error concealment.
    pub damaged_frames: usize,
    pub per_frame: Vec<FrameSummary>,
}

/// Reads the whole clip at `path` and summarises its motion.
pub fn summarize_motion(path: &Path, options: MotionOptions) -> Result<MotionSummary, VideoError> {
    let mut reader = MotionReader::open(path, options)?;
    let info = reader.info().clone();
    let mut per_frame = Vec::new();
    let mut grid = (0, 0);
    for frame in reader.by_ref() {
        let frame = frame?;
        grid = (frame.field.rows(), frame.field.cols());
        per_frame.push(FrameSummary {
            index: frame.index,
            time: frame.time,
            kind: frame.kind.letter(),
            vectors: frame.vectors,
            carried: frame.carried,
            source: frame.source,
            references: frame.references,
            uncertain: frame.references.uncertain(),
            mean_magnitude: frame.field.mean_magnitude(),
        });
    }
    let moving: Vec<f32> =
        per_frame.iter().filter(|f| f.vectors > 0).map(|f| f.mean_magnitude).collect();
    let mut references = ReferenceCheck::default();
    for f in &per_frame {
        references.add(f.references);
    }
    Ok(MotionSummary {
        info,
        block: options.block,
        grid,
        frames: per_frame.len(),
        kinds: per_frame.iter().map(|f| f.kind).collect(),
        total_vectors: per_frame.iter().map(|f| f.vectors).sum(),
        references,
        uncertain_frames: per_frame.iter().filter(|f| f.uncertain).count(),
        next_reference_frames: per_frame
            .iter()
            .filter(|f| f.source == MotionSource::NextReference)
            .count(),
        carried_frames: per_frame.iter().filter(|f| f.carried).count(),
        resized_frames: reader.resized_frames(),
        mean_magnitude: if moving.is_empty() {
            0.0
        } else {
            moving.iter().sum::<f32>() / moving.len() as f32
        },
        corrupt_packets: reader.corrupt_packets(),
        damaged_frames: reader.damaged_frames(),
        per_frame,
    })
}
