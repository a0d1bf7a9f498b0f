//! The evaluation page for video: per model the table of [`VideoEvaluationReport::table`] with
//! every measure a sortable column, and the deletion, insertion and randomisation curves.

use pipeline::localisation::Localisation;
use viewer::{Better, Chart, Column, EvaluationPage, MethodRow, ModelView};

use crate::evaluate::{VideoEvaluation, VideoEvaluationReport, VideoMethodScores};

/// `report` as the viewer's evaluation page titled `title`.
pub fn evaluation_page(report: &VideoEvaluationReport, title: &str) -> EvaluationPage {
    let settings = vec![
        ("steps".to_string(), report.steps.to_string()),
        ("block cells by the last step".to_string(), format!("{:.1} %", 100.0 * report.fraction)),
    ];
    EvaluationPage {
        title: title.to_string(),
        item_name: "clip".into(),
        settings,
        models: report.models.iter().map(|m| model_view(m, report)).collect(),
    }
}

fn model_view(m: &VideoEvaluation, report: &VideoEvaluationReport) -> ModelView {
    use Better::{Higher, Lower, NearZero};
    let (figure, cue) =
        (m.methods.iter().any(|s| s.figure.is_some()), m.methods.iter().any(|s| s.cue.is_some()));
    let mut columns = vec![
        Column::new("AOPC removed", "mean drop of the class score over the deletion curve, motion removed", Higher, 4),
        Column::new("AOPC imputed", "mean drop of the class score over the deletion curve, motion filled in from the neighbours", Higher, 4),
        Column::new("insertion area", "mean class score over the insertion curve from the motionless clip", Higher, 4),
    ];
    if figure {
        columns.push(Column::new(
            "figure mass",
            "share of the positive relevance on the figure's mask",
            Higher,
            3,
        ));
        columns.push(Column::new(
            "figure rank",
            "share of the mask's blocks among the top-ranked as many",
            Higher,
            3,
        ));
        columns.push(Column::new(
            "figure pointing",
            "share of clips whose most relevant block is on the figure",
            Higher,
            3,
        ));
    }
    if cue {
        columns.push(Column::new(
            "cue mass",
            "share of the positive relevance on the planted cue",
            Higher,
            3,
        ));
        columns.push(Column::new(
            "cue pointing",
            "share of clips whose most relevant block is on the cue",
            Higher,
            3,
        ));
    }
    let cascade: Vec<Vec<String>> = m
        .randomisation
        .first()
        .map(|r| r.steps.iter().map(|s| s.randomised.clone()).collect())
        .unwrap_or_default();
    for (k, parts) in cascade.iter().enumerate() {
        let name = format!(
            "ρ after {}{}",
            if k == 0 { "" } else { "+" },
            parts.last().map_or("", String::as_str)
        );
        columns.push(Column::new(name, format!("Spearman ρ with the trained model's explanations once {} randomised (near 0: the explanation follows the model)", parts.join(" and ")), NearZero, 3));
    }
    columns.push(Column::new(
        "IG error / gap",
        "Integrated Gradients: mean |Σ R − (f(x) − f(x'))| over the mean |f(x) − f(x')|",
        Lower,
        4,
    ));
    columns.push(Column::new("s per clip", "time to compute the relevance", Lower, 3));
    let rows = m
        .methods
        .iter()
        .map(|s| {
            let mut values = vec![Some(s.aopc[0]), Some(s.aopc[1]), Some(s.insertion_area)];
            let localisation = |l: &Option<Localisation>| {
                l.as_ref().map(|l| [l.mass_accuracy, l.rank_accuracy, l.pointing_game])
            };
            if figure {
                values.extend(localisation(&s.figure).map_or([None; 3], |v| v.map(Some)));
            }
            if cue {
                values.extend(
                    localisation(&s.cue)
                        .map_or([None; 2], |[mass, _, pointing]| [Some(mass), Some(pointing)]),
                );
            }
            let randomised = m.randomisation.iter().find(|r| r.method == s.method);
            values.extend(
                (0..cascade.len())
                    .map(|k| randomised.and_then(|r| r.steps.get(k)).map(|step| step.spearman)),
            );
            values.push(s.completeness.map(|[error, gap]| error / gap.max(1e-12)));
            values.push(Some(s.relevance_seconds / s.clips.max(1) as f64));
            MethodRow::new(&s.method, values, randomised.is_some_and(|r| r.flagged))
        })
        .collect();
    let percent = 100.0 * report.fraction;
    let curve = |title: &str, x_label: &str, of: fn(&VideoMethodScores) -> &Vec<f64>| Chart {
        title: title.into(),
        x_label: x_label.into(),
        y_label: "mean class score".into(),
        x: (0..=report.steps).map(|k| k as f64 * percent / report.steps as f64).collect(),
        x_names: None,
        lines: m.methods.iter().map(|s| (s.method.clone(), of(s).clone())).collect(),
    };
    let mut charts = vec![
        curve("Deletion, motion removed", "block cells deleted (%)", |s| &s.deletion),
        curve("Deletion, imputed from neighbours", "block cells deleted (%)", |s| {
            &s.deletion_imputed
        }),
        curve("Insertion", "block cells given their motion (%)", |s| &s.insertion),
    ];
    charts.extend(Chart::randomisation(&m.randomisation));
    ModelView { name: m.model.clone(), inputs: m.clips, seconds: m.seconds, columns, rows, charts }
}
