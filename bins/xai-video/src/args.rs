//! Arguments several commands share (stream, grid, data set, model, SpRAy maps), their value
//! parsers, and the progress bar the long commands show.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use outcome::Failure;
use spray::cli::ClusterArgs;
use video::ArtifactKind;
use video::VideoClassifier;
use video::VideoError;
use video::{load_clip_set, ClipSet};

#[derive(Args)]
pub(crate) struct StreamArg {
    /// Read this stream of the file (FFmpeg's index; `xai-video mv` names them); by default
    /// the first video stream with exported vectors, else the first that decodes.
    #[arg(long)]
    pub(crate) stream: Option<usize>,
}

#[derive(Args)]
pub(crate) struct SprayArg {
    /// Rows and columns of the pooled maps.
    #[arg(long, default_value_t = 6, value_parser = count)]
    pub(crate) rows: usize,
    #[arg(long, default_value_t = 8, value_parser = count)]
    pub(crate) cols: usize,
    #[command(flatten)]
    pub(crate) cluster: ClusterArgs,
}

#[derive(Args)]
pub(crate) struct DataArg {
    /// A folder per class, or train/ (with val/ and test/ held out).
    #[arg(long)]
    pub(crate) data: PathBuf,
    /// Share of each class held out when the set has no train/ folder.
    #[arg(long, default_value_t = 0.25, value_parser = held_out)]
    pub(crate) test_fraction: f64,
    /// Seed of that split.
    #[arg(long, default_value_t = 1)]
    pub(crate) split_seed: u64,
}

impl DataArg {
    pub(crate) fn load(&self) -> Result<ClipSet, VideoError> {
        load_clip_set(&self.data, self.test_fraction, self.split_seed)
    }

    /// Refuses a set whose classes are not the model's (its labels index the model's classes).
    pub(crate) fn check_classes(
        &self,
        set: &ClipSet,
        model: &VideoClassifier,
    ) -> Result<(), Failure> {
        if set.classes != model.config.classes {
            return Err(Failure::invalid(format!(
                "{}: classes {:?}, the model knows {:?}",
                self.data.display(),
                set.classes,
                model.config.classes
            )));
        }
        Ok(())
    }
}

#[derive(Args)]
pub(crate) struct ModelArg {
    /// Model folder; the embedded default model (trained on the synthetic action set) if not given.
    #[arg(long)]
    pub(crate) model: Option<PathBuf>,
}

impl ModelArg {
    pub(crate) fn load(&self) -> Result<VideoClassifier, VideoError> {
        match &self.model {
            Some(dir) => VideoClassifier::load(dir),
            None => video::default_model(),
        }
    }
}

pub(crate) fn bar(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template(&format!("{{bar:40}} {{pos}}/{{len}} {what} {{elapsed}}"))
            .expect("a valid template"),
    );
    bar
}

#[derive(Args)]
pub(crate) struct GridArg {
    /// Block side of the motion grid in pixels.
    #[arg(long, default_value_t = 16, value_parser = clap::builder::ValueParser::new(block_size))]
    pub(crate) block: usize,
}

/// A rule or composite, for `--rule`.
pub(crate) fn rules(s: &str) -> Result<lrp::Composite, String> {
    s.parse().map_err(|e: lrp::LrpError| e.to_string())
}

/// A count of at least one.
pub(crate) fn count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{s}`: expected a whole number of at least 1")),
    }
}

/// A finite number above zero.
pub(crate) fn positive(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .ok_or_else(|| format!("`{s}`: expected a number above 0"))
}

/// A share in (0, 1].
pub(crate) fn share(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| *v > 0.0 && *v <= 1.0)
        .ok_or_else(|| format!("`{s}`: expected a share in (0, 1]"))
}

/// A share held out, in [0, 1).
pub(crate) fn held_out(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| (0.0..1.0).contains(v))
        .ok_or_else(|| format!("`{s}`: expected a share in [0, 1)"))
}

pub(crate) fn block_size(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(b) if (4..=64).contains(&b) => Ok(b),
        _ => Err(format!("`{s}`: the block size is a number of pixels from 4 to 64 (16 or 8)")),
    }
}

pub(crate) fn artifact(s: &str) -> Result<(String, ArtifactKind), String> {
    let (class, kind) =
        s.split_once(':').ok_or_else(|| format!("`{s}`: give CLASS:ticker or CLASS:logo"))?;
    Ok((class.to_string(), kind.parse()?))
}
