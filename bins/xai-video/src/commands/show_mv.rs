//! `xai-video show-mv`: a clip's motion field drawn over its decoded pictures.

use std::path::{Path, PathBuf};

use clap::Args;
use outcome::output::StagedFolder;
use outcome::{outln, Failure};
use video::draw_field_png;
use video::MotionOptions;
use video::MotionReader;

use crate::args::{GridArg, StreamArg};
use crate::failure::{video_failure, Error};

/// Writes PNG frames with the motion field drawn over the decoded picture.
#[derive(Args)]
pub(crate) struct ShowMvArgs {
    clip: PathBuf,
    #[command(flatten)]
    stream: StreamArg,
    /// Folder for the PNG files (refused if it holds files, unless --force).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    grid: GridArg,
    /// Draw every N-th frame.
    #[arg(long, default_value_t = 1)]
    every: usize,
    /// Replace the PNG files in an existing folder.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: ShowMvArgs) -> Result<(), Error> {
    show_mv(
        &args.clip,
        &args.out,
        MotionOptions { block: args.grid.block, pictures: true, stream: args.stream.stream },
        args.every,
        args.force,
    )
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
