//! The text pipeline, in stage order:
//!
//! 1. **Data**: 20 Newsgroups ([`corpus`]) and the sets users bring ([`dataset`]), cleaned of
//!    headers, signatures and quotes on request ([`clean`]); copies with a planted cue
//!    ([`planted_cue`]).
//! 2. **Tokenizers**: word-level and WordPiece, with every token's span ([`tokenize`],
//!    [`wordpiece`]).
//! 3. **Model and training**: the word-embedding CNN built from `lrp`'s layers ([`model`]),
//!    GloVe vectors ([`embeddings`]), training ([`train`]) with its cross-entropy gradient
//!    ([`gradient`]), from a corpus to a saved model ([`fit`]), model folders
//!    ([`classifier`], [`default_model`]); models exported to ONNX ([`onnx_classifier`]),
//!    relvis's own written as ONNX ([`onnx_export`]), and either kind behind one interface
//!    ([`text_model`]).
//! 4. **Explanation and evaluation**: word-level explanations ([`explain`]) by the methods of
//!    [`method`], and how they are
//!    shown ([`render`]); test accuracy ([`accuracy`]); the word-deletion experiment
//!    ([`deletion`], [`plot`]) and its counts, which shards add up ([`deletion_counts`]);
//!    SpRAy maps of a class's explanations ([`spray_maps`]); faithfulness and localisation of
//!    every method ([`faithfulness`]); the model parameter randomisation test
//!    ([`randomisation`]); both in one report over methods and models ([`evaluation`]) and its page
//!    ([`evaluation_page`]).

// 1. Data
pub mod clean;
pub mod corpus;
pub mod dataset;
pub mod planted_cue;
// 2. Tokenizers
pub mod tokenize;
pub mod wordpiece;
// 3. Model and training
pub mod classifier;
pub mod default_model;
pub mod embeddings;
pub mod fit;
pub mod gradient;
pub mod model;
pub mod onnx_classifier;
pub mod onnx_export;
pub mod text_model;
pub mod train;
// 4. Explanation and evaluation
pub mod accuracy;
pub mod deletion;
pub mod deletion_counts;
pub mod evaluation;
pub mod evaluation_page;
pub mod explain;
pub mod faithfulness;
pub mod method;
pub mod plot;
pub mod randomisation;
pub mod render;
pub mod spray_maps;
pub mod spray_page;

mod error;

pub use accuracy::Evaluation;
pub use classifier::{ModelConfig, Prediction, TextClassifier, WeightPrecision};
pub use clean::Cleaning;
pub use corpus::{load_newsgroups, Corpus, Document, Skipped};
pub use dataset::{load_dataset, DatasetOptions, Encoding, Layout, SplitSpec};
pub use error::TextError;
pub use explain::{TextExplanation, WordRelevance};
pub use method::{Baseline, Method};
pub use fit::{fit, FitOptions, TokenizerChoice};
pub use model::{Architecture, TextCnn};
pub use onnx_classifier::OnnxTextClassifier;
pub use text_model::{load_model, TextModel};
pub use tokenize::{KnownWords, TextTokenizer, TokenizerKind, Tokens};
pub use train::{Silent, TrainConfig, TrainingProgress};
