//! Missing and unreadable inputs (exit 3).

use predicates::prelude::*;

use assert_cmd::Command;

use crate::{arg, fails, set_mode, MISSING_INPUT};

#[test]
fn missing_paths_and_folders_for_files_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("post.txt");
    std::fs::write(&file, "a post about orbits").unwrap();
    fails(&["predict", "no-such-post.txt"], MISSING_INPUT, "no-such-post.txt");
    fails(&["predict", arg(dir.path())], MISSING_INPUT, arg(dir.path()));
    // Through a file as if it were a folder.
    let below = file.join("child.txt");
    fails(&["predict", arg(&below)], MISSING_INPUT, "child.txt");
    fails(&["accuracy", "--data", "no-such-set.tar.gz"], MISSING_INPUT, "no-such-set.tar.gz");
    fails(&["explain", "no-such-folder/"], MISSING_INPUT, "no-such-folder");
}

#[test]
fn a_loop_of_symbolic_links_is_unreadable_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let message = format!("{}: Too many levels of symbolic links", a.display());
    fails(&["predict", arg(&a)], MISSING_INPUT, &message);
    fails(&["explain", arg(&a)], MISSING_INPUT, &message);
    // A data set's name is judged only once the path can be read.
    let set = dir.path().join("set");
    std::os::unix::fs::symlink(&set, &set).unwrap();
    fails(
        &["train", "--data", arg(&set), "--out", arg(&dir.path().join("m"))],
        MISSING_INPUT,
        "Too many levels of symbolic links",
    );
}

#[test]
fn unreadable_files_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "a post about orbits").unwrap();
    set_mode(dir.path(), 0o755);
    set_mode(&secret, 0o000);
    let mut command =
        outcome::testing::unprivileged(&assert_cmd::cargo::cargo_bin("xai-text"), dir.path());
    command.args(["predict", arg(&secret)]);
    Command::from_std(command).assert().code(MISSING_INPUT).stderr(
        predicate::str::contains("secret.txt").and(predicate::str::contains("ermission denied")),
    );
}
