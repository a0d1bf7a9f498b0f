//! A trained text classifier as users see it: cleaning, tokenizer, CNN and class names,
//! saved as a folder — `weights.safetensors`, `config.json`, and the tokenizer's file — and
//! checked on load.

use std::fs;
use std::path::Path;

use lrp::{Conv1d, Dense};
use ndarray::{Array1, Ix1, Ix2, Ix3};
use pipeline::bounded_read;
use pipeline::metrics::argmax;
use pipeline::model_folder::WeightPrecision;
use pipeline::model_folder::{check_format, read_tensor, save_folder, tensor_file};
use safetensors::SafeTensors;
use serde::{Deserialize, Serialize};

use crate::data::Cleaning;
use crate::data::DatasetOptions;
use crate::error::TextError;
use crate::model::{softmax, Architecture, TextCnn};
use crate::model::{TrainConfig, TrainReport};
use crate::tokenize::{KnownWords, TextTokenizer, TokenizerKind, Tokens};

/// What `config.json` says this file format is.
pub const FORMAT: &str = "relvis-text-cnn";
/// The version of the model file format this build writes (2: weights in f32 or f16).
pub const FORMAT_VERSION: u32 = 2;
/// The oldest version it reads (1: f32 weights only).
pub const OLDEST_FORMAT_VERSION: u32 = 1;
/// File names inside a model folder.
pub const CONFIG_FILE: &str = "config.json";
pub const WEIGHTS_FILE: &str = "weights.safetensors";

/// Everything about a model but its weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub format: String,
    pub version: u32,
    pub architecture: Architecture,
    pub classes: Vec<String>,
    pub tokenizer: TokenizerKind,
    pub cleaning: Cleaning,
    /// How the training data was read and split (20 Newsgroups for models made before this
    /// was recorded).
    #[serde(default)]
    pub data: DatasetOptions,
    pub training: TrainingRecord,
    /// How the weights are stored (f32 in version-1 files).
    #[serde(default)]
    pub weight_precision: WeightPrecision,
    /// Accuracy on the data set's test split, when measured.
    pub test_accuracy: Option<f64>,
}

/// How the model was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    pub config: TrainConfig,
    /// Minimum count of a word in the training split to enter the vocabulary.
    pub min_count: u64,
    /// The pre-trained vectors' file name, if the embeddings were initialised from one.
    pub embeddings: Option<String>,
    /// Share of the vocabulary covered by those vectors.
    pub embedding_coverage: Option<f64>,
    /// Words of those vectors given a token besides the training split's own words.
    #[serde(default)]
    pub added_embedding_words: usize,
    /// SHA-256 over the training documents' ids, labels and texts.
    pub data_fingerprint: String,
    /// The training of the (first) network.
    pub report: TrainReport,
    /// The training of the other networks, when several were trained and combined.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_members: Vec<TrainReport>,
}

/// A class prediction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prediction {
    pub class: usize,
    pub class_name: String,
    /// Scores (logits) per class.
    pub scores: Vec<f32>,
    /// Softmax probabilities per class.
    pub probabilities: Vec<f32>,
    /// How many of the words the model read it knows.
    pub known_words: KnownWords,
}

/// Cleaning, tokenizer and CNN together.
pub struct TextClassifier {
    pub config: ModelConfig,
    pub tokenizer: TextTokenizer,
    pub cnn: TextCnn,
}

/// A document as the model reads it: the cleaned text and its tokens, up to a margin past
/// the model's window.
#[derive(Clone, Debug, PartialEq)]
pub struct Prepared {
    pub text: String,
    pub tokens: Tokens,
    /// Bytes of the cleaned text after `text`, left out as far past the model's window.
    pub unread_bytes: usize,
}

/// Tokens kept past the model's window, shown uncoloured in explanations.
pub(crate) const MARGIN_TOKENS: usize = 200;

impl TextClassifier {
    /// Cleans and tokenizes `text` as at training time; of a long document only the model's
    /// window and a margin are kept.
    pub fn prepare(&self, text: &str) -> Result<Prepared, TextError> {
        let mut text = self.config.cleaning.apply(text);
        let (tokens, covered) =
            self.tokenizer.encode_prefix(&text, self.cnn.arch.max_len + MARGIN_TOKENS)?;
        let unread_bytes = text.len() - covered;
        text.truncate(covered);
        Ok(Prepared { text, tokens, unread_bytes })
    }

    /// Class, scores and probabilities for a document.
    pub fn predict(&self, text: &str) -> Result<Prediction, TextError> {
        let prepared = self.prepare(text)?;
        let scores = self.cnn.scores(&prepared.tokens.ids);
        let class = argmax(&scores);
        Ok(Prediction {
            class,
            class_name: self.config.classes[class].clone(),
            probabilities: softmax(&scores).to_vec(),
            scores: scores.to_vec(),
            known_words: self.known_words(&prepared.tokens),
        })
    }

    /// How many of the words the CNN reads of `tokens` are in its vocabulary.
    pub fn known_words(&self, tokens: &Tokens) -> KnownWords {
        tokens.known_words(self.cnn.arch.max_len, self.tokenizer.unknown_id())
    }

    /// Writes the model folder `dir`. An existing folder is refused unless `overwrite`; the
    /// files are written to a sibling temporary folder first and moved into place together.
    pub fn save(&self, dir: &Path, overwrite: bool) -> Result<(), TextError> {
        save_folder(dir, overwrite, CONFIG_FILE, |staging| {
            let config = serde_json::to_string_pretty(&self.config).expect("the config serialises");
            let config_path = staging.join(CONFIG_FILE);
            fs::write(&config_path, config).map_err(|e| TextError::write(&config_path, e))?;
            let weights_path = staging.join(WEIGHTS_FILE);
            fs::write(&weights_path, self.weights_bytes()?)
                .map_err(|e| TextError::write(&weights_path, e))?;
            self.tokenizer.save(staging)
        })
    }

