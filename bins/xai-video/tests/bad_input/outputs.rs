//! Outputs never partial nor replaced unasked (exit 6), options out of range (exit 2), a closed
//! pipe (quietly).

use std::process::Command as StdCommand;

use assert_cmd::cargo::CommandCargoExt;
use assert_cmd::Command;
use predicates::prelude::*;

use crate::{arg, error_line, fails, repo, xai_video, OUTPUT};

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
