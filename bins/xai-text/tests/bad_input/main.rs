//! What users really feed `xai-text`, through the binary: each kind of bad input gives its
//! documented exit code and a message that names the input, never a panic or a partial file.

mod documents;
mod missing;
mod models;
mod options;
mod outputs;
mod relevance;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use outcome::testing::has_error_line;
use predicates::prelude::*;

const MISSING_INPUT: i32 = 3;
const INVALID_INPUT: i32 = 4;
const MODEL: i32 = 5;
const OUTPUT: i32 = 6;

fn xai_text() -> Command {
    Command::cargo_bin("xai-text").expect("the binary is built")
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs `args`, expecting exit `code` and an error message that contains `message`.
fn fails(args: &[&str], code: i32, message: &str) {
    xai_text()
        .args(args)
        .assert()
        .code(code)
        .stderr(error_line(message))
        .stderr(predicate::str::contains("panicked").not());
}

/// Standard error holds a line `error: …` that contains `message`.
fn error_line(message: &str) -> impl predicates::Predicate<str> + '_ {
    predicate::function(move |err: &str| has_error_line(err, message))
}

/// Every number in a JSON explanation (scores, probabilities, relevances, conservation) is
/// finite: serde_json writes NaN and infinity as null.
fn assert_all_finite(json: &serde_json::Value) {
    let e = &json;
    for list in ["scores", "probabilities"] {
        assert!(
            e[list].as_array().unwrap().iter().all(|v| v.as_f64().is_some_and(f64::is_finite)),
            "{list}: {e}"
        );
    }
    assert!(e["score"].as_f64().is_some_and(f64::is_finite));
    for w in e["words"].as_array().unwrap() {
        assert!(w["relevance"].as_f64().is_some_and(f64::is_finite), "{w}");
    }
    for field in ["explained", "words", "absorbed"] {
        assert!(
            e["conservation"][field].as_f64().is_some_and(f64::is_finite),
            "conservation reported: {e}"
        );
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
