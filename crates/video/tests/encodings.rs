//! Motion read back from a texture panned by a known displacement, encoded the way real
//! encoders do it: libx264's defaults (B-pyramid, three references), four B-frames with a
//! pyramid, the recipe of the shared Kinetics clips, MPEG-2 and MPEG-4 Part 2 with B-frames.

mod common;

use std::path::Path;

use common::{interior, median, textured};
use video::{ClipWriter, Encoder, MotionFrame, MotionOptions, MotionReader};

const TRUE_MOTION: (f32, f32) = (3.0, -2.0);

fn write_pan(path: &Path, frames: i64, encoder: &Encoder) {
    let mut writer = ClipWriter::with_encoder(path, 160, 128, encoder).unwrap();
    let (dx, dy) = (TRUE_MOTION.0 as i64, TRUE_MOTION.1 as i64);
    for t in 0..frames {
        writer.push(&textured(160, 128, -dx * t, -dy * t)).unwrap();
    }
    writer.finish().unwrap();
}

/// The median displacement over interior blocks with vectors (the borders see content enter).
fn interior_median(frame: &MotionFrame) -> Option<(f32, f32)> {
    let (xs, ys) = interior(&frame.field);
    (xs.len() >= 10).then(|| (median(xs), median(ys)))
}

struct Tally {
    with_vectors: usize,
    right: usize,
    /// Frames off by more than 10 % whose record does not say their references were unsure.
    wrong_unmarked: Vec<String>,
    /// Vectors whose reference was assumed or guessed, of all.
    unsure_vectors: (usize, usize),
}

fn tally(path: &Path) -> Tally {
    let frames: Vec<_> = MotionReader::open(path, MotionOptions::default())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut t =
        Tally { with_vectors: 0, right: 0, wrong_unmarked: Vec::new(), unsure_vectors: (0, 0) };
    let tolerance = 0.1 * TRUE_MOTION.0.hypot(TRUE_MOTION.1);
    for frame in &frames {
        if frame.carried {
            continue;
        }
        t.with_vectors += 1;
        let r = frame.references;
        assert_eq!(
            r.known + r.still + r.assumed + r.guessed,
            frame.vectors,
            "frame {}: every vector accounted for",
            frame.index
        );
        t.unsure_vectors.0 += r.assumed + r.guessed;
        t.unsure_vectors.1 += frame.vectors;
        let ok = interior_median(frame)
            .is_some_and(|(mx, my)| (mx - TRUE_MOTION.0).hypot(my - TRUE_MOTION.1) <= tolerance);
        if ok {
            t.right += 1;
        } else if !r.uncertain() {
            t.wrong_unmarked.push(format!(
                "{}{} {:?}",
                frame.index,
                frame.kind.letter(),
                interior_median(frame)
            ));
        }
    }
    t
}

fn check(name: &str, encoder: Encoder, frames: i64, file: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    write_pan(&path, frames, &encoder);
    let t = tally(&path);
    eprintln!("{name}: {} of {} frames with vectors right; wrong and unmarked: {:?}; {} of {} vectors' references assumed or guessed", t.right, t.with_vectors, t.wrong_unmarked, t.unsure_vectors.0, t.unsure_vectors.1);
    assert!(
        t.with_vectors * 10 >= frames as usize * 7,
        "{name}: only {} of {frames} frames carry vectors",
        t.with_vectors
    );
    assert!(
        t.right * 100 >= t.with_vectors * 95,
        "{name}: {} of {} frames right",
        t.right,
        t.with_vectors
    );
    assert!(
        t.wrong_unmarked.is_empty(),
        "{name}: frames off without a mark: {:?}",
        t.wrong_unmarked
    );
}

#[test]
fn x264_defaults_b_pyramid_three_references() {
    check("x264 defaults", Encoder::new("libx264", 25).option("crf", "23"), 99, "default.mp4");
}

#[test]
fn x264_four_b_frames_with_pyramid() {
    check(
        "x264 4 B pyramid",
        Encoder::new("libx264", 25).option("x264-params", "bframes=4:b-pyramid=normal:b-adapt=0"),
        99,
        "b4.mp4",
    );
}

#[test]
fn the_kinetics_recipe() {
    check(
        "kinetics",
        Encoder::new("libx264", 25)
            .option("crf", "26")
            .option("x264-params", "keyint=12:min-keyint=12:scenecut=0:bframes=2:ref=3"),
        52,
        "kinetics.mp4",
    );
}

#[test]
fn mpeg2_with_b_frames() {
    check(
        "mpeg2",
        Encoder::new("mpeg2video", 25).gop(12).b_frames(2).option("q", "4"),
        60,
        "mpeg2.mpg",
    );
}

#[test]
fn mpeg4_part2_with_b_frames() {
    check(
        "mpeg4",
        Encoder::new("mpeg4", 25).gop(12).b_frames(2).option("qscale", "3"),
        60,
        "mpeg4.avi",
    );
}
