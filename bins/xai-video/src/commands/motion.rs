//! `mv`, `show-mv` and `descriptors`: a clip's motion as read, drawn and described.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::args::{count, GridArg, StreamArg};
use crate::failure::{video_failure, Error};
use clap::Args;
use outcome::output::{Sink, StagedFolder};
use outcome::{outln, Failure};
use video::draw_field_png;
use video::{
    summarize_motion, DescriptorExtractor, DescriptorOptions, MotionOptions, MotionReader,
    VectorOrigin,
};

fn mv(clip: &Path, reading: MotionOptions, json: bool) -> Result<(), Error> {
    let block = reading.block;
    let summary = summarize_motion(clip, reading)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&summary).expect("serialises"))?;
        return Ok(());
    }
    let info = &summary.info;
    let origin = match info.vectors {
        VectorOrigin::Exported => "vectors as exported",
        VectorOrigin::Reestimated => {
            "no vectors exported for this codec: motion estimated again from the pictures (libx264)"
        }
    };
    outln!(
        "{}: stream {}, {} {}×{}, {} frames; {origin}",
        clip.display(),
        info.stream,
        info.codec,
        info.width,
        info.height,
        summary.frames
    )?;
    if let (Some(fps), Some(d)) = (info.frame_rate, info.duration) {
        outln!("  {fps:.2} fps, {d:.2} s")?;
    }
    let count = |k: char| summary.kinds.chars().filter(|&c| c == k).count();
    outln!(
        "  frame types: {} I, {} P, {} B, {} other; {} without vectors (field carried over)",
        count('I'),
        count('P'),
        count('B'),
        count('?'),
        summary.carried_frames
    )?;
    let shown: String = summary.kinds.chars().take(72).collect();
    outln!("  display order: {shown}{}", if summary.frames > 72 { "…" } else { "" })?;
    outln!("  grid {}×{} blocks of {block} px; {} vectors, {:.1} per frame; mean motion {:.3} px/frame", summary.grid.1, summary.grid.0, summary.total_vectors, summary.total_vectors as f64 / summary.frames.max(1) as f64, summary.mean_magnitude)?;
    let r = &summary.references;
    if r.assumed + r.guessed > 0 || summary.uncertain_frames > 0 {
        outln!("  references: {} vectors matched or fixed by the codec, {} still, {} assumed, {} guessed; {} frames uncertain", r.known, r.still, r.assumed, r.guessed, summary.uncertain_frames)?;
    }
    if summary.next_reference_frames > 0 {
        outln!("  {} MPEG-4 Part 2 B-frames take the next reference frame's field (their exported vectors are not their own)", summary.next_reference_frames)?;
    }
    if summary.resized_frames > 0 {
        outln!(
            "  warning: the picture size changes; {} frames scaled to the first size",
            summary.resized_frames
        )?;
    }
    if summary.info.rotation.clockwise_degrees != 0 {
        outln!(
            "  turned {}° clockwise for display, as its display matrix asks",
            summary.info.rotation.clockwise_degrees
        )?;
    }
    if summary.damaged_frames > 0 {
        outln!(
            "  warning: {} frames hold damaged data (concealed by the decoder)",
            summary.damaged_frames
        )?;
    }
    if summary.corrupt_packets > 0 {
        outln!("  warning: {} packets did not decode and were skipped", summary.corrupt_packets)?;
    }
    Ok(())
}

fn show_mv(
    clip: &Path,
    out: &Path,
    reading: MotionOptions,
    every: usize,
    force: bool,
) -> Result<(), Error> {
    if every == 0 {
        return Err(Failure::usage("--every must be at least 1").into());
    }
    let staged = StagedFolder::new(out, force)?;
    let reader = MotionReader::open(clip, reading)?;
    let mut written = 0;
    for frame in reader {
        let frame = frame?;
        if frame.index % every != 0 {
            continue;
        }
        let picture = frame.picture.as_ref().expect("pictures were asked for");
        let path =
            staged.path().join(format!("frame{:05}-{}.png", frame.index, frame.kind.letter()));
        draw_field_png(picture, &frame.field, &path)
            .map_err(|e| staged.name_destination(video_failure(e)))?;
        written += 1;
    }
    staged.commit()?;
    outln!("{written} frames drawn in {}", out.display())?;
    Ok(())
}

