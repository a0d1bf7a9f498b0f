//! A library's errors as failures, once for every binary: each library error names its kind
//! ([`Fault`]), a command fails with one or with a [`Failure`] it named itself
//! ([`CommandError`]), and the binary, which alone knows its flags, words the message of an
//! error one of them resolves (the `hint` of [`Failure::of`]).

use crate::{Failure, FailureKind};

/// An error of a relvis library that knows which kind of failure it is: the kind sets the exit
/// code of the command-line tools and the exception class of the Python package. Its message
/// names the input at fault but no flag (a library has none).
pub trait Fault: std::error::Error {
    fn kind(&self) -> FailureKind;
}

/// What a command fails with: an error of its library, or a failure the command named itself.
#[derive(Debug)]
pub enum CommandError<E> {
    Library(E),
    Failure(Failure),
}

impl<E: Fault> From<E> for CommandError<E> {
    fn from(e: E) -> Self {
        CommandError::Library(e)
    }
}

impl<E> From<Failure> for CommandError<E> {
    fn from(f: Failure) -> Self {
        CommandError::Failure(f)
    }
}

impl<E: Fault> CommandError<E> {
    /// The failure this stands for: a library error as [`Failure::of`] words it with the
    /// binary's `hint`; a failure the command named, unchanged.
    pub fn into_failure(self, hint: impl FnOnce(&E) -> Option<String>) -> Failure {
        match self {
            CommandError::Library(e) => Failure::of(&e, hint),
            CommandError::Failure(f) => f,
        }
    }
}

impl Failure {
    /// The failure the library error `e` stands for: its kind (which sets the exit code), and
    /// the message `hint` gives for it — the binary's words, naming the flag that resolves the
    /// error — or else `e`'s own.
    pub fn of<E: Fault>(e: &E, hint: impl FnOnce(&E) -> Option<String>) -> Failure {
        Failure::new(e.kind(), hint(e).unwrap_or_else(|| e.to_string()))
    }

    /// This failure's message prefixed by the input it concerns.
    pub fn about(self, input: &str) -> Failure {
        Failure::new(self.kind, format!("{input}: {}", self.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A library's error: a missing input, or an output that exists.
    #[derive(Debug)]
    enum LibraryError {
        Missing(&'static str),
        Exists(&'static str),
    }

    impl std::fmt::Display for LibraryError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self {
                LibraryError::Missing(path) => write!(f, "{path}: not found"),
                LibraryError::Exists(path) => write!(f, "{path} exists"),
            }
        }
    }

    impl std::error::Error for LibraryError {}

    impl Fault for LibraryError {
        fn kind(&self) -> FailureKind {
            match self {
                LibraryError::Missing(_) => FailureKind::MissingInput,
                LibraryError::Exists(_) => FailureKind::Output,
            }
        }
    }

    /// A binary's hint: the flag that resolves an existing output.
    fn hint(e: &LibraryError) -> Option<String> {
        match e {
            LibraryError::Exists(_) => Some(format!("{e}; give --force to replace it")),
            _ => None,
        }
    }

    /// What a command's `?` makes of a library error.
    fn failed(e: LibraryError) -> Result<(), CommandError<LibraryError>> {
        let result: Result<(), LibraryError> = Err(e);
        result?;
        Ok(())
    }

    #[test]
    fn a_library_error_exits_with_its_kinds_code() {
        let failure = failed(LibraryError::Missing("a.txt")).unwrap_err().into_failure(hint);
        assert_eq!(failure, Failure::new(FailureKind::MissingInput, "a.txt: not found"));
        assert_eq!(failure.kind.code(), 3);
        let failure = failed(LibraryError::Exists("out")).unwrap_err().into_failure(hint);
        assert_eq!(failure.kind.code(), 6);
    }

    #[test]
    fn the_binarys_hint_words_the_message() {
        let failure = Failure::of(&LibraryError::Exists("out"), hint);
        assert_eq!(
            failure,
            Failure::new(FailureKind::Output, "out exists; give --force to replace it")
        );
        let failure = CommandError::from(LibraryError::Exists("out")).into_failure(|_| None);
        assert_eq!(failure.message, "out exists", "no hint: the library's own message");
    }

    #[test]
    fn a_failure_the_command_named_passes_through_unchanged() {
        let named = Failure::usage("--every must be at least 1");
        let failure = CommandError::<LibraryError>::from(named.clone()).into_failure(hint);
        assert_eq!(failure, named);
        // A closed standard output stays quiet.
        let closed = Failure::stdout(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        let failure = CommandError::<LibraryError>::from(closed.clone()).into_failure(hint);
        assert_eq!(failure, closed);
        assert_eq!(crate::finish(Err(failure)), std::process::ExitCode::SUCCESS);
    }

    #[test]
    fn about_names_the_input_and_keeps_the_kind() {
        let failure = Failure::of(&LibraryError::Missing("model"), hint).about("post.txt");
        assert_eq!(failure, Failure::new(FailureKind::MissingInput, "post.txt: model: not found"));
    }
}
