//! A text classifier exported to ONNX, in the Hugging Face folder layout: `model.onnx` (token
//! ids in, logits out, before any softmax), `tokenizer.json` and, optionally, `config.json`
//! with `id2label`. It is explained through the LRP core's graph (`onnx_import`), with every
//! method and rule of the native model, and gives the same kind of explanation.

use std::path::Path;

use lrp::{position_norms, position_sums, Target};
use ndarray::{ArrayD, IxDyn};
use onnx_import::{ImportError, OnnxModel};
use pipeline::conservation::LayerSum;
use pipeline::metrics::argmax;

use crate::classifier::Prediction;
use crate::error::TextError;
use crate::explain::{words_of, Conservation, Method, TextExplanation};
use crate::model::softmax;
use crate::tokenize::Tokens;

/// The model file of an ONNX model folder.
pub const ONNX_FILE: &str = "model.onnx";
/// Tokens read per document: a guard for models without a window of their own.
pub const MAX_TOKENS: usize = 10_000;

/// A document's tokens: those that belong to words (special tokens left out), the ids the model
/// reads (all of them, at most [`MAX_TOKENS`]), and each worded token's position among the ids.
struct Encoded {
    tokens: Tokens,
    ids: Vec<u32>,
    positions: Vec<usize>,
}

pub struct OnnxTextClassifier {
    model: OnnxModel,
    tokenizer: tokenizers::Tokenizer,
    pub classes: Vec<String>,
}

fn model_file(path: &Path, e: impl std::fmt::Display) -> TextError {
    TextError::ModelFile { path: path.to_path_buf(), problem: e.to_string() }
}

impl OnnxTextClassifier {
    /// Whether `dir` holds an ONNX model.
    pub fn is_onnx_folder(dir: &Path) -> bool {
        dir.join(ONNX_FILE).is_file()
    }

