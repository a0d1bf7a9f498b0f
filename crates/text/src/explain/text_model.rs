//! Either kind of text classifier behind one interface, so that predicting and explaining take
//! relvis's own CNN and an exported ONNX model alike.

use crate::error::TextError;
use crate::explain::{cnn, onnx, Method, TextExplanation};
use crate::model::{AnyTextModel, OnnxTextClassifier, Prediction, TextClassifier};

/// The rule for models with attention when none is given: AttnLRP in lxt's efficient form
/// (dense layers by LRP-0, i.e. Gradient × Input with the bias keeping its share).
pub const ATTENTION_RULE: &str = "attnlrp";

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

    /// The LRP rule used when none is given: AttnLRP for a model with attention (as lxt), else
    /// [`crate::DEFAULT_RULE`].
    fn default_rule(&self) -> &'static str {
        crate::explain::DEFAULT_RULE
    }

    /// The index of the class called `name`.
    fn class_index(&self, name: &str) -> Result<usize, TextError> {
        pipeline::metrics::class_index(self.classes(), name)
            .map_err(|unknown| TextError::Explain(unknown.to_string()))
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
        cnn::explain_text(self, text, class, method)
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
        onnx::explain_text(self, text, class, method)
    }

    fn default_rule(&self) -> &'static str {
        if self.has_attention {
            ATTENTION_RULE
        } else {
            crate::explain::DEFAULT_RULE
        }
    }
}

impl TextModel for AnyTextModel {
    fn classes(&self) -> &[String] {
        either(self).classes()
    }

    fn predict(&self, text: &str) -> Result<Prediction, TextError> {
        either(self).predict(text)
    }

    fn explain(
        &self,
        text: &str,
        class: Option<usize>,
        method: &Method,
    ) -> Result<TextExplanation, TextError> {
        either(self).explain(text, class, method)
    }

    fn default_rule(&self) -> &'static str {
        either(self).default_rule()
    }
}

/// The model of either kind inside `model`.
fn either(model: &AnyTextModel) -> &dyn TextModel {
    match model {
        AnyTextModel::Native(model) => model,
        AnyTextModel::Onnx(model) => model,
    }
}
