//! The fuzzing corpora (`fuzz/corpus/`, kept small: the seeds and what `cargo fuzz cmin` kept)
//! replayed through the binary on every test run: each input is accepted or refused with its
//! documented exit code, never a panic.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty(), "{target} has a corpus");
    files
}

/// Runs `xai-text args`; the exit code must be one of `allowed`.
fn replay(args: &[&std::ffi::OsStr], allowed: &[i32], input: &Path) {
    let output = Command::cargo_bin("xai-text").unwrap().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    let code = output.status.code();
    assert!(code.is_some_and(|c| allowed.contains(&c)) && !err.contains("panicked"), "{}: exit {code:?}\n{err}", input.display());
}

#[test]
fn documents_are_predicted_or_refused_as_invalid() {
    for file in corpus("document") {
        replay(&["predict".as_ref(), file.as_os_str()], &[0, 4], &file);
    }
}

#[test]
fn data_sets_train_or_are_refused_as_invalid() {
    let dir = tempfile::tempdir().unwrap();
    for file in corpus("dataset") {
        // The first byte picks the format, as in the fuzz target.
        let bytes = std::fs::read(&file).unwrap();
        let Some((&kind, data)) = bytes.split_first() else { continue };
        let set = dir.path().join(["set.tar.gz", "set.csv", "set.jsonl"][usize::from(kind) % 3]);
        std::fs::write(&set, data).unwrap();
        let model = dir.path().join("model");
        let tiny = ["--filters", "4", "--embedding-dim", "4", "--max-len", "8", "--epochs", "1", "--min-count", "1", "--force"];
        let mut args = vec!["train".as_ref(), "--data".as_ref(), set.as_os_str(), "--out".as_ref(), model.as_os_str()];
        args.extend(tiny.iter().map(|a| a.as_ref()));
        replay(&args, &[0, 4], &file);
    }
}

#[test]
fn model_files_load_or_are_refused_as_models() {
    let dir = tempfile::tempdir().unwrap();
    let tokenizer = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/model-tokenizer.json");
    for file in corpus("model") {
        // Config and weights split at the first NUL byte, as in the fuzz target.
        let bytes = std::fs::read(&file).unwrap();
        let split = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        let model = dir.path().join(file.file_name().unwrap());
        std::fs::create_dir(&model).unwrap();
        std::fs::write(model.join("config.json"), &bytes[..split]).unwrap();
        std::fs::write(model.join("weights.safetensors"), bytes.get(split + 1..).unwrap_or_default()).unwrap();
        std::fs::copy(&tokenizer, model.join("tokenizer.json")).unwrap();
        replay(&["explain".as_ref(), "--text".as_ref(), "the shuttle reached orbit".as_ref(), "--model".as_ref(), model.as_os_str()], &[0, 5], &file);
    }
}
