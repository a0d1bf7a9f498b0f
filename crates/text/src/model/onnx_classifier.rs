//! A text classifier exported to ONNX, in the Hugging Face folder layout: `model.onnx` (token
//! ids in, logits out, before any softmax), `tokenizer.json` and, optionally, `config.json`
//! with `id2label`, the window `max_position_embeddings` and the padding token `pad_token_id`,
//! and `tokenizer_config.json` with the tokenizer's window `model_max_length`
//! (relvis's own export adds the cleaning it was trained with, under `relvis`). It is
//! run through the LRP core's graph (`onnx_import`): a document longer than the window is read
//! up to it (the tokenizer's special tokens kept at its ends); one shorter than the model can
//! read (a convolution's width) is padded.

use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use lrp::Graph;
use ndarray::{ArrayD, IxDyn};
use onnx_import::{ImportedGraph, OnnxModel};
use pipeline::bounded_read;
use pipeline::metrics::argmax;

use crate::data::Cleaning;
use crate::error::TextError;
use crate::model::recognised_cnn::recognised_cnn;
use crate::model::{softmax, Prediction, TextCnn, MARGIN_TOKENS};
use crate::tokenize::{encode_prefix_with, KnownWords, Tokens};

/// The model file of an ONNX model folder.
pub const ONNX_FILE: &str = "model.onnx";
/// Tokens read per document: a guard for models without a window of their own.
pub const MAX_TOKENS: usize = 10_000;
/// The key of `config.json` that gives the window, as Hugging Face names it.
pub const WINDOW_KEY: &str = "max_position_embeddings";
/// Where a Hugging Face tokenizer keeps its settings, its window (`model_max_length`) among
/// them.
pub const TOKENIZER_CONFIG_FILE: &str = "tokenizer_config.json";
/// The longest input the padding search tries: no usual text model needs more to run.
const MAX_PADDED_LENGTH: usize = 64;

/// A document as the model reads it: the (cleaned) text up to a margin past the window, its
/// tokens that belong to words, the ids the model reads (special tokens and padding
/// included), and the position among the ids of each worded token read.
pub(crate) struct Encoded {
    pub(crate) text: String,
    pub(crate) tokens: Tokens,
    pub(crate) ids: Vec<u32>,
    pub(crate) positions: Vec<usize>,
    /// The positions of padding among the ids.
    pub(crate) padding: Range<usize>,
    pub(crate) unread_bytes: usize,
}

/// What `config.json` says beside the class names.
#[derive(Debug, Default)]
struct FolderConfig {
    window: Option<usize>,
    pad_token_id: Option<u32>,
    cleaning: Cleaning,
}

pub struct OnnxTextClassifier {
    model: OnnxModel,
    pub(crate) tokenizer: tokenizers::Tokenizer,
    pub classes: Vec<String>,
    /// Tokens read per document, special tokens included.
    pub window: usize,
    cleaning: Cleaning,
    /// Shorter inputs are padded to this length with `pad_id`.
    min_length: usize,
    pub(crate) pad_id: u32,
    unknown_id: Option<u32>,
    /// Whether the graph has attention (a softmax or a product of two computed tensors).
    pub(crate) has_attention: bool,
    /// Graphs built for an input length, the most recently used last, kept for the next
    /// document of that length (documents cut to the window all have its length).
    graphs: Mutex<Vec<(usize, Arc<ImportedGraph>)>>,
    /// How many graphs to keep: each holds a copy of the weights, so as many as fit in
    /// [`GRAPH_CACHE_BYTES`], at least one.
    graphs_kept: usize,
    /// The model as relvis's text CNN, if its graph is one; looked for once.
    text_cnn: OnceLock<Option<TextCnn>>,
}

/// The memory the kept graphs' weights may take.
const GRAPH_CACHE_BYTES: usize = 1 << 30;

/// The window `tokenizer_config.json` at `path` gives (`model_max_length`), if the file is
/// there. Hugging Face writes a huge number (`int(1e30)`) for a tokenizer without one: no
/// window.
fn tokenizer_config_window(path: &Path) -> Result<Option<usize>, TextError> {
    let text = match bounded_read::read_text_file(path, bounded_read::MODEL_CONFIG) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(model_file(path, e)),
    };
    let config: serde_json::Value = serde_json::from_str(&text).map_err(|e| model_file(path, e))?;
    Ok(config
        .get("model_max_length")
        .and_then(serde_json::Value::as_u64)
        .map(|w| usize::try_from(w).unwrap_or(usize::MAX)))
}

