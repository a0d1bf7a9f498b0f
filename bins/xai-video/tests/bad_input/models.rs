//! Broken, missing and foreign models (exit 5).

use std::path::{Path, PathBuf};

use outcome::testing::poison_tensor;

use crate::{arg, fails, repo, MODEL};

/// A copy of the default model whose files `change` edits.
fn broken_model(dir: &Path, change: impl FnOnce(&Path)) -> PathBuf {
    outcome::testing::broken_model(
        &repo("assets/video-model"),
        &["model.json", "weights.safetensors"],
        dir,
        change,
    )
}

#[test]
fn broken_missing_and_foreign_models_exit_5() {
    let dir = tempfile::tempdir().unwrap();
    let clip = repo("assets/demo-video/sit-up.mp4");
    let clip = arg(&clip);
    let truncated = broken_model(&dir.path().join("a"), |m| {
        let weights = m.join("weights.safetensors");
        let bytes = std::fs::read(&weights).unwrap();
        std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    });
    fails(&["predict", clip, "--model", arg(&truncated)], MODEL, "weights.safetensors");
    let newer = broken_model(&dir.path().join("b"), |m| {
        let config = std::fs::read_to_string(m.join("model.json")).unwrap();
        let config = config.replacen("\"version\": 1", "\"version\": 9", 1);
        std::fs::write(m.join("model.json"), config).unwrap();
    });
    fails(&["predict", clip, "--model", arg(&newer)], MODEL, "format version Some(9)");
    let nan = broken_model(&dir.path().join("c"), |m| {
        poison_tensor(&m.join("weights.safetensors"), "svm.bias", f32::NAN)
    });
    fails(
        &["predict", clip, "--model", arg(&nan)],
        MODEL,
        "tensor `svm.bias` holds a non-finite value",
    );
    let huge = broken_model(&dir.path().join("d"), |m| {
        poison_tensor(&m.join("weights.safetensors"), "svm.weight", -2e30)
    });
    fails(
        &["predict", clip, "--model", arg(&huge)],
        MODEL,
        "tensor `svm.weight` holds -2e30 at index 0",
    );
    // A variance below training's floor would make the Fisher terms overflow.
    let flat = broken_model(&dir.path().join("e"), |m| {
        poison_tensor(&m.join("weights.safetensors"), "hof.gmm.variances", 1e-30)
    });
    fails(
        &["predict", clip, "--model", arg(&flat)],
        MODEL,
        "tensor `hof.gmm.variances` holds a variance below 1e-6",
    );
    fails(
        &["predict", clip, "--model", arg(&repo("assets/text-model"))],
        MODEL,
        "a relvis text model folder; xai-video needs a video model",
    );
    fails(&["predict", clip, "--model", "no-such-model"], MODEL, "no-such-model");
    // A model file that never ends (a device) is refused before it is read.
    for file in ["model.json", "weights.safetensors"] {
        let endless = broken_model(&dir.path().join(format!("zero-{file}")), |m| {
            std::fs::remove_file(m.join(file)).unwrap();
            std::os::unix::fs::symlink("/dev/zero", m.join(file)).unwrap();
        });
        fails(
            &["predict", clip, "--model", arg(&endless)],
            MODEL,
            &format!(
                "{file}: not a regular file (a device, a pipe or a socket, whose end is not known)"
            ),
        );
    }
}
