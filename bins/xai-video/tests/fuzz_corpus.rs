//! The fuzzing corpora (`fuzz/corpus/`) replayed through the binary on every test run: each
//! input is accepted or refused with its documented exit code, never a panic.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use outcome::testing::{fuzz_corpus, replay, split_model_input};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn xai_video() -> Command {
    Command::cargo_bin("xai-video").unwrap()
}

#[test]
fn video_bytes_give_descriptors_or_are_refused_as_invalid() {
    for file in fuzz_corpus(&root(), "video") {
        replay(xai_video().arg("descriptors").arg(&file), &[0, 4], &file);
    }
}

#[test]
fn model_files_load_or_are_refused_as_models() {
    let dir = tempfile::tempdir().unwrap();
    let clip = root().join("assets/demo-video/sit-up.mp4");
    for file in fuzz_corpus(&root(), "model") {
        let bytes = std::fs::read(&file).unwrap();
        let (config, weights) = split_model_input(&bytes);
        let model = dir.path().join(file.file_name().unwrap());
        std::fs::create_dir(&model).unwrap();
        std::fs::write(model.join("model.json"), config).unwrap();
        std::fs::write(model.join("weights.safetensors"), weights).unwrap();
        replay(xai_video().arg("predict").arg(&clip).arg("--model").arg(&model), &[0, 5], &file);
    }
}
