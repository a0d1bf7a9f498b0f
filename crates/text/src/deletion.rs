//! The word-deletion evaluation of Arras et al. (2017): delete a document's words one at a
//! time — deletion sets the word's embedding to zero — in the order an explanation ranks
//! them, and track the accuracy. (a) Correctly classified documents lose words in order of
//! decreasing relevance for the true class: the faster accuracy falls, the better the
//! ranking. (b) Misclassified documents lose words in order of increasing relevance (most
//! negative first): the faster accuracy rises, the better.
//!
//! A deletion changes only the convolution windows that touch the deleted position, so
//! [`Deletion`] recomputes those and updates the max-pool incrementally instead of running
//! the document again.

use std::sync::atomic::{AtomicUsize, Ordering};

use lrp::Composite;
use ndarray::{Array2, ArrayView2};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::TextError;
use crate::explain::{explain_positions, Method};
use crate::model::{argmax, TextCnn, PAD};
use crate::train::Example;

/// A document under deletion: its embedded words, every window's pre-activations and each
/// filter's maximum over time.
#[derive(Clone, Debug)]
pub struct Deletion<'m> {
    cnn: &'m TextCnn,
    x: Array2<f32>,
    /// Pre-activations `(filters, windows)`: each filter's row is contiguous for rescans.
    z: Array2<f32>,
    /// Per filter: the first window holding the maximum, and the maximum.
    best: Vec<(usize, f32)>,
}

impl<'m> Deletion<'m> {
    /// Runs the convolution and max-pool on the embedded document `x` `(positions, dim)`,
    /// which must hold at least one window (see [`TextCnn::input_ids`]).
    pub fn new(cnn: &'m TextCnn, x: Array2<f32>) -> Self {
        let windows = x.nrows() + 1 - cnn.arch.width;
        let mut z = Array2::zeros((cnn.arch.filters, windows));
        let mut row = vec![0.0; cnn.arch.filters];
        for t in 0..windows {
            window(cnn, x.view(), t, &mut row);
            z.column_mut(t).iter_mut().zip(&row).for_each(|(z, &v)| *z = v);
        }
        let best = z.rows().into_iter().map(|r| first_max(r.as_slice().expect("rows are contiguous"))).collect();
        Deletion { cnn, x, z, best }
    }

    /// Number of positions.
    pub fn len(&self) -> usize {
        self.x.nrows()
    }

    /// Whether the document has no positions (never: it holds at least one window).
    pub fn is_empty(&self) -> bool {
        self.x.nrows() == 0
    }

    /// Sets position `p`'s embedding to zero and updates the windows that touch it.
    pub fn delete(&mut self, p: usize) {
        self.x.row_mut(p).fill(0.0);
        let windows = self.z.ncols();
        let (first, last) = (p.saturating_sub(self.cnn.arch.width - 1), p.min(windows - 1));
        let mut row = vec![0.0; self.cnn.arch.filters];
        for t in first..=last {
            window(self.cnn, self.x.view(), t, &mut row);
            self.z.column_mut(t).iter_mut().zip(&row).for_each(|(z, &v)| *z = v);
        }
        for (f, best) in self.best.iter_mut().enumerate() {
            let z = self.z.row(f);
            let z = z.as_slice().expect("rows are contiguous");
            if (first..=last).contains(&best.0) {
                // The maximum's window changed: look at the whole row again.
                *best = first_max(z);
            } else {
                for (t, &v) in z.iter().enumerate().take(last + 1).skip(first) {
                    if v > best.1 || (v == best.1 && t < best.0) {
                        *best = (t, v);
                    }
                }
            }
        }
    }

    /// Each filter's maximum pre-activation over time.
    pub fn pooled(&self) -> Vec<f32> {
        self.best.iter().map(|b| b.1).collect()
    }

