//! The files `xai-video explain` writes: a JSON report with every number, the per-frame
//! relevance curve, heatmap overlays of block relevance on decoded frames (PNG), a montage
//! of the most relevant frames, and the overlay as an H.264 video.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::encode::{ClipWriter, EncodeOptions};
use crate::error::VideoError;
use crate::explain::VideoExplanation;
use crate::heatmap::{montage, overlay, plot_frame_relevance, save_png};
use crate::motion::{MotionOptions, MotionReader};
use crate::picture::RgbImage;

/// What to draw.
#[derive(Clone, Copy, Debug)]
pub struct ReportOptions {
    /// Write an overlay PNG for every N-th frame.
    pub every: usize,
    /// Frames in the montage (the most relevant ones).
    pub top: usize,
}

/// The files written.
#[derive(Clone, Debug, Serialize)]
pub struct ReportFiles {
    pub json: PathBuf,
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
    /// `[frame][row][col]`.
    blocks: Vec<Vec<Vec<f32>>>,
    files: &'a ReportFiles,
}

/// Writes the report for `explanation` of the clip at `clip` (read as `reading` says) into
/// the folder `dir` (which must exist).
pub fn write_report(clip: &Path, explanation: &VideoExplanation, reading: MotionOptions, dir: &Path, options: ReportOptions) -> Result<ReportFiles, VideoError> {
    let block = reading.block;
    let mut order: Vec<usize> = (0..explanation.per_frame.len()).collect();
    order.sort_by(|&a, &b| explanation.per_frame[b].total_cmp(&explanation.per_frame[a]));
    let top_frames: Vec<usize> = order.into_iter().take(options.top.max(1)).collect();
    let mut files = ReportFiles {
        json: dir.join("explanation.json"),
        curve: dir.join("relevance-per-frame.png"),
        montage: dir.join("most-relevant-frames.png"),
        video: dir.join("overlay.mp4"),
        frames: Vec::new(),
        top_frames,
    };
    let max_abs = explanation.blocks.iter().fold(0f32, |m, v| m.max(v.abs()));
    let title = format!("relevance for {} per frame (score {:.3})", explanation.class_name, explanation.score);
    plot_frame_relevance(&explanation.per_frame, &explanation.frame_kinds, &title, &files.curve)?;
    let reader = MotionReader::open(clip, MotionOptions { pictures: true, ..reading })?;
    let (width, height) = (reader.info().width & !1, reader.info().height & !1);
    let mut writer = ClipWriter::create(&files.video, width, height, EncodeOptions::default())?;
    let mut top: Vec<(usize, RgbImage)> = Vec::new();
    for frame in reader {
        let frame = frame?;
        let Some(relevance) = explanation.blocks.outer_iter().nth(frame.index) else { break };
        let picture = frame.picture.as_ref().expect("pictures were asked for");
        let shown = overlay(picture, relevance, block, max_abs);
        if frame.index % options.every.max(1) == 0 {
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
    let blocks = explanation.blocks.outer_iter().map(|f| f.outer_iter().map(|r| r.to_vec()).collect()).collect();
    let report = JsonReport { clip: clip.display().to_string(), explanation, block, blocks, files: &files };
    std::fs::write(&files.json, serde_json::to_string(&report).expect("serialises")).map_err(|e| VideoError::write(&files.json, e))?;
    Ok(files)
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
