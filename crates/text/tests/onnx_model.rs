//! An ONNX text classifier in the Hugging Face folder layout (made by
//! `crates/onnx-import/scripts/make_fixtures.py`): its scores against ONNX Runtime's for the
//! same sentences, its explanations word by word, and broken folders named.

use std::path::{Path, PathBuf};

use text::Method;
use text::{load_model, TextError, TextModel};

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx-kim")
}

fn expected() -> Vec<(String, Vec<f64>)> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder().join("expected.json")).unwrap())
            .unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["text"].as_str().unwrap().to_string(),
                o["logits"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect(),
            )
        })
        .collect()
}

#[test]
fn an_onnx_folder_predicts_what_onnx_runtime_computes_with_the_labels_of_its_config() {
    let model = load_model(&folder()).unwrap();
    assert_eq!(model.classes(), ["space", "hockey", "autos"]);
    assert!(model.native().is_none());
    for (text, logits) in expected() {
        let p = model.predict(&text).unwrap();
        for (a, b) in p.scores.iter().zip(&logits) {
            assert!(
                (f64::from(*a) - b).abs() < 1e-5,
                "{text}: {:?} against ONNX Runtime's {logits:?}",
                p.scores
            );
        }
        let sum: f32 = p.probabilities.iter().sum();
        assert!((sum - 1.0).abs() < 1e-5);
    }
}

#[test]
fn an_onnx_model_is_explained_word_by_word_with_every_method() {
    let model = load_model(&folder()).unwrap();
    let (text, logits) = expected().remove(0);
    for method in
        ["lrp", "sa", "gxi", "ig:steps=8,baseline=pad", "smoothgrad:samples=3", "occlusion"]
    {
        let m = Method::parse(method, "epsilon=0.01;conv1d:zplus").unwrap();
        let e = model.explain(&text, Some(0), &m).unwrap();
        assert_eq!(e.class_name, "space");
        assert!((f64::from(e.score) - logits[0]).abs() < 1e-5);
        let words: Vec<&str> = e.words.iter().map(|w| w.word.as_str()).collect();
        assert_eq!(words, text.split_whitespace().collect::<Vec<_>>(), "{method}");
        assert!(e.words.iter().all(|w| text[w.span.clone()] == w.word && w.seen));
        assert!(e.words.iter().any(|w| w.relevance != 0.0), "{method}");
        if let Some(c) = &e.conservation {
            // The words and what the layers absorbed make the score.
            let absorbed: f64 = c.layers.iter().map(|l| l.relevance_out - l.relevance_in).sum();
            assert!(
                (c.input.words + absorbed - c.explained).abs() < 1e-4,
                "{} + {absorbed} against {}",
                c.input.words,
                c.explained
            );
            assert!(
                c.layers.iter().any(|l| l.kind == "conv1d" && l.rule.as_deref() == Some("zplus")),
                "{:?}",
                c.layers
            );
        }
    }
}

#[test]
fn an_onnx_folder_without_its_tokenizer_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(folder().join("model.onnx"), dir.path().join("model.onnx")).unwrap();
    let refused = load_model(dir.path()).err().expect("refused");
    assert!(
        matches!(&refused, TextError::ModelFile { path, .. } if path.ends_with("tokenizer.json")),
        "{refused}"
    );
}

/// The window is the smallest the folder states: `config.json`'s `max_position_embeddings`,
/// `tokenizer_config.json`'s `model_max_length` (Hugging Face's huge "none" read as none) and
/// `tokenizer.json`'s truncation; `max_length`, a generation setting, is not one.
#[test]
fn the_window_is_the_smallest_the_folder_states_in_the_hugging_face_files() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["model.onnx", "tokenizer.json", "config.json"] {
        std::fs::copy(folder().join(file), dir.path().join(file)).unwrap();
    }
    let window = |dir: &Path| match load_model(dir).unwrap() {
        text::AnyTextModel::Onnx(model) => model.window,
        text::AnyTextModel::Native(_) => panic!("an ONNX folder"),
    };
    assert_eq!(window(dir.path()), text::MAX_TOKENS, "no window stated");
    let config = |extra: &str| {
        let labels = r#""id2label": {"0": "space", "1": "hockey", "2": "autos"}"#;
        std::fs::write(dir.path().join("config.json"), format!("{{{labels}{extra}}}")).unwrap();
    };
    config(r#", "max_position_embeddings": 40, "max_length": 8"#);
    assert_eq!(window(dir.path()), 40);
    let tokenizer_config = |length: &str| {
        let json = format!(r#"{{"model_max_length": {length}, "max_length": 9}}"#);
        std::fs::write(dir.path().join("tokenizer_config.json"), json).unwrap();
    };
    tokenizer_config("1000000000000000019884624838656");
    assert_eq!(window(dir.path()), 40, "Hugging Face's int(1e30) states no window");
    tokenizer_config("24");
    assert_eq!(window(dir.path()), 24);
    config("");
    assert_eq!(window(dir.path()), 24);
    let mut tokenizer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder().join("tokenizer.json")).unwrap())
            .unwrap();
    tokenizer["truncation"] = serde_json::json!({
        "direction": "Right", "max_length": 16, "strategy": "LongestFirst", "stride": 0
    });
    std::fs::write(dir.path().join("tokenizer.json"), tokenizer.to_string()).unwrap();
    assert_eq!(window(dir.path()), 16);
    std::fs::write(dir.path().join("tokenizer_config.json"), "{not json").unwrap();
    let refused = load_model(dir.path()).err().expect("refused").to_string();
    assert!(refused.contains("tokenizer_config.json"), "{refused}");
}
