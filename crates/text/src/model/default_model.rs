//! The default model, embedded in the library: trained by the project on 20 Newsgroups
//! (headers kept) and kept in `assets/text-model/`, so that the commands work on a fresh
//! clone without `--model` and without the data set. `assets/text-model/README.md` gives
//! the command that made it.

use std::path::Path;

use crate::error::TextError;
use crate::model::{TextClassifier, CONFIG_FILE, WEIGHTS_FILE};
use crate::tokenize::{TextTokenizer, TokenizerKind};

const CONFIG: &str = include_str!("../../../../assets/text-model/config.json");
const WEIGHTS: &[u8] = include_bytes!("../../../../assets/text-model/weights.safetensors");
const TOKENIZER: &[u8] = include_bytes!("../../../../assets/text-model/tokenizer.json");

/// Where the embedded files came from, for error messages.
const SOURCE: &str = "assets/text-model";

/// The embedded default model.
pub fn default_model() -> Result<TextClassifier, TextError> {
    let source = Path::new(SOURCE);
    TextClassifier::from_files(
        CONFIG,
        &source.join(CONFIG_FILE),
        WEIGHTS,
        &source.join(WEIGHTS_FILE),
        |kind| match kind {
            TokenizerKind::WordLevel => TextTokenizer::word_level_from_json(TOKENIZER),
            TokenizerKind::WordPiece => Err(TextError::Model(
                "the embedded default model must use the word-level tokenizer".into(),
            )),
        },
    )
}
