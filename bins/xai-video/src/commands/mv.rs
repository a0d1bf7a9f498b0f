//! `xai-video mv`: a clip's motion as read: codec, size, frame types, vectors per frame.

use std::path::{Path, PathBuf};

use clap::Args;
use outcome::outln;
use video::{summarize_motion, MotionOptions, VectorOrigin};

use crate::args::{GridArg, StreamArg};
use crate::failure::Error;

/// Codec, size, frame types, vectors per frame and mean motion of a clip.
#[derive(Args)]
pub(crate) struct MvArgs {
    clip: PathBuf,
    #[command(flatten)]
    stream: StreamArg,
    #[command(flatten)]
    grid: GridArg,
    /// Print JSON (with every frame) instead of a summary.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: MvArgs) -> Result<(), Error> {
    mv(
        &args.clip,
        MotionOptions { block: args.grid.block, pictures: false, stream: args.stream.stream },
        args.json,
    )
}

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
