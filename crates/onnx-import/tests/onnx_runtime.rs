//! Imported models against ONNX Runtime's outputs for the same token ids (stored by
//! `scripts/make_fixtures.py`), their gradients against finite differences, and the refusal
//! of operators the graph cannot express.

use std::path::{Path, PathBuf};

use lrp::{Composite, Rule, Target};
use ndarray::{ArrayD, IxDyn};
use onnx_import::{ImportError, OnnxModel};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// `(token ids, ONNX Runtime's logits)` per stored document.
fn documents(name: &str) -> Vec<(Vec<usize>, Vec<f64>)> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(&format!("{name}.json"))).unwrap())
            .unwrap();
    json["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let ids = o["input_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            let logits =
                o["logits"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            (ids, logits)
        })
        .collect()
}

/// The embeddings `[1, T, D]` of `ids`.
fn embedded(model: &OnnxModel, ids: &[usize]) -> ArrayD<f32> {
    let table = model.embedding().expect("a model of token ids");
    let mut x = ArrayD::zeros(IxDyn(&[1, ids.len(), table.ncols()]));
    for (t, &id) in ids.iter().enumerate() {
        x.slice_mut(ndarray::s![0, t, ..]).assign(&table.row(id));
    }
    x
}

fn check_against_onnx_runtime(name: &str) -> Vec<String> {
    let model = OnnxModel::read(&fixture(&format!("{name}.onnx"))).unwrap();
    let mut notes = Vec::new();
    for (ids, logits) in documents(name) {
        let x = embedded(&model, &ids);
        let imported = model.graph(x.shape()).unwrap();
        let trace = imported.graph.forward(x).unwrap();
        let ours: Vec<f32> = trace.output().iter().copied().collect();
        assert_eq!(ours.len(), logits.len());
        for (a, b) in ours.iter().zip(&logits) {
            assert!(
                (f64::from(*a) - b).abs() < 1e-5,
                "{name}, {} ids: {ours:?} against ONNX Runtime's {logits:?}",
                ids.len()
            );
        }
        notes = imported.notes;
    }
    notes
}

#[test]
fn a_kim_cnn_computes_what_onnx_runtime_computes_and_its_softmax_is_left_out() {
    let notes = check_against_onnx_runtime("kim_cnn");
    assert!(notes.iter().any(|n| n.contains("Softmax") && n.contains("logits")), "{notes:?}");
}

#[test]
fn shape_arithmetic_padding_normalisation_and_a_split_linear_layer_compute_what_onnx_runtime_computes(
) {
    let notes = check_against_onnx_runtime("normalised_cnn");
    assert!(notes.iter().any(|n| n.contains("BatchNormalization `bn` folded")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("fc.add")), "{notes:?}");
}

/// The imported graph's score for `class` at `x`.
fn score(model: &OnnxModel, x: &ArrayD<f32>, class: usize) -> f64 {
    let g = model.graph(x.shape()).unwrap();
    f64::from(g.graph.forward(x.clone()).unwrap().output()[[0, class]])
}

#[test]
fn the_gradient_through_an_imported_graph_matches_finite_differences() {
    for name in ["kim_cnn", "normalised_cnn"] {
        let model = OnnxModel::read(&fixture(&format!("{name}.onnx"))).unwrap();
        let (ids, _) = documents(name).remove(0);
        let x = embedded(&model, &ids);
        let imported = model.graph(x.shape()).unwrap();
        let trace = imported.graph.forward(x.clone()).unwrap();
        let target = ArrayD::from_shape_vec(IxDyn(&[1, 3]), vec![0.0, 1.0, 0.0]).unwrap();
        let gradient = trace.gradient(&Target::Relevance(target)).unwrap();
        let h = 1e-3f32;
        let mut worst = 0.0f64;
        for i in 0..x.len() {
            let (mut up, mut down) = (x.clone(), x.clone());
            up.as_slice_mut().unwrap()[i] += h;
            down.as_slice_mut().unwrap()[i] -= h;
            let numeric = (score(&model, &up, 1) - score(&model, &down, 1)) / (2.0 * f64::from(h));
            worst = worst.max((numeric - f64::from(gradient.as_slice().unwrap()[i])).abs());
        }
        let scale = gradient.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(
            worst < 1e-2 * f64::from(scale),
            "{name}: worst difference {worst} (largest gradient {scale})"
        );
        // Relevance reaches the words and every node's report adds up: what the input holds and
        // what the nodes absorbed make the score.
        let e = trace.lrp(&Target::Output(1), &Composite::uniform(Rule::Epsilon(1e-3))).unwrap();
        let absorbed: f64 = e.layers.iter().map(|l| l.absorbed()).sum();
        assert!(
            (e.input_sum() + absorbed - e.explained).abs() < 1e-4,
            "{name}: {} + {absorbed} against {}",
            e.input_sum(),
            e.explained
        );
        assert!(e.relevance.iter().any(|&r| r != 0.0));
    }
}

#[test]
fn a_recurrent_layer_is_refused_before_any_work_naming_its_node() {
    let refused = OnnxModel::read(&fixture("lstm.onnx")).err().expect("refused");
    assert!(
        matches!(&refused, ImportError::Unsupported { nodes, .. } if nodes.len() == 1 && nodes[0].name == "encoder/lstm"),
        "{refused}"
    );
    let message = refused.to_string();
    assert!(
        message.contains("`encoder/lstm` (LSTM")
            && message.contains("recurrent")
            && message.contains("Conv"),
        "{message}"
    );
}

#[test]
fn bytes_that_are_not_a_model_are_refused() {
    assert!(matches!(
        OnnxModel::from_bytes(b"\x08\x07 certainly not protobuf"),
        Err(ImportError::Parse(_) | ImportError::Invalid(_))
    ));
}

#[test]
fn relevance_on_the_imported_kim_cnn_agrees_with_zennit_on_the_same_model_in_pytorch() {
    let model = OnnxModel::read(&fixture("kim_cnn.onnx")).unwrap();
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("kim_cnn_zennit.json")).unwrap())
            .unwrap();
    let cases = stored.as_array().unwrap();
    assert_eq!(cases.len(), 3 * 3 * 3, "three documents × three rules × three classes");
    let mut worst = 0.0f64;
    for case in cases {
        let ids: Vec<usize> = case["input_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let rule = case["rule"].as_str().unwrap();
        let zennit: Vec<f64> =
            case["relevance"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let x = embedded(&model, &ids);
        let imported = model.graph(x.shape()).unwrap();
        let trace = imported.graph.forward(x).unwrap();
        let composite: Composite = rule.parse().unwrap();
        let e = trace
            .lrp(&Target::Output(case["target"].as_u64().unwrap() as usize), &composite)
            .unwrap();
        let scale = zennit.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-12);
        let error = e
            .relevance
            .iter()
            .zip(&zennit)
            .map(|(&a, b)| (f64::from(a) - b).abs())
            .fold(0.0, f64::max)
            / scale;
        assert!(
            error < 5e-5,
            "{rule}, class {}, {} ids: relative difference {error}",
            case["target"],
            ids.len()
        );
        worst = worst.max(error);
    }
    eprintln!("largest relative difference to zennit: {worst:.2e}");
}
