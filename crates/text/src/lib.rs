//! The text pipeline: 20 Newsgroups documents, a word-embedding CNN built from `lrp`'s
//! layers, its training, model files, and word-level explanations.

pub mod classifier;
pub mod clean;
pub mod corpus;
pub mod dataset;
pub mod default_model;
pub mod deletion;
pub mod embeddings;
mod error;
pub mod evaluate;
pub mod explain;
pub mod fit;
pub mod model;
pub mod plot;
pub mod render;
pub mod strategies;
pub mod tokenize;
pub mod train;
pub mod wordpiece;

pub use classifier::{ModelConfig, Prediction, TextClassifier, WeightPrecision};
pub use clean::Cleaning;
pub use corpus::{load_newsgroups, Corpus, Document, Skipped};
pub use dataset::{load_dataset, DatasetOptions, Encoding, Layout, SplitSpec};
pub use error::TextError;
pub use evaluate::Evaluation;
pub use explain::{Method, TextExplanation, WordRelevance};
pub use fit::{fit, FitOptions, TokenizerChoice};
pub use train::{Progress, Silent, TrainConfig};
pub use model::{Architecture, TextCnn};
pub use tokenize::{TextTokenizer, TokenizerKind, Tokens};
