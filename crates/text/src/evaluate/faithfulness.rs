//! How faithful explanations are to the CNN, by several perturbations of each test document
//! in the order an explanation ranks its words (most relevant first), all on the explained
//! (predicted) class's softmax probability `p`:
//!
//! - **deletion curves**: `p` after the first `k` words are deleted by zeroing their
//!   embedding, by removing them (the text closes up), or by replacing them with a frequent
//!   neutral word — an in-distribution imputation after ROAD (Rong et al. 2022), so that a
//!   ranking is not rewarded for pushing the text off the data; the area over the curve,
//!   `AOPC = mean_k (p_0 − p_k)`, is larger the sooner the ranking finds what matters;
//! - the **insertion curve**: `p` after the first `k` words are put into the empty document
//!   (every word zeroed); its area `mean_k p_k` is larger the sooner they restore the decision;
//! - **comprehensiveness** `p(x) − p(x ∖ top q %)` and **sufficiency** `p(x) − p(top q % only)`
//!   at shares `q` of the words, as ERASER (DeYoung et al. 2020) and ferret define them;
//! - **faithfulness correlation**: Kendall's τ-b between the words' relevance and their
//!   leave-one-out score drops, per document;
//! - on a set with a planted cue ([`crate::data`]), **localisation** on the cue's words
//!   in the documents that hold it: relevance mass and rank accuracy, the pointing game.
//!
//! A random ranking (seeded per document) runs beside the methods as the chance line. The
//! perturbations run on a model's [`EditedDocument`]: the CNN's incremental document, which
//! updates only the windows an edit touches, or an imported graph run again after each edit.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use pipeline::correlation::kendall_tau_b;
use pipeline::localisation::Localisation;
use pipeline::metrics::argmax;
use pipeline::progress::Progress;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::TextError;
use crate::evaluate::{rank_positions, DeletionDocument};
use crate::explain::Method;
use crate::model::{softmax, Slot};

/// A model whose explanations the faithfulness measures judge.
pub trait FaithfulnessModel: Sync {
    type Document<'m>: EditedDocument
    where
        Self: 'm;
    /// The document of token ids `ids`, ready for edits; `replacement` replaces words.
    fn start(&self, ids: &[u32], replacement: u32) -> Result<Self::Document<'_>, TextError>;
    /// Relevance per position of `ids` (whose words sit at `words`) for `class` by `method`;
    /// `start` is the document as [`FaithfulnessModel::start`] made it, not yet edited.
    fn relevance(
        &self,
        start: &Self::Document<'_>,
        ids: &[u32],
        words: &[usize],
        class: usize,
        method: &Method,
    ) -> Result<Vec<f32>, TextError>;
}

/// A document edited word by word, and the model's scores for it.
pub trait EditedDocument: Clone {
    fn scores(&self) -> Result<Vec<f32>, TextError>;
    /// Position `p` holds `slot`: its word, nothing (a zero embedding) or the replacement.
    fn set(&mut self, p: usize, slot: Slot);
    /// Position `p` taken out: the text closes up over it.
    fn remove(&mut self, p: usize);
    fn reset_to(&mut self, other: &Self);
}

/// How a word leaves a document: zeroed, removed or replaced.
type Edit<D> = fn(&mut D, usize);

/// What to measure.
#[derive(Clone, Debug)]
pub struct FaithfulnessConfig {
    pub methods: Vec<Method>,
    /// Words deleted or inserted along the curves.
    pub steps: usize,
    /// Shares of the words for comprehensiveness and sufficiency.
    pub shares: Vec<f64>,
    /// The token id of the word that replaces deleted words.
    pub replacement: u32,
    /// Seeds the random ranking.
    pub seed: u64,
}

/// A document to evaluate, and where a planted cue sits in it (`cue`: the positions of the
/// cue's tokens; empty when the document holds none).
#[derive(Clone, Debug)]
pub struct EvaluatedDocument {
    pub document: DeletionDocument,
    pub cue: Vec<usize>,
}

