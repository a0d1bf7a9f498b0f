//! Either kind of text classifier behind one interface, so that predicting and explaining take
//! relvis's own CNN and an exported ONNX model alike.

use std::path::Path;

use crate::classifier::{Prediction, TextClassifier};
use crate::error::TextError;
use crate::explain::{Method, TextExplanation};
use crate::onnx_classifier::OnnxTextClassifier;

/// A classifier of documents that explains its decisions word by word.
pub trait TextModel: Sync {
    fn classes(&self) -> &[String];
    fn predict(&self, text: &str) -> Result<Prediction, TextError>;
    /// Explains `class` (default: the predicted one) on `text`.
    fn explain(&self, text: &str, class: Option<usize>, method: &Method) -> Result<TextExplanation, TextError>;
    /// The native model, for the commands that need its training record or its layers.
    fn native(&self) -> Option<&TextClassifier> {
        None
    }

    /// The index of the class called `name`.
    fn class_index(&self, name: &str) -> Result<usize, TextError> {
        let classes = self.classes();
        classes.iter().position(|c| c == name).ok_or_else(|| TextError::Explain(format!("no class `{name}`; the model's classes are {}", classes.join(", "))))
    }
}

impl TextModel for TextClassifier {
    fn classes(&self) -> &[String] {
        &self.config.classes
    }

    fn predict(&self, text: &str) -> Result<Prediction, TextError> {
        TextClassifier::predict(self, text)
    }

    fn explain(&self, text: &str, class: Option<usize>, method: &Method) -> Result<TextExplanation, TextError> {
        TextClassifier::explain(self, text, class, method)
    }

    fn native(&self) -> Option<&TextClassifier> {
        Some(self)
    }
}

impl TextModel for OnnxTextClassifier {
    fn classes(&self) -> &[String] {
        &self.classes
    }

    fn predict(&self, text: &str) -> Result<Prediction, TextError> {
        OnnxTextClassifier::predict(self, text)
    }

    fn explain(&self, text: &str, class: Option<usize>, method: &Method) -> Result<TextExplanation, TextError> {
        OnnxTextClassifier::explain(self, text, class, method)
    }
}

/// The model in `dir`: an ONNX folder (`model.onnx` with `tokenizer.json`) or a relvis model.
pub fn load_model(dir: &Path) -> Result<Box<dyn TextModel>, TextError> {
    if OnnxTextClassifier::is_onnx_folder(dir) {
        Ok(Box::new(OnnxTextClassifier::load(dir)?))
    } else {
        Ok(Box::new(TextClassifier::load(dir)?))
    }
}
