//! The fuzzing corpora (`fuzz/corpus/`, kept small: the seeds and what `cargo fuzz cmin` kept)
//! replayed through the binary on every test run: each input is accepted or refused with its
//! documented exit code, never a panic.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use outcome::testing::{fuzz_corpus, replay, split_model_input};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn xai_text() -> Command {
    Command::cargo_bin("xai-text").unwrap()
}

#[test]
fn documents_are_predicted_or_refused_as_invalid() {
    for file in fuzz_corpus(&root(), "document") {
        replay(xai_text().arg("predict").arg(&file), &[0, 4], &file);
    }
}

#[test]
fn data_sets_train_or_are_refused_as_invalid() {
    let dir = tempfile::tempdir().unwrap();
    for file in fuzz_corpus(&root(), "dataset") {
        // The first byte picks the format, as in the fuzz target.
        let bytes = std::fs::read(&file).unwrap();
        let Some((&kind, data)) = bytes.split_first() else { continue };
        let set = dir.path().join(["set.tar.gz", "set.csv", "set.jsonl"][usize::from(kind) % 3]);
        std::fs::write(&set, data).unwrap();
        let tiny = [
            "--filters",
            "4",
            "--embedding-dim",
            "4",
            "--max-len",
            "8",
            "--epochs",
            "1",
            "--min-count",
            "1",
            "--force",
        ];
        replay(
            xai_text()
                .arg("train")
                .arg("--data")
                .arg(&set)
                .arg("--out")
                .arg(dir.path().join("model"))
                .args(tiny),
            &[0, 4],
            &file,
        );
    }
}

#[test]
fn model_files_load_or_are_refused_as_models() {
    let dir = tempfile::tempdir().unwrap();
    for file in fuzz_corpus(&root(), "model") {
        let bytes = std::fs::read(&file).unwrap();
        let (config, weights) = split_model_input(&bytes);
        let model = dir.path().join(file.file_name().unwrap());
        std::fs::create_dir(&model).unwrap();
        std::fs::write(model.join("config.json"), config).unwrap();
        std::fs::write(model.join("weights.safetensors"), weights).unwrap();
        std::fs::copy(root().join("fuzz/model-tokenizer.json"), model.join("tokenizer.json"))
            .unwrap();
        replay(
            xai_text()
                .args(["explain", "--text", "the shuttle reached orbit", "--model"])
                .arg(&model),
            &[0, 5],
            &file,
        );
    }
}
