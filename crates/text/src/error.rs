//! Errors of the text pipeline, each naming the file or value at fault.

use std::path::{Path, PathBuf};

use outcome::{FailureKind, Fault};
use thiserror::Error;

/// What went wrong while reading, training, saving or explaining.
#[derive(Debug, Error)]
pub enum TextError {
    #[error("{}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
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
    #[error("{} exists", .0.display())]
    Exists(PathBuf),
    /// Training settings out of range (a library caller's, or flags the binary passed on).
    #[error("training settings: {0}")]
    Settings(String),
    #[error("{0}")]
    Explain(String),
    #[error("{0}")]
    Dataset(String),
    #[error("{}: cannot tell the layout from the name (folders, csv or jsonl)", .0.display())]
    UnknownLayout(PathBuf),
    #[error("{}: the test split is empty (a larger test fraction or more documents)", .0.display())]
    EmptyTestSplit(PathBuf),
    #[error("{}: {problem}", path.display())]
    Plot { path: PathBuf, problem: String },
    #[error("relevance: {0}")]
    Lrp(#[from] lrp::LrpError),
}

/// The kind of failure each error is, which the command-line tools turn into an exit code and the
/// Python package into an exception class.
impl Fault for TextError {
    fn kind(&self) -> FailureKind {
        match self {
            TextError::Read { source, .. } => FailureKind::of_reading(source),
            TextError::NotAnArchive { .. }
            | TextError::NoDocuments { .. }
            | TextError::UnknownClass { .. }
            | TextError::Embeddings(_)
            | TextError::Dataset(_)
            | TextError::UnknownLayout(_)
            | TextError::EmptyTestSplit(_) => FailureKind::InvalidInput,
            // A method, rule, class or setting the caller named that does not exist or is out of range.
            TextError::Explain(_) | TextError::Settings(_) => FailureKind::Usage,
            TextError::Model(_) | TextError::Tokenizer(_) | TextError::ModelFile { .. } => {
                FailureKind::Model
            }
            TextError::Write { .. } | TextError::Exists(_) | TextError::Plot { .. } => {
                FailureKind::Output
            }
            TextError::Lrp(_) => FailureKind::Internal,
        }
    }
}

impl TextError {
    pub(crate) fn read(path: &Path, source: std::io::Error) -> Self {
        TextError::Read { path: path.to_path_buf(), source }
    }

    pub(crate) fn write(path: &Path, source: std::io::Error) -> Self {
        TextError::Write { path: path.to_path_buf(), source }
    }
}

impl From<pipeline::model_folder::FolderError> for TextError {
    fn from(e: pipeline::model_folder::FolderError) -> Self {
        match e {
            pipeline::model_folder::FolderError::Exists(path) => TextError::Exists(path),
            pipeline::model_folder::FolderError::Write { path, source } => {
                TextError::Write { path, source }
            }
        }
    }
}
