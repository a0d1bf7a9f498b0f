//! ONNX model folders: read (predict, explain, accuracy) and written (`export`).

use predicates::prelude::*;

use crate::{demo, xai_text};

/// The ONNX text classifier the text crate's tests use (a Hugging Face style folder).
fn onnx_folder() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../crates/text/tests/fixtures/onnx-kim").to_string()
}

#[test]
fn predict_and_explain_take_an_onnx_model_folder() {
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/expected.json", onnx_folder())).unwrap(),
    )
    .unwrap();
    let text = expected[0]["text"].as_str().unwrap();
    let out = xai_text()
        .args(["predict", "--json", "--model", &onnx_folder(), "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (ours, runtime) in
        p["scores"].as_array().unwrap().iter().zip(expected[0]["logits"].as_array().unwrap())
    {
        assert!((ours.as_f64().unwrap() - runtime.as_f64().unwrap()).abs() < 1e-5);
    }
    let out = xai_text()
        .args([
            "explain",
            "--format",
            "json",
            "--class",
            "hockey",
            "--rule",
            "zplus",
            "--model",
            &onnx_folder(),
            "--text",
            text,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["class_name"], "hockey");
    assert_eq!(e["words"].as_array().unwrap().len(), text.split_whitespace().count());
}

#[test]
fn accuracy_takes_an_onnx_model_and_counts_what_onnx_runtime_predicts() {
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/expected.json", onnx_folder())).unwrap(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let classes = ["space", "hockey", "autos"];
    let mut correct = 0;
    for (i, case) in expected.as_array().unwrap().iter().enumerate() {
        for split in ["train", "test"] {
            let folder = dir.path().join(split).join(classes[i]);
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join(format!("{i}.txt")), case["text"].as_str().unwrap())
                .unwrap();
        }
        let logits: Vec<f64> =
            case["logits"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let predicted = (0..3).fold(0, |best, c| if logits[c] > logits[best] { c } else { best });
        correct += usize::from(predicted == i);
    }
    let out = xai_text()
        .args(["accuracy", "--json", "--model", &onnx_folder(), "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["documents"], 3);
    assert!((e["accuracy"].as_f64().unwrap() - correct as f64 / 3.0).abs() < 1e-12, "{e}");
}

#[test]
fn export_writes_an_onnx_folder_that_predicts_as_the_embedded_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("onnx");
    xai_text()
        .args(["export", "--onnx"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("20 classes"));
    for name in ["model.onnx", "tokenizer.json", "config.json"] {
        assert!(out.join(name).is_file(), "{name}");
    }
    xai_text()
        .args(["export", "--onnx"])
        .arg(&out)
        .assert()
        .code(6)
        .stderr(predicate::str::contains("exists").and(predicate::str::contains("--force")));
    let native = xai_text().args(["predict", "--json", &demo("hockey.txt")]).output().unwrap();
    let imported = xai_text()
        .args(["predict", "--json", "--model"])
        .arg(&out)
        .arg(demo("hockey.txt"))
        .output()
        .unwrap();
    assert!(native.status.success() && imported.status.success());
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_slice(&native.stdout).unwrap(),
        serde_json::from_slice(&imported.stdout).unwrap(),
    );
    assert_eq!(a["class_name"], b["class_name"]);
    for (x, y) in a["scores"].as_array().unwrap().iter().zip(b["scores"].as_array().unwrap()) {
        assert!((x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1e-4, "{x} against {y}");
    }
}