    /// The class scores: dense layer on the ReLU of the pooled maxima.
    pub fn scores(&self) -> Vec<f32> {
        let dense = self.cnn.dense();
        let mut scores = dense.bias.as_ref().expect("text CNN dense layers have a bias").to_vec();
        for (h, w) in self.best.iter().zip(dense.weight.rows()) {
            let h = h.1.max(0.0);
            if h > 0.0 {
                scores.iter_mut().zip(w).for_each(|(s, &w)| *s += h * w);
            }
        }
        scores
    }

    /// The predicted class.
    pub fn predicted(&self) -> usize {
        argmax(&ndarray::Array1::from(self.scores()))
    }
}

/// Pre-activations of window `t` into `out`: `b_f + Σ_k Σ_d x[t+k, d] · W[k, d, f]`, summed
/// in a fixed order (so the incremental and the full pass agree to the bit); zero inputs
/// (padding, deleted words) are skipped.
fn window(cnn: &TextCnn, x: ArrayView2<f32>, t: usize, out: &mut [f32]) {
    let conv = cnn.conv();
    out.copy_from_slice(conv.bias.as_ref().expect("text CNN convolutions have a bias").as_slice().expect("contiguous"));
    for k in 0..cnn.arch.width {
        for (d, &v) in x.row(t + k).iter().enumerate() {
            if v != 0.0 {
                let w = conv.weight.slice(ndarray::s![k, d, ..]);
                out.iter_mut().zip(w).for_each(|(o, &w)| *o += v * w);
            }
        }
    }
}

/// The first index of the maximum of `z`, and the maximum.
fn first_max(z: &[f32]) -> (usize, f32) {
    z.iter().enumerate().fold((0, f32::NEG_INFINITY), |b, (t, &v)| if v > b.1 { (t, v) } else { b })
}

/// How words are ranked for deletion.
#[derive(Clone, Debug, PartialEq)]
pub enum Ranking {
    /// By a relevance method for the true class.
    Method(Method),
    /// In random order (seeded).
    Random(u64),
}

/// What to run.
#[derive(Clone, Debug)]
pub struct DeletionConfig {
    /// Words deleted per document (at most its length).
    pub steps: usize,
    /// The LRP rules ranking words.
    pub rule: Composite,
    /// Random orders averaged for the chance baseline.
    pub random_seeds: u64,
}

/// Accuracy after 0, 1, …, `steps` deletions, for one ranking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// `lrp`, `sa` or `random`.
    pub method: String,
    pub accuracy: Vec<f64>,
    /// Area over the perturbation curve: the mean of `|accuracy[k] − accuracy[0]|` over k;
    /// larger means the ranking found the words that matter sooner.
    pub area: f64,
}

/// One experiment: the documents it holds and a curve per ranking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    /// What is deleted first.
    pub order: String,
    pub documents: usize,
    pub curves: Vec<Curve>,
}

/// Both experiments of the evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeletionReport {
    pub steps: usize,
    pub rule: String,
    pub random_seeds: u64,
    /// (a) correctly classified documents, most relevant words deleted first.
    pub correct: Experiment,
    /// (b) misclassified documents, most negatively relevant words deleted first.
    pub misclassified: Experiment,
}

/// Deletes the positions of `doc` in `order`, `steps` times at most; whether the document is
/// classified as `label` before and after each deletion (length `steps + 1`; the last state
/// repeats when the document has fewer words).
pub fn deletion_run(mut doc: Deletion<'_>, order: &[usize], steps: usize, label: usize) -> Vec<bool> {
    let mut correct = Vec::with_capacity(steps + 1);
    correct.push(doc.predicted() == label);
    for k in 0..steps {
        if let Some(&p) = order.get(k) {
            doc.delete(p);
            correct.push(doc.predicted() == label);
        } else {
            correct.push(*correct.last().expect("one state at least"));
        }
    }
    correct
}

