//! Accuracy, per-class precision and recall, macro averages and the confusion matrix.

use pipeline::metrics::{argmax, macro_mean, Confusion};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Document;
use crate::error::TextError;
use crate::explain::TextModel;
use crate::model::TextCnn;
use crate::tokenize::Example;

/// How well a model does on labelled examples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub documents: usize,
    pub accuracy: f64,
    /// Per class: precision, recall and F1 (0 where undefined).
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    pub f1: Vec<f64>,
    pub macro_precision: f64,
    pub macro_recall: f64,
    pub macro_f1: f64,
    /// `confusion[true][predicted]` counts.
    pub confusion: Vec<Vec<usize>>,
}

/// Evaluates `model` on `examples` (in parallel) over `classes` classes.
pub fn evaluate_examples(model: &TextCnn, examples: &[Example], classes: usize) -> Evaluation {
    let predicted: Vec<usize> =
        examples.par_iter().map(|e| argmax(&model.scores(&e.ids))).collect();
    let truth: Vec<usize> = examples.iter().map(|e| e.label).collect();
    Evaluation::from_predictions(&truth, &predicted, classes)
}

/// Evaluates any text model on `documents`, whose labels index the set's `classes`, reading each
/// document's text as the model reads it (in parallel). The model's classes must be the set's,
/// in any order.
pub fn evaluate_texts(
    model: &dyn TextModel,
    documents: &[Document],
    classes: &[String],
) -> Result<Evaluation, TextError> {
    let names = model.classes();
    let mut same: Vec<&String> = names.iter().collect();
    let mut theirs: Vec<&String> = classes.iter().collect();
    same.sort();
    theirs.sort();
    if same != theirs {
        return Err(TextError::Dataset(format!(
            "the set's classes ({}) are not the model's ({})",
            classes.join(", "),
            names.join(", ")
        )));
    }
    let to_set: Vec<usize> =
        names.iter().map(|n| classes.iter().position(|c| c == n).expect("same names")).collect();
    let predicted: Vec<usize> = documents
        .par_iter()
        .map(|d| model.predict(&d.text).map(|p| to_set[p.class]))
        .collect::<Result<_, _>>()?;
    let truth: Vec<usize> = documents.iter().map(|d| d.label).collect();
    Ok(Evaluation::from_predictions(&truth, &predicted, classes.len()))
}

impl Evaluation {
    /// The metrics of `predicted` against `truth`.
    pub fn from_predictions(truth: &[usize], predicted: &[usize], classes: usize) -> Self {
        let confusion =
            Confusion::from_pairs(truth.iter().copied().zip(predicted.iter().copied()), classes);
        let (precision, recall, f1) = (confusion.precision(), confusion.recall(), confusion.f1());
        Evaluation {
            documents: truth.len(),
            accuracy: confusion.accuracy(),
            macro_precision: macro_mean(&precision),
            macro_recall: macro_mean(&recall),
            macro_f1: macro_mean(&f1),
            precision,
            recall,
            f1,
            confusion: confusion.counts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Evaluation;

    #[test]
    fn metrics_from_a_hand_counted_confusion_matrix() {
        // truth:     0 0 0 1 1 2
        // predicted: 0 0 1 1 2 2
        let e = Evaluation::from_predictions(&[0, 0, 0, 1, 1, 2], &[0, 0, 1, 1, 2, 2], 3);
        assert_eq!(e.confusion, vec![vec![2, 1, 0], vec![0, 1, 1], vec![0, 0, 1]]);
        assert!((e.accuracy - 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(e.precision, vec![1.0, 0.5, 0.5]);
        assert_eq!(e.recall, vec![2.0 / 3.0, 0.5, 1.0]);
        assert!((e.f1[0] - 0.8).abs() < 1e-12);
        assert!((e.macro_recall - (2.0 / 3.0 + 0.5 + 1.0) / 3.0).abs() < 1e-12);
    }
}
