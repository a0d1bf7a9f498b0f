//! The tiny set's run: two classes rendered by `synth`, a model trained on them, then each
//! command on it in turn (the stages in `explain`, `evaluate` and `spray`).

use std::path::Path;

use predicates::prelude::*;

use crate::{evaluate, explain, spray, xai_video};

/// What the stages share: the test's folder, the set, the model trained on it and a clip of it.
pub(crate) struct Trained<'a> {
    pub(crate) dir: &'a Path,
    pub(crate) set: &'a Path,
    pub(crate) model: &'a Path,
    pub(crate) clip: &'a Path,
}

#[test]
fn train_predict_accuracy_explain_and_evaluate_on_a_tiny_set() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    xai_video()
        .args(["synth", "--out"])
        .arg(&set)
        .args(["--classes", "walk,sit-up", "--per-class", "6", "--frames", "30", "--seed", "4"])
        .assert()
        .success();
    let model = dir.path().join("model");
    // One thread, so the tiny model does not depend on the machine's load (see the video
    // crate's classifier tests).
    xai_video()
        .env("RAYON_NUM_THREADS", "1")
        .args(["train", "--data"])
        .arg(&set)
        .arg("--out")
        .arg(&model)
        .args(["--components", "4", "--descriptors-per-clip", "400", "--test-fraction", "0.34"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("accuracy 1.0000 on 4 clips")
                .and(predicate::str::contains("model saved")),
        );
    xai_video()
        .args(["train", "--data"])
        .arg(&set)
        .arg("--out")
        .arg(&model)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--force"));
    let clip = set.join("sit-up").join("sit-up_000.mp4");
    let out = xai_video()
        .args(["predict", "--json", "--model"])
        .arg(&model)
        .arg(&clip)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let prediction: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(prediction["class_name"], "sit-up");
    xai_video()
        .args(["accuracy", "--test-fraction", "0.34", "--data"])
        .arg(&set)
        .arg("--model")
        .arg(&model)
        .assert()
        .success()
        .stdout(predicate::str::contains("accuracy 1.0000 on 4 clips"));

    let trained = Trained { dir: dir.path(), set: &set, model: &model, clip: &clip };
    explain::one_clip(&trained);
    explain::several_clips(&trained);
    let report = evaluate::eval_relevance(&trained);
    evaluate::methods_and_models(&trained);
    spray::classes_and_frames(&trained);
    assert!(report["per_class"][0]["figure"]["relevance"].as_f64().unwrap() > 0.0);
}
