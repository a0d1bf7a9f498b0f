//! The word-deletion evaluation of Arras et al. (2017): delete a document's words one at a
//! time — deletion sets the word's embedding to zero — in the order an explanation ranks
//! them, and track the accuracy. (a) Correctly classified documents lose words in order of
//! decreasing relevance for the true class: the faster accuracy falls, the better the
//! ranking. (b) Misclassified documents lose words in order of increasing relevance (most
//! negative first): the faster accuracy rises, the better.
//!
//! A deletion changes only the convolution windows that touch the deleted position, so the
//! CNN's documents are edited incrementally ([`crate::EditableDocument`]) instead of run again.

use lrp::Composite;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::error::TextError;
use crate::explain::Method;
use crate::model::{EditableDocument, TextCnn, PAD};
use crate::tokenize::Example;

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
    doc: &mut EditableDocument<'_>,
    order: &[usize],
    steps: usize,
    label: usize,
) -> Vec<bool> {
    let mut correct = Vec::with_capacity(steps + 1);
    correct.push(doc.predicts(label));
    for k in 0..steps {
        if let Some(&p) = order.get(k) {
            doc.delete(p);
            correct.push(doc.predicts(label));
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
