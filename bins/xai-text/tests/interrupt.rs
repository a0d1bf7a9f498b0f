//! Ctrl-C (SIGINT) and SIGTERM during the long commands: each stops within a second with exit
//! 130 or 143, removes its temporary files, and leaves an existing output as it was.

use std::process::Command;

use outcome::testing::{assert_interrupted_cleanly, earlier_output_folder, SIGINT, SIGTERM};

/// Run from the project's root, so that the 20 Newsgroups set is found where the binary looks
/// by default (`$RELVIS_DATA`, or `../shared/data`).
fn xai_text() -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("xai-text"));
    command.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    command
}

#[test]
fn train_stops_on_sigint_and_keeps_the_model_it_would_replace() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    earlier_output_folder(&model, "config.json");
    let mut command = xai_text();
    command
        .args([
            "train",
            "--data",
            "assets/demo-set/tickets.csv",
            "--force",
            "--epochs",
            "1000000",
            "--patience",
            "1000000",
            "--min-count",
            "1",
            "--out",
        ])
        .arg(&model);
    assert_interrupted_cleanly(&mut command, &model, SIGINT);
}

#[test]
fn eval_deletion_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("deletion.json");
    std::fs::write(&json, "an earlier report").unwrap();
    let mut command = xai_text();
    command
        .arg("eval-deletion")
        .args(["--force", "--json"])
        .arg(&json)
        .arg("--plot")
        .arg(dir.path().join("deletion.png"));
    assert_interrupted_cleanly(&mut command, &json, SIGTERM);
}

#[test]
fn spray_stops_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("spray");
    earlier_output_folder(&out, "spray.json");
    let mut command = xai_text();
    command.arg("spray").args(["--force", "--out"]).arg(&out);
    assert_interrupted_cleanly(&mut command, &out, SIGINT);
}

#[test]
fn explain_to_a_file_stops_on_sigterm_and_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let rows = dir.path().join("rows.jsonl");
    let line = serde_json::json!({ "id": "post", "text": "The shuttle's orbit and the launch window, as NASA planned them. ".repeat(40) }).to_string();
    std::fs::write(&rows, format!("{line}\n").repeat(20_000)).unwrap();
    for signal in [SIGTERM, SIGINT] {
        let out = dir.path().join("explained.jsonl");
        std::fs::write(&out, "earlier explanations").unwrap();
        let mut command = xai_text();
        command
            .args(["explain", "--method", "ig:steps=50", "--force", "--jsonl"])
            .arg(&rows)
            .arg("--out")
            .arg(&out);
        assert_interrupted_cleanly(&mut command, &out, signal);
    }
}
