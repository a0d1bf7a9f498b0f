//! The deletion evaluation as counts that add up: how many documents of each group (classified
//! correctly or not, true class) are still classified as their class after each deletion, per
//! ranking. A shard counts every `N`-th document; the counts of all `N` shards summed are the
//! counts of the whole run, and the report made from them is that of the unsharded run, to the
//! last bit (accuracies are divisions of the same integers).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use pipeline::progress::Progress;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::TextError;
use crate::evaluate::{
    ClassDeletion, Curve, DeletionConfig, DeletionDocument, DeletionModel, DeletionReport,
    Experiment, Ranking,
};
use crate::explain::Method;

/// Which documents a run takes: those whose index `i` (in the evaluated list) has
/// `i mod count = index`. Written `K/N` with `K = index + 1` from 1 to `N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Every document.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    fn takes(&self, i: usize) -> bool {
        i % self.count == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index + 1, self.count)
    }
}

impl FromStr for Shard {
    type Err = TextError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || {
            TextError::Settings(format!("shard `{text}`: expected K/N with 1 ≤ K ≤ N, e.g. 2/4"))
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (k, n): (usize, usize) =
            (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { index: k - 1, count: n })
    }
}

/// One group's documents and, per ranking `r` and step `k`, how many of them are still
/// classified as their true class: `still[r][k]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupCounts {
    /// Whether the group's documents were classified correctly before any deletion.
    pub correct: bool,
    /// The true class.
    pub label: usize,
    pub documents: usize,
    pub still: Vec<Vec<usize>>,
}

/// The partial result of one or more shards, with the settings they ran with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeletionCounts {
    pub steps: usize,
    pub rule: String,
    pub random_seeds: u64,
    /// Class names, when curves per true class were asked for.
    pub per_class: Option<Vec<String>>,
    /// The shards counted in.
    pub shards: Vec<Shard>,
    pub groups: Vec<GroupCounts>,
}

/// The names of the method rankings, in the order [`rankings`] gives them.
const METHODS: [&str; 2] = ["lrp", "sa"];

/// LRP, SA, then one random order per seed.
fn rankings(config: &DeletionConfig) -> Vec<Ranking> {
    [Method::Lrp(config.rule.clone()), Method::Sensitivity]
        .into_iter()
        .map(Ranking::Method)
        .chain((0..config.random_seeds).map(Ranking::Random))
        .collect()
}

/// Counts the shard's documents of `examples`, in parallel; `progress` is told how many of the
/// shard's documents are done. A document keeps its index in `examples` (its random orders
/// are seeded by it), so a shard counts exactly what the whole run counts for those documents.
pub fn count_deletion(
    model: &dyn DeletionModel,
    examples: &[DeletionDocument],
    config: &DeletionConfig,
    shard: Shard,
    progress: &Progress,
) -> Result<DeletionCounts, TextError> {
    let rankings = rankings(config);
    let taken: Vec<(usize, &DeletionDocument)> =
        examples.iter().enumerate().filter(|(i, _)| shard.takes(*i)).collect();
    let done = AtomicUsize::new(0);
    let runs: Vec<(bool, usize, Vec<Vec<bool>>)> = taken
        .par_iter()
        .map(|&(i, example)| {
            let (was_correct, runs) = model.deletion_runs(example, i, &rankings, config.steps)?;
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, taken.len());
            Ok((was_correct, example.label, runs))
        })
        .collect::<Result<_, TextError>>()?;
    let mut groups: BTreeMap<(bool, usize), GroupCounts> = BTreeMap::new();
    for (correct, label, runs) in runs {
        let group = groups.entry((correct, label)).or_insert_with(|| GroupCounts {
            correct,
            label,
            documents: 0,
            still: vec![vec![0; config.steps + 1]; rankings.len()],
        });
        group.documents += 1;
        for (counts, run) in group.still.iter_mut().zip(&runs) {
            counts.iter_mut().zip(run).for_each(|(c, &kept)| *c += usize::from(kept));
        }
    }
    Ok(DeletionCounts {
        steps: config.steps,
        rule: config.rule.to_string(),
        random_seeds: config.random_seeds,
        per_class: config.per_class.clone(),
        shards: vec![shard],
        groups: groups.into_values().collect(),
    })
}

