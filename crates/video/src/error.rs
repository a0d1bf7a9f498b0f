use std::path::{Path, PathBuf};

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
    #[error("{path}: decoding failed: {message}")]
    Decode { path: PathBuf, message: String },
    #[error("{path}: encoding failed: {message}")]
    Encode { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} exists; give --force to overwrite it")]
    Exists { path: PathBuf },
    #[error("{0}")]
    Invalid(String),
}

impl VideoError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        VideoError::Io { path: path.to_path_buf(), source }
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
