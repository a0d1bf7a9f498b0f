//! The synthetic action set: an articulated, textured figure doing one of six actions over a
//! textured background, with per-clip random size, position, speed, phase, direction,
//! clothing, camera jitter and noise; encoded as H.264 (fixed GOP, B-frames) with, for every
//! clip, the figure's per-frame mask (the ground truth of where the action is).
//!
//! A planted "Clever Hans" cue (`Artifact`) can be added to one class only: a ticker band
//! scrolling along the bottom, or a logo bouncing in a corner. Both move, so motion vectors
//! see them.

use std::f32::consts::PI;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::decode::RgbImage;
use crate::error::VideoError;
use crate::synth::{ClipWriter, EncodeOptions, Encoder};

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

/// The random look and timing of one clip.
struct Look {
    scale: f32,
    centre: (f32, f32),
    period: f32,
    phase: f32,
    mirror: bool,
    cloth: ([u8; 3], [u8; 3], f32),
    skin: [u8; 3],
    background: ([f32; 3], [f32; 3], u64),
    walk_speed: f32,
}

impl Look {
    fn random(rng: &mut StdRng, width: usize, height: usize) -> Self {
        let colour = |rng: &mut StdRng| {
            [rng.gen_range(30..226), rng.gen_range(30..226), rng.gen_range(30..226)]
        };
        let scale = rng.gen_range(0.8..1.2) * height as f32 / 120.0;
        Look {
            scale,
            centre: (
                width as f32 * rng.gen_range(0.35..0.65),
                height as f32 * rng.gen_range(0.5..0.6),
            ),
            period: rng.gen_range(14.0..24.0),
            phase: rng.gen_range(0.0..1.0),
            mirror: rng.gen_bool(0.5),
            cloth: (colour(rng), colour(rng), rng.gen_range(3.0..6.0)),
            skin: [rng.gen_range(150..240), rng.gen_range(110..190), rng.gen_range(80..160)],
            background: (
                [
                    rng.gen_range(40.0..200.0),
                    rng.gen_range(40.0..200.0),
                    rng.gen_range(40.0..200.0),
                ],
                [rng.gen_range(20.0..80.0), rng.gen_range(20.0..80.0), rng.gen_range(20.0..80.0)],
                rng.gen(),
            ),
            walk_speed: rng.gen_range(0.6..1.2),
        }
    }
}

/// A limb: a thick segment between two points, textured along its length.
struct Limb {
    from: (f32, f32),
    to: (f32, f32),
    radius: f32,
    skin: bool,
}

/// Joint angles (radians, 0 = straight down, positive towards the figure's front) of a pose.
struct Pose {
    /// Torso lean forward from upright (radians); lying, how far it is raised (0 flat, 1 up).
    torso: f32,
    arms: [(f32, f32); 2],
    legs: [(f32, f32); 2],
    /// Vertical offset of the hip (jumps), in figure units.
    lift: f32,
    /// The whole figure lying on its back (sit-up).
    lying: bool,
}