/// A document's relevance by every method for the class the model predicts, kept for the
/// randomisation test (the trained model's explanations, which it would compute again).
#[derive(Clone, Debug, PartialEq)]
pub struct TrainedRelevance {
    pub class: usize,
    /// Per method of the configuration, the relevance of each word (`deletable`, in order).
    pub relevance: Vec<Vec<f64>>,
}

/// One ranking's results, as sums over documents until [`MethodScores::finish`] makes means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MethodScores {
    /// The method as written (`random` for the chance line).
    pub method: String,
    pub documents: usize,
    /// Mean `p` after `k = 0 … steps` words deleted by zeroing.
    pub deletion: Vec<f64>,
    /// … by removing them.
    pub deletion_removed: Vec<f64>,
    /// … by replacing them with the neutral word.
    pub deletion_replaced: Vec<f64>,
    /// Mean `p` after `k` words inserted into the empty document.
    pub insertion: Vec<f64>,
    /// `mean_k (p_0 − p_k)` of each deletion curve, zeroing / removing / replacing.
    pub aopc: [f64; 3],
    /// `mean_k p_k` of the insertion curve.
    pub insertion_area: f64,
    /// Per share of words, mean comprehensiveness and sufficiency.
    pub comprehensiveness: Vec<f64>,
    pub sufficiency: Vec<f64>,
    /// Mean Kendall τ-b against leave-one-out drops, over the documents where it is defined.
    pub faithfulness_tau: f64,
    pub tau_documents: usize,
    /// On the planted cue, over the documents that hold it.
    pub cue: Option<Localisation>,
    /// Seconds spent computing this ranking's relevance, summed over threads.
    pub relevance_seconds: f64,
}

impl MethodScores {
    fn zero(method: String, steps: usize, shares: usize) -> Self {
        MethodScores {
            method,
            documents: 0,
            deletion: vec![0.0; steps + 1],
            deletion_removed: vec![0.0; steps + 1],
            deletion_replaced: vec![0.0; steps + 1],
            insertion: vec![0.0; steps + 1],
            aopc: [0.0; 3],
            insertion_area: 0.0,
            comprehensiveness: vec![0.0; shares],
            sufficiency: vec![0.0; shares],
            faithfulness_tau: 0.0,
            tau_documents: 0,
            cue: None,
            relevance_seconds: 0.0,
        }
    }

    fn add(&mut self, other: &MethodScores) {
        let add = |a: &mut Vec<f64>, b: &Vec<f64>| a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        self.documents += other.documents;
        add(&mut self.deletion, &other.deletion);
        add(&mut self.deletion_removed, &other.deletion_removed);
        add(&mut self.deletion_replaced, &other.deletion_replaced);
        add(&mut self.insertion, &other.insertion);
        add(&mut self.comprehensiveness, &other.comprehensiveness);
        add(&mut self.sufficiency, &other.sufficiency);
        self.faithfulness_tau += other.faithfulness_tau;
        self.tau_documents += other.tau_documents;
        if let Some(o) = &other.cue {
            self.cue.get_or_insert_with(Localisation::default).add(o);
        }
        self.relevance_seconds += other.relevance_seconds;
    }

    /// Sums made means, and the areas.
    fn finish(mut self) -> Self {
        let n = self.documents.max(1) as f64;
        for curve in [
            &mut self.deletion,
            &mut self.deletion_removed,
            &mut self.deletion_replaced,
            &mut self.insertion,
            &mut self.comprehensiveness,
            &mut self.sufficiency,
        ] {
            curve.iter_mut().for_each(|v| *v /= n);
        }
        let aopc = |c: &[f64]| c.iter().map(|p| c[0] - p).sum::<f64>() / c.len() as f64;
        self.aopc =
            [aopc(&self.deletion), aopc(&self.deletion_removed), aopc(&self.deletion_replaced)];
        self.insertion_area = self.insertion.iter().sum::<f64>() / self.insertion.len() as f64;
        self.faithfulness_tau /= self.tau_documents.max(1) as f64;
        self.cue = self.cue.map(Localisation::mean);
        self
    }
}

