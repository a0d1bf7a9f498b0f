//! How relvis commands end: every failure has a kind with a documented exit code
//! ([`FailureKind`]), a library's errors become failures the same way in every binary
//! ([`Fault`], [`CommandError`]), every output file appears whole or not at all ([`output`]), and
//! an interruption removes what was unfinished ([`interrupt`]).

mod fault;
pub mod heap;
pub mod interrupt;
pub mod output;
#[cfg(feature = "testing")]
pub mod testing;
pub mod threads;

use std::fmt;
use std::process::ExitCode;

pub use fault::{CommandError, Fault};

/// The kinds of failure a command reports, each with its own exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// A fault of relvis itself (exit 1).
    Internal,
    /// Arguments that make no sense together or out of range (exit 2, as for clap's own
    /// argument errors).
    Usage,
    /// An input path is missing or unreadable, or a folder where a file is expected or the
    /// reverse (exit 3).
    MissingInput,
    /// An input is not what the command needs: not a document, video or data set; empty,
    /// binary, truncated or corrupt (exit 4).
    InvalidInput,
    /// A model folder is missing, truncated, of another kind or version, or holds
    /// non-finite weights (exit 5).
    Model,
    /// An output exists (and `--force` was not given) or cannot be written: read-only,
    /// disk full, standard output closed (exit 6).
    Output,
}

impl FailureKind {
    /// The kind of a failed read: a missing or unreadable path (a loop of symbolic links, a
    /// name too long), or a folder for a file or the reverse, is [`FailureKind::MissingInput`];
    /// anything else (bad data) [`FailureKind::InvalidInput`].
    pub fn of_reading(e: &std::io::Error) -> Self {
        use std::io::ErrorKind;
        // `ErrorKind::FilesystemLoop` is not stable yet; the OS's code says it.
        let unreachable_path = matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENAMETOOLONG));
        match e.kind() {
            ErrorKind::NotFound
            | ErrorKind::PermissionDenied
            | ErrorKind::IsADirectory
            | ErrorKind::NotADirectory => FailureKind::MissingInput,
            _ if unreachable_path => FailureKind::MissingInput,
            _ => FailureKind::InvalidInput,
        }
    }

    /// The kind's name in machine-readable output (the worker mode's error records, the Python
    /// package's exceptions): `internal`, `usage`, `missing_input`, `invalid_input`, `model`,
    /// `output`.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Internal => "internal",
            FailureKind::Usage => "usage",
            FailureKind::MissingInput => "missing_input",
            FailureKind::InvalidInput => "invalid_input",
            FailureKind::Model => "model",
            FailureKind::Output => "output",
        }
    }

    /// The process exit code of this kind.
    pub fn code(self) -> u8 {
        match self {
            FailureKind::Internal => 1,
            FailureKind::Usage => 2,
            FailureKind::MissingInput => 3,
            FailureKind::InvalidInput => 4,
            FailureKind::Model => 5,
            FailureKind::Output => 6,
        }
    }
}

/// The exit codes as a help text, for `--help` and the README.
pub const EXIT_CODES: &str = "Exit codes:
  0  success
  1  internal error (a fault of relvis)
  2  bad arguments
  3  an input is missing or unreadable, or a folder where a file is expected or the reverse
  4  an input is invalid: not a document, video or data set; empty, binary, truncated or corrupt
  5  the model is missing, truncated, of another kind or version, or has non-finite weights
  6  an output exists (give --force) or cannot be written (read-only, disk full)
  130, 143  interrupted by Ctrl-C or SIGTERM; unfinished outputs removed";

/// A failed command: what went wrong, in words that name the input, and its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
    /// Standard output was closed by its reader (`| head`): the command ends quietly.
    closed_stdout: bool,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Failure { kind, message: message.into(), closed_stdout: false }
    }

    /// Writing to standard output failed; a reader that closed the pipe is no failure.
    pub fn stdout(e: std::io::Error) -> Self {
        let closed_stdout = e.kind() == std::io::ErrorKind::BrokenPipe;
        Failure {
            kind: FailureKind::Output,
            message: format!("standard output: {e}"),
            closed_stdout,
        }
    }

    /// Arguments that make no sense.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(FailureKind::Usage, message)
    }

    /// An input that is not what the command needs.
    pub fn invalid(message: impl Into<String>) -> Self {
        Failure::new(FailureKind::InvalidInput, message)
    }

    /// An output that cannot be written.
    pub fn output(message: impl Into<String>) -> Self {
        Failure::new(FailureKind::Output, message)
    }

    /// Reading `what` failed (see [`FailureKind::of_reading`]).
    pub fn reading(what: &std::path::Path, e: &std::io::Error) -> Self {
        Failure::new(FailureKind::of_reading(e), format!("{}: {e}", what.display()))
    }

    /// Writing `what` failed.
    pub fn writing(what: &std::path::Path, e: &std::io::Error) -> Self {
        Failure::output(format!("{}: {e}", what.display()))
    }

    /// Prints the message to standard error and gives the kind's exit code.
    pub fn report(&self) -> ExitCode {
        errln!("error: {}", self.message);
        ExitCode::from(self.kind.code())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Ends a command: success, a closed pipe on standard output (quietly, as `head` expects), or a
/// failure's message and exit code.
pub fn finish(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) if f.closed_stdout => ExitCode::SUCCESS,
        Err(f) => f.report(),
    }
}

/// `println!` that returns a [`Failure`] instead of panicking when standard output fails
/// (a full disk, a closed pipe).
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*).map_err($crate::Failure::stdout)
    }};
}

/// `eprintln!` for warnings and progress that never panics: a message that cannot be shown
/// (standard error closed or full) is dropped.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_distinct_and_documented() {
        let kinds = [
            FailureKind::Internal,
            FailureKind::Usage,
            FailureKind::MissingInput,
            FailureKind::InvalidInput,
            FailureKind::Model,
            FailureKind::Output,
        ];
        for (i, a) in kinds.iter().enumerate() {
            assert_ne!(a.code(), 0);
            assert!(EXIT_CODES.contains(&format!("\n  {}  ", a.code())), "{a:?} is documented");
            for b in &kinds[i + 1..] {
                assert_ne!(a.code(), b.code());
            }
        }
    }

    #[test]
    fn reading_errors_are_classified_by_cause() {
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(Failure::reading("x".as_ref(), &missing).kind, FailureKind::MissingInput);
        let bad = std::io::Error::from(std::io::ErrorKind::InvalidData);
        assert_eq!(Failure::reading("x".as_ref(), &bad).kind, FailureKind::InvalidInput);
    }
}
