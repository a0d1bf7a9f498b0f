//! Bytes given as model files: a config and a weights file, split at the first NUL byte, read
//! as a text model (with the tokenizer of the tiny seed model, `fuzz/model-tokenizer.json`)
//! and as a video model. A text model that loads must predict without panicking.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use text::TextTokenizer;
use text::TextClassifier;
use video::VideoClassifier;

fuzz_target!(|bytes: &[u8]| {
    let split = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let (config, weights) = (&bytes[..split], bytes.get(split + 1..).unwrap_or_default());
    let Ok(config) = std::str::from_utf8(config) else { return };
    let tokenizer =
        |_| TextTokenizer::word_level_from_json(include_bytes!("../model-tokenizer.json"));
    if let Ok(model) = TextClassifier::from_files(
        config,
        Path::new("config.json"),
        weights,
        Path::new("weights.safetensors"),
        tokenizer,
    ) {
        let prediction =
            model.predict("the shuttle reached orbit").expect("a loaded model predicts");
        assert!(prediction.scores.iter().all(|v| v.is_finite()));
    }
    let _ = VideoClassifier::from_files(
        config,
        Path::new("model.json"),
        weights,
        Path::new("weights.safetensors"),
    );
});