fn model_file(path: &Path, e: impl std::fmt::Display) -> TextError {
    TextError::ModelFile { path: path.to_path_buf(), problem: e.to_string() }
}

impl OnnxTextClassifier {
    /// Whether `dir` holds an ONNX model.
    pub fn is_onnx_folder(dir: &Path) -> bool {
        // Anything named so (a device too) is meant as one, and is refused by its loader.
        dir.join(ONNX_FILE).exists()
    }

    /// Reads `model.onnx`, `tokenizer.json` and `config.json` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, TextError> {
        let path = dir.join(ONNX_FILE);
        let bytes =
            bounded_read::read_file(&path, bounded_read::ONNX_MODEL).map_err(
                |source| match source.kind() {
                    std::io::ErrorKind::InvalidData => model_file(&path, source),
                    _ => TextError::Read { path: path.clone(), source },
                },
            )?;
        let model =
            OnnxModel::from_bytes_in(&bytes, Some(dir)).map_err(|e| model_file(&path, e))?;
        let Some(table) = model.embedding() else {
            return Err(model_file(
                &path,
                "its input is not token ids gathered from an embedding table",
            ));
        };
        let dim = table.ncols();
        let tokenizer_path = dir.join(crate::tokenize::TOKENIZER_FILE);
        let tokenizer = bounded_read::read_file(&tokenizer_path, bounded_read::TOKENIZER)
            .map_err(|e| model_file(&tokenizer_path, e))
            .and_then(|json| {
                tokenizers::Tokenizer::from_bytes(json).map_err(|e| model_file(&tokenizer_path, e))
            })?;
        // The shortest input the graph takes, the number of outputs there, and whether the
        // graph has attention.
        let (min_length, outputs, has_attention) = (1..=MAX_PADDED_LENGTH)
            .find_map(|len| {
                let probe = ArrayD::<f32>::zeros(IxDyn(&[1, len, dim]));
                let graph = model.graph(probe.shape()).ok()?.graph;
                let attention = graph
                    .nodes()
                    .iter()
                    .any(|n| matches!(n.op, lrp::Op::Softmax { .. } | lrp::Op::MatMul));
                Some((len, graph.forward(probe).ok()?.output().len(), attention))
            })
            .ok_or_else(|| match model.graph(&[1, MAX_PADDED_LENGTH, dim]) {
                Err(e) => model_file(&path, e),
                Ok(_) => model_file(&path, "the model does not run on an input of token ids"),
            })?;
        let config_path = dir.join("config.json");
        let (classes, config) = Self::read_config(&config_path, outputs)?;
        // Every window the folder states binds: the position table's (`config.json`), the
        // tokenizer's (`tokenizer_config.json`, `tokenizer.json`'s truncation); never
        // `max_length`, a generation setting.
        let stated = [
            config.window,
            tokenizer_config_window(&dir.join(TOKENIZER_CONFIG_FILE))?,
            tokenizer.get_truncation().map(|t| t.max_length),
        ];
        let window = stated.into_iter().flatten().min().unwrap_or(MAX_TOKENS).min(MAX_TOKENS);
        let pad_id = config
            .pad_token_id
            .or_else(|| tokenizer.get_padding().map(|p| p.pad_id))
            .or_else(|| ["[PAD]", "<pad>"].iter().find_map(|t| tokenizer.token_to_id(t)))
            .unwrap_or(0);
        let unknown_id = ["[UNK]", "<unk>", "<UNK>"].iter().find_map(|t| tokenizer.token_to_id(t));
        if window < min_length {
            return Err(model_file(&config_path, format!("the window of {window} tokens is shorter than the {min_length} the model needs")));
        }
        let graphs_kept = (GRAPH_CACHE_BYTES / (4 * model.parameters()).max(1)).max(1);
        Ok(OnnxTextClassifier {
            model,
            tokenizer,
            classes,
            window,
            cleaning: config.cleaning,
            min_length,
            pad_id,
            unknown_id,
            has_attention,
            graphs: Mutex::new(Vec::new()),
            graphs_kept,
            text_cnn: OnceLock::new(),
        })
    }

    /// The class names from `config.json`'s `id2label`, else `LABEL_0 …` as Hugging Face
    /// names them, as many as the model has outputs; and the rest of what the file says.
    fn read_config(path: &Path, outputs: usize) -> Result<(Vec<String>, FolderConfig), TextError> {
        let default_names = || (0..outputs).map(|i| format!("LABEL_{i}")).collect();
        let text = match bounded_read::read_text_file(path, bounded_read::MODEL_CONFIG) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((default_names(), FolderConfig::default()))
            }
            Err(e) => return Err(model_file(path, e)),
        };
        let config: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| model_file(path, e))?;
        let count = |key: &str| -> Result<Option<u64>, TextError> {
            match config.get(key) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| model_file(path, format!("`{key}` is {v}, not a count"))),
            }
        };
        let window = count(WINDOW_KEY)?.map(|w| w as usize);
        let pad_token_id = count("pad_token_id")?.map(|p| p as u32);
        let cleaning = match config.get("relvis").and_then(|r| r.get("cleaning")) {
            Some(c) => serde_json::from_value(c.clone())
                .map_err(|e| model_file(path, format!("relvis.cleaning: {e}")))?,
            None => Cleaning::default(),
        };
        let folder = FolderConfig { window, pad_token_id, cleaning };
        let Some(labels) = config.get("id2label").and_then(|l| l.as_object()) else {
            return Ok((default_names(), folder));
        };
        let classes: Option<Vec<String>> = (0..outputs)
            .map(|i| labels.get(&i.to_string()).and_then(|v| v.as_str()).map(String::from))
            .collect();
        match classes {
            Some(c) if labels.len() == outputs => Ok((c, folder)),
            _ => Err(model_file(
                path,
                format!("id2label names {} classes, the model has {outputs} outputs", labels.len()),
            )),
        }
    }

    /// The tokens of `text` that belong to words, special tokens left out.
    fn word_tokens(&self, text: &str) -> Result<Tokens, TextError> {
        let encoding =
            self.tokenizer.encode(text, false).map_err(|e| TextError::Tokenizer(e.to_string()))?;
        let mut tokens = Tokens::default();
        let mut last_word: Option<u32> = None;
        for (&id, (word, &(start, end))) in encoding
            .get_ids()
            .iter()
            .zip(encoding.get_word_ids().iter().zip(encoding.get_offsets()))
        {
            let Some(word) = word else { continue };
            let index = if last_word == Some(*word) {
                tokens.word_count() - 1
            } else {
                tokens.word_count()
            };
            last_word = Some(*word);
            tokens.ids.push(id);
            tokens.spans.push(start..end);
            tokens.words.push(index);
        }
        Ok(tokens)
    }

    /// `text` cleaned and tokenized as the model reads it.
    pub(crate) fn tokens(&self, text: &str) -> Result<Encoded, TextError> {
        let mut text = self.cleaning.apply(text);
        let specials = self
            .tokenizer
            .get_post_processor()
            .map_or(0, |p| tokenizers::PostProcessor::added_tokens(p, false));
        let readable = self.window.saturating_sub(specials);
        let (tokens, covered) =
            encode_prefix_with(&text, readable + MARGIN_TOKENS, |t| self.word_tokens(t))?;
        let unread_bytes = text.len() - covered;
        text.truncate(covered);
        let read = tokens.ids.len().min(readable);
        let (mut ids, positions) = if specials == 0 {
            (tokens.ids[..read].to_vec(), (0..read).collect::<Vec<usize>>())
        } else {
            // The tokens read with the special tokens the tokenizer's post-processor adds around
            // them: as Hugging Face truncates (`truncation=True`), the whole text's tokens cut
            // and then post-processed, not the cut text encoded again (a byte-level BPE reads
            // the space before the first unread word as a token of its own).
            let read_tokens = (0..read)
                .map(|t| {
                    let span = &tokens.spans[t];
                    tokenizers::Token::new(tokens.ids[t], String::new(), (span.start, span.end))
                })
                .collect();
            let encoding = self
                .tokenizer
                .post_process(tokenizers::Encoding::from_tokens(read_tokens, 0), None, true)
                .map_err(|e| TextError::Tokenizer(e.to_string()))?;
            let positions = encoding
                .get_special_tokens_mask()
                .iter()
                .enumerate()
                .filter(|(_, &special)| special == 0)
                .map(|(t, _)| t)
                .collect();
            (encoding.get_ids().to_vec(), positions)
        };
        if positions.len() != read
            || positions.iter().zip(&tokens.ids).any(|(&p, &id)| ids[p] != id)
        {
            return Err(TextError::Tokenizer(
                "the tokenizer's post-processor changed the tokens read".into(),
            ));
        }
        if ids.is_empty() {
            return Err(TextError::Explain("the document holds no token".into()));
        }
        let padding = ids.len()..ids.len().max(self.min_length);
        ids.resize(padding.end, self.pad_id);
        Ok(Encoded { text, tokens, ids, positions, padding, unread_bytes })
    }

    pub(crate) fn embedded(&self, ids: &[u32]) -> Result<ArrayD<f32>, TextError> {
        let table = self.model.embedding().expect("checked at load");
        let mut x = ArrayD::zeros(IxDyn(&[1, ids.len(), table.ncols()]));
        for (t, &id) in ids.iter().enumerate() {
            let row = table.row(id as usize);
            x.slice_mut(ndarray::s![0, t, ..]).assign(&row);
        }
        if let Some(&id) = ids.iter().find(|&&id| id as usize >= table.nrows()) {
            return Err(TextError::Model(format!(
                "token id {id} is outside the embedding table of {} rows",
                table.nrows()
            )));
        }
        Ok(x)
    }

    /// The graph for the input `x` (`[1, T, D]`), built once per length `T` while it is kept.
    pub(crate) fn graph(&self, x: &ArrayD<f32>) -> Result<Arc<ImportedGraph>, TextError> {
        let length = x.shape()[1];
        let kept = |graphs: &mut Vec<(usize, Arc<ImportedGraph>)>| {
            let at = graphs.iter().position(|(l, _)| *l == length)?;
            let entry = graphs.remove(at);
            let graph = Arc::clone(&entry.1);
            graphs.push(entry);
            Some(graph)
        };
        if let Some(graph) = kept(&mut self.graphs.lock().expect("not poisoned")) {
            return Ok(graph);
        }
        let graph = Arc::new(self.model.graph(x.shape()).map_err(|e| {
            TextError::Explain(format!("this document ({length} tokens) and the model: {e}"))
        })?);
        let mut graphs = self.graphs.lock().expect("not poisoned");
        if kept(&mut graphs).is_none() {
            graphs.push((length, Arc::clone(&graph)));
            if graphs.len() > self.graphs_kept {
                graphs.remove(0);
            }
        }
        Ok(graph)
    }

    /// The model as relvis's text CNN when its graph is one ([`recognised_cnn`]), looked for in
    /// `graph` (any document's) the first time.
    pub(crate) fn text_cnn(&self, graph: &Graph) -> Option<&TextCnn> {
        self.text_cnn
            .get_or_init(|| recognised_cnn(graph, self.model.embedding()?, self.window))
            .as_ref()
    }

    pub fn predict(&self, text: &str) -> Result<Prediction, TextError> {
        let encoded = self.tokens(text)?;
        let x = self.embedded(&encoded.ids)?;
        let graph = self.graph(&x)?;
        let scores: Vec<f32> = graph.graph.forward(x)?.output().iter().copied().collect();
        let class = argmax(&scores);
        let known_words = self.known_words(&encoded);
        Ok(Prediction {
            class,
            class_name: self.classes[class].clone(),
            probabilities: softmax(&ndarray::Array1::from(scores.clone())).to_vec(),
            scores,
            known_words,
        })
    }

    /// The id of `word` when the tokenizer reads it, inside a sentence, as one known token.
    pub(crate) fn known_word(&self, word: &str) -> Result<Option<u32>, TextError> {
        let encoding = self
            .tokenizer
            .encode(format!(" {word}"), false)
            .map_err(|e| TextError::Tokenizer(e.to_string()))?;
        Ok(match encoding.get_ids() {
            [id] if Some(*id) != self.unknown_id => Some(*id),
            _ => None,
        })
    }

    /// How many of the words read are in the tokenizer's vocabulary.
    pub(crate) fn known_words(&self, encoded: &Encoded) -> KnownWords {
        encoded.tokens.known_words(encoded.positions.len(), self.unknown_id)
    }
}
