//! The embedded default model's scores and per-frame relevance on the demo clip, against
//! numbers stored in `fixtures/default-model.json`: a change to the motion reading, the
//! descriptors, the Fisher vectors or the explanation that moves them fails here.
//!
//! `RELVIS_BLESS=1 cargo test -p video --test default_model` writes the fixture anew (only
//! when a change is meant to move the numbers; say so in the commit).

use std::path::Path;

use serde_json::{json, Value};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/default-model.json");

#[test]
fn the_default_model_scores_and_explains_the_demo_clip_as_stored() {
    let model = video::default_model().expect("the embedded model");
    let clip = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo-video/sit-up.mp4");
    let e = video::explain_clip(&model, &clip, None, None, &"epsilon=0.01".parse().unwrap())
        .expect("explains");
    let got = json!({ "class": e.class_name, "scores": e.scores, "per_frame": e.per_frame, "fisher_vector_total": e.conservation.layers[0].relevance_in });
    if std::env::var_os("RELVIS_BLESS").is_some() {
        std::fs::write(FIXTURE, serde_json::to_string_pretty(&got).unwrap()).unwrap();
        return;
    }
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(FIXTURE).expect("the stored numbers"))
            .unwrap();
    assert_eq!(got["class"], stored["class"]);
    let values = |v: &Value| {
        v.as_array().map_or_else(
            || vec![v.as_f64().unwrap()],
            |a| a.iter().map(|x| x.as_f64().unwrap()).collect::<Vec<f64>>(),
        )
    };
    for key in ["scores", "per_frame", "fisher_vector_total"] {
        let (a, b) = (values(&got[key]), values(&stored[key]));
        assert_eq!(a.len(), b.len(), "{key}");
        let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!((x - y).abs() <= 1e-5 * scale.max(1.0), "{key}[{i}] {x} vs stored {y}");
        }
    }
}
