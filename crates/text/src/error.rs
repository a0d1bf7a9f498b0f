//! Errors of the text pipeline, each naming the file or value at fault.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// What went wrong while reading, training, saving or explaining.
#[derive(Debug, Error)]
pub enum TextError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: not a readable .tar.gz archive ({reason})", path.display())]
    NotAnArchive { path: PathBuf, reason: String },
    #[error("{}: no documents found; expected {expected}", path.display())]
    NoDocuments { path: PathBuf, expected: String },
    #[error("{id}: class `{class}` does not occur in the training split")]
    UnknownClass { id: String, class: String },
    #[error("model: {0}")]
    Model(String),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("embeddings: {0}")]
    Embeddings(String),
    #[error("{}: {problem}", path.display())]
    ModelFile { path: PathBuf, problem: String },
    #[error("{} exists; give --force to replace it", .0.display())]
    Exists(PathBuf),
    #[error("{0}")]
    Explain(String),
    #[error("{0}")]
    Dataset(String),
    #[error("{}: {problem}", path.display())]
    Plot { path: PathBuf, problem: String },
    #[error("relevance: {0}")]
    Lrp(#[from] lrp::LrpError),
}

impl TextError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        TextError::Io { path: path.to_path_buf(), source }
    }
}
