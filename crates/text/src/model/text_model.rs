//! Either kind of text classifier behind one interface, so that predicting and explaining take
//! relvis's own CNN and an exported ONNX model alike.

use std::path::Path;

use rayon::prelude::*;

use crate::data::Document;
use crate::error::TextError;
use crate::evaluate::{DeletionDocument, DeletionModel};
use crate::explain::{Method, TextExplanation};
use crate::model::OnnxTextClassifier;
use crate::model::{Prediction, TextClassifier};

/// A classifier of documents that explains its decisions word by word.
pub trait TextModel: Send + Sync {
    fn classes(&self) -> &[String];
    fn predict(&self, text: &str) -> Result<Prediction, TextError>;
    /// Explains `class` (default: the predicted one) on `text`.
    fn explain(
        &self,
        text: &str,
        class: Option<usize>,
        method: &Method,
    ) -> Result<TextExplanation, TextError>;
    /// The documents as the deletion evaluation reads them, each labelled with the model's
    /// index of its class (`classes` are the data set's class names, which `docs` index).
    fn deletion_documents(
        &self,
        docs: &[Document],
        classes: &[String],
    ) -> Result<Vec<DeletionDocument>, TextError>;
    /// The model as the deletion evaluation runs it.
    fn deletion_model(&self) -> &dyn DeletionModel;
    /// The native model, for the commands that need its training record or its layers.
    fn native(&self) -> Option<&TextClassifier> {
        None
    }

    /// The index of the class called `name`.
    fn class_index(&self, name: &str) -> Result<usize, TextError> {
        let classes = self.classes();
        classes.iter().position(|c| c == name).ok_or_else(|| {
            TextError::Explain(format!(
                "no class `{name}`; the model's classes are {}",
                classes.join(", ")
            ))
        })
    }
}

impl TextModel for TextClassifier {
    fn classes(&self) -> &[String] {
        &self.config.classes
    }

    fn predict(&self, text: &str) -> Result<Prediction, TextError> {
        TextClassifier::predict(self, text)
    }

    fn explain(
        &self,
        text: &str,
        class: Option<usize>,
        method: &Method,
    ) -> Result<TextExplanation, TextError> {
        TextClassifier::explain(self, text, class, method)
    }

    fn deletion_documents(
        &self,
        docs: &[Document],
        classes: &[String],
    ) -> Result<Vec<DeletionDocument>, TextError> {
        let labels = model_labels(self, docs, classes)?;
        let examples = crate::tokenize::encode(docs, self.config.cleaning, &self.tokenizer)?;
        Ok(examples
            .into_iter()
            .zip(labels)
            .map(|(e, label)| DeletionDocument {
                label,
                ..DeletionDocument::of_example(&self.cnn, &e)
            })
            .collect())
    }

    fn deletion_model(&self) -> &dyn DeletionModel {
        &self.cnn
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

    fn explain(
        &self,
        text: &str,
        class: Option<usize>,
        method: &Method,
    ) -> Result<TextExplanation, TextError> {
        OnnxTextClassifier::explain(self, text, class, method)
    }

    fn deletion_documents(
        &self,
        docs: &[Document],
        classes: &[String],
    ) -> Result<Vec<DeletionDocument>, TextError> {
        let labels = model_labels(self, docs, classes)?;
        docs.par_iter()
            .zip(labels)
            .map(|(d, label)| self.deletion_document(&d.text, label))
            .collect()
    }

    fn deletion_model(&self) -> &dyn DeletionModel {
        self
    }
}

/// The model's class index for each document's class, matched by name.
fn model_labels(
    model: &dyn TextModel,
    docs: &[Document],
    classes: &[String],
) -> Result<Vec<usize>, TextError> {
    let index: Vec<usize> =
        classes.iter().map(|c| model.class_index(c)).collect::<Result<_, _>>()?;
    Ok(docs.iter().map(|d| index[d.label]).collect())
}

/// The model in `dir`: an ONNX folder (`model.onnx` with `tokenizer.json`) or a relvis model.
pub fn load_model(dir: &Path) -> Result<Box<dyn TextModel>, TextError> {
    if OnnxTextClassifier::is_onnx_folder(dir) {
        Ok(Box::new(OnnxTextClassifier::load(dir)?))
    } else {
        Ok(Box::new(TextClassifier::load(dir)?))
    }
}
