//! Either kind of text classifier a model folder holds: relvis's own CNN or a classifier
//! exported to ONNX.

use std::path::Path;

use crate::error::TextError;
use crate::model::{OnnxTextClassifier, TextClassifier};

/// The model of a folder, of either kind.
#[allow(clippy::large_enum_variant)] // one per model loaded, never in bulk
pub enum AnyTextModel {
    Native(TextClassifier),
    Onnx(OnnxTextClassifier),
}

impl AnyTextModel {
    /// The id of `word` when the model reads it as one known token (as a word inside a
    /// sentence: byte-level tokenizers mark the space before it).
    pub fn known_word(&self, word: &str) -> Result<Option<u32>, TextError> {
        match self {
            AnyTextModel::Native(model) => Ok(match model.tokenizer.encode(word)?.ids.as_slice() {
                [id] if *id != crate::model::UNK => Some(*id),
                _ => None,
            }),
            AnyTextModel::Onnx(model) => model.known_word(word),
        }
    }

    /// The token of id `id`, as the model's tokenizer writes it.
    pub fn token(&self, id: u32) -> String {
        match self {
            AnyTextModel::Native(model) => model.tokenizer.token(id).to_string(),
            AnyTextModel::Onnx(model) => model.tokenizer.id_to_token(id).unwrap_or_default(),
        }
    }

    /// The native model, for the commands that need its training record or its layers.
    pub fn native(&self) -> Option<&TextClassifier> {
        match self {
            AnyTextModel::Native(model) => Some(model),
            AnyTextModel::Onnx(_) => None,
        }
    }
}

/// The model in `dir`: an ONNX folder (`model.onnx` with `tokenizer.json`) or a relvis model.
pub fn load_model(dir: &Path) -> Result<AnyTextModel, TextError> {
    if OnnxTextClassifier::is_onnx_folder(dir) {
        Ok(AnyTextModel::Onnx(OnnxTextClassifier::load(dir)?))
    } else {
        Ok(AnyTextModel::Native(TextClassifier::load(dir)?))
    }
}
