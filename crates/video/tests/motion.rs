//! Motion vectors read back from clips encoded in the test with known motion.

mod common;

use std::path::Path;

use common::{interior, median, textured};
use video::{ClipWriter, EncodeOptions, FrameKind, MotionOptions, MotionReader, VideoError};

fn write_translation(path: &Path, frames: i64, (dx, dy): (i64, i64), options: EncodeOptions) {
    let mut writer = ClipWriter::create(path, 160, 128, options).unwrap();
    for t in 0..frames {
        writer.push(&textured(160, 128, -dx * t, -dy * t)).unwrap();
    }
    writer.finish().unwrap();
}

#[test]
fn a_global_translation_comes_back_as_that_displacement() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shift.mp4");
    write_translation(&path, 36, (3, -2), EncodeOptions::default());
    let frames: Vec<_> = MotionReader::open(&path, MotionOptions::default())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(frames.len(), 36);
    let (mut checked, mut b_right, mut b_frames) = (0, 0, 0);
    for frame in &frames {
        if frame.carried {
            assert_eq!(frame.kind, FrameKind::I, "frame {} has no vectors", frame.index);
            assert!(frame.field.has_vector.iter().all(|&h| !h));
            continue;
        }
        let (xs, ys) = interior(&frame.field);
        assert!(
            xs.len() > 20,
            "frame {} ({:?}): {} blocks with vectors",
            frame.index,
            frame.kind,
            xs.len()
        );
        let (mx, my) = (median(xs), median(ys));
        let right = (mx - 3.0).abs() < 0.3 && (my + 2.0).abs() < 0.3;
        if frame.kind == FrameKind::P {
            assert!(
                (mx - 3.0).abs() < 0.5 && (my + 2.0).abs() < 0.5,
                "frame {} (P): median ({mx}, {my}), not (3, −2)",
                frame.index
            );
        }
        checked += 1;
        b_right += usize::from(right && frame.kind == FrameKind::B);
        b_frames += usize::from(frame.kind == FrameKind::B);
    }
    assert!(checked >= 30, "{checked} frames with vectors");
    // B-frames just before an I-frame use its (intra, zero) co-located vectors for direct
    // blocks: the encoder's vectors, not the true motion. Most of the rest must be right (a
    // wrong sign or a missing division by the reference distance would make none right).
    assert!(b_right * 10 >= b_frames * 7, "{b_right} of {b_frames} B-frames right");
}

#[test]
fn frames_come_in_display_order_with_their_types() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gop.mp4");
    let options = EncodeOptions { fps: 25, gop: 12, b_frames: 2, crf: 20 };
    write_translation(&path, 30, (2, 0), options);
    let frames: Vec<_> = MotionReader::open(&path, MotionOptions::default())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let kinds: String = frames.iter().map(|f| f.kind.letter()).collect();
    // A fixed GOP of 12 with two B-frames between references (the last two of a GOP refer
    // forward to the next I-frame).
    assert_eq!(kinds, "IBBPBBPBBPBBIBBPBBPBBPBBIBBPBP", "{kinds}");
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.index, i);
        assert!((f.time - i as f64 / 25.0).abs() < 1e-6, "frame {i} at {} s", f.time);
    }
    // B-frames carry vectors from both sides, all scaled to the same per-frame motion.
    let b = frames.iter().find(|f| f.kind == FrameKind::B && f.index > 12).unwrap();
    let dx: Vec<f32> =
        b.field.dx.iter().zip(&b.field.has_vector).filter(|(_, &h)| h).map(|(&d, _)| d).collect();
    assert!((median(dx) - 2.0).abs() < 0.3);
}

