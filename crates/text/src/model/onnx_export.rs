//! relvis's own CNN written as an ONNX model folder in the Hugging Face layout, the one
//! [`crate::OnnxTextClassifier`] reads: `model.onnx`, the same `tokenizer.json`, and a
//! `config.json` with `id2label`, the model's window as `max_position_embeddings`, and the
//! cleaning it was trained with under `relvis`.
//!
//! The graph is the native model's, operator for operator:
//! `input_ids [1, T] → Gather(embedding) [1, T, D] → Transpose [1, D, T] → Conv(group G)
//! [1, F, T−k+1] → Relu → ReduceMax(positions) [1, F] → Gemm [1, C] → logits`.

use std::fs;
use std::path::Path;

use ndarray::{Array3, Axis};
use onnx_import::{Attribute, OnnxWriter};
use pipeline::model_folder::save_folder;

use crate::error::TextError;
use crate::model::TextClassifier;
use crate::model::{ONNX_FILE, WINDOW_KEY};
use crate::tokenize::{TextTokenizer, TOKENIZER_FILE};

/// The Hugging Face config's file in an ONNX model folder.
const HF_CONFIG_FILE: &str = "config.json";

/// Writes `model` as an ONNX model folder `dir` (refused if it exists unless `overwrite`;
/// written to a staging folder and moved into place whole).
pub fn export_onnx(model: &TextClassifier, dir: &Path, overwrite: bool) -> Result<(), TextError> {
    let TextTokenizer::WordLevel(tokenizer) = &model.tokenizer else {
        return Err(TextError::Model("only models with the word-level tokenizer can be exported to ONNX (this one reads WordPiece from vocab.txt)".into()));
    };
    let onnx = onnx_bytes(model);
    save_folder(dir, overwrite, ONNX_FILE, |staging| {
        let write = |name: &str, bytes: &[u8]| {
            let path = staging.join(name);
            fs::write(&path, bytes).map_err(|e| TextError::write(&path, e))
        };
        write(ONNX_FILE, &onnx)?;
        write(HF_CONFIG_FILE, hf_config(model).as_bytes())?;
        let path = staging.join(TOKENIZER_FILE);
        tokenizer
            .save(&path, false)
            .map_err(|e| TextError::write(&path, std::io::Error::other(e.to_string())))
    })
}

/// The CNN as an ONNX model.
pub fn onnx_bytes(model: &TextClassifier) -> Vec<u8> {
    let (conv, dense) = (model.cnn.conv(), model.cnn.dense());
    let mut w = OnnxWriter::new("relvis-text-cnn", "input_ids");
    w.initialiser("embedding.weight", &model.cnn.embedding.clone().into_dyn());
    // relvis `[k, C/G, F]` → ONNX `[F, C/G, k]`.
    let conv_weight: Array3<f32> =
        conv.weight.clone().permuted_axes([2, 1, 0]).as_standard_layout().into_owned();
    w.initialiser("conv.weight", &conv_weight.into_dyn());
    let zeros = |n: usize| ndarray::Array1::<f32>::zeros(n);
    w.initialiser(
        "conv.bias",
        &conv.bias.clone().unwrap_or_else(|| zeros(conv.filters())).into_dyn(),
    );
    w.initialiser("dense.weight", &dense.weight.clone().into_dyn());
    w.initialiser(
        "dense.bias",
        &dense.bias.clone().unwrap_or_else(|| zeros(dense.weight.len_of(Axis(1)))).into_dyn(),
    );
    w.node(
        "Gather",
        &["embedding.weight", "input_ids"],
        &["embedded"],
        vec![("axis", Attribute::Int(0))],
    );
    w.node(
        "Transpose",
        &["embedded"],
        &["channels_first"],
        vec![("perm", Attribute::Ints(vec![0, 2, 1]))],
    );
    w.node(
        "Conv",
        &["channels_first", "conv.weight", "conv.bias"],
        &["conv"],
        vec![("group", Attribute::Int(conv.groups() as i64))],
    );
    w.node("Relu", &["conv"], &["relu"], vec![]);
    w.node(
        "ReduceMax",
        &["relu"],
        &["pooled"],
        vec![("axes", Attribute::Ints(vec![2])), ("keepdims", Attribute::Int(0))],
    );
    w.node("Gemm", &["pooled", "dense.weight", "dense.bias"], &["logits"], vec![]);
    w.finish("logits", model.config.classes.len(), concat!("relvis ", env!("CARGO_PKG_VERSION")))
}

/// `config.json` as Hugging Face writes it for a sequence classifier, plus relvis's cleaning.
fn hf_config(model: &TextClassifier) -> String {
    let classes = &model.config.classes;
    let id2label: serde_json::Map<String, serde_json::Value> =
        classes.iter().enumerate().map(|(i, c)| (i.to_string(), c.as_str().into())).collect();
    let label2id: serde_json::Map<String, serde_json::Value> =
        classes.iter().enumerate().map(|(i, c)| (c.clone(), i.into())).collect();
    let config = serde_json::json!({
        "architectures": ["RelvisTextCnn"],
        "model_type": "relvis-text-cnn",
        "id2label": id2label,
        "label2id": label2id,
        WINDOW_KEY: model.cnn.arch.max_len,
        "vocab_size": model.cnn.arch.vocab,
        "pad_token_id": crate::model::PAD,
        "relvis": { "cleaning": model.config.cleaning, "test_accuracy": model.config.test_accuracy },
    });
    serde_json::to_string_pretty(&config).expect("the config serialises")
}
