//! SpRAy over word-level explanations of one class, and where the relevance of raw posts
//! falls: the header zone (From, Subject, Organization, … lines) or the body.
//!
//! Two kinds of maps bring documents of any length to one shape: a positional map
//! (relevance pooled into a few bins over the header zone and more over the body, so
//! header-driven decisions stand apart) and a vocabulary map (relevance summed per word
//! type, over the class's most relevant word types).

use std::collections::HashMap;

use ndarray::{Array1, Array2};
use rayon::prelude::*;
use serde::Serialize;
use spray::maps::{normalise, Normalisation};
use spray::{analyse, Analysis, SprayOptions};

use crate::data::header_len;
use crate::data::Document;
use crate::error::TextError;
use crate::explain::TextModel;
use crate::explain::{Method, TextExplanation};

/// Which map each document becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MapKind {
    /// `HEADER_BINS` bins over the header zone, `BODY_BINS` over the body.
    Position,
    /// Relevance per word type (lower-cased), over the class's `VOCABULARY` most relevant types.
    Vocab,
}

impl std::str::FromStr for MapKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "position" => Ok(MapKind::Position),
            "vocab" => Ok(MapKind::Vocab),
            _ => Err(format!("unknown map kind `{s}` (position or vocab)")),
        }
    }
}

/// Bins over the header zone of a positional map.
pub const HEADER_BINS: usize = 4;
/// Bins over the body.
pub const BODY_BINS: usize = 28;
/// Word types in a vocabulary map.
pub const VOCABULARY: usize = 1000;

/// Positive relevance in a document's header zone and in all of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct HeaderShare {
    pub header: f64,
    pub total: f64,
}

impl HeaderShare {
    /// The header's share of the positive relevance (0 when there is none).
    pub fn share(&self) -> f64 {
        if self.total > 0.0 {
            self.header / self.total
        } else {
            0.0
        }
    }
}

/// Where the positive relevance of an explanation lies (the header zone is the text up to
/// its first blank line, as the model read it).
pub fn header_share(e: &TextExplanation) -> HeaderShare {
    let end = header_len(&e.text);
    let mut s = HeaderShare::default();
    for w in &e.words {
        let r = f64::from(w.relevance.max(0.0));
        s.total += r;
        if w.span.start < end {
            s.header += r;
        }
    }
    s
}

/// The positional map of an explanation.
pub fn position_map(e: &TextExplanation) -> Array1<f64> {
    let end = header_len(&e.text);
    let body = e.text.len().saturating_sub(end).max(1);
    let mut map = Array1::zeros(HEADER_BINS + BODY_BINS);
    for w in &e.words {
        let bin = if w.span.start < end {
            w.span.start * HEADER_BINS / end.max(1)
        } else {
            HEADER_BINS + ((w.span.start - end) * BODY_BINS / body).min(BODY_BINS - 1)
        };
        map[bin] += f64::from(w.relevance);
    }
    map
}

/// One cluster of a class's documents.
#[derive(Clone, Debug, Serialize)]
pub struct TextCluster {
    pub size: usize,
    /// Mean share of positive relevance on the header zone.
    pub header_share: f64,
    /// The word types with the largest summed relevance in the cluster.
    pub top_words: Vec<(String, f32)>,
    /// Documents of the cluster (ids), most typical first (nearest the cluster's mean map).
    pub examples: Vec<String>,
}

/// SpRAy over one class's documents.
#[derive(Clone, Debug, Serialize)]
pub struct TextStrategies {
    pub class: String,
    pub maps: MapKind,
    pub documents: Vec<String>,
    /// Mean header share over all the class's documents.
    pub header_share: f64,
    /// Mean share of the words that stand in the header zone (what evenly spread relevance
    /// would put there).
    pub header_word_share: f64,
    pub analysis: Analysis,
    pub clusters: Vec<TextCluster>,
    #[serde(skip)]
    pub explanations: Vec<TextExplanation>,
}

/// Explains `docs` for `class` (LRP with `method`), builds their maps and clusters them.
pub fn class_strategies(
    model: &dyn TextModel,
    docs: &[Document],
    class: usize,
    kind: MapKind,
    how: Normalisation,
    method: &Method,
    options: &SprayOptions,
) -> Result<TextStrategies, TextError> {
    let explanations: Vec<TextExplanation> = docs
        .par_iter()
        .map(|d| model.explain(&d.text, Some(class), method))
        .collect::<Result<_, _>>()?;
    strategies(
        &model.classes()[class],
        docs.iter().map(|d| d.id.clone()).collect(),
        explanations,
        kind,
        how,
        options,
    )
}

