//! Odd documents the model still explains: unknown words, padding, a 50 MB document,
//! punctuation; every number finite.

use predicates::prelude::*;

use crate::{arg, assert_all_finite, repo, xai_text};

#[test]
fn documents_of_words_the_model_does_not_know_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let cjk = dir.path().join("cjk.txt");
    std::fs::write(&cjk, "日本語 のテキスト 😀😀").unwrap();
    let note = "the model knows none of the 3 words it read: its decision does not rest on this document's words";
    let out = xai_text()
        .args(["predict", arg(&cjk), "--json"])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!("warning: {}: {note}", cjk.display())));
    let prediction: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(prediction["known_words"], serde_json::json!({"known": 0, "read": 3}));
    xai_text()
        .args(["explain", arg(&cjk), "--color", "never"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("({note})")));
    // Some words known: counted, noted, no warning.
    let out = xai_text()
        .args(["explain", "--text", "the shuttle zzqxv qqxzv orbit", "--format", "json"])
        .assert()
        .success()
        .stderr(predicate::str::contains("warning").not());
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["known_words"], serde_json::json!({"known": 3, "read": 5}));
    xai_text()
        .args(["explain", "--text", "the shuttle zzqxv qqxzv orbit", "--color", "never"])
        .assert()
        .success()
        .stdout(predicate::str::contains("(the model knows 3 of the 5 words it read; the others are all one unknown token to it)"));
    xai_text()
        .args(["explain", "--text", "the shuttle reached orbit", "--color", "never"])
        .assert()
        .success()
        .stdout(predicate::str::contains("words it read").not());
}

#[test]
fn relevance_on_padding_is_reported_as_padding() {
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo("assets/text-model/config.json")).unwrap())
            .unwrap();
    let width = config["architecture"]["width"].as_u64().unwrap() as f64;
    // One word, padded to the filters' width: flat spreads the score evenly over the window's
    // positions (and is blind to biases), so the word gets 1/width of it and padding the rest.
    let out = xai_text()
        .args(["explain", "--text", "orbit", "--rule", "flat", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let c = serde_json::from_slice::<serde_json::Value>(&out).unwrap()["conservation"].clone();
    let part = |name: &str| c[name].as_f64().unwrap() / c["explained"].as_f64().unwrap();
    assert!((part("words") - 1.0 / width).abs() < 1e-4, "{c}");
    assert!((part("padding") - (width - 1.0) / width).abs() < 1e-4, "{c}");
    assert!(part("absorbed").abs() < 1e-4, "{c}");
    xai_text()
        .args(["explain", "--text", "orbit", "--rule", "wsquare", "--color", "never"])
        .assert()
        .success()
        .stdout(predicate::str::contains("; padding took "));
    // As long as the window: no padding, none reported.
    let words = vec!["orbit"; width as usize].join(" ");
    let out = xai_text()
        .args(["explain", "--text", &words, "--rule", "flat", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let c = serde_json::from_slice::<serde_json::Value>(&out).unwrap()["conservation"].clone();
    assert_eq!(c["padding"], 0.0);
    xai_text()
        .args(["explain", "--text", &words, "--rule", "flat", "--color", "never"])
        .assert()
        .success()
        .stdout(predicate::str::contains("padding").not());
}

#[test]
fn a_50_mb_document_is_read_as_far_as_the_model_looks() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.txt");
    let paragraph =
        "The shuttle reached orbit after the launch; the crew tested the engines.\n".repeat(1000);
    let text = paragraph.repeat(50_000_000 / paragraph.len() + 1);
    std::fs::write(&big, &text).unwrap();
    xai_text()
        .args(["predict", arg(&big)])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("predicted: sci.space"));
    let out = xai_text()
        .args(["explain", arg(&big), "--color", "never"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.len() < 100_000, "the explanation shows the window and a margin, not 50 MB");
    assert!(
        out.contains("more bytes of the document are not shown"),
        "{}",
        &out[out.len() - 400..]
    );
}

#[test]
fn punctuation_unknown_words_and_constant_documents_give_finite_relevance() {
    for text in [
        "!!! ??? ... ;;; --- !!!",
        "zqxv wkjh qqpl vzzk xxqj",
        "the the the the the the the the",
        "?",
    ] {
        let out = xai_text()
            .args(["explain", "--text", text, "--format", "json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_all_finite(&json);
        let c = &json["conservation"];
        let sum: f64 = json["words"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["relevance"].as_f64().unwrap())
            .sum();
        assert!(
            (sum - c["words"].as_f64().unwrap()).abs() < 1e-3,
            "{text}: words sum to the reported total"
        );
        for method in ["sa", "gxi"] {
            let out = xai_text()
                .args(["explain", "--text", text, "--format", "json", "--method", method])
                .assert()
                .success()
                .get_output()
                .stdout
                .clone();
            let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert!(
                json["words"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|w| w["relevance"].as_f64().is_some_and(f64::is_finite)),
                "{method} on {text}"
            );
        }
    }
}
