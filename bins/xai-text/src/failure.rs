//! How a command's errors become messages and exit codes: each of the text library's typed
//! errors names its kind of failure, and here its message gets the flag that resolves it.

use outcome::Failure;
use text::TextError;

/// What a command fails with: an error of the library, or a failure the command named itself.
pub(crate) enum Error {
    Text(TextError),
    Failure(Failure),
}

impl From<TextError> for Error {
    fn from(e: TextError) -> Self {
        Error::Text(e)
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
            Error::Text(e) => text_failure(e),
            Error::Failure(f) => f,
        }
    }
}

/// The failure a library error stands for: its kind (which sets the exit code) and its message,
/// with the flag that resolves it where there is one.
pub(crate) fn text_failure(e: TextError) -> Failure {
    let kind = e.kind();
    let message = match &e {
        TextError::Exists(_) => format!("{e}; give --force to replace it"),
        TextError::UnknownLayout(path) => format!(
            "{}: cannot tell the layout from the name; give --layout folders|csv|jsonl",
            path.display()
        ),
        TextError::EmptyTestSplit(path) => format!(
            "{}: the test split is empty; give a larger --test-fraction or more documents",
            path.display()
        ),
        _ => e.to_string(),
    };
    Failure::new(kind, message)
}

/// `failure`'s message prefixed by the input it concerns.
pub(crate) trait About {
    fn about(self, input: &str) -> Failure;
}

impl About for Failure {
    fn about(self, input: &str) -> Failure {
        Failure::new(self.kind, format!("{input}: {}", self.message))
    }
}
