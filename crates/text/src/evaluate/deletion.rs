//! The word-deletion evaluation of Arras et al. (2017): delete a document's words one at a
//! time — deletion sets the word's embedding to zero — in the order an explanation ranks
//! them, and track the accuracy. (a) Correctly classified documents lose words in order of
//! decreasing relevance for the true class: the faster accuracy falls, the better the
//! ranking. (b) Misclassified documents lose words in order of increasing relevance (most
//! negative first): the faster accuracy rises, the better.
//!
//! A deletion changes only the convolution windows that touch the deleted position, so
//! [`Deletion`] recomputes those from stored per-position contributions and updates the
//! max-pool incrementally instead of running the document again.

use pipeline::progress::Progress;
use std::sync::Arc;

use lrp::Composite;
use ndarray::{Array1, Array2, Axis};
use pipeline::metrics::argmax;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::error::TextError;
use crate::evaluate::{count_deletion, Shard};
use crate::explain::{explain_positions, Method};
use crate::model::{TextCnn, PAD};
use crate::tokenize::Example;

/// A document under deletion, or any edit of its words. The convolution's pre-activation of
/// window `t` is `b + Σ_k c_k[q_{t+k}]` over the positions `q` still in the document, where
/// `c_k[p] = x_p · W_k` is position `p`'s contribution through filter tap `k`; the
/// contributions are computed once (two matrix products) and shared. A word can be deleted
/// (its embedding zero: no terms), replaced by another word (that word's terms `r_k = e · W_k`),
/// restored, or removed (the text closes up over it). Every window's pre-activation is kept per
/// filter for rescans, with each filter's maximum over time; an edit recomputes only the
/// windows that touch it.
#[derive(Clone, Debug)]
pub struct Deletion<'m> {
    cnn: &'m TextCnn,
    /// `c_k`, shape `(positions, filters)` for each tap `k`.
    contributions: Arc<Vec<Array2<f32>>>,
    /// `r_k` of the replacement word, one row of filters per tap.
    replacement: Option<Arc<Vec<Vec<f32>>>>,
    slots: Vec<Slot>,
    /// The positions not removed, in order: window `t` covers `present[t..t + width]`.
    present: Vec<usize>,
    /// Pre-activations, filter `f`'s windows at `z[f * capacity..][..windows]`, contiguous for
    /// rescans; removals shorten every row in place.
    z: Vec<f32>,
    capacity: usize,
    windows: usize,
    /// Per filter: the first window holding the maximum, and the maximum.
    best: Vec<(usize, f32)>,
}

/// What a position of a document holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Its own word.
    Word,
    /// Nothing: its embedding is zero.
    Zeroed,
    /// The replacement word.
    Replaced,
}

impl<'m> Deletion<'m> {
    /// Runs the convolution and max-pool on the embedded document `x` `(positions, dim)`,
    /// which must hold at least one window (see [`TextCnn::input_ids`]). Positions whose
    /// embedding is zero count as deleted.
    pub fn new(cnn: &'m TextCnn, x: Array2<f32>) -> Self {
        let (positions, width, filters) = (x.nrows(), cnn.arch.width, cnn.arch.filters);
        let contributions = cnn.conv().tap_contributions(x.view());
        let slots = x
            .rows()
            .into_iter()
            .map(|r| if r.iter().all(|&v| v == 0.0) { Slot::Zeroed } else { Slot::Word })
            .collect();
        let windows = positions + 1 - width;
        let mut doc = Deletion {
            cnn,
            contributions: Arc::new(contributions),
            replacement: None,
            slots,
            present: (0..positions).collect(),
            z: vec![0.0; filters * windows],
            capacity: windows,
            windows,
            best: Vec::new(),
        };
        let mut row = vec![0.0; filters];
        for t in 0..windows {
            doc.window(t, &mut row);
            row.iter().enumerate().for_each(|(f, &v)| doc.z[f * windows + t] = v);
        }
        doc.best = (0..filters).map(|f| first_max(doc.filter_row(f))).collect();
        doc
    }

    /// The same document with `word` (an embedding row) as the replacement word.
    pub fn with_replacement(mut self, word: Array1<f32>) -> Self {
        let taps = self.cnn.conv().tap_contributions(word.view().insert_axis(Axis(0)));
        self.replacement = Some(Arc::new(taps.into_iter().map(|c| c.row(0).to_vec()).collect()));
        self
    }

    fn filter_row(&self, f: usize) -> &[f32] {
        &self.z[f * self.capacity..f * self.capacity + self.windows]
    }

