//! How a command's errors become messages and exit codes: the video library's typed errors are
//! sorted into the kinds of `outcome` here, where the flags the messages point to are known.

use outcome::{Failure, FailureKind};
use video::VideoError;

/// What a command fails with: an error of the library, or a failure the command named itself.
pub(crate) enum Error {
    Video(VideoError),
    Failure(Failure),
}

impl From<VideoError> for Error {
    fn from(e: VideoError) -> Self {
        Error::Video(e)
    }
}

impl From<Failure> for Error {
    fn from(f: Failure) -> Self {
        Error::Failure(f)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match e {
            Error::Video(e) => video_failure(e),
            Error::Failure(f) => f,
        }
    }
}

/// The failure a library error stands for: its kind (which sets the exit code) and its message,
/// with the flag that resolves it where there is one.
pub(crate) fn video_failure(e: VideoError) -> Failure {
    let kind = match &e {
        VideoError::Read { source, .. } => FailureKind::of_reading(source),
        VideoError::Open { .. } | VideoError::StillImage { .. } | VideoError::NoVideoStream(_) | VideoError::NoFrames(_) | VideoError::NoMotion(_) | VideoError::Decode { .. } | VideoError::Invalid(_) => {
            FailureKind::InvalidInput
        }
        VideoError::ModelFile { .. } => FailureKind::Model,
        // Settings out of range, or a rule a step cannot take: the caller's choice.
        VideoError::Settings(_) => FailureKind::Usage,
        // Relevance propagation failed on shapes the pipeline built: a fault of relvis, as in text.
        VideoError::Lrp(_) => FailureKind::Internal,
        VideoError::Write { .. } | VideoError::Encode { .. } | VideoError::Exists { .. } => FailureKind::Output,
    };
    let message = match &e {
        VideoError::Exists { .. } => format!("{e}; give --force to overwrite it"),
        _ => e.to_string(),
    };
    Failure::new(kind, message)
}
