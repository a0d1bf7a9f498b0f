//! How a command's errors become messages and exit codes: each of the video library's typed
//! errors names its kind of failure, and here its message gets the flag that resolves it.

use outcome::Failure;
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
    let kind = e.kind();
    let message = match &e {
        VideoError::Exists { .. } => format!("{e}; give --force to overwrite it"),
        _ => e.to_string(),
    };
    Failure::new(kind, message)
}