fn pose(action: &str, s: f32) -> Pose {
    let w = (2.0 * PI * s).sin();
    let rest = Pose {
        torso: 0.0,
        arms: [(0.2, 0.1), (-0.2, -0.1)],
        legs: [(0.1, 0.0), (-0.1, 0.0)],
        lift: 0.0,
        lying: false,
    };
    match action {
        // A raised forearm swinging fast (twice the cycle rate) above the head.
        "wave" => Pose { arms: [(2.7, 0.9 * (4.0 * PI * s).sin()), (-0.2, -0.1)], ..rest },
        "jumping-jack" => {
            let open = 0.5 - 0.5 * (2.0 * PI * s).cos();
            Pose {
                arms: [(0.3 + 2.4 * open, 0.2), (-0.3 - 2.4 * open, -0.2)],
                legs: [(0.1 + 0.35 * open, 0.0), (-0.1 - 0.35 * open, 0.0)],
                lift: 3.0 * open,
                ..rest
            }
        }
        "walk" => Pose {
            arms: [(0.5 * w, 0.3), (-0.5 * w, 0.3)],
            legs: [(0.45 * w, -0.3 * w.max(0.0)), (-0.45 * w, 0.3 * w.min(0.0))],
            ..rest
        },
        "bend" => Pose {
            torso: 0.9 * (0.5 - 0.5 * (2.0 * PI * s).cos()),
            arms: [(0.1, 0.0), (0.1, 0.0)],
            ..rest
        },
        "sit-up" => Pose {
            torso: 0.5 - 0.5 * (2.0 * PI * s).cos(),
            arms: [(2.8, 0.0), (2.9, 0.0)],
            legs: [(2.0, -2.0), (1.9, -1.9)],
            lying: true,
            ..rest
        },
        "box" => {
            let punch = |p: f32| (0.5 + 0.5 * (2.0 * PI * (s + p)).sin()).powi(2);
            // Alternate straight punches at shoulder height; the body leans into each and bounces.
            Pose {
                torso: 0.15 * (punch(0.0) - punch(0.5)).abs(),
                arms: [(1.55, -2.2 * (1.0 - punch(0.0))), (1.55, -2.2 * (1.0 - punch(0.5)))],
                legs: [(0.3, -0.25), (-0.2, 0.0)],
                lift: 0.6 * (4.0 * PI * s).sin().abs(),
                ..rest
            }
        }
        _ => rest,
    }
}

/// The limbs of the figure at time `t` (frames), in pixels.
fn limbs(action: &str, look: &Look, t: f32) -> Vec<Limb> {
    let s = t / look.period + look.phase;
    let p = pose(action, s);
    let u = 6.0 * look.scale; // one figure unit in pixels
    let dir = if look.mirror { -1.0 } else { 1.0 };
    let walk = if action == "walk" { dir * look.walk_speed * (t - 20.0) } else { 0.0 };
    // Angles measured from straight down, positive towards the front (x grows with dir).
    let step = |(x, y): (f32, f32), angle: f32, length: f32| {
        (x + dir * angle.sin() * length * u, y + angle.cos() * length * u)
    };
    let mut hip = (look.centre.0 + walk, look.centre.1 - p.lift * u * 0.5);
    // Upright: straight up (π) leaning forward; lying: flat behind the hips (−π/2), raised
    // by up to 1.2 rad.
    let torso_angle = if p.lying {
        hip.1 += 2.5 * u;
        -PI / 2.0 - 1.2 * p.torso
    } else {
        PI - p.torso
    };
    let neck = step(hip, torso_angle, 5.0);
    let head = step(hip, torso_angle, 6.6);
    let side = |(x, y): (f32, f32), by: f32| (x + by * u * torso_angle.cos().abs().max(0.3), y);
    let mut out = vec![
        Limb { from: hip, to: neck, radius: 1.1 * u, skin: false },
        Limb { from: head, to: head, radius: 1.2 * u, skin: true },
    ];
    for (k, (upper, lower)) in p.arms.into_iter().enumerate() {
        let shoulder = side(step(hip, torso_angle, 4.4), if k == 0 { 1.0 } else { -1.0 });
        let elbow = step(shoulder, torso_angle + PI + upper, 2.6);
        let hand = step(elbow, torso_angle + PI + upper + lower, 2.4);
        out.push(Limb { from: shoulder, to: elbow, radius: 0.55 * u, skin: false });
        out.push(Limb { from: elbow, to: hand, radius: 0.45 * u, skin: true });
    }
    for (k, (upper, lower)) in p.legs.into_iter().enumerate() {
        let top = side(hip, if k == 0 { 0.6 } else { -0.6 });
        let knee = step(top, upper, 3.2);
        let foot = step(knee, upper + lower, 3.2);
        out.push(Limb { from: top, to: knee, radius: 0.7 * u, skin: false });
        out.push(Limb { from: knee, to: foot, radius: 0.55 * u, skin: false });
    }
    out
}