/// Every ranking's scores over `documents` (the methods of `config`, then `random`), in
/// parallel over documents; `progress` is told how many are done.
pub fn evaluate_faithfulness<M: FaithfulnessModel>(
    model: &M,
    documents: &[EvaluatedDocument],
    config: &FaithfulnessConfig,
    progress: &Progress,
) -> Result<Vec<MethodScores>, TextError> {
    Ok(evaluate_faithfulness_keeping(model, documents, config, &[], progress)?.0)
}

/// [`evaluate_faithfulness`], keeping the relevance of the documents at `keep` (indices into
/// `documents`), in that order.
pub fn evaluate_faithfulness_keeping<M: FaithfulnessModel>(
    model: &M,
    documents: &[EvaluatedDocument],
    config: &FaithfulnessConfig,
    keep: &[usize],
    progress: &Progress,
) -> Result<(Vec<MethodScores>, Vec<TrainedRelevance>), TextError> {
    if config.steps == 0 || config.shares.iter().any(|q| !(*q > 0.0 && *q <= 1.0)) {
        return Err(TextError::Settings(format!(
            "faithfulness needs steps ≥ 1 and shares in (0, 1], got {} and {:?}",
            config.steps, config.shares
        )));
    }
    let names: Vec<String> =
        config.methods.iter().map(Method::to_string).chain(["random".to_string()]).collect();
    let empty = || {
        names
            .iter()
            .map(|m| MethodScores::zero(m.clone(), config.steps, config.shares.len()))
            .collect::<Vec<_>>()
    };
    let done = AtomicUsize::new(0);
    let kept = Mutex::new(Vec::new());
    let totals = documents
        .par_iter()
        .enumerate()
        .map(|(index, doc)| {
            let keeping = keep.contains(&index);
            let (scores, trained) = document_scores(model, doc, index, config, keeping)?;
            if let Some(trained) = trained {
                kept.lock().expect("no thread panics holding it").push((index, trained));
            }
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, documents.len());
            Ok(scores)
        })
        .try_fold(empty, |mut acc, scores: Result<Vec<MethodScores>, TextError>| {
            acc.iter_mut().zip(&scores?).for_each(|(a, s)| a.add(s));
            Ok::<_, TextError>(acc)
        })
        .try_reduce(empty, |mut a, b| {
            a.iter_mut().zip(&b).for_each(|(a, b)| a.add(b));
            Ok(a)
        })?;
    let mut kept = kept.into_inner().expect("no thread panicked holding it");
    kept.sort_by_key(|&(index, _)| keep.iter().position(|&k| k == index));
    let methods = totals.into_iter().map(MethodScores::finish).collect();
    Ok((methods, kept.into_iter().map(|(_, trained)| trained).collect()))
}

