//! The demo posts through the embedded model: predict, explain in colour, as JSON lines and
//! HTML; outputs kept without `--force`.

use predicates::prelude::*;

use crate::{demo, xai_text};

#[test]
fn the_embedded_model_classifies_every_demo_post() {
    for (file, class) in [
        ("autos.txt", "rec.autos"),
        ("graphics.txt", "comp.graphics"),
        ("hockey.txt", "rec.sport.hockey"),
        ("medicine.txt", "sci.med"),
        ("space.txt", "sci.space"),
    ] {
        xai_text()
            .args(["predict", &demo(file)])
            .assert()
            .success()
            .stdout(predicate::str::starts_with(format!("predicted: {class} (p = ")));
    }
}

#[test]
fn predict_reads_standard_input_and_prints_json() {
    let text = std::fs::read_to_string(demo("space.txt")).unwrap();
    let out = xai_text()
        .args(["predict", "-", "--json"])
        .write_stdin(text)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(json["class_name"], "sci.space");
    let p: f64 =
        json["probabilities"].as_array().unwrap().iter().map(|p| p.as_f64().unwrap()).sum();
    assert!((p - 1.0).abs() < 1e-4, "probabilities sum to {p}");
}

#[test]
fn train_never_overwrites_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("keep.txt");
    std::fs::write(&marker, "mine").unwrap();
    xai_text()
        .args(["train", "--data", "no-such-archive.tar.gz", "--out", dir.path().to_str().unwrap()])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--force"));
    assert_eq!(std::fs::read_to_string(marker).unwrap(), "mine");
}

#[test]
fn explain_colours_words_or_shows_their_values() {
    let plain = xai_text()
        .args(["explain", &demo("hockey.txt"), "--color", "never"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let plain = String::from_utf8(plain).unwrap();
    assert!(plain.starts_with("explaining rec.sport.hockey (score "), "{plain}");
    assert!(plain.contains("[+") && plain.contains("conservation: words sum to"));
    assert!(!plain.contains('\u{1b}'));
    let coloured = xai_text()
        .args(["explain", &demo("hockey.txt"), "--color", "always"])
        .env("COLORTERM", "truecolor")
        .assert()
        .success();
    let coloured = String::from_utf8(coloured.get_output().stdout.clone()).unwrap();
    assert!(coloured.contains("\u{1b}[48;2;255;"), "truecolor backgrounds");
    xai_text()
        .args(["explain", "--text", "the goalie stopped the puck", "--class", "no.such.group"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no class `no.such.group`"));
}

#[test]
fn explain_streams_json_lines_over_a_folder_and_writes_html_once() {
    let folder = tempfile::tempdir().unwrap();
    for name in ["autos.txt", "space.txt"] {
        std::fs::copy(demo(name), folder.path().join(name)).unwrap();
    }
    std::fs::write(folder.path().join("picture.bin"), [0u8, 1, 2, 3]).unwrap();
    let run = xai_text()
        .args(["explain", folder.path().to_str().unwrap(), "--format", "json", "--method", "sa"])
        .assert()
        .success();
    let output = run.get_output();
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("warning: skipped"),
        "the binary file is skipped with a warning"
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0]["id"].as_str().unwrap().ends_with("autos.txt"));
    assert_eq!(lines[1]["explanation"]["class_name"], "sci.space");
    assert_eq!(lines[1]["explanation"]["method"], "sa");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("space.html");
    let page_arg = page.to_str().unwrap();
    xai_text()
        .args(["explain", &demo("space.txt"), "--format", "html", "--out", page_arg])
        .assert()
        .success();
    assert!(std::fs::read_to_string(&page).unwrap().starts_with("<!DOCTYPE html>"));
    xai_text()
        .args(["explain", &demo("space.txt"), "--format", "html", "--out", page_arg])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--force"));
}