/// Words named per cluster.
pub const TOP_WORDS: usize = 10;

/// A cluster's mean header share (of the documents' `shares`) and its `TOP_WORDS` word types
/// (lower-cased) with the largest summed relevance over its `members`.
pub fn cluster_summary(
    members: &[usize],
    explanations: &[TextExplanation],
    shares: &[f64],
) -> (f64, Vec<(String, f32)>) {
    let mut words: HashMap<String, f32> = HashMap::new();
    for &i in members {
        for w in &explanations[i].words {
            *words.entry(w.word.to_lowercase()).or_default() += w.relevance;
        }
    }
    let mut top: Vec<(String, f32)> = words.into_iter().collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(TOP_WORDS);
    (members.iter().map(|&i| shares[i]).sum::<f64>() / members.len().max(1) as f64, top)
}

/// Builds the maps of explanations already made for `class` (of the documents `ids`, in the
/// same order) and clusters them.
pub fn strategies(
    class: &str,
    ids: Vec<String>,
    explanations: Vec<TextExplanation>,
    kind: MapKind,
    how: Normalisation,
    options: &SprayOptions,
) -> Result<TextStrategies, TextError> {
    let vocabulary: Vec<String> = match kind {
        MapKind::Position => Vec::new(),
        MapKind::Vocab => {
            let mut totals: HashMap<String, f64> = HashMap::new();
            for e in &explanations {
                for w in &e.words {
                    *totals.entry(w.word.to_lowercase()).or_default() +=
                        f64::from(w.relevance.abs());
                }
            }
            let mut words: Vec<(String, f64)> = totals.into_iter().collect();
            words.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            words.into_iter().take(VOCABULARY).map(|(w, _)| w).collect()
        }
    };
    let index: HashMap<&str, usize> =
        vocabulary.iter().enumerate().map(|(i, w)| (w.as_str(), i)).collect();
    let width = match kind {
        MapKind::Position => HEADER_BINS + BODY_BINS,
        MapKind::Vocab => vocabulary.len().max(1),
    };
    let mut x = Array2::<f64>::zeros((explanations.len(), width));
    for (mut row, e) in x.outer_iter_mut().zip(&explanations) {
        let mut map = match kind {
            MapKind::Position => position_map(e),
            MapKind::Vocab => {
                let mut m = Array1::zeros(width);
                for w in &e.words {
                    if let Some(&i) = index.get(w.word.to_lowercase().as_str()) {
                        m[i] += f64::from(w.relevance);
                    }
                }
                m
            }
        };
        normalise(&mut map, how);
        row.assign(&map);
    }
    let analysis =
        analyse(x.view(), options).map_err(|e| TextError::Model(format!("SpRAy: {e}")))?;
    let shares: Vec<f64> = explanations.iter().map(|e| header_share(e).share()).collect();
    let clusters = (0..analysis.clusters)
        .map(|c| {
            let members: Vec<usize> = analysis
                .labels
                .iter()
                .enumerate()
                .filter(|(_, &l)| l == c)
                .map(|(i, _)| i)
                .collect();
            let mean = members.iter().fold(Array1::<f64>::zeros(width), |acc, &i| acc + x.row(i))
                / members.len().max(1) as f64;
            let mut by_distance: Vec<(usize, f64)> =
                members.iter().map(|&i| (i, (&x.row(i) - &mean).mapv(|v| v * v).sum())).collect();
            by_distance.sort_by(|a, b| a.1.total_cmp(&b.1));
            let (header_share, top_words) = cluster_summary(&members, &explanations, &shares);
            TextCluster {
                size: members.len(),
                header_share,
                top_words,
                examples: by_distance.iter().take(3).map(|&(i, _)| ids[i].clone()).collect(),
            }
        })
        .collect();
    Ok(TextStrategies {
        class: class.to_string(),
        maps: kind,
        documents: ids,
        header_share: shares.iter().sum::<f64>() / shares.len().max(1) as f64,
        header_word_share: explanations
            .iter()
            .map(|e| {
                let end = header_len(&e.text);
                e.words.iter().filter(|w| w.span.start < end).count() as f64
                    / e.words.len().max(1) as f64
            })
            .sum::<f64>()
            / explanations.len().max(1) as f64,
        analysis,
        clusters,
        explanations,
    })
}
