//! What of a command's failure is `xai-video`'s own: the flags that resolve the video library's
//! errors. Their kinds, exit codes and the rest are `outcome`'s ([`outcome::CommandError`]).

use outcome::Failure;
use video::VideoError;

/// What a command fails with: an error of the video library, or a failure the command named
/// itself.
pub(crate) type Error = outcome::CommandError<VideoError>;

/// The failure a library error stands for, its message naming the flag that resolves it.
pub(crate) fn video_failure(e: VideoError) -> Failure {
    Failure::of(&e, hint)
}

/// `e`'s message in `xai-video`'s words, where one of its flags resolves the error.
pub(crate) fn hint(e: &VideoError) -> Option<String> {
    match e {
        VideoError::Exists { .. } => Some(format!("{e}; give --force to overwrite it")),
        _ => None,
    }
}
