//! `xai-video spray-frames`: SpRAy over the frames of one clip, its phases.

use std::path::{Path, PathBuf};

use clap::Args;
use outcome::outln;
use outcome::output::{check_new, write_file};
use video::frame_phases;

use crate::args::{ModelArg, SprayArg, StreamArg};
use crate::failure::Error;

/// SpRAy over the frames of one clip: its phases, by the frames' relevance maps.
#[derive(Args)]
pub(crate) struct SprayFramesArgs {
    clip: PathBuf,
    #[command(flatten)]
    stream: StreamArg,
    #[command(flatten)]
    model: ModelArg,
    /// Explain this class instead of the predicted one.
    #[arg(long)]
    class: Option<String>,
    #[command(flatten)]
    spray: SprayArg,
    /// Write the analysis as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: SprayFramesArgs) -> Result<(), Error> {
    spray_frames(
        &args.clip,
        args.stream.stream,
        &args.model,
        args.class.as_deref(),
        &args.spray,
        args.json.as_deref(),
        args.force,
    )
}

fn spray_frames(
    clip: &Path,
    stream: Option<usize>,
    model: &ModelArg,
    class: Option<&str>,
    args: &SprayArg,
    json: Option<&Path>,
    force: bool,
) -> Result<(), Error> {
    if let Some(path) = json {
        check_new(path, force)?;
    }
    let model = model.load()?;
    let class = match class {
        Some(name) => Some(model.class_index(name)?),
        None => None,
    };
    let (name, a) = frame_phases(
        &model,
        clip,
        stream,
        class,
        (args.rows, args.cols),
        args.cluster.normalise,
        &args.cluster.options(),
    )?;
    outln!(
        "{}: {} frames by their relevance for {name}; eigenvalues {:?}",
        clip.display(),
        a.maps,
        a.eigenvalues.iter().map(|v| (v * 1e4).round() / 1e4).collect::<Vec<_>>()
    )?;
    outln!("{} phases (cluster sizes {:?}); frame by frame:", a.clusters, a.cluster_sizes)?;
    outln!(
        "  {}",
        a.labels
            .iter()
            .map(|l| char::from_digit(*l as u32 % 36, 36).unwrap_or('?'))
            .collect::<String>()
    )?;
    if let Some(path) = json {
        write_file(path, force, |w| {
            serde_json::to_writer_pretty(w, &a).map_err(std::io::Error::from)
        })?;
    }
    Ok(())
}
