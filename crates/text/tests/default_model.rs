//! The embedded default model's scores and word relevances on the demo documents, against
//! numbers stored in `fixtures/default-model.json`: any change to the model's layers, its
//! loading or the rules that moves a prediction or a relevance fails here.
//!
//! `RELVIS_BLESS=1 cargo test -p text --test default_model` writes the fixture anew (only
//! when a change is meant to move the numbers; say so in the commit).

use std::path::Path;

use serde_json::{json, Value};
use text::Method;
use text::TextModel;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/default-model.json");
const DOCUMENTS: [&str; 3] = ["space.txt", "hockey.txt", "medicine.txt"];
const METHODS: [(&str, &str); 4] = [
    ("lrp", "epsilon=0.01"),
    ("lrp", "alphabeta=2,1"),
    ("lrp", "epsilon=0.1;conv1d:zplus"),
    ("gxi", ""),
];

fn measured() -> Value {
    let model = text::default_model().expect("the embedded model");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo");
    let mut out = Vec::new();
    for name in DOCUMENTS {
        let document = std::fs::read_to_string(demo.join(name)).expect("a demo document");
        for (method, rule) in METHODS {
            let e = model
                .explain(&document, None, &Method::parse(method, rule).expect("a method"))
                .expect("explains");
            out.push(json!({
                "document": name,
                "method": e.method,
                "class": e.class_name,
                "scores": e.scores,
                "relevance": e.words.iter().map(|w| w.relevance).collect::<Vec<_>>(),
            }));
        }
    }
    Value::Array(out)
}

#[test]
fn the_default_model_scores_and_explains_as_stored() {
    let got = measured();
    if std::env::var_os("RELVIS_BLESS").is_some() {
        std::fs::write(FIXTURE, serde_json::to_string_pretty(&got).unwrap()).unwrap();
        return;
    }
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(FIXTURE).expect("the stored numbers"))
            .unwrap();
    let (got, stored) = (got.as_array().unwrap(), stored.as_array().unwrap());
    assert_eq!(got.len(), stored.len());
    for (g, s) in got.iter().zip(stored) {
        let what = format!("{} with {}", s["document"], s["method"]);
        assert_eq!((&g["method"], &g["class"]), (&s["method"], &s["class"]), "{what}");
        let values = |v: &Value, key: &str| {
            v[key].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect::<Vec<f64>>()
        };
        for key in ["scores", "relevance"] {
            let (a, b) = (values(g, key), values(s, key));
            assert_eq!(a.len(), b.len(), "{what}: {key}");
            let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                assert!(
                    (x - y).abs() <= 1e-6 * scale.max(1.0),
                    "{what}: {key}[{i}] {x} vs stored {y}"
                );
            }
        }
    }
}

#[test]
fn the_default_ensemble_loads_as_a_grouped_convolution_and_saves_as_it_was() {
    let model = text::default_model().expect("the embedded model");
    let conv = model.cnn.conv();
    // Four members of 50 dimensions and 1,000 filters each (assets/text-model/README.md).
    assert_eq!((conv.groups(), conv.channels(), conv.filters()), (4, 200, 4000));
    let dir = tempfile::tempdir().unwrap();
    model.save(&dir.path().join("copy"), false).unwrap();
    let saved = std::fs::read(dir.path().join("copy").join(text::WEIGHTS_FILE)).unwrap();
    let embedded = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../assets/text-model")
            .join(text::WEIGHTS_FILE),
    )
    .unwrap();
    assert!(saved == embedded, "the saved weights differ from the embedded file");
}