    fn weights_bytes(&self) -> Result<Vec<u8>, TextError> {
        let conv = self.cnn.conv();
        let dense = self.cnn.dense();
        let bias =
            |b: &Option<Array1<f32>>| b.clone().expect("text CNN layers have biases").into_dyn();
        let tensors = [
            ("embedding".to_string(), self.cnn.embedding.clone().into_dyn()),
            // Ungrouped on file (zeros between an ensemble's members), as other tools read it.
            ("conv.weight".to_string(), conv.full_weight().into_dyn()),
            ("conv.bias".to_string(), bias(&conv.bias)),
            ("dense.weight".to_string(), dense.weight.clone().into_dyn()),
            ("dense.bias".to_string(), bias(&dense.bias)),
        ];
        tensor_file(&tensors, self.config.weight_precision, FORMAT, FORMAT_VERSION)
            .map_err(TextError::Model)
    }

    /// Reads a model folder, checking the format version, every tensor's shape, and that
    /// all weights are finite.
    pub fn load(dir: &Path) -> Result<Self, TextError> {
        let config_path = dir.join(CONFIG_FILE);
        let missing = |path: &Path, e: std::io::Error| {
            let problem = if dir.join("model.json").is_file() {
                "a relvis video model folder; xai-text needs a text model".to_string()
            } else if e.kind() == std::io::ErrorKind::NotFound {
                format!("{e} (not a relvis text model folder?)")
            } else {
                e.to_string()
            };
            TextError::ModelFile { path: path.to_path_buf(), problem }
        };
        let config = bounded_read::read_text_file(&config_path, bounded_read::MODEL_CONFIG)
            .map_err(|e| missing(&config_path, e))?;
        let weights_path = dir.join(WEIGHTS_FILE);
        let weights = bounded_read::read_file(&weights_path, bounded_read::MODEL_WEIGHTS)
            .map_err(|e| missing(&weights_path, e))?;
        Self::from_files(&config, &config_path, &weights, &weights_path, |kind| {
            TextTokenizer::load(dir, kind)
        })
    }

    /// A model from the contents of its files; `config_path` and `weights_path` name them in
    /// errors, `tokenizer` loads the tokenizer of the configured kind.
    pub fn from_files(
        config: &str,
        config_path: &Path,
        weights: &[u8],
        weights_path: &Path,
        tokenizer: impl FnOnce(TokenizerKind) -> Result<TextTokenizer, TextError>,
    ) -> Result<Self, TextError> {
        let problem = |path: &Path, problem: String| TextError::ModelFile {
            path: path.to_path_buf(),
            problem,
        };
        let value: serde_json::Value =
            serde_json::from_str(config).map_err(|e| problem(config_path, e.to_string()))?;
        check_format(&value, FORMAT, OLDEST_FORMAT_VERSION..=FORMAT_VERSION, "text")
            .map_err(|p| problem(config_path, p))?;
        let config: ModelConfig =
            serde_json::from_value(value).map_err(|e| problem(config_path, e.to_string()))?;
        if let Some(p) = config.architecture.problem() {
            return Err(problem(config_path, format!("the architecture: {p}")));
        }
        if config.classes.len() != config.architecture.classes {
            return Err(problem(
                config_path,
                format!(
                    "{} class names for {} outputs",
                    config.classes.len(),
                    config.architecture.classes
                ),
            ));
        }
        let tensors =
            SafeTensors::deserialize(weights).map_err(|e| problem(weights_path, e.to_string()))?;
        let arch = config.architecture.clone();
        let precision = config.weight_precision;
        let read = |name: &str, shape: &[usize]| {
            read_tensor(&tensors, name, precision, shape).map_err(|p| problem(weights_path, p))
        };
        let embedding = read("embedding", &[arch.vocab, arch.embedding_dim])?
            .into_dimensionality::<Ix2>()
            .expect("2-d");
        let conv = Conv1d::from_block_diagonal(
            read("conv.weight", &[arch.width, arch.embedding_dim, arch.filters])?
                .into_dimensionality::<Ix3>()
                .expect("3-d"),
            Some(read("conv.bias", &[arch.filters])?.into_dimensionality::<Ix1>().expect("1-d")),
        )
        .map_err(|e| problem(weights_path, e.to_string()))?;
        let dense = Dense::new(
            read("dense.weight", &[arch.filters, arch.classes])?
                .into_dimensionality::<Ix2>()
                .expect("2-d"),
            Some(read("dense.bias", &[arch.classes])?.into_dimensionality::<Ix1>().expect("1-d")),
        )
        .map_err(|e| problem(weights_path, e.to_string()))?;
        let cnn = TextCnn::from_parts(arch.clone(), embedding, conv, dense)?;
        let tokenizer = tokenizer(config.tokenizer)?;
        if tokenizer.vocab_size() != arch.vocab {
            let found = format!("{} tokens, but the embedding in {} has {} rows; the tokenizer belongs to another model", tokenizer.vocab_size(), weights_path.display(), arch.vocab);
            return Err(problem(&config_path.with_file_name(config.tokenizer.file()), found));
        }
        Ok(TextClassifier { config, tokenizer, cnn })
    }
}
