//! The embedded default model on the demo clip, and a rule per step of its chain.

use predicates::prelude::*;

use crate::xai_video;

#[test]
fn the_embedded_default_model_explains_the_demo_clip() {
    let dir = tempfile::tempdir().unwrap();
    let demo =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo-video/sit-up.mp4");
    xai_video()
        .arg("predict")
        .arg(&demo)
        .assert()
        .success()
        .stdout(predicate::str::contains("predicted: sit-up"));
    xai_video()
        .arg("explain")
        .arg(&demo)
        .arg("--out")
        .arg(dir.path().join("r"))
        .assert()
        .success()
        .stdout(predicate::str::contains("explaining sit-up"));
}

#[test]
fn explain_takes_a_rule_per_step_and_reports_every_step() {
    let dir = tempfile::tempdir().unwrap();
    let clip =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo-video/sit-up.mp4");
    let out = dir.path().join("report");
    xai_video()
        .args([
            "explain",
            clip.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--overlays",
            "0",
            "--rule",
            "epsilon=0.001;dense:zplus",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("lrp epsilon=0.001;dense:zplus: score")
                .and(predicate::str::contains("step 3 dense             zplus"))
                .and(predicate::str::contains("step 0 receptive-fields  flat")),
        );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("explanation.json")).unwrap())
            .unwrap();
    let layers = json["explanation"]["conservation"]["layers"].as_array().unwrap();
    assert_eq!(
        layers.iter().map(|l| l["rule"].as_str().unwrap_or("-")).collect::<Vec<_>>(),
        ["zplus", "-", "epsilon=0.001", "flat"]
    );
    // z⁺ at the SVM passes on all of the score that has a positive part (the bias's share aside).
    let (out_sum, in_sum) =
        (layers[0]["relevance_out"].as_f64().unwrap(), layers[0]["relevance_in"].as_f64().unwrap());
    assert!(in_sum > 0.0 && in_sum <= out_sum + 1e-6, "{in_sum} of {out_sum}");
    // A rule the Fisher step cannot take and an unknown one are usage errors, as in xai-text.
    xai_video()
        .args([
            "explain",
            clip.to_str().unwrap(),
            "--out",
            dir.path().join("b").to_str().unwrap(),
            "--rule",
            "zplus",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Fisher-vector step"));
    xai_video()
        .args([
            "explain",
            clip.to_str().unwrap(),
            "--out",
            dir.path().join("c").to_str().unwrap(),
            "--rule",
            "nonsense",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule"));
}
