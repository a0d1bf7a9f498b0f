//! Broken, missing and foreign models (exit 5).

use std::path::{Path, PathBuf};

use outcome::testing::poison_tensor;
use predicates::prelude::*;

use crate::{arg, error_line, fails, repo, xai_text, MODEL};

/// A copy of the default model whose files `change` edits.
fn broken_model(dir: &Path, change: impl FnOnce(&Path)) -> PathBuf {
    outcome::testing::broken_model(
        &repo("assets/text-model"),
        &["config.json", "weights.safetensors", "tokenizer.json"],
        dir,
        change,
    )
}

#[test]
fn broken_missing_and_foreign_models_exit_5() {
    let dir = tempfile::tempdir().unwrap();
    let post = repo("assets/demo/space.txt");
    let post = arg(&post);
    let truncated = broken_model(&dir.path().join("a"), |m| {
        let weights = m.join("weights.safetensors");
        let bytes = std::fs::read(&weights).unwrap();
        std::fs::write(&weights, &bytes[..bytes.len() / 3]).unwrap();
    });
    fails(&["predict", post, "--model", arg(&truncated)], MODEL, "weights.safetensors");
    let newer = broken_model(&dir.path().join("b"), |m| {
        let config = std::fs::read_to_string(m.join("config.json")).unwrap().replacen(
            "\"version\": 2",
            "\"version\": 7",
            1,
        );
        std::fs::write(m.join("config.json"), config).unwrap();
    });
    fails(
        &["predict", post, "--model", arg(&newer)],
        MODEL,
        "format version Some(7); this build reads versions 1 to 2",
    );
    let nan = broken_model(&dir.path().join("c"), |m| {
        poison_tensor(&m.join("weights.safetensors"), "dense.bias", f32::NAN)
    });
    fails(
        &["predict", post, "--model", arg(&nan)],
        MODEL,
        "tensor `dense.bias` holds a non-finite value",
    );
    // Beyond half precision's range (the default model is stored as f16): infinity. (An f32
    // model's finite but huge weights, which would overflow the scores, are tested in the text crate.)
    let huge = broken_model(&dir.path().join("e"), |m| {
        poison_tensor(&m.join("weights.safetensors"), "conv.weight", 3e35)
    });
    fails(
        &["predict", post, "--model", arg(&huge)],
        MODEL,
        "tensor `conv.weight` holds a non-finite value at index 0",
    );
    let no_tokenizer = broken_model(&dir.path().join("d"), |m| {
        std::fs::remove_file(m.join("tokenizer.json")).unwrap()
    });
    fails(&["predict", post, "--model", arg(&no_tokenizer)], MODEL, "tokenizer.json");
    fails(
        &["predict", post, "--model", arg(&repo("assets/video-model"))],
        MODEL,
        "a relvis video model folder; xai-text needs a text model",
    );
    fails(&["predict", post, "--model", "no-such-model"], MODEL, "no-such-model");
    fails(&["predict", post, "--model", post], MODEL, "space.txt");
    // A model file that never ends (a device) is refused before it is read, in a relvis
    // folder and in an ONNX one.
    for file in ["config.json", "weights.safetensors", "tokenizer.json"] {
        let endless = broken_model(&dir.path().join(format!("zero-{file}")), |m| {
            std::fs::remove_file(m.join(file)).unwrap();
            std::os::unix::fs::symlink("/dev/zero", m.join(file)).unwrap();
        });
        fails(
            &["predict", post, "--model", arg(&endless)],
            MODEL,
            &format!(
                "{file}: not a regular file (a device, a pipe or a socket, whose end is not known)"
            ),
        );
    }
    let onnx = repo("crates/text/tests/fixtures/onnx-kim");
    for file in ["model.onnx", "tokenizer.json", "config.json"] {
        let endless = outcome::testing::broken_model(
            &onnx,
            &["model.onnx", "tokenizer.json", "config.json"],
            &dir.path().join(format!("onnx-{file}")),
            |m| {
                std::fs::remove_file(m.join(file)).unwrap();
                std::os::unix::fs::symlink("/dev/zero", m.join(file)).unwrap();
            },
        );
        xai_text()
            .args(["predict", post, "--model", arg(&endless)])
            .assert()
            .code(MODEL)
            .stderr(error_line(&format!("{file}: not a regular file")))
            .stderr(predicate::str::contains("panicked").not());
    }
    // Another model's tokenizer (here one word short): the message names the tokenizer's file.
    let foreign = broken_model(&dir.path().join("f"), |m| {
        let mut tokenizer: serde_json::Value =
            serde_json::from_slice(&std::fs::read(m.join("tokenizer.json")).unwrap()).unwrap();
        let vocab = tokenizer["model"]["vocab"].as_object_mut().unwrap();
        let last =
            vocab.iter().max_by_key(|(_, id)| id.as_u64()).map(|(word, _)| word.clone()).unwrap();
        vocab.remove(&last);
        std::fs::write(m.join("tokenizer.json"), tokenizer.to_string()).unwrap();
    });
    let message = format!("{}: 37730 tokens, but the embedding in {} has 37731 rows; the tokenizer belongs to another model", foreign.join("tokenizer.json").display(), foreign.join("weights.safetensors").display());
    fails(&["predict", post, "--model", arg(&foreign)], MODEL, &message);
    // An architecture that cannot be: said in its fields' words, not as a Rust value.
    for (edit, message) in [
        (("\"max_len\": 1000", "\"max_len\": 2"), "config.json: the architecture: `max_len` 2 is shorter than the filters' `width` 3"),
        (("\"filters\": 4000", "\"filters\": 0"), "config.json: the architecture: `filters` is 0"),
        (("\"vocab\": 37731", "\"vocab\": 1"), "config.json: the architecture: `vocab` is 1; it needs at least 2 (padding and the unknown token)"),
    ] {
        let odd = broken_model(&dir.path().join(edit.1.replace([' ', '"', ':'], "")), |m| {
            let config = std::fs::read_to_string(m.join("config.json")).unwrap();
            assert!(config.contains(edit.0));
            std::fs::write(m.join("config.json"), config.replacen(edit.0, edit.1, 1)).unwrap();
        });
        xai_text().args(["predict", post, "--model", arg(&odd)]).assert().code(MODEL).stderr(error_line(message)).stderr(predicate::str::contains("Architecture {").not());
    }
}