impl DeletionCounts {
    /// The sum of shards run with the same settings; each shard may be given once.
    pub fn merge(parts: Vec<DeletionCounts>) -> Result<DeletionCounts, TextError> {
        let mut parts = parts.into_iter();
        let mut total =
            parts.next().ok_or_else(|| TextError::Settings("no deletion parts to merge".into()))?;
        for part in parts {
            if (part.steps, &part.rule, part.random_seeds, &part.per_class)
                != (total.steps, &total.rule, total.random_seeds, &total.per_class)
            {
                return Err(TextError::Settings(format!(
                    "deletion parts ran with different settings ({} steps, rule {}, {} random seeds against {} steps, rule {}, {} random seeds, or other classes)",
                    part.steps, part.rule, part.random_seeds, total.steps, total.rule, total.random_seeds
                )));
            }
            if let Some(twice) = part.shards.iter().find(|s| total.shards.contains(s)) {
                return Err(TextError::Settings(format!("shard {twice} is given twice")));
            }
            total.shards.extend(part.shards);
            for group in part.groups {
                match total
                    .groups
                    .iter_mut()
                    .find(|g| (g.correct, g.label) == (group.correct, group.label))
                {
                    Some(g) => {
                        g.documents += group.documents;
                        g.still
                            .iter_mut()
                            .flatten()
                            .zip(group.still.iter().flatten())
                            .for_each(|(a, b)| *a += b);
                    }
                    None => total.groups.push(group),
                }
            }
        }
        total.shards.sort();
        total.groups.sort_by_key(|g| (g.correct, g.label));
        Ok(total)
    }

    /// The shards missing for a whole run (empty when complete).
    pub fn missing(&self) -> Vec<Shard> {
        let count = self.shards.first().map_or(1, |s| s.count);
        (0..count)
            .map(|index| Shard { index, count })
            .filter(|s| !self.shards.contains(s))
            .collect()
    }

    /// The report of the whole run; refused while shards are missing or of different counts.
    pub fn report(&self) -> Result<DeletionReport, TextError> {
        let count = self.shards.first().map_or(1, |s| s.count);
        if let Some(odd) = self.shards.iter().find(|s| s.count != count) {
            return Err(TextError::Settings(format!(
                "shard {odd} does not belong to a run in {count} shards"
            )));
        }
        let missing = self.missing();
        if !missing.is_empty() {
            let names: Vec<String> = missing.iter().map(Shard::to_string).collect();
            return Err(TextError::Settings(format!("shards {} are missing", names.join(", "))));
        }
        let experiment = |correct: bool, class: Option<usize>| {
            let groups: Vec<&GroupCounts> = self
                .groups
                .iter()
                .filter(|g| g.correct == correct && class.is_none_or(|k| k == g.label))
                .collect();
            let documents: usize = groups.iter().map(|g| g.documents).sum();
            let accuracy_of = |r: usize| -> Vec<f64> {
                (0..=self.steps)
                    .map(|k| {
                        groups.iter().map(|g| g.still[r][k]).sum::<usize>() as f64
                            / documents.max(1) as f64
                    })
                    .collect()
            };
            let mut curves: Vec<Curve> =
                METHODS.iter().enumerate().map(|(r, m)| curve(m, accuracy_of(r))).collect();
            if self.random_seeds > 0 {
                let seeds: Vec<Vec<f64>> = (METHODS.len()
                    ..METHODS.len() + self.random_seeds as usize)
                    .map(accuracy_of)
                    .collect();
                let mean = (0..=self.steps)
                    .map(|k| seeds.iter().map(|s| s[k]).sum::<f64>() / seeds.len() as f64)
                    .collect();
                curves.push(curve("random", mean));
            }
            Experiment {
                order: if correct {
                    "decreasing relevance for the true class"
                } else {
                    "increasing relevance for the true class"
                }
                .into(),
                documents,
                curves,
            }
        };
        Ok(DeletionReport {
            steps: self.steps,
            rule: self.rule.clone(),
            random_seeds: self.random_seeds,
            correct: experiment(true, None),
            misclassified: experiment(false, None),
            per_class: self
                .per_class
                .iter()
                .flatten()
                .enumerate()
                .map(|(k, name)| ClassDeletion {
                    class: name.clone(),
                    correct: experiment(true, Some(k)),
                    misclassified: experiment(false, Some(k)),
                })
                .collect(),
        })
    }
}

/// A curve with its area over the perturbation curve, the mean of `|accuracy[k] − accuracy[0]|`.
fn curve(method: &str, accuracy: Vec<f64>) -> Curve {
    let area =
        accuracy.iter().map(|a| (a - accuracy[0]).abs()).sum::<f64>() / accuracy.len() as f64;
    Curve { method: method.into(), accuracy, area }
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
