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
