//! What of a command's failure is `xai-text`'s own: the flags that resolve the text library's
//! errors. Their kinds, exit codes and the rest are `outcome`'s ([`outcome::CommandError`]).

use outcome::Failure;
use text::TextError;

/// What a command fails with: an error of the text library, or a failure the command named itself.
pub(crate) type Error = outcome::CommandError<TextError>;

/// The failure a library error stands for, its message naming the flag that resolves it.
pub(crate) fn text_failure(e: TextError) -> Failure {
    Failure::of(&e, hint)
}

/// `e`'s message in `xai-text`'s words, where one of its flags resolves the error.
pub(crate) fn hint(e: &TextError) -> Option<String> {
    match e {
        TextError::Exists(_) => Some(format!("{e}; give --force to replace it")),
        TextError::UnknownLayout(path) => Some(format!(
            "{}: cannot tell the layout from the name; give --layout folders|csv|jsonl",
            path.display()
        )),
        TextError::EmptyTestSplit(path) => Some(format!(
            "{}: the test split is empty; give a larger --test-fraction or more documents",
            path.display()
        )),
        _ => None,
    }
}
