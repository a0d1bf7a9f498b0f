//! Ctrl-C (SIGINT) and SIGTERM during the video commands: each stops within a second with exit
//! 130 or 143, removes its temporary files and folders, and leaves an existing output as it was.

use std::process::Command;

use outcome::testing::{assert_interrupted_cleanly, earlier_output_folder, SIGINT, SIGTERM};

fn xai_video() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("xai-video"))
}

fn run(command: &mut Command) {
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn every_long_video_command_stops_on_a_signal_and_keeps_what_it_would_replace() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    run(xai_video().args(["synth", "--out"]).arg(&set).args([
        "--classes",
        "walk,sit-up",
        "--per-class",
        "3",
        "--frames",
        "20",
        "--seed",
        "4",
    ]));
    let model = dir.path().join("model");
    run(xai_video().args(["train", "--data"]).arg(&set).arg("--out").arg(&model).args([
        "--components",
        "2",
        "--descriptors-per-clip",
        "100",
        "--test-fraction",
        "0.34",
    ]));

    let rendered = dir.path().join("rendered");
    earlier_output_folder(&rendered, "manifest.json");
    assert_interrupted_cleanly(
        xai_video().args(["synth", "--force", "--per-class", "40", "--out"]).arg(&rendered),
        &rendered,
        SIGINT,
    );

    let trained = dir.path().join("trained");
    earlier_output_folder(&trained, "model.json");
    assert_interrupted_cleanly(
        xai_video()
            .args([
                "train",
                "--force",
                "--components",
                "256",
                "--descriptors-per-clip",
                "20000",
                "--data",
            ])
            .arg(&set)
            .arg("--out")
            .arg(&trained),
        &trained,
        SIGTERM,
    );

    let explained = dir.path().join("explained");
    earlier_output_folder(&explained, "explanation.json");
    assert_interrupted_cleanly(
        xai_video()
            .args(["explain", "--force", "--model"])
            .arg(&model)
            .arg(&set)
            .arg("--out")
            .arg(&explained),
        &explained,
        SIGINT,
    );

    let evaluated = dir.path().join("evaluated");
    earlier_output_folder(&evaluated, "evaluation.json");
    assert_interrupted_cleanly(
        xai_video()
            .args(["evaluate", "--force", "--test-fraction", "0.34", "--data"])
            .arg(&set)
            .arg("--model")
            .arg(&model)
            .arg("--out")
            .arg(&evaluated),
        &evaluated,
        SIGTERM,
    );

    let sprayed = dir.path().join("sprayed");
    earlier_output_folder(&sprayed, "spray.json");
    assert_interrupted_cleanly(
        xai_video()
            .args(["spray", "--force", "--data"])
            .arg(&set)
            .arg("--model")
            .arg(&model)
            .arg("--out")
            .arg(&sprayed),
        &sprayed,
        SIGINT,
    );
}
