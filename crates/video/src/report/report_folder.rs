//! The files `xai-video explain` writes: a JSON report (scores, conservation, per-frame and
//! binned relevance, frame types), the block relevance as a safetensors file, the relevance
//! curve, heatmap overlays of block relevance on evenly spaced and on the most relevant frames
//! (PNG), a montage of the most relevant frames, and the overlay as an H.264 video.

use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, TensorView};
use serde::Serialize;

use crate::decode::RgbImage;
use crate::decode::{MotionOptions, MotionReader};
use crate::error::VideoError;
use crate::explain::VideoExplanation;
use crate::report::{binned, plot_frame_relevance};
use crate::report::{montage, overlay, save_png};
use crate::synth::{ClipWriter, Encoder};

/// What to draw.
#[derive(Clone, Copy, Debug)]
pub struct ReportOptions {
    /// Overlay PNGs of this many evenly spaced frames (besides the most relevant ones).
    pub overlays: usize,
    /// Frames in the montage (the most relevant ones, each also written as an overlay PNG).
    pub top: usize,
    /// Frames summed per bar of the binned relevance curve (4 in Samek et al. 2017).
    pub frames_per_bin: usize,
}

/// The files written.
#[derive(Clone, Debug, Serialize)]
pub struct ReportFiles {
    pub json: PathBuf,
    /// Block relevance `[frames, rows, cols]` (tensor `blocks`) and the per-frame sums
    /// (`per_frame`), f32 in a safetensors file: 4 bytes per block and frame.
    pub relevance: PathBuf,
    pub curve: PathBuf,
    pub montage: PathBuf,
    pub video: PathBuf,
    pub frames: Vec<PathBuf>,
    /// The montage's frames, most relevant first.
    pub top_frames: Vec<usize>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    clip: String,
    explanation: &'a VideoExplanation,
    block: usize,
    /// Block grid `(rows, cols)`.
    grid: (usize, usize),
    frames_per_bin: usize,
    /// Relevance summed over `frames_per_bin` consecutive frames.
    per_bin: Vec<f32>,
    files: &'a ReportFiles,
}

/// `count` frame positions spread evenly over `0..frames`, first and last included.
fn evenly_spaced(frames: usize, count: usize) -> Vec<usize> {
    match (frames, count) {
        (0, _) | (_, 0) => Vec::new(),
        (_, 1) => vec![0],
        _ => {
            let mut picked: Vec<usize> =
                (0..count).map(|k| (k * (frames - 1) + (count - 1) / 2) / (count - 1)).collect();
            picked.dedup();
            picked
        }
    }
}