fn descriptors(
    clip: &Path,
    reading: MotionOptions,
    options: DescriptorOptions,
    out: Option<&Path>,
    force: bool,
) -> Result<(), Error> {
    let mut writer = out.map(|path| Sink::open(Some(path), force)).transpose()?;
    let start = Instant::now();
    let reader = MotionReader::open(clip, reading)?;
    let mut extractor = DescriptorExtractor::new(options)?;
    let (mut frames, mut count) = (0usize, 0usize);
    for frame in reader {
        let frame = frame?;
        frames += 1;
        for d in extractor.push(frame.index, &frame.field) {
            count += 1;
            if let Some(w) = writer.as_mut() {
                serde_json::to_writer(&mut *w, &d)
                    .map_err(std::io::Error::from)
                    .and_then(|()| w.write_all(b"\n"))
                    .map_err(|e| w.failure(e))?;
            }
        }
    }
    if let Some(w) = writer {
        w.finish()?;
    }
    let seconds = start.elapsed().as_secs_f64();
    outln!(
        "{}: {frames} frames, {count} descriptors (HOF {}, MBHx {}, MBHy {} values), {:.0} frames/s",
        clip.display(),
        options.hof_len(),
        options.mbh_len(),
        options.mbh_len(),
        frames as f64 / seconds.max(1e-9)
    )?;
    Ok(())
}

/// Codec, size, frame types, vectors per frame and mean motion of a clip.
#[derive(Args)]
pub(crate) struct MvArgs {
    pub(crate) clip: PathBuf,
    #[command(flatten)]
    pub(crate) stream: StreamArg,
    #[command(flatten)]
    pub(crate) grid: GridArg,
    /// Print JSON (with every frame) instead of a summary.
    #[arg(long)]
    pub(crate) json: bool,
}

impl MvArgs {
    pub(crate) fn run(self) -> Result<(), Error> {
        mv(
            &self.clip,
            MotionOptions { block: self.grid.block, pictures: false, stream: self.stream.stream },
            self.json,
        )
    }
}

/// Writes PNG frames with the motion field drawn over the decoded picture.
#[derive(Args)]
pub(crate) struct ShowMvArgs {
    pub(crate) clip: PathBuf,
    #[command(flatten)]
    pub(crate) stream: StreamArg,
    /// Folder for the PNG files (refused if it holds files, unless --force).
    #[arg(long)]
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) grid: GridArg,
    /// Draw every N-th frame.
    #[arg(long, default_value_t = 1)]
    pub(crate) every: usize,
    /// Replace the PNG files in an existing folder.
    #[arg(long)]
    pub(crate) force: bool,
}

impl ShowMvArgs {
    pub(crate) fn run(self) -> Result<(), Error> {
        show_mv(
            &self.clip,
            &self.out,
            MotionOptions { block: self.grid.block, pictures: true, stream: self.stream.stream },
            self.every,
            self.force,
        )
    }
}

/// HOF, MBHx and MBHy descriptors of a clip: a summary, or JSON lines with --out.
#[derive(Args)]
pub(crate) struct DescriptorsArgs {
    pub(crate) clip: PathBuf,
    #[command(flatten)]
    pub(crate) stream: StreamArg,
    #[command(flatten)]
    pub(crate) grid: GridArg,
    /// Cuboid length in frames.
    #[arg(long, default_value_t = DescriptorOptions::default().frames, value_parser = count)]
    pub(crate) frames: usize,
    /// Frames between cuboid starts.
    #[arg(long, default_value_t = DescriptorOptions::default().time_stride, value_parser = count)]
    pub(crate) time_stride: usize,
    /// Write every descriptor as a JSON line to this file.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Replace an existing --out file.
    #[arg(long)]
    pub(crate) force: bool,
}

impl DescriptorsArgs {
    pub(crate) fn run(self) -> Result<(), Error> {
        let options = DescriptorOptions {
            frames: self.frames,
            time_stride: self.time_stride,
            ..DescriptorOptions::default()
        };
        descriptors(
            &self.clip,
            MotionOptions { block: self.grid.block, pictures: false, stream: self.stream.stream },
            options,
            self.out.as_deref(),
            self.force,
        )
    }
}
