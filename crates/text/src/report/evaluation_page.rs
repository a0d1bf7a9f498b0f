//! The evaluation page for text: per model the table of [`EvaluationReport::table`] with every
//! measure a sortable column, and the deletion, insertion and randomisation curves.

use viewer::{Better, Chart, Column, EvaluationPage, MethodRow, ModelView};

use crate::evaluate::MethodScores;
use crate::evaluate::{EvaluationReport, ModelEvaluation};

/// `report` as the viewer's evaluation page titled `title`.
pub fn evaluation_page(report: &EvaluationReport, title: &str) -> EvaluationPage {
    let settings = vec![
        ("steps".to_string(), report.steps.to_string()),
        ("replacement".to_string(), format!("`{}`", report.replacement)),
        (
            "shares".to_string(),
            report
                .shares
                .iter()
                .map(|q| format!("{:.0} %", 100.0 * q))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    EvaluationPage {
        title: title.to_string(),
        item_name: "document".into(),
        settings,
        models: report.models.iter().map(|m| model_view(m, report)).collect(),
    }
}

fn model_view(m: &ModelEvaluation, report: &EvaluationReport) -> ModelView {
    use Better::{Higher, Lower, NearZero};
    let mut columns = vec![
        Column::new(
            "AOPC zeroed",
            "mean drop of p over the deletion curve, words' embeddings zeroed",
            Higher,
            4,
        ),
        Column::new(
            "AOPC removed",
            "mean drop of p over the deletion curve, words removed",
            Higher,
            4,
        ),
        Column::new(
            format!("AOPC replaced (`{}`)", report.replacement),
            "mean drop of p over the deletion curve, words replaced by a neutral word",
            Higher,
            4,
        ),
        Column::new(
            "insertion area",
            "mean p over the insertion curve from the empty document",
            Higher,
            4,
        ),
    ];
    for q in &report.shares {
        let share = format!("{:.0} %", 100.0 * q);
        columns.push(Column::new(
            format!("compr. {share}"),
            format!("p(x) − p(x without the top {share} of the words)"),
            Higher,
            4,
        ));
        columns.push(Column::new(
            format!("suff. {share}"),
            format!("p(x) − p(the top {share} of the words only)"),
            Lower,
            4,
        ));
    }
    columns.push(Column::new(
        "τ vs leave-one-out",
        "Kendall τ-b of the words' relevance with their leave-one-out drops",
        Higher,
        3,
    ));
    if m.cue.is_some() {
        columns.push(Column::new(
            "cue mass",
            "share of the positive relevance on the planted cue",
            Higher,
            3,
        ));
        columns.push(Column::new(
            "cue rank",
            "share of the cue's words among the top-ranked as many",
            Higher,
            3,
        ));
        columns.push(Column::new(
            "cue pointing",
            "share of documents whose most relevant word is the cue",
            Higher,
            3,
        ));
    }
    columns.push(Column::new("ρ after randomising all", "Spearman ρ with the trained model's explanations once every layer is randomised (near 0: the explanation follows the model)", NearZero, 3));
    columns.push(Column::new("ms per document", "time to compute the relevance", Lower, 2));
    let rows = m
        .methods
        .iter()
        .map(|s| {
            let mut values: Vec<Option<f64>> =
                vec![Some(s.aopc[0]), Some(s.aopc[1]), Some(s.aopc[2]), Some(s.insertion_area)];
            for (c, f) in s.comprehensiveness.iter().zip(&s.sufficiency) {
                values.extend([Some(*c), Some(*f)]);
            }
            values.push(Some(s.faithfulness_tau));
            if m.cue.is_some() {
                values.extend(match &s.cue {
                    Some(c) => {
                        [Some(c.mass_accuracy), Some(c.rank_accuracy), Some(c.pointing_game)]
                    }
                    None => [None; 3],
                });
            }
            let randomised = m.randomisation.iter().find(|r| r.method == s.method);
            values.push(randomised.and_then(|r| r.steps.last()).map(|step| step.spearman));
            values.push(Some(1000.0 * s.relevance_seconds / s.documents.max(1) as f64));
            MethodRow::new(&s.method, values, randomised.is_some_and(|r| r.flagged))
        })
        .collect();
    let curve = |title: &str, x_label: &str, of: fn(&MethodScores) -> &Vec<f64>| Chart {
        title: title.into(),
        x_label: x_label.into(),
        y_label: "probability".into(),
        x: (0..=report.steps).map(|k| k as f64).collect(),
        x_names: None,
        lines: m.methods.iter().map(|s| (s.method.clone(), of(s).clone())).collect(),
    };
    let mut charts = vec![
        curve("Deletion, zeroed", "words deleted", |s| &s.deletion),
        curve("Deletion, removed", "words deleted", |s| &s.deletion_removed),
        curve("Deletion, replaced", "words deleted", |s| &s.deletion_replaced),
        curve("Insertion", "words inserted", |s| &s.insertion),
    ];
    charts.extend(Chart::randomisation(&m.randomisation));
    ModelView {
        name: m.model.clone(),
        inputs: m.documents,
        seconds: m.seconds,
        columns,
        rows,
        charts,
    }
}