/// Writes the report for `explanation` of the clip at `clip` (read as `reading` says) into
/// the folder `dir` (which must exist). The clip is streamed once more for the overlays:
/// memory holds the montage's frames, not the clip.
pub fn write_report(
    clip: &Path,
    explanation: &VideoExplanation,
    reading: MotionOptions,
    dir: &Path,
    options: ReportOptions,
) -> Result<ReportFiles, VideoError> {
    let block = reading.block;
    let frames = explanation.per_frame.len();
    let mut order: Vec<usize> = (0..frames).collect();
    order.sort_by(|&a, &b| explanation.per_frame[b].total_cmp(&explanation.per_frame[a]));
    let top_frames: Vec<usize> = order.into_iter().take(options.top.max(1)).collect();
    let mut drawn = evenly_spaced(frames, options.overlays);
    drawn.extend(&top_frames);
    drawn.sort_unstable();
    drawn.dedup();
    let mut files = ReportFiles {
        json: dir.join("explanation.json"),
        relevance: dir.join("relevance.safetensors"),
        curve: dir.join("relevance-per-frame.png"),
        montage: dir.join("most-relevant-frames.png"),
        video: dir.join("overlay.mp4"),
        frames: Vec::new(),
        top_frames,
    };
    let max_abs = explanation.blocks.iter().fold(0f32, |m, v| m.max(v.abs()));
    let title =
        format!("relevance for {} (score {:.3})", explanation.class_name, explanation.score);
    plot_frame_relevance(
        &explanation.per_frame,
        &explanation.frame_kinds,
        options.frames_per_bin,
        &title,
        &files.curve,
    )?;
    let reader = MotionReader::open(clip, MotionOptions { pictures: true, ..reading })?;
    let (width, height) = (reader.info().width & !1, reader.info().height & !1);
    // A picture to watch, not to read motion from: x264's fastest preset.
    let fps = reader.info().frame_rate.map_or(25, |r| r.round().clamp(1.0, 240.0) as u32);
    let encoder = Encoder::new("libx264", fps).option("preset", "ultrafast").option("crf", "23");
    let mut writer = ClipWriter::with_encoder(&files.video, width.max(2), height.max(2), &encoder)?;
    let mut top: Vec<(usize, RgbImage)> = Vec::new();
    for frame in reader {
        let frame = frame?;
        let Some(relevance) = explanation.blocks.outer_iter().nth(frame.index) else { break };
        let picture = frame.picture.as_ref().expect("pictures were asked for");
        let shown = overlay(picture, relevance, block, max_abs);
        if drawn.binary_search(&frame.index).is_ok() {
            let path = dir.join(format!("frame{:05}-{}.png", frame.index, frame.kind.letter()));
            save_png(&shown, &path)?;
            files.frames.push(path);
        }
        if files.top_frames.contains(&frame.index) {
            top.push((frame.index, shown.clone()));
        }
        writer.push(&crop(&shown, width, height))?;
    }
    writer.finish()?;
    top.sort_by_key(|(i, _)| files.top_frames.iter().position(|t| t == i));
    if let Some(picture) = montage(&top.into_iter().map(|(_, p)| p).collect::<Vec<_>>()) {
        save_png(&picture, &files.montage)?;
    }
    write_relevance(explanation, &files.relevance)?;
    let grid =
        (explanation.blocks.len_of(ndarray::Axis(1)), explanation.blocks.len_of(ndarray::Axis(2)));
    let per_bin = binned(&explanation.per_frame, options.frames_per_bin);
    let report = JsonReport {
        clip: clip.display().to_string(),
        explanation,
        block,
        grid,
        frames_per_bin: options.frames_per_bin.max(1),
        per_bin,
        files: &files,
    };
    std::fs::write(&files.json, serde_json::to_string(&report).expect("serialises"))
        .map_err(|e| VideoError::write(&files.json, e))?;
    Ok(files)
}

/// The block relevance and per-frame sums as a safetensors file.
fn write_relevance(explanation: &VideoExplanation, path: &Path) -> Result<(), VideoError> {
    let blocks = explanation.blocks.as_standard_layout();
    let (blocks_bytes, per_frame_bytes) = (
        little_endian_bytes(blocks.as_slice().expect("standard layout")),
        little_endian_bytes(&explanation.per_frame),
    );
    let views = [
        ("blocks", TensorView::new(Dtype::F32, explanation.blocks.shape().to_vec(), &blocks_bytes)),
        (
            "per_frame",
            TensorView::new(Dtype::F32, vec![explanation.per_frame.len()], &per_frame_bytes),
        ),
    ];
    let views: Vec<(&str, TensorView)> = views
        .into_iter()
        .map(|(n, v)| v.map(|v| (n, v)))
        .collect::<Result<_, _>>()
        .map_err(|e| VideoError::Invalid(format!("{}: {e}", path.display())))?;
    safetensors::serialize_to_file(views, None, path).map_err(|e| match e {
        safetensors::SafeTensorError::IoError(io) => VideoError::write(path, io),
        e => VideoError::Invalid(format!("{}: {e}", path.display())),
    })
}

/// `values` as the little-endian bytes safetensors stores: borrowed on little-endian machines
/// (a long clip's block relevance is not copied), converted elsewhere.
fn little_endian_bytes(values: &[f32]) -> std::borrow::Cow<'_, [u8]> {
    if cfg!(target_endian = "little") {
        // SAFETY: any f32 is four initialised bytes, u8 needs no alignment, and the slice
        // covers exactly the values' memory for the values' lifetime.
        std::borrow::Cow::Borrowed(unsafe {
            std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values))
        })
    } else {
        std::borrow::Cow::Owned(values.iter().flat_map(|v| v.to_le_bytes()).collect())
    }
}

fn crop(picture: &RgbImage, width: usize, height: usize) -> RgbImage {
    if (picture.width, picture.height) == (width, height) {
        return picture.clone();
    }
    let mut out = RgbImage::filled(width, height, [0, 0, 0]);
    for y in 0..height {
        for x in 0..width {
            out.set(x as i64, y as i64, picture.get(x, y));
        }
    }
    out
}
