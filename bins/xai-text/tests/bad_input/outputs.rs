//! Outputs: kept unless forced, read-only folders, a full disk, a closed pipe (exit 6 or
//! quietly).

use std::process::Command as StdCommand;

use assert_cmd::cargo::CommandCargoExt;
use assert_cmd::Command;
use predicates::prelude::*;

use crate::{arg, error_line, fails, repo, set_mode, xai_text, OUTPUT};

/// Runs a command whose standard output the test has set (assert_cmd would replace it):
/// its exit code and standard error.
fn run_with_stdout(mut command: StdCommand) -> (Option<i32>, String) {
    let output = command.stderr(std::process::Stdio::piped()).output().unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn existing_outputs_are_kept_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(&page, "mine").unwrap();
    let args =
        ["explain", "--text", "the shuttle reached orbit", "--format", "html", "--out", arg(&page)];
    fails(&args, OUTPUT, "page.html exists; give --force to replace it");
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "mine");
    xai_text().args(args).arg("--force").assert().success();
    assert!(std::fs::read_to_string(&page).unwrap().starts_with("<!DOCTYPE html>"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    fails(&["explain", "--text", "orbit", "--out", arg(&folder), "--force"], OUTPUT, "is a folder");
}

#[test]
fn force_never_deletes_a_folder_of_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("work");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("notes.txt"), "mine").unwrap();
    let set = repo("assets/demo-set/tickets.csv");
    let tiny = [
        "--filters",
        "4",
        "--embedding-dim",
        "4",
        "--max-len",
        "8",
        "--epochs",
        "1",
        "--min-count",
        "1",
        "--force",
    ];
    xai_text()
        .args(["train", "--data", arg(&set), "--out", arg(&folder)])
        .args(tiny)
        .assert()
        .code(OUTPUT)
        .stderr(error_line("not replaced"));
    assert_eq!(std::fs::read_to_string(folder.join("notes.txt")).unwrap(), "mine");
    // An earlier model folder is replaced, readable by all.
    let model = dir.path().join("model");
    xai_text()
        .args(["train", "--data", arg(&set), "--out", arg(&model)])
        .args(tiny)
        .assert()
        .success();
    xai_text()
        .args(["train", "--data", arg(&set), "--out", arg(&model)])
        .args(tiny)
        .assert()
        .success();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&model).unwrap().permissions().mode() & 0o777, 0o755);
    assert_eq!(
        std::fs::metadata(model.join("weights.safetensors")).unwrap().permissions().mode() & 0o444,
        0o444
    );
}

#[test]
fn read_only_folders_exit_6() {
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    set_mode(dir.path(), 0o755);
    set_mode(&locked, 0o555);
    let out = locked.join("page.html");
    let mut command =
        outcome::testing::unprivileged(&assert_cmd::cargo::cargo_bin("xai-text"), dir.path());
    command.args([
        "explain",
        "--text",
        "the shuttle reached orbit",
        "--format",
        "html",
        "--out",
        arg(&out),
    ]);
    Command::from_std(command).assert().code(OUTPUT).stderr(
        predicate::str::contains("page.html").and(predicate::str::contains("ermission denied")),
    );
    assert_eq!(std::fs::read_dir(&locked).unwrap().count(), 0);
}

#[test]
fn a_full_disk_leaves_no_partial_file_and_exits_6() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("explanation.json");
    let post = repo("assets/demo/space.txt");
    let mut command = StdCommand::cargo_bin("xai-text").unwrap();
    command.args(["explain", arg(&post), "--format", "json", "--out", arg(&out)]);
    outcome::testing::file_size_limit(&mut command, 2000);
    Command::from_std(command).assert().code(OUTPUT).stderr(
        predicate::str::contains("explanation.json")
            .and(predicate::str::contains("File too large")),
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "neither the output nor its temporary file"
    );
    // Standard output on a full device.
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let mut command = StdCommand::cargo_bin("xai-text").unwrap();
    command.args(["predict", arg(&post)]).stdout(full);
    let (code, err) = run_with_stdout(command);
    assert_eq!(code, Some(OUTPUT), "{err}");
    assert!(err.contains("error: standard output: No space left on device"), "{err}");
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut command = StdCommand::cargo_bin("xai-text").unwrap();
    command
        .args(["explain", arg(&repo("assets/demo/space.txt")), "--color", "never"])
        .stdout(writer);
    assert_eq!(run_with_stdout(command), (Some(0), String::new()));
}