#[test]
fn unreadable_inputs_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let open = |p: &Path| {
        MotionReader::open(p, MotionOptions::default()).map(|r| r.collect::<Result<Vec<_>, _>>())
    };
    let missing = dir.path().join("missing.mp4");
    assert!(matches!(open(&missing), Err(VideoError::Read { .. })));
    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, "these are notes, not a video").unwrap();
    let err = open(&text).expect_err("text is not a video").to_string();
    assert!(err.contains("notes.mp4") && err.contains("not a readable video"), "{err}");
    assert!(open(dir.path()).err().unwrap().to_string().contains("folder"));
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    assert!(open(&empty).is_err());

    // A clip cut in half still gives the frames before the cut, or a clear error.
    let whole = dir.path().join("whole.mp4");
    write_translation(&whole, 24, (1, 1), EncodeOptions::default());
    let bytes = std::fs::read(&whole).unwrap();
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    match open(&cut) {
        Ok(Ok(frames)) => assert!(frames.len() < 24),
        Ok(Err(e)) | Err(e) => assert!(e.to_string().contains("cut.mp4"), "{e}"),
    }

    // Intra-only: every frame an I-frame, no vectors at all.
    let intra = dir.path().join("intra.mp4");
    write_translation(
        &intra,
        6,
        (1, 0),
        EncodeOptions { gop: 1, b_frames: 0, ..EncodeOptions::default() },
    );
    let err = open(&intra).unwrap().unwrap_err();
    assert!(matches!(err, VideoError::NoMotion(_)), "{err}");
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)
}

#[test]
fn rotated_phone_clips_are_read_upright() {
    let reader = MotionReader::open(
        &fixture("rotated.mp4"),
        MotionOptions { block: 8, pictures: true, ..MotionOptions::default() },
    )
    .unwrap();
    let info = reader.info().clone();
    assert_eq!((info.width, info.height, info.rotation.clockwise_degrees), (96, 128, 270));
    let frames: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
    assert_eq!(frames.len(), 20);
    let first = frames[0].picture.as_ref().unwrap();
    assert_eq!((first.width, first.height), (96, 128));
    assert_eq!((frames[0].field.cols(), frames[0].field.rows()), (12, 16));
    // The pattern moves (+3, −2) px a frame as coded: (−2, −3) as displayed.
    let (mut dx, mut dy) = (Vec::new(), Vec::new());
    for f in frames.iter().filter(|f| f.kind == FrameKind::P) {
        for ((&x, &y), &has) in f.field.dx.iter().zip(&f.field.dy).zip(&f.field.has_vector) {
            if has && x.hypot(y) > 1.0 {
                dx.push(x);
                dy.push(y);
            }
        }
    }
    assert!(dx.len() > 20, "{} moving blocks", dx.len());
    assert!((median(dx) + 2.0).abs() < 0.5 && (median(dy) + 3.0).abs() < 0.5);
    // The pattern sits where a player shows it: coded (20..52, 50..82) turned to (50..82, 76..108).
    let lit =
        |x: usize, y: usize| first.get(x, y) != [64, 64, 64] && first.get(x, y) != first.get(5, 5);
    assert!(lit(66, 92) && !lit(20, 92) && !lit(66, 40));
}

#[test]
fn odd_sizes_audio_only_and_empty_tracks() {
    let odd = MotionReader::open(&fixture("odd-size.mp4"), MotionOptions::default()).unwrap();
    assert_eq!((odd.info().width, odd.info().height), (97, 67));
    let frames: Vec<_> = odd.collect::<Result<_, _>>().unwrap();
    assert_eq!(frames.len(), 30);
    assert_eq!(
        (frames[0].field.cols(), frames[0].field.rows()),
        (7, 5),
        "partial blocks at the edges count"
    );
    assert!(frames.iter().all(|f| f.field.dx.iter().chain(&f.field.dy).all(|v| v.is_finite())));
    let audio = MotionReader::open(&fixture("audio-only.m4a"), MotionOptions::default());
    assert!(matches!(audio, Err(VideoError::NoVideoStream(_))));
    let empty = MotionReader::open(&fixture("zero-frames.mp4"), MotionOptions::default())
        .unwrap()
        .collect::<Result<Vec<_>, _>>();
    assert!(matches!(empty, Err(VideoError::NoFrames(_))), "{empty:?}");
}