/// The positions of real words (not padding) ranked for deletion: by `relevance`, highest
/// first when `descending`, ties by position.
pub fn rank(relevance: &[f32], ids: &[u32], descending: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..ids.len()).filter(|&p| ids[p] != PAD).collect();
    order.sort_by(|&a, &b| {
        let by = if descending { relevance[b].total_cmp(&relevance[a]) } else { relevance[a].total_cmp(&relevance[b]) };
        by.then(a.cmp(&b))
    });
    order
}

/// Runs both experiments over `examples` with LRP, SA and chance, in parallel over
/// documents; `progress` is called with the number of documents done.
pub fn evaluate_deletion(
    cnn: &TextCnn,
    examples: &[Example],
    config: &DeletionConfig,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<DeletionReport, TextError> {
    let methods = [Method::Lrp(config.rule.clone()), Method::Sensitivity];
    let rankings: Vec<Ranking> =
        methods.iter().cloned().map(Ranking::Method).chain((0..config.random_seeds).map(Ranking::Random)).collect();
    let done = AtomicUsize::new(0);
    // Per document: whether it was classified correctly, and per ranking its run.
    let runs: Vec<(bool, Vec<Vec<bool>>)> = examples
        .par_iter()
        .enumerate()
        .map(|(i, example)| {
            let ids = cnn.input_ids(&example.ids);
            let x = cnn.embed(&ids);
            let start = Deletion::new(cnn, x.clone());
            let was_correct = start.predicted() == example.label;
            let runs = rankings
                .iter()
                .map(|ranking| {
                    let order = match ranking {
                        Ranking::Method(method) => {
                            let relevance = explain_positions(cnn, x.clone(), example.label, method)?.relevance;
                            rank(&relevance, &ids, was_correct)
                        }
                        Ranking::Random(seed) => {
                            let mut order: Vec<usize> = (0..ids.len()).filter(|&p| ids[p] != PAD).collect();
                            order.shuffle(&mut StdRng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(i as u64)));
                            order
                        }
                    };
                    Ok(deletion_run(start.clone(), &order, config.steps, example.label))
                })
                .collect::<Result<Vec<_>, TextError>>()?;
            progress(done.fetch_add(1, Ordering::Relaxed) + 1);
            Ok((was_correct, runs))
        })
        .collect::<Result<_, TextError>>()?;
    let experiment = |correct: bool| {
        let docs: Vec<&Vec<Vec<bool>>> = runs.iter().filter(|(c, _)| *c == correct).map(|(_, r)| r).collect();
        let accuracy_of = |r: usize| -> Vec<f64> {
            (0..=config.steps)
                .map(|k| docs.iter().filter(|runs| runs[r][k]).count() as f64 / docs.len().max(1) as f64)
                .collect()
        };
        let mut curves: Vec<Curve> = methods
            .iter()
            .enumerate()
            .map(|(r, m)| curve(if matches!(m, Method::Lrp(_)) { "lrp" } else { "sa" }, accuracy_of(r)))
            .collect();
        if config.random_seeds > 0 {
            let seeds: Vec<Vec<f64>> = (methods.len()..rankings.len()).map(accuracy_of).collect();
            let mean = (0..=config.steps).map(|k| seeds.iter().map(|s| s[k]).sum::<f64>() / seeds.len() as f64).collect();
            curves.push(curve("random", mean));
        }
        Experiment {
            order: if correct { "decreasing relevance for the true class" } else { "increasing relevance for the true class" }.into(),
            documents: docs.len(),
            curves,
        }
    };
    Ok(DeletionReport {
        steps: config.steps,
        rule: config.rule.to_string(),
        random_seeds: config.random_seeds,
        correct: experiment(true),
        misclassified: experiment(false),
    })
}

fn curve(method: &str, accuracy: Vec<f64>) -> Curve {
    let area = accuracy.iter().map(|a| (a - accuracy[0]).abs()).sum::<f64>() / accuracy.len() as f64;
    Curve { method: method.into(), accuracy, area }
}
