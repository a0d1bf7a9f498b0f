//! `mv`, `show-mv` and `descriptors`: a clip's motion as read, drawn and described.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use outcome::output::{Sink, StagedFolder};
use outcome::{outln, Failure};
use video::draw::draw_field_png;
use video::{summarize, DescriptorExtractor, DescriptorOptions, MotionOptions, MotionReader, VectorOrigin};

pub(crate) fn mv(clip: &Path, reading: MotionOptions, json: bool) -> Result<(), Failure> {
    let block = reading.block;
    let summary = summarize(clip, reading)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&summary).expect("serialises"))?;
        return Ok(());
    }
    let info = &summary.info;
    let origin = match info.vectors {
        VectorOrigin::Exported => "vectors as exported",
        VectorOrigin::Reestimated => "no vectors exported for this codec: motion estimated again from the pictures (libx264)",
    };
    outln!("{}: stream {}, {} {}×{}, {} frames; {origin}", clip.display(), info.stream, info.codec, info.width, info.height, summary.frames)?;
    if let (Some(fps), Some(d)) = (info.frame_rate, info.duration) {
        outln!("  {fps:.2} fps, {d:.2} s")?;
    }
    let count = |k: char| summary.kinds.chars().filter(|&c| c == k).count();
    outln!("  frame types: {} I, {} P, {} B, {} other; {} without vectors (field carried over)", count('I'), count('P'), count('B'), count('?'), summary.carried_frames)?;
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
        outln!("  warning: the picture size changes; {} frames scaled to the first size", summary.resized_frames)?;
    }
    if summary.info.rotation.clockwise_degrees != 0 {
        outln!("  turned {}° clockwise for display, as its display matrix asks", summary.info.rotation.clockwise_degrees)?;
    }
    if summary.damaged_frames > 0 {
        outln!("  warning: {} frames hold damaged data (concealed by the decoder)", summary.damaged_frames)?;
    }
    if summary.corrupt_packets > 0 {
        outln!("  warning: {} packets did not decode and were skipped", summary.corrupt_packets)?;
    }
    Ok(())
}


pub(crate) fn show_mv(clip: &Path, out: &Path, reading: MotionOptions, every: usize, force: bool) -> Result<(), Failure> {
    if every == 0 {
        return Err(Failure::usage("--every must be at least 1"));
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
        let path = staged.path().join(format!("frame{:05}-{}.png", frame.index, frame.kind.letter()));
        draw_field_png(picture, &frame.field, &path).map_err(|e| staged.name_destination(e.into()))?;
        written += 1;
    }
    staged.commit()?;
    outln!("{written} frames drawn in {}", out.display())?;
    Ok(())
}

pub(crate) fn descriptors(clip: &Path, reading: MotionOptions, options: DescriptorOptions, out: Option<&Path>, force: bool) -> Result<(), Failure> {
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
                serde_json::to_writer(&mut *w, &d).map_err(std::io::Error::from).and_then(|()| w.write_all(b"\n")).map_err(|e| w.failure(e))?;
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
