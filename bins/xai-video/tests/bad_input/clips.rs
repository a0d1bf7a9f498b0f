//! Clips that are missing, unreadable, no usable video (exits 3 and 4), or odd but readable:
//! still, damaged in the middle, large, odd-sized, rotated.

use assert_cmd::Command;
use predicates::prelude::*;
use video::{ClipWriter, EncodeOptions, RgbImage};

use crate::{arg, error_line, fails, moving_square, repo, xai_video, INVALID_INPUT, MISSING_INPUT};

#[test]
fn a_still_clip_gives_finite_scores_and_relevance() {
    let dir = tempfile::tempdir().unwrap();
    let still = dir.path().join("still.mp4");
    let mut frozen = ClipWriter::create(&still, 64, 48, EncodeOptions::default()).unwrap();
    for _ in 0..20 {
        frozen.push(&RgbImage::filled(64, 48, [96, 96, 96])).unwrap();
    }
    frozen.finish().unwrap();
    xai_video()
        .args(["mv", arg(&still)])
        .assert()
        .success()
        .stdout(predicate::str::contains("mean motion 0.000 px/frame"));
    let report = dir.path().join("report");
    xai_video()
        .args(["explain", arg(&still), "--out", arg(&report)])
        .assert()
        .success()
        .stdout(predicate::str::contains("lrp epsilon=0.001: score"));
    // serde_json writes NaN and infinity as null: none anywhere.
    let json = std::fs::read_to_string(report.join("explanation.json")).unwrap();
    assert!(!json.contains("null"));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        value["explanation"]["conservation"]["layers"].as_array().is_some_and(|l| l.len() == 4
            && l.iter().all(|s| s["relevance_in"].as_f64().is_some_and(f64::is_finite))),
        "conservation reported"
    );
}

#[test]
fn missing_paths_and_files_for_folders_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    fails(&["mv", "no-such-clip.mp4"], MISSING_INPUT, "no-such-clip.mp4");
    // A folder is searched for clips; one without any is a missing input.
    fails(&["predict", arg(dir.path())], MISSING_INPUT, "a folder without video files");
    fails(&["mv", arg(dir.path())], MISSING_INPUT, "a folder, not a video file");
    let clip = repo("assets/demo-video/sit-up.mp4");
    fails(&["accuracy", "--data", arg(&clip)], MISSING_INPUT, "not a folder of clips");
    fails(&["accuracy", "--data", "no-such-set"], MISSING_INPUT, "no-such-set");
    // A loop of symbolic links cannot be read: the same kind as a missing clip.
    let looped = dir.path().join("loop.mp4");
    std::os::unix::fs::symlink(&looped, &looped).unwrap();
    fails(&["predict", arg(&looped)], MISSING_INPUT, "loop.mp4: Too many levels of symbolic links");
}

#[test]
fn unreadable_clips_exit_3() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("locked.mp4");
    std::fs::copy(repo("assets/demo-video/sit-up.mp4"), &clip).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&clip, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut command =
        outcome::testing::unprivileged(&assert_cmd::cargo::cargo_bin("xai-video"), dir.path());
    command.args(["mv", arg(&clip)]);
    Command::from_std(command).assert().code(MISSING_INPUT).stderr(error_line("locked.mp4"));
}

#[test]
fn what_is_no_usable_video_exits_4() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.mp4");
    std::fs::write(&notes, "these are notes, not a video").unwrap();
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    let whole = std::fs::read(repo("assets/demo-video/sit-up.mp4")).unwrap();
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    let intra = dir.path().join("intra.mp4");
    moving_square(
        &intra,
        64,
        48,
        8,
        EncodeOptions { gop: 1, b_frames: 0, ..EncodeOptions::default() },
    );
    fails(&["mv", arg(&notes)], INVALID_INPUT, "notes.mp4: not a readable video");
    fails(&["predict", arg(&empty)], INVALID_INPUT, "empty.mp4");
    fails(&["predict", arg(&cut)], INVALID_INPUT, "cut.mp4");
    fails(
        &["predict", arg(&repo("tests/fixtures/audio-only.m4a"))],
        INVALID_INPUT,
        "audio-only.m4a: no video stream",
    );
    fails(
        &["predict", arg(&repo("tests/fixtures/zero-frames.mp4"))],
        INVALID_INPUT,
        "zero-frames.mp4: no video frame could be decoded",
    );
    fails(&["predict", arg(&intra)], INVALID_INPUT, "intra.mp4: no motion vectors in any frame");
    // Too short for one descriptor (5 frames of 2×2 blocks).
    let short = dir.path().join("short.mp4");
    moving_square(&short, 64, 48, 3, EncodeOptions::default());
    fails(&["predict", arg(&short)], INVALID_INPUT, "short.mp4");
}

#[test]
fn damage_in_the_middle_is_decoded_around_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(repo("assets/demo-video/sit-up.mp4")).unwrap();
    let n = bytes.len();
    for (i, b) in bytes.iter_mut().enumerate().take(n * 45 / 100).skip(n * 40 / 100) {
        *b = (i * 37) as u8;
    }
    let damaged = dir.path().join("damaged.mp4");
    std::fs::write(&damaged, bytes).unwrap();
    xai_video().args(["mv", arg(&damaged)]).assert().success().stdout(
        predicate::str::contains("60 frames")
            .and(predicate::str::contains("frames hold damaged data")),
    );
    let run = xai_video().args(["predict", arg(&damaged), "--json"]).assert().success().stderr(
        predicate::str::contains("warning: ")
            .and(predicate::str::contains("1 frames hold damaged data")),
    );
    let prediction: serde_json::Value = serde_json::from_slice(&run.get_output().stdout).unwrap();
    assert_eq!(prediction["clip"]["damaged_frames"], 1);
    assert!(prediction["scores"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s.as_f64().is_some_and(f64::is_finite)));
}

#[test]
fn large_odd_and_rotated_pictures_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let uhd = dir.path().join("uhd.mp4");
    moving_square(&uhd, 3840, 2160, 8, EncodeOptions { crf: 35, ..EncodeOptions::default() });
    xai_video()
        .args(["mv", arg(&uhd)])
        .assert()
        .success()
        .stdout(predicate::str::contains("3840×2160, 8 frames"));
    let out = xai_video()
        .args(["predict", arg(&uhd), "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let prediction: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(prediction["scores"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s.as_f64().is_some_and(f64::is_finite)));
    xai_video()
        .args(["predict", arg(&repo("tests/fixtures/odd-size.mp4"))])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("predicted: "));
    let rotated = repo("tests/fixtures/rotated.mp4");
    xai_video().args(["mv", arg(&rotated)]).assert().success().stdout(
        predicate::str::contains("96×128").and(predicate::str::contains("turned 270° clockwise")),
    );
    let report = dir.path().join("report");
    xai_video().args(["explain", arg(&rotated), "--out", arg(&report)]).assert().success();
    assert!(report.join("most-relevant-frames.png").is_file());
}
