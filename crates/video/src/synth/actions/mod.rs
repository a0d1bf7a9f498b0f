//! The synthetic action set: an articulated, textured figure doing one of six actions over a
//! textured background, with per-clip random size, position, speed, phase, direction,
//! clothing, camera jitter and noise; encoded as H.264 (fixed GOP, B-frames) with, for every
//! clip, the figure's per-frame mask (the ground truth of where the action is).
//!
//! A planted "Clever Hans" cue (`Artifact`) can be added to one class only: a ticker band
//! scrolling along the bottom, or a logo bouncing in a corner. Both move, so motion vectors
//! see them.

mod cue;
mod figure;
mod masks;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::error::VideoError;
use crate::synth::{ClipWriter, EncodeOptions, Encoder};
pub use cue::artifact_rect;
use figure::{render, Look};
pub use masks::read_masks;
use masks::write_masks;

/// The actions the figure can do.
pub const ACTIONS: [&str; 6] = ["wave", "jumping-jack", "walk", "bend", "sit-up", "box"];

/// A planted cue visible to motion vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// A striped band scrolling along the bottom edge.
    Ticker,
    /// A small square bouncing in the top-right corner.
    Logo,
}

impl std::str::FromStr for ArtifactKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ticker" => Ok(ArtifactKind::Ticker),
            "logo" => Ok(ArtifactKind::Logo),
            _ => Err(format!("unknown artifact `{s}` (ticker or logo)")),
        }
    }
}

/// What to render.
#[derive(Clone, Debug, Serialize)]
pub struct SynthOptions {
    pub classes: Vec<String>,
    pub per_class: usize,
    pub seed: u64,
    pub width: usize,
    pub height: usize,
    pub frames: usize,
    /// A cue planted in clips of one class.
    pub artifact: Option<(String, ArtifactKind)>,
    /// Share of that class's clips that carry the cue (drawn with its own seeded stream).
    pub artifact_share: f64,
    #[serde(skip)]
    pub encode: EncodeOptions,
    pub encodings: Encodings,
}

/// How a set's clips are encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encodings {
    /// Every clip with [`SynthOptions::encode`]: libx264, one reference, no B-pyramid.
    Exact,
    /// Clip `i` of each class with recipe `i mod 7` of [`mixed_encoders`], so that a model
    /// trained on the set sees the motion of the encoders real footage comes from.
    #[default]
    Mixed,
}

impl std::str::FromStr for Encodings {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "exact" => Ok(Encodings::Exact),
            "mixed" => Ok(Encodings::Mixed),
            _ => Err(format!("unknown encodings `{s}` (exact or mixed)")),
        }
    }
}

/// The recipes of [`Encodings::Mixed`], by name: the exact recipe, libx264's defaults
/// (B-pyramid, three references), the shared Kinetics clips' recipe, MPEG-2 and MPEG-4 Part 2
/// with B-frames, HEVC and VP9 (whose motion is estimated again when read). Every recipe is
/// single-threaded and free of wall-clock rate control (VP9 at the `good` deadline, not
/// `realtime`, which adapts to the machine's speed), so a seed renders the same set.
pub fn mixed_encoders(exact: &EncodeOptions) -> Vec<(&'static str, Encoder)> {
    let fps = exact.fps;
    vec![
        ("h264-exact", exact.encoder()),
        (
            "h264-default",
            Encoder::new("libx264", fps).option("crf", "20").option("x264-params", "threads=1"),
        ),
        (
            "h264-kinetics",
            Encoder::new("libx264", fps).option("crf", "26").option(
                "x264-params",
                "keyint=12:min-keyint=12:scenecut=0:bframes=2:ref=3:threads=1",
            ),
        ),
        ("mpeg2", Encoder::new("mpeg2video", fps).gop(12).b_frames(2).option("q", "3")),
        ("mpeg4", Encoder::new("mpeg4", fps).gop(12).b_frames(2).option("qscale", "3")),
        (
            "hevc",
            Encoder::new("libx265", fps)
                .option("x265-params", "log-level=none:pools=1:frame-threads=1"),
        ),
        (
            "vp9",
            Encoder::new("libvpx-vp9", fps)
                .option("deadline", "good")
                .option("cpu-used", "5")
                .option("threads", "1"),
        ),
    ]
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            classes: ACTIONS.iter().map(|s| s.to_string()).collect(),
            per_class: 40,
            seed: 1,
            width: 160,
            height: 120,
            frames: 60,
            artifact: None,
            artifact_share: 1.0,
            encode: EncodeOptions::default(),
            encodings: Encodings::default(),
        }
    }
}

