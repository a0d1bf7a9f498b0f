//! relvis's default model written by `onnx_export` and read back as an ONNX model folder: the
//! same scores and word relevances as the native model (every method; short documents padded
//! and long ones cut at the window as natively), the folder's config, and refusals.

use text::export_onnx;
use text::Method;
use text::{OnnxTextClassifier, TextError, TextModel};

const DEMO: [&str; 3] = [
    include_str!("../../../assets/demo/space.txt"),
    include_str!("../../../assets/demo/hockey.txt"),
    include_str!("../../../assets/demo/medicine.txt"),
];

fn exported() -> (text::TextClassifier, OnnxTextClassifier, tempfile::TempDir) {
    let native = text::default_model().unwrap();
    let dir = tempfile::tempdir().unwrap();
    export_onnx(&native, &dir.path().join("onnx"), false).unwrap();
    let imported = OnnxTextClassifier::load(&dir.path().join("onnx")).unwrap();
    (native, imported, dir)
}

fn assert_close(a: f32, b: f32, scale: f32, what: &str) {
    assert!((a - b).abs() <= 1e-5 * scale.max(1.0), "{what}: {a} against {b}");
}

#[test]
fn the_exported_default_model_explains_as_the_native_one() {
    let (native, imported, _dir) = exported();
    assert_eq!(imported.classes(), native.classes());
    assert_eq!(imported.window, native.cnn.arch.max_len);
    // Ordinary documents; one word (shorter than the convolution: padded); one past the window.
    let long = DEMO.iter().cycle().take(12).copied().collect::<Vec<_>>().join("\n");
    let documents: Vec<String> =
        DEMO.iter().map(|s| s.to_string()).chain(["orbit".to_string(), long]).collect();
    for (d, text) in documents.iter().enumerate() {
        let (p, q) = (
            TextModel::predict(&native, text).unwrap(),
            TextModel::predict(&imported, text).unwrap(),
        );
        assert_eq!(p.class, q.class);
        for (a, b) in p.scores.iter().zip(&q.scores) {
            assert_close(*a, *b, a.abs(), "score");
        }
        for (method, rules) in [
            ("lrp", "epsilon=0.01"),
            ("lrp", "alphabeta=2,1;dense:epsilon=0.1"),
            ("lrp", "wsquare"),
            ("lrp", "conv1d:flat;dense:zplus"),
            ("sa", ""),
            ("gxi", ""),
            ("ig:steps=8", ""),
            ("smoothgrad:samples=3", ""),
            ("occlusion:window=2", ""),
        ] {
            let m = Method::parse(method, rules).unwrap();
            if d > 0 && d != DEMO.len() && method.contains(':') {
                continue; // the many-pass methods run the graph hundreds of times: two documents do
            }
            let (a, b) = (
                TextModel::explain(&native, text, Some(3), &m).unwrap(),
                TextModel::explain(&imported, text, Some(3), &m).unwrap(),
            );
            assert_eq!(
                (a.text.len(), a.unread_bytes, a.words.len()),
                (b.text.len(), b.unread_bytes, b.words.len()),
                "{method} {rules}"
            );
            let scale = a.max_abs();
            assert!(scale > 0.0);
            for (x, y) in a.words.iter().zip(&b.words) {
                assert_eq!((&x.word, x.span.clone(), x.seen), (&y.word, y.span.clone(), y.seen));
                assert_close(
                    x.relevance,
                    y.relevance,
                    scale,
                    &format!("{method} {rules}: `{}`", x.word),
                );
            }
            if let (Some(c), Some(d)) = (&a.conservation, &b.conservation) {
                assert!(
                    (c.input.words - d.input.words).abs() < 1e-4 * c.explained.abs().max(1.0),
                    "{} against {}",
                    c.input.words,
                    d.input.words
                );
            }
            assert_eq!(a.completeness.is_some(), method.starts_with("ig"));
            if let (Some(c), Some(d)) = (&a.completeness, &b.completeness) {
                assert!(
                    (c.error - d.error).abs() < 1e-4 * c.score.abs().max(1.0),
                    "{} against {}",
                    c.error,
                    d.error
                );
            }
        }
    }
    // The long document is read up to the window and its last words are shown unread.
    let e = TextModel::explain(
        &imported,
        &documents[4],
        None,
        &Method::parse("lrp", "epsilon=0.01").unwrap(),
    )
    .unwrap();
    assert!(e.words.iter().any(|w| !w.seen) && e.words.iter().take(900).all(|w| w.seen));
}

#[test]
fn the_folder_has_the_hugging_face_layout_and_is_not_overwritten_unasked() {
    let native = text::default_model().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("onnx");
    export_onnx(&native, &out, false).unwrap();
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["id2label"]["14"], "sci.space");
    assert_eq!(config["label2id"]["sci.space"], 14);
    assert_eq!(config["max_position_embeddings"], 1000);
    let before = std::fs::read(out.join("model.onnx")).unwrap();
    match export_onnx(&native, &out, false) {
        Err(TextError::Exists(p)) => assert_eq!(p, out),
        other => panic!("{:?}", other.err()),
    }
    export_onnx(&native, &out, true).unwrap();
    // Written the same way twice.
    assert_eq!(std::fs::read(out.join("model.onnx")).unwrap(), before);
    // A window shorter than the convolution is refused when read.
    let mut config = config;
    config["max_position_embeddings"] = 2.into();
    std::fs::write(out.join("config.json"), config.to_string()).unwrap();
    let refused = OnnxTextClassifier::load(&out).err().expect("refused").to_string();
    assert!(refused.contains("config.json") && refused.contains("window of 2 tokens"), "{refused}");
}
