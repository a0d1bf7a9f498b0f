//! One report that compares attribution methods, and models, on a set's test split: the
//! faithfulness measures of [`crate::evaluate`] (with localisation on a planted cue when
//! the set has one) and the randomisation test of [`crate::evaluate`], per model, as JSON
//! and as a table.

use std::collections::HashSet;
use std::fmt::Write;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::data::CueRecord;
use crate::data::Document;
use crate::error::TextError;
use crate::evaluate::randomisation_test_from;
use crate::evaluate::{deletion_documents, DeletionDocument};
use crate::evaluate::{
    evaluate_faithfulness_keeping, EvaluatedDocument, FaithfulnessConfig, MethodScores,
};
use crate::explain::Method;
use crate::model::AnyTextModel;
use pipeline::randomisation::RandomisationCurve;
use pipeline::split::evenly_spread;

/// What to run.
#[derive(Clone, Debug)]
pub struct EvaluationSettings {
    pub methods: Vec<Method>,
    pub steps: usize,
    pub shares: Vec<f64>,
    /// The neutral word deleted words are replaced by.
    pub replacement: String,
    /// Documents (spread over the split) the randomisation test explains; 0 skips it.
    pub randomisation_documents: usize,
    pub seed: u64,
}

/// Which part of the evaluation is running, for progress reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Faithfulness,
    Randomisation,
}

/// One model's results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelEvaluation {
    pub model: String,
    pub documents: usize,
    /// Per method (the last is `random`).
    pub methods: Vec<MethodScores>,
    pub randomisation: Vec<RandomisationCurve>,
    /// The planted cue, and how many evaluated documents hold it.
    pub cue: Option<String>,
    pub cue_documents: usize,
    pub seconds: f64,
}

/// Every model's results with the settings they share.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluationReport {
    pub steps: usize,
    pub shares: Vec<f64>,
    pub replacement: String,
    pub models: Vec<ModelEvaluation>,
}