/// Value noise in [0, 1) on a lattice of `cell` pixels.
fn noise(seed: u64, x: f32, y: f32, cell: f32) -> f32 {
    let lattice = |ix: i64, iy: i64| -> f32 {
        let mut h = (ix as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (iy as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
            ^ seed;
        h ^= h >> 29;
        h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 32;
        (h >> 40) as f32 / (1u64 << 24) as f32
    };
    let (gx, gy) = (x / cell, y / cell);
    let (ix, iy) = (gx.floor() as i64, gy.floor() as i64);
    let (fx, fy) = (gx - gx.floor(), gy - gy.floor());
    let top = lattice(ix, iy) * (1.0 - fx) + lattice(ix + 1, iy) * fx;
    let bottom = lattice(ix, iy + 1) * (1.0 - fx) + lattice(ix + 1, iy + 1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Renders frame `t`: the picture and the figure's mask (row-major, true on the figure).
fn render(
    action: &str,
    look: &Look,
    t: usize,
    jitter: (f32, f32),
    artifact: Option<ArtifactKind>,
    rng: &mut StdRng,
    size: (usize, usize),
) -> (RgbImage, Vec<bool>) {
    let (width, height) = size;
    let mut picture = RgbImage::filled(width, height, [0, 0, 0]);
    let mut mask = vec![false; width * height];
    let (base, span, seed) = look.background;
    let body = limbs(action, look, t as f32);
    for y in 0..height {
        for x in 0..width {
            let (fx, fy) = (x as f32 + 0.5 + jitter.0, y as f32 + 0.5 + jitter.1);
            let n = noise(seed, fx, fy, 6.0) * 0.7 + noise(seed ^ 1, fx, fy, 2.0) * 0.3;
            let mut rgb = [0u8; 3];
            for c in 0..3 {
                rgb[c] = (base[c] + span[c] * (2.0 * n - 1.0)).clamp(0.0, 255.0) as u8;
            }
            for limb in &body {
                let (ax, ay) = limb.from;
                let (bx, by) = limb.to;
                let (vx, vy) = (bx - ax, by - ay);
                let length2 = vx * vx + vy * vy;
                let along = if length2 > 0.0 {
                    (((fx - ax) * vx + (fy - ay) * vy) / length2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (px, py) = (ax + along * vx - fx, ay + along * vy - fy);
                if px * px + py * py <= limb.radius * limb.radius {
                    mask[y * width + x] = true;
                    let stripe = ((along * length2.sqrt()) / look.cloth.2).floor() as i64 % 2 == 0;
                    let shade = 0.85 + 0.15 * noise(seed ^ 7, (along * 40.0).floor(), 0.0, 1.0);
                    let colour = if limb.skin {
                        look.skin
                    } else if stripe {
                        look.cloth.0
                    } else {
                        look.cloth.1
                    };
                    rgb = colour.map(|v| (v as f32 * shade) as u8);
                }
            }
            picture.set(x as i64, y as i64, rgb);
        }
    }
    if let Some(kind) = artifact {
        draw_artifact(&mut picture, kind, t);
    }
    // Sensor noise.
    for p in picture.pixels.iter_mut() {
        *p = (*p as i16 + rng.gen_range(-3..=3)).clamp(0, 255) as u8;
    }
    (picture, mask)
}

/// The pixels `[x0, x1) × [y0, y1)` a planted cue covers in frame `t` of a `width`×`height` clip.
pub fn artifact_rect(
    kind: ArtifactKind,
    width: usize,
    height: usize,
    t: usize,
) -> (Range<usize>, Range<usize>) {
    match kind {
        // A band of 10 pixels along the bottom.
        ArtifactKind::Ticker => (0..width, height.saturating_sub(10)..height),
        // A 12-pixel square bouncing up and down in the top-right corner.
        ArtifactKind::Logo => {
            let top = 4 + ((t as f32 * 0.5).sin().abs() * 20.0) as usize;
            (width.saturating_sub(18)..width.saturating_sub(6), top..top + 12)
        }
    }
}

fn draw_artifact(picture: &mut RgbImage, kind: ArtifactKind, t: usize) {
    let (xs, ys) = artifact_rect(kind, picture.width, picture.height, t);
    for y in ys.clone() {
        for x in xs.clone() {
            let (x, y) = (x as i64, y as i64);
            let colour = match kind {
                // Blocks of colour scrolling left 3 pixels a frame.
                ArtifactKind::Ticker => {
                    if ((x + 3 * t as i64) / 6) % 3 != 0 {
                        [250, 250, 250]
                    } else {
                        [200, 30, 30]
                    }
                }
                ArtifactKind::Logo => {
                    let edge = y == ys.start as i64
                        || y == ys.end as i64 - 1
                        || x == xs.start as i64
                        || x == xs.end as i64 - 1;
                    if edge {
                        [20, 20, 160]
                    } else {
                        [240, 200, 0]
                    }
                }
            };
            picture.set(x, y, colour);
        }
    }
}

/// Writes masks as one binary PBM (P4) image per frame, concatenated (netpbm allows several
/// images in a file).
fn write_masks(
    path: &Path,
    masks: &[Vec<bool>],
    width: usize,
    height: usize,
) -> Result<(), VideoError> {
    let mut bytes = Vec::new();
    for mask in masks {
        write!(bytes, "P4\n{width} {height}\n").expect("writing to memory");
        for row in mask.chunks(width) {
            for chunk in row.chunks(8) {
                bytes.push(
                    chunk.iter().enumerate().fold(0u8, |b, (i, &on)| b | (u8::from(on) << (7 - i))),
                );
            }
        }
    }
    std::fs::write(path, bytes).map_err(|e| VideoError::write(path, e))
}

/// Reads the per-frame masks written with a clip: `(width, height, masks)`.
pub fn read_masks(path: &Path) -> Result<(usize, usize, Vec<Vec<bool>>), VideoError> {
    let bytes = std::fs::read(path).map_err(|e| VideoError::read(path, e))?;
    let bad = |why: &str| {
        VideoError::Invalid(format!("{}: not a relvis mask file ({why})", path.display()))
    };
    let (mut at, mut size, mut masks) = (0usize, (0, 0), Vec::new());
    while at < bytes.len() {
        let header_end = bytes[at..]
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .nth(1)
            .map(|(i, _)| at + i + 1)
            .ok_or_else(|| bad("header"))?;
        let header = std::str::from_utf8(&bytes[at..header_end]).map_err(|_| bad("header"))?;
        let mut words = header.split_whitespace();
        if words.next() != Some("P4") {
            return Err(bad("magic"));
        }
        let mut number =
            || words.next().and_then(|w| w.parse::<usize>().ok()).ok_or_else(|| bad("size"));
        let (w, h) = (number()?, number()?);
        size = (w, h);
        let row_bytes = w.div_ceil(8);
        let data =
            bytes.get(header_end..header_end + row_bytes * h).ok_or_else(|| bad("truncated"))?;
        masks.push(
            (0..h)
                .flat_map(|y| {
                    (0..w).map(move |x| data[y * row_bytes + x / 8] >> (7 - x % 8) & 1 == 1)
                })
                .collect(),
        );
        at = header_end + row_bytes * h;
    }
    Ok((size.0, size.1, masks))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_round_trip_through_pbm() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.pbm");
        let masks: Vec<Vec<bool>> =
            (0..3).map(|t| (0..13 * 5).map(|i| (i * 7 + t) % 3 == 0).collect()).collect();
        write_masks(&path, &masks, 13, 5).unwrap();
        assert_eq!(read_masks(&path).unwrap(), (13, 5, masks));
        std::fs::write(&path, b"P4\n13 5\n\x00").unwrap();
        assert!(read_masks(&path).unwrap_err().to_string().contains("truncated"));
    }

    #[test]
    fn every_action_moves_its_figure_inside_the_picture() {
        let look = Look::random(&mut StdRng::seed_from_u64(3), 160, 120);
        let mut rng = StdRng::seed_from_u64(4);
        for action in ACTIONS {
            let (_, a) = render(action, &look, 0, (0.0, 0.0), None, &mut rng, (160, 120));
            let (_, b) = render(action, &look, 5, (0.0, 0.0), None, &mut rng, (160, 120));
            let (na, changed) = (
                a.iter().filter(|&&m| m).count(),
                a.iter().zip(&b).filter(|(x, y)| x != y).count(),
            );
            assert!(na > 200 && na < 160 * 120 / 3, "{action}: figure of {na} pixels");
            assert!(changed > 20, "{action}: only {changed} mask pixels change in 5 frames");
        }
    }
}