    /// Pre-activations of window `t` into `out`: the bias plus the terms of its positions, added
    /// in tap order (the same order, and so the same bits, however the state was reached).
    fn window(&self, t: usize, out: &mut [f32]) {
        let bias = self.cnn.conv().bias.as_ref().expect("text CNN convolutions have a bias");
        out.copy_from_slice(bias.as_slice().expect("contiguous"));
        for (k, c) in self.contributions.iter().enumerate() {
            let p = self.present[t + k];
            let terms = match self.slots[p] {
                Slot::Word => c.row(p).to_slice().expect("rows are contiguous"),
                Slot::Replaced => {
                    &self.replacement.as_ref().expect("a replacement word was given")[k]
                }
                Slot::Zeroed => continue,
            };
            out.iter_mut().zip(terms).for_each(|(o, &v)| *o += v);
        }
    }

    /// Deletes position `p` (its embedding set to zero) and updates the windows that touch it.
    pub fn delete(&mut self, p: usize) {
        self.set(p, Slot::Zeroed);
    }

    /// What position `p` holds.
    pub fn slot(&self, p: usize) -> Slot {
        self.slots[p]
    }

    /// Puts `slot` at position `p` (not removed) and updates the windows that touch it.
    pub fn set(&mut self, p: usize, slot: Slot) {
        if self.slots[p] == slot {
            return;
        }
        self.slots[p] = slot;
        let Ok(i) = self.present.binary_search(&p) else { return };
        let first = i.saturating_sub(self.cnn.arch.width - 1);
        self.refresh(first..i.min(self.windows - 1) + 1, None);
    }

    /// Removes position `p` from the text, which closes up over it. Of the windows that covered
    /// it, the one starting at `p` goes (the later ones move one place down) and the others are
    /// recomputed across the gap. A text as short as one window keeps its length (the model pads
    /// it), so there the word is deleted instead.
    pub fn remove(&mut self, p: usize) {
        let width = self.cnn.arch.width;
        let Ok(i) = self.present.binary_search(&p) else { return };
        if self.present.len() <= width {
            return self.set(p, Slot::Zeroed);
        }
        self.present.remove(i);
        let gone = i.min(self.windows - 1);
        for f in 0..self.cnn.arch.filters {
            self.z[f * self.capacity..f * self.capacity + self.windows]
                .copy_within(gone + 1.., gone);
        }
        self.windows -= 1;
        self.refresh(i.saturating_sub(width - 1)..gone, Some(gone));
    }

    /// Recomputes the windows `changed` and each filter's maximum; `removed` is the window taken
    /// out (the later ones moved one place down), if any.
    fn refresh(&mut self, changed: std::ops::Range<usize>, removed: Option<usize>) {
        let filters = self.cnn.arch.filters;
        // The changed windows, one contiguous row of filters each.
        let mut fresh = vec![0.0; changed.len() * filters];
        for (t, row) in changed.clone().zip(fresh.chunks_exact_mut(filters)) {
            self.window(t, row);
            row.iter().enumerate().for_each(|(f, &v)| self.z[f * self.capacity + t] = v);
        }
        for f in 0..filters {
            let mut best = self.best[f];
            let stale = changed.contains(&best.0) || removed == Some(best.0);
            if removed.is_some_and(|gone| best.0 > gone) {
                best.0 -= 1;
            }
            if stale {
                // The maximum's window changed or went: look at the filter's whole row again.
                best = first_max(self.filter_row(f));
            } else {
                for (t, row) in changed.clone().zip(fresh.chunks_exact(filters)) {
                    let v = row[f];
                    if v > best.1 || (v == best.1 && t < best.0) {
                        best = (t, v);
                    }
                }
            }
            self.best[f] = best;
        }
    }

    /// Makes `self` a copy of `other` (a state of the same document), reusing its memory.
    pub fn reset_to(&mut self, other: &Deletion<'m>) {
        self.cnn = other.cnn;
        self.contributions = Arc::clone(&other.contributions);
        self.replacement.clone_from(&other.replacement);
        self.slots.clone_from(&other.slots);
        self.present.clone_from(&other.present);
        self.z.clone_from(&other.z);
        (self.capacity, self.windows) = (other.capacity, other.windows);
        self.best.clone_from(&other.best);
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
        argmax(&self.scores())
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
    /// Class names, when curves per true class are wanted too.
    pub per_class: Option<Vec<String>>,
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
    /// Both experiments per true class, when asked for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_class: Vec<ClassDeletion>,
}

/// Both experiments on the documents of one true class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassDeletion {
    pub class: String,
    pub correct: Experiment,
    pub misclassified: Experiment,
}

