//! What users really feed `xai-video`, through the binary: each kind of bad input gives its
//! documented exit code and a message that names the input, never a panic or a partial file.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::cargo::CommandCargoExt;
use assert_cmd::Command;
use outcome::testing::{has_error_line, poison_tensor};
use predicates::prelude::*;
use video::{ClipWriter, EncodeOptions, RgbImage};

const MISSING_INPUT: i32 = 3;
const INVALID_INPUT: i32 = 4;
const MODEL: i32 = 5;
const OUTPUT: i32 = 6;

fn xai_video() -> Command {
    Command::cargo_bin("xai-video").unwrap()
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Standard error holds a line `error: …` that contains `message`.
fn error_line(message: &str) -> impl predicates::Predicate<str> + '_ {
    predicate::function(move |err: &str| has_error_line(err, message))
}

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

/// A copy of the default model whose files `change` edits.
fn broken_model(dir: &Path, change: impl FnOnce(&Path)) -> PathBuf {
    outcome::testing::broken_model(
        &repo("assets/video-model"),
        &["model.json", "weights.safetensors"],
        dir,
        change,
    )
}

/// Runs `args`, expecting exit `code` and an error message that contains `message`.
fn fails(args: &[&str], code: i32, message: &str) {
    xai_video()
        .args(args)
        .assert()
        .code(code)
        .stderr(error_line(message))
        .stderr(predicate::str::contains("panicked").not());
}

