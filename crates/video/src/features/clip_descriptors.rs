//! A clip's motion descriptors, by type (HOF, MBHx, MBHy) with their receptive fields:
//! all at once ([`clip_descriptors`]) or streamed in batches while the clip decodes
//! ([`stream_clip`]), so that memory does not grow with the clip.

use std::path::Path;

use ndarray::Array2;
use serde::Serialize;

use crate::decode::MotionField;
use crate::decode::{FrameKind, MotionFrame, MotionOptions, MotionReader};
use crate::error::VideoError;
use crate::features::CHUNK;
use crate::features::{Descriptor, DescriptorBatch, DescriptorExtractor, DescriptorOptions};

/// The three descriptor types, in the order of the Fisher vector's parts.
pub const CHANNELS: [&str; 3] = ["hof", "mbhx", "mbhy"];

/// Every descriptor of a clip, by type, and the clip's frames.
pub struct ClipDescriptors {
    /// `[N, len]` per descriptor type (HOF, MBHx, MBHy).
    pub channels: [Array2<f32>; 3],
    /// Receptive fields, one per row.
    pub fields: Vec<Descriptor>,
    pub frame_kinds: Vec<FrameKind>,
    /// Block grid `(rows, cols)`.
    pub grid: (usize, usize),
    pub width: usize,
    pub height: usize,
}

/// Reads a clip's motion and computes all its descriptors.
pub fn clip_descriptors(
    path: &Path,
    reading: MotionOptions,
    options: DescriptorOptions,
) -> Result<ClipDescriptors, VideoError> {
    let reader = MotionReader::open(path, reading)?;
    let (width, height) = (reader.info().width, reader.info().height);
    let frames = reader.map(|f| f.map(|f| (f.kind, f.field)));
    ClipDescriptors::from_fields(frames, (width, height), options).map_err(|e| match e {
        VideoError::Invalid(why) => VideoError::Invalid(format!("{}: {why}", path.display())),
        e => e,
    })
}

/// Streams a clip's descriptors in batches of about `CHUNK` to `each` (only one batch and one
/// cuboid of frames in memory); gives the number of frames.
pub fn stream_descriptors(
    path: &Path,
    reading: MotionOptions,
    options: DescriptorOptions,
    each: impl FnMut(&DescriptorBatch) -> Result<(), VideoError>,
) -> Result<StreamedClip, VideoError> {
    stream_clip(path, reading, options, |_| {}, each)
}

/// Frames the decoding thread may run ahead of the descriptors.
const FRAMES_AHEAD: usize = 8;

/// [`stream_descriptors`], showing `frame_seen` every frame's motion as it passes. Decoding
/// and motion fields run on a thread of their own, descriptors and `each` on the caller's: the
/// two halves take about the same time, so a clip streams at nearly twice the speed.
pub fn stream_clip(
    path: &Path,
    reading: MotionOptions,
    options: DescriptorOptions,
    mut frame_seen: impl FnMut(&MotionFrame),
    mut each: impl FnMut(&DescriptorBatch) -> Result<(), VideoError>,
) -> Result<StreamedClip, VideoError> {
    let mut extractor = DescriptorExtractor::new(options)?;
    std::thread::scope(|scope| {
        let (sender, frames) =
            std::sync::mpsc::sync_channel::<Result<MotionFrame, VideoError>>(FRAMES_AHEAD);
        let reading = std::thread::Builder::new().name("relvis-decode".into()).spawn_scoped(
            scope,
            move || -> Result<(usize, usize), VideoError> {
                let mut reader = MotionReader::open(path, reading)?;
                for frame in reader.by_ref() {
                    let failed = frame.is_err();
                    // A closed channel means the descriptors stopped on an error of their own.
                    if sender.send(frame).is_err() || failed {
                        break;
                    }
                }
                Ok((reader.damaged_frames(), reader.corrupt_packets()))
            },
        );
        // Only the system's thread limit refuses a thread; the clip cannot be read then.
        let reading = reading.map_err(|e| VideoError::read(path, e))?;
        let mut describe = || -> Result<usize, VideoError> {
            let (mut batch, mut count, mut any) =
                (DescriptorBatch::new(options.lengths()), 0, false);
            for frame in frames.iter() {
                let frame = frame?;
                frame_seen(&frame);
                count += 1;
                extractor.push(frame.index, &frame.field, &mut batch);
                if batch.len() >= CHUNK {
                    each(&batch)?;
                    batch.clear();
                    any = true;
                }
            }
            if !batch.is_empty() {
                each(&batch)?;
                any = true;
            }
            Ok(if any { count } else { 0 })
        };
        let described = describe();
        drop(frames);
        let (damaged_frames, corrupt_packets) =
            reading.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        match described? {
            0 => Err(VideoError::Invalid(format!(
                "{}: too short or too small for one {}-frame descriptor",
                path.display(),
                options.frames
            ))),
            frames => Ok(StreamedClip { frames, damaged_frames, corrupt_packets }),
        }
    })
}

/// What streaming a clip met: its frames, and the damage the decoder worked around.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StreamedClip {
    pub frames: usize,
    /// Frames flagged corrupt or patched by the decoder's error concealment.
    pub damaged_frames: usize,
    /// Packets that did not decode and were skipped.
    pub corrupt_packets: usize,
}

/// The rows of one descriptor type of a batch.
pub(crate) fn channel(batch: &[Descriptor], c: usize) -> Array2<f32> {
    fn get(d: &Descriptor, c: usize) -> &[f32] {
        match c {
            0 => &d.hof,
            1 => &d.mbhx,
            _ => &d.mbhy,
        }
    }
    let len = batch.first().map_or(0, |d| get(d, c).len());
    let mut rows = Vec::with_capacity(batch.len() * len);
    for d in batch {
        rows.extend_from_slice(get(d, c));
    }
    Array2::from_shape_vec((batch.len(), len), rows).expect("equal lengths")
}

impl ClipDescriptors {
    /// All descriptors of a sequence of frames' fields (display order) of a
    /// `width`×`height` clip.
    pub fn from_fields<F: std::borrow::Borrow<MotionField>>(
        frames: impl Iterator<Item = Result<(FrameKind, F), VideoError>>,
        (width, height): (usize, usize),
        options: DescriptorOptions,
    ) -> Result<Self, VideoError> {
        let mut extractor = DescriptorExtractor::new(options)?;
        let (mut batch, mut kinds, mut grid) =
            (DescriptorBatch::new(options.lengths()), Vec::new(), (0, 0));
        for (index, frame) in frames.enumerate() {
            let (kind, field) = frame?;
            let field = field.borrow();
            grid = (field.rows(), field.cols());
            kinds.push(kind);
            extractor.push(index, field, &mut batch);
        }
        if batch.is_empty() {
            return Err(VideoError::Invalid(format!(
                "too short or too small for one {}-frame descriptor",
                options.frames
            )));
        }
        let (fields, channels) = batch.into_parts();
        Ok(ClipDescriptors { channels, fields, frame_kinds: kinds, grid, width, height })
    }
}