    /// Reads `model.onnx`, `tokenizer.json` and `config.json` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, TextError> {
        let path = dir.join(ONNX_FILE);
        let model = OnnxModel::read(&path).map_err(|e| match e {
            ImportError::Read { path, source } => TextError::Read { path, source },
            other => model_file(&path, other),
        })?;
        if model.embedding().is_none() {
            return Err(model_file(&path, "its input is not token ids gathered from an embedding table"));
        }
        let tokenizer_path = dir.join(crate::tokenize::TOKENIZER_FILE);
        let tokenizer = tokenizers::Tokenizer::from_file(&tokenizer_path).map_err(|e| model_file(&tokenizer_path, e))?;
        let classes = Self::classes(dir, &model)?;
        Ok(OnnxTextClassifier { model, tokenizer, classes })
    }

    /// The class names from `config.json`'s `id2label`, else `LABEL_0 …` as Hugging Face
    /// names them, as many as the model has outputs.
    fn classes(dir: &Path, model: &OnnxModel) -> Result<Vec<String>, TextError> {
        let outputs = {
            let probe = ArrayD::<f32>::zeros(IxDyn(&[1, 64, model.embedding().expect("checked").ncols()]));
            let graph = model.graph(probe.shape()).map_err(|e| model_file(&dir.join(ONNX_FILE), e))?;
            graph.graph.forward(probe).map_err(|e| model_file(&dir.join(ONNX_FILE), e))?.output().len()
        };
        let path = dir.join("config.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Ok((0..outputs).map(|i| format!("LABEL_{i}")).collect());
        };
        let config: serde_json::Value = serde_json::from_str(&text).map_err(|e| model_file(&path, e))?;
        let Some(labels) = config.get("id2label").and_then(|l| l.as_object()) else {
            return Ok((0..outputs).map(|i| format!("LABEL_{i}")).collect());
        };
        let classes: Option<Vec<String>> = (0..outputs).map(|i| labels.get(&i.to_string()).and_then(|v| v.as_str()).map(String::from)).collect();
        match classes {
            Some(c) if labels.len() == outputs => Ok(c),
            _ => Err(model_file(&path, format!("id2label names {} classes, the model has {outputs} outputs", labels.len()))),
        }
    }

    /// `text` tokenized as the model reads it.
    fn tokens(&self, text: &str) -> Result<Encoded, TextError> {
        let encoding = self.tokenizer.encode(text, true).map_err(|e| TextError::Tokenizer(e.to_string()))?;
        let ids: Vec<u32> = encoding.get_ids().iter().copied().take(MAX_TOKENS).collect();
        if ids.is_empty() {
            return Err(TextError::Explain("the document holds no token".into()));
        }
        let mut tokens = Tokens::default();
        let mut position_of_token = Vec::new();
        let mut last_word: Option<u32> = None;
        for (t, (&id, (word, &(start, end)))) in ids.iter().zip(encoding.get_word_ids().iter().zip(encoding.get_offsets())).enumerate() {
            let Some(word) = word else {
                position_of_token.push(None);
                continue;
            };
            let index = if last_word == Some(*word) { tokens.word_count() - 1 } else { tokens.word_count() };
            last_word = Some(*word);
            tokens.ids.push(id);
            tokens.spans.push(start..end);
            tokens.words.push(index);
            position_of_token.push(Some(t));
        }
        Ok(Encoded { tokens, ids, positions: position_of_token.into_iter().flatten().collect() })
    }

    fn embedded(&self, ids: &[u32]) -> Result<ArrayD<f32>, TextError> {
        let table = self.model.embedding().expect("checked at load");
        let mut x = ArrayD::zeros(IxDyn(&[1, ids.len(), table.ncols()]));
        for (t, &id) in ids.iter().enumerate() {
            let row = table.row(id as usize);
            x.slice_mut(ndarray::s![0, t, ..]).assign(&row);
        }
        if let Some(&id) = ids.iter().find(|&&id| id as usize >= table.nrows()) {
            return Err(TextError::Model(format!("token id {id} is outside the embedding table of {} rows", table.nrows())));
        }
        Ok(x)
    }

    fn graph(&self, x: &ArrayD<f32>) -> Result<onnx_import::ImportedGraph, TextError> {
        self.model.graph(x.shape()).map_err(|e| TextError::Explain(format!("this document ({} tokens) and the model: {e}", x.shape()[1])))
    }

    pub fn predict(&self, text: &str) -> Result<Prediction, TextError> {
        let x = self.embedded(&self.tokens(text)?.ids)?;
        let graph = self.graph(&x)?;
        let scores: Vec<f32> = graph.graph.forward(x)?.output().iter().copied().collect();
        let class = argmax(&scores);
        Ok(Prediction { class, class_name: self.classes[class].clone(), probabilities: softmax(&ndarray::Array1::from(scores.clone())).to_vec(), scores })
    }

    pub fn explain(&self, text: &str, class: Option<usize>, method: &Method) -> Result<TextExplanation, TextError> {
        let Encoded { tokens, ids, positions } = self.tokens(text)?;
        let x = self.embedded(&ids)?;
        let imported = self.graph(&x)?;
        let trace = imported.graph.forward(x)?;
        let scores: Vec<f32> = trace.output().iter().copied().collect();
        let predicted = argmax(&scores);
        let class = class.unwrap_or(predicted);
        if class >= scores.len() {
            return Err(TextError::Explain(format!("class {class} out of range: the model has {} classes", scores.len())));
        }
        let target = Target::Output(class);
        let (per_position, conservation) = match method {
            Method::Lrp(composite) => {
                let e = trace.lrp(&target, composite)?;
                let layers = e.layers.iter().map(LayerSum::from).collect();
                (position_sums(e.relevance.view()), Some(Conservation { explained: e.explained, words: 0.0, absorbed: 0.0, layers }))
            }
            Method::Sensitivity => (position_norms(trace.gradient(&target)?.view()), None),
            Method::GradientXInput => (position_sums(trace.gradient_x_input(&target)?.view()), None),
        };
        // Relevance of the worded tokens, in their order.
        let relevance: Vec<f32> = positions.iter().map(|&t| per_position[[0, t]]).collect();
        let words = words_of(text, &tokens, &relevance, usize::MAX, method.is_signed(), |id| self.tokenizer.id_to_token(id).unwrap_or_default());
        let conservation = conservation.map(|mut c| {
            c.words = words.iter().map(|w| f64::from(w.relevance)).sum();
            c.absorbed = c.explained - c.words;
            c
        });
        Ok(TextExplanation {
            method: method.to_string(),
            class,
            class_name: self.classes[class].clone(),
            score: scores[class],
            predicted,
            predicted_name: self.classes[predicted].clone(),
            probabilities: softmax(&ndarray::Array1::from(scores.clone())).to_vec(),
            scores,
            text: text.to_string(),
            words,
            signed: method.is_signed(),
            conservation,
            unread_bytes: 0,
        })
    }
}