/// One rendered clip.
#[derive(Clone, Debug, Serialize)]
pub struct SynthClip {
    pub class: String,
    /// Relative to the set's folder.
    pub video: PathBuf,
    pub mask: PathBuf,
    pub artifact: bool,
    /// The recipe it was encoded with (see [`mixed_encoders`]).
    pub encoding: String,
}

/// Renders the set into `dir` (a folder per class, a clip and a mask file per clip, and
/// `manifest.json`); `progress` is told of each clip. Refuses a folder that holds files.
pub fn render_set(
    dir: &Path,
    options: &SynthOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<SynthClip>, VideoError> {
    for class in &options.classes {
        if !ACTIONS.contains(&class.as_str()) {
            return Err(VideoError::Invalid(format!(
                "unknown action `{class}` (one of {})",
                ACTIONS.join(", ")
            )));
        }
    }
    if let Some((class, _)) = &options.artifact {
        if !options.classes.contains(class) {
            return Err(VideoError::Invalid(format!(
                "the artifact's class `{class}` is not among the rendered classes"
            )));
        }
    }
    if options.width % 2 == 1
        || options.height % 2 == 1
        || options.frames == 0
        || options.per_class == 0
    {
        return Err(VideoError::Invalid(
            "even width and height, and at least one frame and one clip per class".into(),
        ));
    }
    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut cue_rng = StdRng::seed_from_u64(options.seed ^ 0xC1E5_0000);
    let total = options.classes.len() * options.per_class;
    let recipes = match options.encodings {
        Encodings::Exact => vec![("h264-exact", options.encode.encoder())],
        Encodings::Mixed => mixed_encoders(&options.encode),
    };
    // Every folder first: once an interruption has removed `dir`, writing a clip fails rather
    // than making `dir` again.
    for class in &options.classes {
        let folder = dir.join(class);
        std::fs::create_dir_all(&folder).map_err(|e| VideoError::write(&folder, e))?;
    }
    let mut clips = Vec::with_capacity(total);
    for class in &options.classes {
        let class_cue = options.artifact.as_ref().filter(|(c, _)| c == class).map(|(_, k)| *k);
        for i in 0..options.per_class {
            let artifact =
                class_cue.filter(|_| cue_rng.gen_bool(options.artifact_share.clamp(0.0, 1.0)));
            let name = format!("{class}_{i:03}");
            let video = PathBuf::from(class).join(format!("{name}.mp4"));
            let mask = PathBuf::from(class).join(format!("{name}.mask.pbm"));
            let look = Look::random(&mut rng, options.width, options.height);
            let mut clip_rng = StdRng::seed_from_u64(rng.gen());
            let (encoding, encoder) = &recipes[i % recipes.len()];
            let mut writer = ClipWriter::with_encoder(
                &dir.join(&video),
                options.width,
                options.height,
                encoder,
            )?;
            let mut masks = Vec::with_capacity(options.frames);
            let mut jitter = (0.0f32, 0.0f32);
            for t in 0..options.frames {
                jitter = (
                    (jitter.0 + clip_rng.gen_range(-0.5..0.5)).clamp(-2.0, 2.0),
                    (jitter.1 + clip_rng.gen_range(-0.5..0.5)).clamp(-2.0, 2.0),
                );
                let (picture, figure) = render(
                    class,
                    &look,
                    t,
                    jitter,
                    artifact,
                    &mut clip_rng,
                    (options.width, options.height),
                );
                writer.push(&picture)?;
                masks.push(figure);
            }
            writer.finish()?;
            write_masks(&dir.join(&mask), &masks, options.width, options.height)?;
            clips.push(SynthClip {
                class: class.clone(),
                video,
                mask,
                artifact: artifact.is_some(),
                encoding: encoding.to_string(),
            });
            progress(clips.len(), total);
        }
    }
    let manifest = serde_json::json!({ "format": "relvis-synthetic-actions", "version": 1, "options": options, "clips": clips });
    let path = dir.join("manifest.json");
    std::fs::write(&path, serde_json::to_string_pretty(&manifest).expect("serialises"))
        .map_err(|e| VideoError::write(&path, e))?;
    Ok(clips)
}
