//! The text pipeline: 20 Newsgroups documents, a word-embedding CNN built from `lrp`'s
//! layers, its training, model files, and word-level explanations.

pub mod clean;
pub mod corpus;
mod error;
pub mod model;
pub mod tokenize;
pub mod train;

pub use clean::Cleaning;
pub use corpus::{load_newsgroups, Corpus, Document, Skipped};
pub use error::TextError;
pub use model::{Architecture, TextCnn};
pub use tokenize::{TextTokenizer, TokenizerKind, Tokens};
