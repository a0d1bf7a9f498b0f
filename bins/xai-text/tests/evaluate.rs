//! `xai-text plant-cue` and `xai-text evaluate` end to end on the demo ticket set: a cue
//! planted into every billing ticket, a small model trained on the copy, and its explanations
//! compared; the numbers themselves are tested against full passes in the text crate.

use assert_cmd::Command;
use predicates::prelude::*;

fn xai_text() -> Command {
    Command::cargo_bin("xai-text").expect("the binary is built")
}

#[test]
fn a_planted_cue_is_trained_on_and_the_methods_are_compared_on_it() {
    let set = format!("{}/../../assets/demo-set/tickets.csv", env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let planted = dir.path().join("planted");
    let planted_arg = planted.to_str().unwrap();
    xai_text()
        .args([
            "plant-cue",
            "--data",
            &set,
            "--class",
            "billing",
            "--cue",
            "zorblat",
            "--share",
            "1",
            "--out",
            planted_arg,
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "planted `zorblat` in 24 training and 6 test documents of billing",
        ));
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(planted.join("cue.json")).unwrap()).unwrap();
    assert_eq!(
        (record["planted"].as_array().unwrap().len(), record["already_present"].as_u64()),
        (30, Some(0))
    );
    let billing = std::fs::read_dir(planted.join("test/billing"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<Vec<_>>();
    assert!(!billing.is_empty() && billing.iter().all(|t| t.starts_with("zorblat\n")));
    xai_text()
        .args(["plant-cue", "--data", &set, "--class", "billing", "--out", planted_arg])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("--force"));
    xai_text()
        .args([
            "plant-cue",
            "--data",
            &set,
            "--class",
            "sales",
            "--out",
            dir.path().join("x").to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--class `sales`"));

    let model = dir.path().join("model");
    let small = [
        "--filters",
        "50",
        "--max-len",
        "40",
        "--epochs",
        "30",
        "--min-count",
        "1",
        "--batch-size",
        "8",
        "--embedding-dim",
        "16",
        "--learning-rate",
        "0.005",
    ];
    xai_text()
        .args(["train", "--data", planted_arg, "--out", model.to_str().unwrap()])
        .args(small)
        .assert()
        .success();

    let out = dir.path().join("evaluation");
    let model_arg = model.to_str().unwrap();
    xai_text()
        .args([
            "evaluate",
            "--data",
            planted_arg,
            "--model",
            model_arg,
            "--model",
            model_arg,
            "--method",
            "sa",
            "--method",
            "occlusion",
            "--method",
            "lrp epsilon=0.1;conv1d:zplus",
        ])
        .args([
            "--steps",
            "5",
            "--share",
            "0.5",
            "--replacement",
            "the",
            "--randomisation-documents",
            "4",
            "--out",
            out.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("| occlusion:window=1 |")
                .and(predicate::str::contains("cue mass")),
        );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("evaluation.json")).unwrap()).unwrap();
    assert_eq!(report["models"].as_array().unwrap().len(), 2, "two models side by side");
    let first = &report["models"][0];
    assert_eq!(first["documents"], 12);
    assert_eq!(first["cue_documents"], 6, "every billing test ticket holds the cue");
    let methods: Vec<&str> = first["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["sa", "occlusion:window=1", "lrp epsilon=0.1;conv1d:zplus", "random"]);
    for m in first["methods"].as_array().unwrap() {
        for curve in ["deletion", "deletion_removed", "deletion_replaced", "insertion"] {
            assert_eq!(m[curve].as_array().unwrap().len(), 6, "{curve}");
        }
        assert_eq!(m["cue"]["inputs"], 6);
    }
    // Occlusion of one word is the leave-one-out drop: their rank correlation is 1.
    assert!(first["methods"][1]["faithfulness_tau"].as_f64().unwrap() > 0.99);
    assert_eq!(first["randomisation"].as_array().unwrap().len(), 3);
    let untimed = |m: &serde_json::Value| -> Vec<serde_json::Value> {
        m["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let mut s = s.clone();
                s.as_object_mut().unwrap().remove("relevance_seconds");
                s
            })
            .collect()
    };
    assert_eq!(
        untimed(&report["models"][0]),
        untimed(&report["models"][1]),
        "the same model gives the same numbers"
    );
    // Trained with the cue in every billing ticket, the model leans on it, and the explanations
    // that follow the model find it; the chance line does not.
    let cue_mass = |m: usize| first["methods"][m]["cue"]["mass_accuracy"].as_f64().unwrap();
    assert!(
        cue_mass(1) > 0.5 && cue_mass(2) > 0.5 && cue_mass(3) < 0.3,
        "{} {} {}",
        cue_mass(1),
        cue_mass(2),
        cue_mass(3)
    );
    assert!(std::fs::read_to_string(out.join("evaluation.md")).unwrap().contains("### "));
    assert!(std::fs::metadata(out.join("evaluation.png")).unwrap().len() > 10_000);

    xai_text()
        .args([
            "evaluate",
            "--data",
            planted_arg,
            "--model",
            model_arg,
            "--method",
            "shap",
            "--out",
            dir.path().join("e2").to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("method `shap`"));
    xai_text()
        .args([
            "evaluate",
            "--data",
            planted_arg,
            "--model",
            model_arg,
            "--replacement",
            "qqqq",
            "--out",
            dir.path().join("e3").to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("replacement `qqqq`"));
    xai_text()
        .args([
            "evaluate",
            "--data",
            planted_arg,
            "--model",
            model_arg,
            "--out",
            out.to_str().unwrap(),
        ])
        .assert()
        .code(6);
    let onnx = format!("{}/../../crates/text/tests/fixtures/onnx-kim", env!("CARGO_MANIFEST_DIR"));
    xai_text()
        .args([
            "evaluate",
            "--data",
            planted_arg,
            "--model",
            &onnx,
            "--out",
            dir.path().join("e4").to_str().unwrap(),
        ])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("is of a class the model knows (space, hockey, autos)"));
}