/// Evaluates `model` (named `name` in the report) on `docs` (of a set with `classes`); `cue` is
/// the record of a planted set, whose cue's tokens are the truth for localisation.
pub fn evaluate_model(
    name: &str,
    model: &AnyTextModel,
    docs: &[Document],
    classes: &[String],
    cue: Option<&CueRecord>,
    settings: &EvaluationSettings,
    progress: &(dyn Fn(Phase, usize, usize) + Sync),
) -> Result<ModelEvaluation, TextError> {
    let started = Instant::now();
    let replacement = model.known_word(&settings.replacement)?.ok_or_else(|| {
        TextError::Settings(format!(
            "replacement `{}`: the model does not read it as one known word",
            settings.replacement
        ))
    })?;
    let deletion: Vec<DeletionDocument> = deletion_documents(model, docs, classes)?;
    let cue_words: HashSet<&str> =
        cue.map(|c| c.words.iter().map(String::as_str).collect()).unwrap_or_default();
    let documents: Vec<EvaluatedDocument> = docs
        .iter()
        .zip(deletion)
        .map(|(doc, document)| {
            let holds = cue.is_some_and(|c| c.holds(&doc.id));
            let cue = if holds {
                document
                    .deletable
                    .iter()
                    .copied()
                    .filter(|&p| {
                        cue_words.contains(model.token(document.ids[p]).to_lowercase().as_str())
                    })
                    .collect()
            } else {
                Vec::new()
            };
            EvaluatedDocument { document, cue }
        })
        .collect();
    let config = FaithfulnessConfig {
        methods: settings.methods.clone(),
        steps: settings.steps,
        shares: settings.shares.clone(),
        replacement,
        seed: settings.seed,
    };
    let faithfulness_progress = |done, total| progress(Phase::Faithfulness, done, total);
    // The randomisation test cascades through the CNN's layers; an imported graph is not
    // randomised (its report has no randomisation curves). Its documents are some of those
    // evaluated here, whose trained-model relevance the faithfulness measures keep for it.
    let randomised =
        matches!(model, AnyTextModel::Native(_)) && settings.randomisation_documents > 0;
    let sample: Vec<usize> = if randomised {
        let all: Vec<usize> = (0..documents.len()).collect();
        evenly_spread(&all, Some(settings.randomisation_documents))
    } else {
        Vec::new()
    };
    let (methods, trained) = match model {
        AnyTextModel::Native(m) => evaluate_faithfulness_keeping(
            &m.cnn,
            &documents,
            &config,
            &sample,
            &faithfulness_progress,
        )?,
        AnyTextModel::Onnx(m) => {
            evaluate_faithfulness_keeping(m, &documents, &config, &[], &faithfulness_progress)?
        }
    };
    let randomisation = match model {
        AnyTextModel::Native(m) if randomised => {
            let sample: Vec<_> = sample.iter().map(|&i| documents[i].document.clone()).collect();
            randomisation_test_from(
                &m.cnn,
                &sample,
                &trained,
                &settings.methods,
                settings.seed,
                &|done, total| progress(Phase::Randomisation, done, total),
            )?
        }
        _ => Vec::new(),
    };
    Ok(ModelEvaluation {
        model: name.to_string(),
        documents: documents.len(),
        methods,
        randomisation,
        cue: cue.map(|c| c.cue.clone()),
        cue_documents: documents.iter().filter(|d| !d.cue.is_empty()).count(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

impl EvaluationReport {
    /// The results as Markdown tables, one per model: a row per method.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let shares: Vec<String> =
            self.shares.iter().map(|q| format!("{:.0} %", 100.0 * q)).collect();
        for m in &self.models {
            let _ =
                writeln!(out, "### {} ({} documents, {:.0} s)\n", m.model, m.documents, m.seconds);
            let mut header = format!(
                "| method | AOPC zeroed | AOPC removed | AOPC replaced (`{}`) | insertion area |",
                self.replacement
            );
            for q in &shares {
                let _ = write!(header, " compr. {q} | suff. {q} |");
            }
            header.push_str(" τ vs leave-one-out |");
            if m.cue.is_some() {
                header.push_str(" cue mass | cue rank | cue pointing |");
            }
            header.push_str(" ρ after randomising all | ms per document |");
            let columns = header.matches('|').count() - 1;
            let _ = writeln!(out, "{header}\n|{}", "---|".repeat(columns));
            for s in &m.methods {
                let mut row = format!(
                    "| {} | {:.4} | {:.4} | {:.4} | {:.4} |",
                    s.method, s.aopc[0], s.aopc[1], s.aopc[2], s.insertion_area
                );
                for (c, f) in s.comprehensiveness.iter().zip(&s.sufficiency) {
                    let _ = write!(row, " {c:.4} | {f:.4} |");
                }
                let _ = write!(row, " {:.3} |", s.faithfulness_tau);
                if m.cue.is_some() {
                    match &s.cue {
                        Some(c) => {
                            let _ = write!(
                                row,
                                " {:.3} | {:.3} | {:.3} |",
                                c.mass_accuracy, c.rank_accuracy, c.pointing_game
                            );
                        }
                        None => row.push_str(" – | – | – |"),
                    }
                }
                match m
                    .randomisation
                    .iter()
                    .find(|r| r.method == s.method)
                    .and_then(|r| Some((r, r.steps.last()?)))
                {
                    Some((r, last)) => {
                        let _ = write!(
                            row,
                            " {:.3}{} |",
                            last.spearman,
                            if r.flagged { " (flagged)" } else { "" }
                        );
                    }
                    None => row.push_str(" – |"),
                }
                let _ = write!(
                    row,
                    " {:.2} |",
                    1000.0 * s.relevance_seconds / s.documents.max(1) as f64
                );
                let _ = writeln!(out, "{row}");
            }
            out.push('\n');
        }
        out
    }
}
