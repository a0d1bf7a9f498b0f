//! BERT (eager attention, opset 14; SDPA, opset 17), DistilBERT and RoBERTa classifiers
//! exported by `torch.onnx.export`, against the numbers `scripts/transformer_fixtures.py`
//! stored: ONNX Runtime's logits, lxt 2.1's AttnLRP, the script's CP-LRP (lxt's
//! `stop_gradient` on query and key) and autograd's Gradient × Input, per token at the word
//! embeddings, within 1e-4 of each document's largest relevance.

use std::path::{Path, PathBuf};

use lrp::{Composite, Target};
use ndarray::{ArrayD, Axis, IxDyn};
use onnx_import::OnnxModel;
use serde_json::Value;

const MODELS: &[&str] = &["bert_eager", "bert_sdpa", "distilbert", "roberta"];

fn folder(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/transformers").join(name)
}

fn expected(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(folder(name).join("expected.json")).unwrap())
        .unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// The word embeddings `[1, T, D]` of `ids`.
fn embedded(model: &OnnxModel, ids: &[usize]) -> ArrayD<f32> {
    let table = model.embedding().expect("a model of token ids");
    let mut x = ArrayD::zeros(IxDyn(&[1, ids.len(), table.ncols()]));
    for (t, &id) in ids.iter().enumerate() {
        x.slice_mut(ndarray::s![0, t, ..]).assign(&table.row(id));
    }
    x
}

/// Per token: `Σ_d R[0, t, d]`.
fn per_token(r: &ArrayD<f32>) -> Vec<f64> {
    r.sum_axis(Axis(2)).iter().map(|&v| f64::from(v)).collect()
}

/// The largest difference from `reference`, relative to its largest magnitude.
fn relative_error(ours: &[f64], reference: &[f64]) -> f64 {
    assert_eq!(ours.len(), reference.len());
    let scale = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    ours.iter().zip(reference).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max) / scale
}

/// Every model's documents: logits against ONNX Runtime's, and `method`'s relevance per token
/// against the stored `key`.
fn check(key: &str, explain: impl Fn(&lrp::GraphTrace, usize) -> ArrayD<f32>) {
    for name in MODELS {
        let mut largest = 0.0f64;
        let model = OnnxModel::read(&folder(name).join("model.onnx")).unwrap();
        let expected = expected(name);
        for (n, doc) in expected["documents"].as_array().unwrap().iter().enumerate() {
            let ids: Vec<usize> = doc["input_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            let x = embedded(&model, &ids);
            let imported = model.graph(x.shape()).unwrap();
            let trace = imported.graph.forward(x).unwrap();
            let logits: Vec<f64> = trace.output().iter().map(|&v| f64::from(v)).collect();
            let reference = floats(&doc["logits"]);
            let worst =
                logits.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            assert!(
                worst < 1e-4,
                "{name} document {n}: logits {logits:?}, ONNX Runtime {reference:?}"
            );
            let target = doc["target"].as_u64().unwrap() as usize;
            let ours = per_token(&explain(&trace, target));
            let error = relative_error(&ours, &floats(&doc[key]));
            assert!(
                error < 1e-4,
                "{name} document {n}: {key} off by {error:.2e} of the largest\n ours {ours:?}\n theirs {:?}",
                floats(&doc[key])
            );
            largest = largest.max(error);
        }
        eprintln!("{name}: {key} within {largest:.1e} of each document's largest relevance");
    }
}

#[test]
fn attnlrp_equals_lxt() {
    let composite: Composite = "attnlrp".parse().unwrap();
    check("attnlrp", |trace, target| {
        trace.lrp(&Target::Output(target), &composite).unwrap().relevance
    });
}

#[test]
fn cp_lrp_equals_lxt_stop_gradient() {
    let composite: Composite = "cp-lrp".parse().unwrap();
    check("cplrp", |trace, target| {
        trace.lrp(&Target::Output(target), &composite).unwrap().relevance
    });
}

#[test]
fn gradient_x_input_equals_autograd() {
    check("gradient_x_input", |trace, target| {
        trace.gradient_x_input(&Target::Output(target)).unwrap()
    });
}

/// Each head reads the first token of the last layer: that layer computes its keys and values
/// for every token and its queries, attention output and feed-forward part for the first
/// alone, so of the `6 L` dense layers of the `L` layers (queries, keys, values, attention
/// output, the feed-forward part's two) `6 L − 4` compute every token.
#[test]
fn the_last_layer_computes_only_the_token_the_head_reads() {
    for name in MODELS {
        let config: Value = serde_json::from_str(
            &std::fs::read_to_string(folder(name).join("config.json")).unwrap(),
        )
        .unwrap();
        let layers =
            config.get("num_hidden_layers").or(config.get("n_layers")).unwrap().as_u64().unwrap();
        let model = OnnxModel::read(&folder(name).join("model.onnx")).unwrap();
        let tokens = 9;
        let x = embedded(&model, &[3; 9]);
        let graph = model.graph(x.shape()).unwrap().graph;
        let shapes = graph.shapes(x.shape()).unwrap();
        let dense_tokens: Vec<usize> = graph
            .nodes()
            .iter()
            .zip(&shapes)
            .filter(|(n, s)| n.op.kind() == lrp::LayerKind::Dense && s.len() == 3)
            .map(|(_, s)| s[1])
            .collect();
        let every = dense_tokens.iter().filter(|&&t| t == tokens).count();
        let one = dense_tokens.iter().filter(|&&t| t == 1).count();
        assert_eq!((every, one), (6 * layers as usize - 4, 4), "{name}: {dense_tokens:?}");
    }
}
