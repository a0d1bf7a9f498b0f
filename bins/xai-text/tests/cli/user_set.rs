//! A labelled set the user brings (the demo ticket set): trained, evaluated, explained,
//! clustered.

use predicates::prelude::*;

use crate::xai_text;

#[test]
fn training_several_networks_prints_every_report() {
    let set = format!("{}/../../assets/demo-set/tickets.csv", env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let small = [
        "--filters",
        "20",
        "--max-len",
        "40",
        "--epochs",
        "3",
        "--min-count",
        "1",
        "--batch-size",
        "8",
        "--embedding-dim",
        "8",
    ];
    let train = |name: &str, members: &str| {
        let out = dir.path().join(name);
        let stdout = xai_text()
            .args(["train", "--data", &set, "--out"])
            .arg(&out)
            .args(small)
            .args(["--members", members])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(stdout).unwrap();
        // The JSON comes first, the summary line after it.
        let json_end = text.rfind("\nmodel saved to").unwrap();
        let printed: serde_json::Value = serde_json::from_str(&text[..json_end]).unwrap();
        let config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("config.json")).unwrap()).unwrap();
        (printed, config["training"].clone())
    };
    let (printed, training) = train("three", "3");
    let mut expected = vec![training["report"].clone()];
    expected.extend(training["other_members"].as_array().unwrap().iter().cloned());
    assert_eq!(expected.len(), 3);
    assert_eq!(
        printed,
        serde_json::Value::Array(expected),
        "every network's report, in training order"
    );
    let (printed, training) = train("one", "1");
    assert_eq!(printed, training["report"], "one network: its report, an object as before");
}

#[test]
fn a_set_the_user_brings_trains_explains_and_evaluates() {
    let set = format!("{}/../../assets/demo-set/tickets.csv", env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tickets");
    let model_arg = model.to_str().unwrap();
    // The README's worked example.
    let small = [
        "--filters",
        "50",
        "--max-len",
        "40",
        "--epochs",
        "60",
        "--patience",
        "15",
        "--min-count",
        "1",
        "--word-dropout",
        "0.1",
    ];
    let small_too = ["--batch-size", "8", "--embedding-dim", "16", "--learning-rate", "0.005"];
    xai_text()
        .args(["train", "--data", &set, "--out", model_arg])
        .args(small)
        .args(small_too)
        .assert()
        .success();
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["data"]["layout"], "csv");
    assert_eq!(config["data"]["split"]["test_fraction"].as_f64().unwrap() as f32, 0.2);
    assert_eq!(config["classes"], serde_json::json!(["billing", "technical"]));
    let out = xai_text()
        .args(["accuracy", "--data", &set, "--model", model_arg, "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let evaluation: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(evaluation["documents"], 12, "the recorded 20 % split");
    assert!(evaluation["accuracy"].as_f64().unwrap() >= 0.75, "{evaluation}");
    xai_text()
        .args([
            "explain",
            "--model",
            model_arg,
            "--text",
            "I was charged twice, please refund me",
            "--color",
            "never",
        ])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("explaining billing"));
    let json = dir.path().join("deletion.json");
    let plot = dir.path().join("deletion.svg");
    xai_text()
        .args([
            "eval-deletion",
            "--data",
            &set,
            "--model",
            model_arg,
            "--steps",
            "5",
            "--per-class",
            "--random-seeds",
            "1",
        ])
        .args(["--json", json.to_str().unwrap(), "--plot", plot.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("billing, (a) correctly classified"));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["per_class"].as_array().unwrap().len(), 2);
    assert!(std::fs::read_to_string(&plot).unwrap().contains("<svg"));
    // SpRAy over the test documents of a class, both kinds of maps.
    for maps in ["position", "vocab"] {
        let out = dir.path().join(format!("spray-{maps}"));
        xai_text()
            .args([
                "spray",
                "--data",
                &set,
                "--model",
                model_arg,
                "--class",
                "billing",
                "--maps",
                maps,
                "--out",
                out.to_str().unwrap(),
            ])
            .assert()
            .success()
            .stdout(predicate::str::contains("billing"));
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("spray.json")).unwrap()).unwrap();
        let analysis = &report[0]["analysis"];
        assert_eq!(analysis["maps"], 6);
        assert_eq!(analysis["labels"].as_array().unwrap().len(), 6);
        assert!(
            out.join("billing-spectrum.png").is_file()
                && out.join("billing-embedding.png").is_file()
        );
    }
    xai_text()
        .args(["accuracy", "--data", &set, "--model", model_arg, "--label-field", "queue"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no column `queue`"));
}
