//! Accuracy, per-class precision and recall, macro averages and the confusion matrix.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{argmax, TextCnn};
use crate::train::Example;

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
pub fn evaluate(model: &TextCnn, examples: &[Example], classes: usize) -> Evaluation {
    let predicted: Vec<usize> = examples.par_iter().map(|e| argmax(&model.scores(&e.ids))).collect();
    let truth: Vec<usize> = examples.iter().map(|e| e.label).collect();
    Evaluation::from_predictions(&truth, &predicted, classes)
}

impl Evaluation {
    /// The metrics of `predicted` against `truth`.
    pub fn from_predictions(truth: &[usize], predicted: &[usize], classes: usize) -> Self {
        let mut confusion = vec![vec![0usize; classes]; classes];
        for (&t, &p) in truth.iter().zip(predicted) {
            confusion[t][p] += 1;
        }
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let correct: usize = (0..classes).map(|c| confusion[c][c]).sum();
        let precision: Vec<f64> = (0..classes).map(|c| ratio(confusion[c][c], (0..classes).map(|t| confusion[t][c]).sum())).collect();
        let recall: Vec<f64> = (0..classes).map(|c| ratio(confusion[c][c], confusion[c].iter().sum())).collect();
        let f1: Vec<f64> = precision.iter().zip(&recall).map(|(&p, &r)| if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }).collect();
        let mean = |v: &[f64]| if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 };
        Evaluation {
            documents: truth.len(),
            accuracy: ratio(correct, truth.len()),
            macro_precision: mean(&precision),
            macro_recall: mean(&recall),
            macro_f1: mean(&f1),
            precision,
            recall,
            f1,
            confusion,
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
