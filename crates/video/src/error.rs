//! Errors of the video pipeline, each naming the file, stream or value at fault.

use std::path::{Path, PathBuf};

use outcome::{FailureKind, Fault};

/// What can go wrong in the video pipeline; every variant names the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("{path}: {message}")]
    Open { path: PathBuf, message: String },
    #[error("{0}: no video stream (audio-only or not a video)")]
    NoVideoStream(PathBuf),
    #[error("{0}: no video frame could be decoded (empty, truncated or corrupt)")]
    NoFrames(PathBuf),
    #[error("{0}: no motion vectors in any frame (intra-only video?)")]
    NoMotion(PathBuf),
    #[error("{path}: a still image ({format}), not a video")]
    StillImage { path: PathBuf, format: String },
    #[error("{path}: decoding failed: {message}")]
    Decode { path: PathBuf, message: String },
    #[error("{path}: encoding failed: {message}")]
    Encode { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{path}: {problem}")]
    ModelFile { path: PathBuf, problem: String },
    #[error("{path} exists")]
    Exists { path: PathBuf },
    #[error("{0}")]
    Invalid(String),
    /// Settings out of range or rules a step cannot take (a caller's choice, not the input's).
    #[error("{0}")]
    Settings(String),
    /// Relevance propagation failed on shapes the pipeline built: a fault of relvis.
    #[error("relevance propagation: {0}")]
    Lrp(#[from] lrp::LrpError),
}

/// The kind of failure each error is, which the command-line tool turns into an exit code and the
/// Python package into an exception class.
impl Fault for VideoError {
    fn kind(&self) -> FailureKind {
        match self {
            VideoError::Read { source, .. } => FailureKind::of_reading(source),
            VideoError::Open { .. }
            | VideoError::StillImage { .. }
            | VideoError::NoVideoStream(_)
            | VideoError::NoFrames(_)
            | VideoError::NoMotion(_)
            | VideoError::Decode { .. }
            | VideoError::Invalid(_) => FailureKind::InvalidInput,
            VideoError::ModelFile { .. } => FailureKind::Model,
            // Settings out of range, or a rule a step cannot take: the caller's choice.
            VideoError::Settings(_) => FailureKind::Usage,
            // Relevance propagation failed on shapes the pipeline built: a fault of relvis, as in text.
            VideoError::Lrp(_) => FailureKind::Internal,
            VideoError::Write { .. } | VideoError::Encode { .. } | VideoError::Exists { .. } => {
                FailureKind::Output
            }
        }
    }
}

impl VideoError {
    pub(crate) fn read(path: &Path, source: std::io::Error) -> Self {
        VideoError::Read { path: path.to_path_buf(), source }
    }

    pub(crate) fn write(path: &Path, source: std::io::Error) -> Self {
        VideoError::Write { path: path.to_path_buf(), source }
    }

    pub(crate) fn open(path: &Path, e: impl std::fmt::Display) -> Self {
        VideoError::Open { path: path.to_path_buf(), message: e.to_string() }
    }

    pub(crate) fn decode(path: &Path, e: impl std::fmt::Display) -> Self {
        VideoError::Decode { path: path.to_path_buf(), message: e.to_string() }
    }

    pub(crate) fn encode(path: &Path, e: impl std::fmt::Display) -> Self {
        VideoError::Encode { path: path.to_path_buf(), message: e.to_string() }
    }
}

impl From<pipeline::model_folder::FolderError> for VideoError {
    fn from(e: pipeline::model_folder::FolderError) -> Self {
        match e {
            pipeline::model_folder::FolderError::Exists(path) => VideoError::Exists { path },
            pipeline::model_folder::FolderError::Write { path, source } => {
                VideoError::Write { path, source }
            }
        }
    }
}