/// One document's results for every ranking, and, when `keeping`, its relevance by each method.
fn document_scores<M: FaithfulnessModel>(
    model: &M,
    doc: &EvaluatedDocument,
    index: usize,
    config: &FaithfulnessConfig,
    keeping: bool,
) -> Result<(Vec<MethodScores>, Option<TrainedRelevance>), TextError> {
    let ids = &doc.document.ids;
    let words = &doc.document.deletable;
    let start = model.start(ids, config.replacement)?;
    let class = argmax(&start.scores()?);
    let probability = |d: &M::Document<'_>| -> Result<f64, TextError> {
        Ok(f64::from(softmax(&ndarray::Array1::from(d.scores()?))[class]))
    };
    let mut work = start.clone();
    // Leave-one-out drops of the class score, for the faithfulness correlation (a word put back
    // leaves the state as it was).
    let full_score = f64::from(start.scores()?[class]);
    let drops: Vec<f64> = words
        .iter()
        .map(|&p| {
            work.set(p, Slot::Zeroed);
            let drop = full_score - f64::from(work.scores()?[class]);
            work.set(p, Slot::Word);
            Ok(drop)
        })
        .collect::<Result<_, TextError>>()?;
    let mut empty = start.clone();
    words.iter().for_each(|&p| empty.set(p, Slot::Zeroed));
    let cue: HashSet<usize> = doc.cue.iter().copied().collect();
    let counts: Vec<usize> = config
        .shares
        .iter()
        .map(|q| ((q * words.len() as f64).ceil() as usize).min(words.len()))
        .collect();
    let longest = counts.iter().copied().max().unwrap_or(0).max(config.steps);

    let mut results = Vec::with_capacity(config.methods.len() + 1);
    let mut trained = keeping.then(|| TrainedRelevance { class, relevance: Vec::new() });
    let rankings = config.methods.iter().map(Some).chain([None]);
    for method in rankings {
        let started = Instant::now();
        // Relevance of the words; the chance line's is a seeded draw per document.
        let relevance: Vec<f32> = match method {
            Some(m) => {
                let all = model.relevance(&start, ids, words, class, m)?;
                words.iter().map(|&p| all[p]).collect()
            }
            None => {
                let mut rng = StdRng::seed_from_u64(
                    config.seed.wrapping_mul(1_000_003).wrapping_add(index as u64),
                );
                words.iter().map(|_| rng.gen::<f32>()).collect()
            }
        };
        let mut scores = MethodScores::zero(
            method.map_or_else(|| "random".to_string(), Method::to_string),
            config.steps,
            config.shares.len(),
        );
        scores.relevance_seconds = started.elapsed().as_secs_f64();
        scores.documents = 1;
        let mut by_word = vec![0.0f32; ids.len()];
        words.iter().zip(&relevance).for_each(|(&p, &r)| by_word[p] = r);
        let order = rank_positions(&by_word, words.clone(), true);

        // The deletion curves, and comprehensiveness from the zeroing pass.
        let p0 = probability(&start)?;
        let edits: [(&mut Vec<f64>, Edit<M::Document<'_>>); 3] = [
            (&mut scores.deletion, |d, p| d.set(p, Slot::Zeroed)),
            (&mut scores.deletion_removed, |d, p| d.remove(p)),
            (&mut scores.deletion_replaced, |d, p| d.set(p, Slot::Replaced)),
        ];
        for (e, (curve, edit)) in edits.into_iter().enumerate() {
            work.reset_to(&start);
            curve[0] = p0;
            let last = if e == 0 { longest } else { config.steps };
            let mut p = p0;
            for k in 1..=last {
                if let Some(&position) = order.get(k - 1) {
                    edit(&mut work, position);
                    p = probability(&work)?;
                }
                if let Some(point) = curve.get_mut(k) {
                    *point = p;
                }
                if e == 0 {
                    counts
                        .iter()
                        .zip(&mut scores.comprehensiveness)
                        .filter(|(&c, _)| c == k)
                        .for_each(|(_, v)| *v = p0 - p);
                }
            }
        }
        // The insertion curve, and sufficiency.
        work.reset_to(&empty);
        let mut p = probability(&work)?;
        scores.insertion[0] = p;
        for k in 1..=longest {
            if let Some(&position) = order.get(k - 1) {
                work.set(position, Slot::Word);
                p = probability(&work)?;
            }
            if k <= config.steps {
                scores.insertion[k] = p;
            }
            counts
                .iter()
                .zip(&mut scores.sufficiency)
                .filter(|(&c, _)| c == k)
                .for_each(|(_, v)| *v = p0 - p);
        }
        let relevance64: Vec<f64> = relevance.iter().map(|&r| f64::from(r)).collect();
        if let (Some(trained), Some(_)) = (trained.as_mut(), method) {
            trained.relevance.push(relevance64.clone());
        }
        if let Some(tau) = kendall_tau_b(&relevance64, &drops) {
            scores.faithfulness_tau = tau;
            scores.tau_documents = 1;
        }
        if !cue.is_empty() {
            let mask: Vec<bool> = words.iter().map(|p| cue.contains(p)).collect();
            if let Some(found) = Localisation::of(&relevance, &mask) {
                scores.cue = Some(found);
            }
        }
        results.push(scores);
    }
    Ok((results, trained))
}