/// A clip of a textured square moving right, `width × height`, `frames` long.
fn moving_square(path: &Path, width: usize, height: usize, frames: usize, options: EncodeOptions) {
    let mut writer = ClipWriter::create(path, width, height, options).unwrap();
    for t in 0..frames {
        let mut picture = RgbImage::filled(width, height, [90, 90, 90]);
        let side = height / 3;
        for y in 0..side {
            for x in 0..side {
                let shade = ((x / 4 + y / 4) % 2 * 120 + 60) as u8;
                picture.set(
                    (width / 8 + 3 * t + x) as i64,
                    (height / 3 + y) as i64,
                    [shade, 255 - shade, 40],
                );
            }
        }
        writer.push(&picture).unwrap();
    }
    writer.finish().unwrap();
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

#[test]
fn broken_missing_and_foreign_models_exit_5() {
    let dir = tempfile::tempdir().unwrap();
    let clip = repo("assets/demo-video/sit-up.mp4");
    let clip = arg(&clip);
    let truncated = broken_model(&dir.path().join("a"), |m| {
        let weights = m.join("weights.safetensors");
        let bytes = std::fs::read(&weights).unwrap();
        std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    });
    fails(&["predict", clip, "--model", arg(&truncated)], MODEL, "weights.safetensors");
    let newer = broken_model(&dir.path().join("b"), |m| {
        let config = std::fs::read_to_string(m.join("model.json")).unwrap();
        let config = config.replacen("\"version\": 1", "\"version\": 9", 1);
        std::fs::write(m.join("model.json"), config).unwrap();
    });
    fails(&["predict", clip, "--model", arg(&newer)], MODEL, "format version Some(9)");
    let nan = broken_model(&dir.path().join("c"), |m| {
        poison_tensor(&m.join("weights.safetensors"), "svm.bias", f32::NAN)
    });
    fails(
        &["predict", clip, "--model", arg(&nan)],
        MODEL,
        "tensor `svm.bias` holds a non-finite value",
    );
    let huge = broken_model(&dir.path().join("d"), |m| {
        poison_tensor(&m.join("weights.safetensors"), "svm.weight", -2e30)
    });
    fails(
        &["predict", clip, "--model", arg(&huge)],
        MODEL,
        "tensor `svm.weight` holds -2e30 at index 0",
    );
    // A variance below training's floor would make the Fisher terms overflow.
    let flat = broken_model(&dir.path().join("e"), |m| {
        poison_tensor(&m.join("weights.safetensors"), "hof.gmm.variances", 1e-30)
    });
    fails(
        &["predict", clip, "--model", arg(&flat)],
        MODEL,
        "tensor `hof.gmm.variances` holds a variance below 1e-6",
    );
    fails(
        &["predict", clip, "--model", arg(&repo("assets/text-model"))],
        MODEL,
        "a relvis text model folder; xai-video needs a video model",
    );
    fails(&["predict", clip, "--model", "no-such-model"], MODEL, "no-such-model");
    // A model file that never ends (a device) is refused before it is read.
    for file in ["model.json", "weights.safetensors"] {
        let endless = broken_model(&dir.path().join(format!("zero-{file}")), |m| {
            std::fs::remove_file(m.join(file)).unwrap();
            std::os::unix::fs::symlink("/dev/zero", m.join(file)).unwrap();
        });
        fails(
            &["predict", clip, "--model", arg(&endless)],
            MODEL,
            &format!(
                "{file}: not a regular file (a device, a pipe or a socket, whose end is not known)"
            ),
        );
    }
}

#[test]
fn outputs_are_never_partial_nor_replaced_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let clip = repo("assets/demo-video/sit-up.mp4");
    let report = dir.path().join("report");
    std::fs::create_dir(&report).unwrap();
    std::fs::write(report.join("notes.txt"), "mine").unwrap();
    fails(&["explain", arg(&clip), "--out", arg(&report)], OUTPUT, "holds files; give --force");
    let lines = dir.path().join("d.jsonl");
    std::fs::write(&lines, "mine").unwrap();
    fails(
        &["descriptors", arg(&clip), "--out", arg(&lines)],
        OUTPUT,
        "d.jsonl exists; give --force",
    );
    assert_eq!(std::fs::read_to_string(&lines).unwrap(), "mine");

    // A full disk (writes past 20 kB fail) while writing the report: nothing appears.
    let full = dir.path().join("full");
    std::fs::create_dir(&full).unwrap();
    let mut command = StdCommand::cargo_bin("xai-video").unwrap();
    command.args(["explain", arg(&clip), "--out", arg(&full.join("report"))]);
    outcome::testing::file_size_limit(&mut command, 20_000);
    let named = error_line("report/")
        .and(predicate::str::contains("File too large"))
        .and(predicate::str::contains("staging").not());
    Command::from_std(command).assert().code(OUTPUT).stderr(named);
    assert_eq!(
        std::fs::read_dir(&full).unwrap().count(),
        0,
        "no report folder and no staging folder left"
    );

    // A read-only folder.
    use std::os::unix::fs::PermissionsExt;
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let readable = dir.path().join("clip.mp4");
    std::fs::copy(&clip, &readable).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut command =
        outcome::testing::unprivileged(&assert_cmd::cargo::cargo_bin("xai-video"), dir.path());
    command.args(["descriptors", arg(&readable), "--out", arg(&locked.join("d.jsonl"))]);
    Command::from_std(command)
        .assert()
        .code(OUTPUT)
        .stderr(error_line("d.jsonl").and(predicate::str::contains("ermission denied")));
    assert_eq!(std::fs::read_dir(&locked).unwrap().count(), 0);
}

#[test]
fn nonsense_options_exit_2() {
    let clip = repo("assets/demo-video/sit-up.mp4");
    for args in [
        vec!["spray-frames", arg(&clip), "--rows", "0"],
        vec!["descriptors", arg(&clip), "--frames", "0"],
        vec!["train", "--data", "x", "--out", "y", "--c", "nan"],
    ] {
        xai_video().args(&args).assert().code(2).stderr(predicate::str::contains("expected"));
    }
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut command = StdCommand::cargo_bin("xai-video").unwrap();
    command
        .args(["mv", arg(&repo("assets/demo-video/sit-up.mp4"))])
        .stdout(writer)
        .stderr(std::process::Stdio::piped());
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stderr.is_empty());
}
