//! `xai-video descriptors`: a clip's motion described by HOF, MBHx and MBHy.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use outcome::outln;
use outcome::output::Sink;
use video::{DescriptorBatch, DescriptorExtractor, DescriptorOptions, MotionOptions, MotionReader};

use crate::args::{count, GridArg, StreamArg};
use crate::failure::Error;

/// HOF, MBHx and MBHy descriptors of a clip: a summary, or JSON lines with --out.
#[derive(Args)]
pub(crate) struct DescriptorsArgs {
    clip: PathBuf,
    #[command(flatten)]
    stream: StreamArg,
    #[command(flatten)]
    grid: GridArg,
    /// Cuboid length in frames.
    #[arg(long, default_value_t = DescriptorOptions::default().frames, value_parser = count)]
    frames: usize,
    /// Frames between cuboid starts.
    #[arg(long, default_value_t = DescriptorOptions::default().time_stride, value_parser = count)]
    time_stride: usize,
    /// Write every descriptor as a JSON line to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing --out file.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: DescriptorsArgs) -> Result<(), Error> {
    let options = DescriptorOptions {
        frames: args.frames,
        time_stride: args.time_stride,
        ..DescriptorOptions::default()
    };
    descriptors(
        &args.clip,
        MotionOptions { block: args.grid.block, pictures: false, stream: args.stream.stream },
        options,
        args.out.as_deref(),
        args.force,
    )
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
    let mut batch = DescriptorBatch::new(options.lengths());
    let (mut frames, mut count) = (0usize, 0usize);
    for frame in reader {
        let frame = frame?;
        frames += 1;
        batch.clear();
        extractor.push(frame.index, &frame.field, &mut batch);
        for d in batch.descriptors() {
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