/// Deletes the positions of `doc` in `order`, `steps` times at most; whether the document is
/// classified as `label` before and after each deletion (length `steps + 1`; the last state
/// repeats when the document has fewer words).
pub fn deletion_run(
    doc: &mut Deletion<'_>,
    order: &[usize],
    steps: usize,
    label: usize,
) -> Vec<bool> {
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
    rank_positions(relevance, (0..ids.len()).filter(|&p| ids[p] != PAD).collect(), descending)
}

/// `positions` ranked for deletion by `relevance`, highest first when `descending`, ties by
/// position.
pub fn rank_positions(
    relevance: &[f32],
    mut positions: Vec<usize>,
    descending: bool,
) -> Vec<usize> {
    positions.sort_by(|&a, &b| {
        let by = if descending {
            relevance[b].total_cmp(&relevance[a])
        } else {
            relevance[a].total_cmp(&relevance[b])
        };
        by.then(a.cmp(&b))
    });
    positions
}

/// A document under the deletion evaluation: the token ids the model reads, its true class
/// (the model's index), and the positions that hold words (not padding or special tokens).
#[derive(Clone, Debug, PartialEq)]
pub struct DeletionDocument {
    pub ids: Vec<u32>,
    pub label: usize,
    pub deletable: Vec<usize>,
}

impl DeletionDocument {
    /// `example` as `cnn` reads it for the deletion evaluation.
    pub fn of_example(cnn: &TextCnn, example: &Example) -> DeletionDocument {
        let ids = cnn.input_ids(&example.ids);
        let deletable = (0..ids.len()).filter(|&p| ids[p] != PAD).collect();
        DeletionDocument { ids, label: example.label, deletable }
    }
}

/// A model whose accuracy is tracked while words are deleted: relvis's CNN (deletions
/// recomputed incrementally, [`Deletion`]) or any [`crate::TextModel`] that can run a document
/// with some positions' embeddings zeroed.
pub trait DeletionModel: Sync {
    /// For one document (`index`, its place in the set, seeds the random orders): whether the
    /// model first predicts its label, and per ranking whether it does before and after each
    /// of the first `steps` deletions.
    fn deletion_runs(
        &self,
        doc: &DeletionDocument,
        index: usize,
        rankings: &[Ranking],
        steps: usize,
    ) -> Result<(bool, Vec<Vec<bool>>), TextError>;
}

impl Ranking {
    /// The `deletable` positions in the order this ranking deletes them: by `relevance` (for
    /// the true class; most relevant first if `descending`), or shuffled by a seed and the
    /// document's index.
    pub fn order(
        &self,
        deletable: Vec<usize>,
        descending: bool,
        index: usize,
        relevance: impl FnOnce(&Method) -> Result<Vec<f32>, TextError>,
    ) -> Result<Vec<usize>, TextError> {
        match self {
            Ranking::Method(method) => {
                Ok(rank_positions(&relevance(method)?, deletable, descending))
            }
            Ranking::Random(seed) => {
                let mut order = deletable;
                order.shuffle(&mut StdRng::seed_from_u64(
                    seed.wrapping_mul(1_000_003).wrapping_add(index as u64),
                ));
                Ok(order)
            }
        }
    }
}

impl DeletionModel for TextCnn {
    fn deletion_runs(
        &self,
        doc: &DeletionDocument,
        index: usize,
        rankings: &[Ranking],
        steps: usize,
    ) -> Result<(bool, Vec<Vec<bool>>), TextError> {
        let x = self.embed(&doc.ids);
        let start = Deletion::new(self, x.clone());
        let mut work = start.clone();
        let was_correct = start.predicted() == doc.label;
        let runs = rankings
            .iter()
            .map(|ranking| {
                let order = ranking.order(doc.deletable.clone(), was_correct, index, |method| {
                    Ok(explain_positions(self, x.clone(), Some(doc.label), method)?.relevance)
                })?;
                work.reset_to(&start);
                Ok(deletion_run(&mut work, &order, steps, doc.label))
            })
            .collect::<Result<Vec<_>, TextError>>()?;
        Ok((was_correct, runs))
    }
}

/// Runs both experiments over `examples` with LRP, SA and chance, in parallel over
/// documents; `progress` is told how many documents are done.
pub fn evaluate_deletion(
    model: &dyn DeletionModel,
    examples: &[DeletionDocument],
    config: &DeletionConfig,
    progress: &Progress,
) -> Result<DeletionReport, TextError> {
    count_deletion(model, examples, config, Shard::WHOLE, progress)?.report()
}
