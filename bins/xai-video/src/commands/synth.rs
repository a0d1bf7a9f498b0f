//! `xai-video synth`: the synthetic action set, rendered and encoded.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use outcome::outln;
use outcome::output::StagedFolder;
use video::{render_set, ArtifactKind, Encodings, SynthOptions, ACTIONS};

use crate::args::{artifact, count};
use crate::failure::{video_failure, Error};

/// Renders the synthetic action set: H.264 clips in a folder per class, with per-frame
/// figure masks (`.mask.pbm`) and `manifest.json`.
#[derive(Args)]
pub(crate) struct SynthArgs {
    /// Folder for the set (refused if it holds files, unless --force).
    #[arg(long)]
    out: PathBuf,
    /// Actions to render (comma-separated); all six by default.
    #[arg(long, value_delimiter = ',', default_values_t = ACTIONS.map(String::from))]
    classes: Vec<String>,
    #[arg(long, default_value_t = SynthOptions::default().per_class, value_parser = count)]
    per_class: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Frames per clip.
    #[arg(long, default_value_t = SynthOptions::default().frames, value_parser = count)]
    frames: usize,
    /// Plant a cue in one class only: CLASS:ticker or CLASS:logo.
    #[arg(long, value_parser = clap::builder::ValueParser::new(artifact))]
    artifact: Option<(String, ArtifactKind)>,
    /// Share of that class's clips that carry the cue.
    #[arg(long, default_value_t = 1.0)]
    artifact_share: f64,
    /// `mixed`: each class's clips cycle through seven encoder recipes (H.264 three ways,
    /// MPEG-2, MPEG-4 Part 2, HEVC, VP9); `exact`: all H.264 with one reference frame.
    #[arg(long, default_value = "mixed")]
    encodings: Encodings,
    /// Write into a folder that holds files.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: SynthArgs) -> Result<(), Error> {
    let options = SynthOptions {
        classes: args.classes,
        per_class: args.per_class,
        seed: args.seed,
        frames: args.frames,
        artifact: args.artifact,
        artifact_share: args.artifact_share,
        encodings: args.encodings,
        ..SynthOptions::default()
    };
    synth(&args.out, options, args.force)
}

fn synth(out: &Path, options: SynthOptions, force: bool) -> Result<(), Error> {
    let staged = StagedFolder::new(out, force)?;
    let bar = ProgressBar::new((options.classes.len() * options.per_class) as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} clips {elapsed}")
            .expect("a valid template"),
    );
    let start = Instant::now();
    let clips = render_set(staged.path(), &options, |done, _| bar.set_position(done as u64))
        .map_err(|e| staged.name_destination(video_failure(e)))?;
    staged.commit()?;
    bar.finish_and_clear();
    outln!(
        "{} clips ({} classes × {}, {} frames of {}×{}) in {} in {:.0} s",
        clips.len(),
        options.classes.len(),
        options.per_class,
        options.frames,
        options.width,
        options.height,
        out.display(),
        start.elapsed().as_secs_f64()
    )?;
    Ok(())
}
