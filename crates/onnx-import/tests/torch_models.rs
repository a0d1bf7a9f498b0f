//! Text classifiers built in PyTorch and exported with `torch.onnx.export`
//! (`scripts/torch_fixtures.py`): the imported graphs compute ONNX Runtime's logits, and
//! explain as zennit (LRP rules and a composite, on the CNNs) and as autograd (gradient,
//! Gradient × Input, on every model) do, to 1e-5 of each explanation's largest value.

use std::path::PathBuf;

use lrp::{Composite, Target};
use ndarray::{ArrayD, IxDyn};
use onnx_import::OnnxModel;

const MODELS: [&str; 7] =
    ["paper_cnn", "kim_cnn", "bn_cnn", "mean_bag", "bag_mlp", "kim_cnn2d", "grid_cnn"];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torch").join(name)
}

struct Case {
    ids: Vec<usize>,
    logits: Vec<f64>,
    target: usize,
    relevance: Vec<(String, Vec<f64>)>,
}

fn cases(name: &str) -> Vec<Case> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(&format!("{name}.json"))).unwrap())
            .unwrap();
    let floats = |v: &serde_json::Value| -> Vec<f64> {
        match v.as_array() {
            Some(a) => a
                .iter()
                .flat_map(|x| {
                    if x.is_array() {
                        x.as_array().unwrap().iter().map(|y| y.as_f64().unwrap()).collect()
                    } else {
                        vec![x.as_f64().unwrap()]
                    }
                })
                .collect(),
            None => panic!("{v}"),
        }
    };
    json.as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            ids: c["ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_u64().unwrap() as usize)
                .collect(),
            logits: floats(&c["logits"]),
            target: c["target"].as_u64().unwrap() as usize,
            relevance: c["relevance"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), floats(v)))
                .collect(),
        })
        .collect()
}

fn embedded(model: &OnnxModel, ids: &[usize]) -> ArrayD<f32> {
    let table = model.embedding().expect("token ids in");
    ArrayD::from_shape_fn(IxDyn(&[1, ids.len(), table.ncols()]), |i| table[[ids[i[1]], i[2]]])
}

/// The largest difference relative to the largest reference value.
fn relative_difference(ours: &[f32], theirs: &[f64], what: &str) -> f64 {
    assert_eq!(ours.len(), theirs.len(), "{what}");
    let scale = theirs.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-3);
    ours.iter().zip(theirs).map(|(a, b)| (f64::from(*a) - b).abs()).fold(0.0, f64::max) / scale
}

#[test]
fn pytorch_exports_compute_onnx_runtimes_logits_and_explain_as_zennit_and_autograd() {
    let mut compared = 0;
    let mut failures = Vec::new();
    let mut check = |ours: &[f32], theirs: &[f64], what: String| {
        let d = relative_difference(ours, theirs, &what);
        if d > 1e-5 {
            failures.push(format!("{what}: {d:.2e}"));
        }
    };
    for name in MODELS {
        let model = OnnxModel::read(&fixture(&format!("{name}.onnx")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for case in cases(name) {
            let x = embedded(&model, &case.ids);
            let imported = model.graph(x.shape()).unwrap_or_else(|e| panic!("{name}: {e}"));
            let trace = imported.graph.forward(x).unwrap();
            let logits: Vec<f32> = trace.output().iter().copied().collect();
            check(&logits, &case.logits, format!("{name} logits"));
            let target = Target::Output(case.target);
            for (method, theirs) in &case.relevance {
                let ours: ArrayD<f32> = match method.as_str() {
                    "sa" => trace.gradient(&target).unwrap(),
                    "gxi" => trace.gradient_x_input(&target).unwrap(),
                    rule => {
                        let composite: Composite = rule.trim_start_matches("lrp ").parse().unwrap();
                        trace.lrp(&target, &composite).unwrap().relevance
                    }
                };
                check(
                    ours.as_slice().unwrap(),
                    theirs,
                    format!("{name} {method}, class {} of {:?}", case.target, case.ids),
                );
                compared += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "differences beyond 1e-5 of the largest value:\n{}",
        failures.join("\n")
    );
    // 5 CNNs (two of them 2-D) × 5 cases × 8 methods, 2 bag models × 5 cases × 2.
    assert_eq!(compared, 220);
}

#[test]
fn the_batch_normalisation_of_the_exported_model_is_folded_and_said_so() {
    for name in ["bn_cnn", "grid_cnn"] {
        let model = OnnxModel::read(&fixture(&format!("{name}.onnx"))).unwrap();
        let imported = model.graph(&[1, 6, 6]).unwrap();
        assert!(
            imported.notes.iter().any(|n| n.contains("BatchNormalization")),
            "{name}: {:?}",
            imported.notes
        );
        assert!(
            !imported.graph.nodes().iter().any(|n| matches!(n.op, lrp::Op::Affine { .. })),
            "{name}: an affine node is left"
        );
    }
}
