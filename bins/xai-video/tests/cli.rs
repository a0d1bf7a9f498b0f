//! `xai-video` end to end on a tiny synthetic set rendered by the binary itself.

use assert_cmd::Command;
use predicates::prelude::*;

fn xai_video() -> Command {
    Command::cargo_bin("xai-video").unwrap()
}

#[test]
fn synth_then_motion_vectors_and_descriptors() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    xai_video()
        .args(["synth", "--out"])
        .arg(&set)
        .args(["--classes", "wave,box", "--per-class", "2", "--frames", "24", "--artifact", "box:logo"])
        .assert()
        .success()
        .stdout(predicate::str::contains("4 clips"));
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(set.join("manifest.json")).unwrap()).unwrap();
    let clips = manifest["clips"].as_array().unwrap();
    assert_eq!(clips.len(), 4);
    assert_eq!(clips.iter().filter(|c| c["artifact"] == true).count(), 2);
    let (w, h, masks) = video::synth::read_masks(&set.join(clips[0]["mask"].as_str().unwrap())).unwrap();
    assert_eq!((w, h, masks.len()), (160, 120, 24));

    let clip = set.join("wave").join("wave_000.mp4");
    let out = xai_video().args(["mv", "--json"]).arg(&clip).assert().success().get_output().stdout.clone();
    let summary: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(summary["frames"], 24);
    assert_eq!(summary["info"]["codec"], "h264");
    assert!(summary["kinds"].as_str().unwrap().starts_with("IBBP"));
    assert!(summary["total_vectors"].as_u64().unwrap() > 0);

    let lines = dir.path().join("d.jsonl");
    xai_video().args(["descriptors"]).arg(&clip).arg("--out").arg(&lines).assert().success().stdout(predicate::str::contains("descriptors (HOF 108"));
    let first: serde_json::Value = serde_json::from_str(std::fs::read_to_string(&lines).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(first["frames"]["end"].as_u64().unwrap() - first["frames"]["start"].as_u64().unwrap(), 5);
    // Nothing is overwritten without being asked.
    xai_video().args(["descriptors"]).arg(&clip).arg("--out").arg(&lines).assert().failure().stderr(predicate::str::contains("--force"));
    xai_video().args(["synth", "--out"]).arg(&set).assert().failure().stderr(predicate::str::contains("holds files"));

    let frames = dir.path().join("frames");
    xai_video().args(["show-mv"]).arg(&clip).arg("--out").arg(&frames).args(["--every", "6"]).assert().success();
    assert_eq!(std::fs::read_dir(&frames).unwrap().count(), 4);
}

#[test]
fn bad_inputs_fail_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.mp4");
    xai_video().arg("mv").arg(&missing).assert().failure().stderr(predicate::str::contains("missing.mp4"));
    let text = dir.path().join("notes.avi");
    std::fs::write(&text, "not a video").unwrap();
    xai_video().arg("mv").arg(&text).assert().failure().stderr(predicate::str::contains("notes.avi").and(predicate::str::contains("not a readable video")));
    xai_video().args(["mv", "--block", "3"]).arg(&text).assert().failure().stderr(predicate::str::contains("block size"));
    xai_video().args(["synth", "--classes", "dance", "--out"]).arg(dir.path().join("s")).assert().failure().stderr(predicate::str::contains("unknown action `dance`"));
}

#[test]
fn train_predict_accuracy_explain_and_evaluate_on_a_tiny_set() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    xai_video().args(["synth", "--out"]).arg(&set).args(["--classes", "walk,sit-up", "--per-class", "6", "--frames", "30", "--seed", "4"]).assert().success();
    let model = dir.path().join("model");
    xai_video()
        .args(["train", "--data"])
        .arg(&set)
        .arg("--out")
        .arg(&model)
        .args(["--components", "4", "--test-fraction", "0.34"])
        .assert()
        .success()
        .stdout(predicate::str::contains("accuracy 1.0000 on 4 clips").and(predicate::str::contains("model saved")));
    xai_video().args(["train", "--data"]).arg(&set).arg("--out").arg(&model).assert().failure().stderr(predicate::str::contains("--force"));
    let clip = set.join("sit-up").join("sit-up_000.mp4");
    let out = xai_video().args(["predict", "--json", "--model"]).arg(&model).arg(&clip).assert().success().get_output().stdout.clone();
    let prediction: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(prediction["class_name"], "sit-up");
    xai_video().args(["accuracy", "--test-fraction", "0.34", "--data"]).arg(&set).arg("--model").arg(&model).assert().success().stdout(predicate::str::contains("accuracy 1.0000 on 4 clips"));

    let report = dir.path().join("report");
    xai_video()
        .args(["explain", "--model"])
        .arg(&model)
        .arg(&clip)
        .arg("--out")
        .arg(&report)
        .assert()
        .success()
        .stdout(predicate::str::contains("explaining sit-up").and(predicate::str::contains("absorbed")));
    for file in ["explanation.json", "relevance-per-frame.png", "most-relevant-frames.png", "overlay.mp4", "frame00000-I.png"] {
        assert!(report.join(file).is_file(), "{file} missing");
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(report.join("explanation.json")).unwrap()).unwrap();
    assert_eq!(json["blocks"].as_array().unwrap().len(), 30);
    assert_eq!(json["explanation"]["per_frame"].as_array().unwrap().len(), 30);
    xai_video().args(["explain", "--class", "dance", "--model"]).arg(&model).arg(&clip).arg("--out").arg(dir.path().join("r2")).assert().failure().stderr(predicate::str::contains("unknown class `dance`"));

    let json = dir.path().join("relevance.json");
    xai_video()
        .args(["eval-relevance", "--test-fraction", "0.34", "--steps", "3", "--random-orders", "1", "--data"])
        .arg(&set)
        .arg("--model")
        .arg(&model)
        .arg("--json")
        .arg(&json)
        .arg("--plot")
        .arg(dir.path().join("curves.svg"))
        .assert()
        .success()
        .stdout(predicate::str::contains("AOPC"));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["clips"], 4);

    // SpRAy over each class's six clips, ranked by eigengap; and one clip's frames.
    let spray = dir.path().join("spray");
    xai_video().args(["spray", "--clusters", "2", "--data"]).arg(&set).arg("--model").arg(&model).arg("--out").arg(&spray).assert().success().stdout(predicate::str::contains("ranked by eigengap"));
    let classes: serde_json::Value = serde_json::from_slice(&std::fs::read(spray.join("spray.json")).unwrap()).unwrap();
    assert_eq!(classes.as_array().unwrap().len(), 2);
    assert_eq!(classes[0]["analysis"]["labels"].as_array().unwrap().len(), 6);
    assert!(spray.join("walk-cluster-maps.png").is_file());
    xai_video().args(["spray-frames", "--model"]).arg(&model).arg(&clip).assert().success().stdout(predicate::str::contains("30 frames"));
    assert!(report["per_class"][0]["figure"]["relevance"].as_f64().unwrap() > 0.0);
}

#[test]
fn the_embedded_default_model_explains_the_demo_clip() {
    let dir = tempfile::tempdir().unwrap();
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo-video/sit-up.mp4");
    xai_video().arg("predict").arg(&demo).assert().success().stdout(predicate::str::contains("predicted: sit-up"));
    xai_video().arg("explain").arg(&demo).arg("--out").arg(dir.path().join("r")).assert().success().stdout(predicate::str::contains("explaining sit-up"));
}
