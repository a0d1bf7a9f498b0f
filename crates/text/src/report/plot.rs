//! The evaluations as pictures: the deletion experiment's accuracy against words deleted, one
//! line per ranking, both experiments side by side; and the method comparison's curves (three
//! deletion curves, insertion, randomisation), a row per model. PNG or SVG by the file's
//! extension; the font is embedded (DejaVu Sans from `assets/fonts/`), so no system fonts are
//! needed.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use pipeline::figure::{lines_panel, method_colour as colour};

use crate::error::TextError;
use crate::evaluate::EvaluationReport;
use crate::evaluate::MethodScores;
use crate::evaluate::{DeletionReport, Experiment};

/// A curve's title and where a method's scores keep it.
type Curve = (&'static str, fn(&MethodScores) -> &Vec<f64>);

/// Draws the method comparison into `path` (`.png` or `.svg`): per model, the mean explained
/// class probability along the three deletion curves and the insertion curve, and the
/// randomisation test's ρ per step.
pub fn plot_evaluation(report: &EvaluationReport, path: &Path) -> Result<(), TextError> {
    let fail = |problem: String| TextError::Plot { path: path.to_path_buf(), problem };
    let size = (2000, 420 * report.models.len().max(1) as u32);
    pipeline::figure::save(
        path,
        size,
        |root| draw_evaluation(root, report),
        |root| draw_evaluation(root, report),
    )
    .map_err(fail)
}

fn draw_evaluation<B: DrawingBackend>(
    root: DrawingArea<B, Shift>,
    report: &EvaluationReport,
) -> Result<(), String> {
    let text = |e: DrawingAreaErrorKind<B::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(text)?;
    let rows = root.split_evenly((report.models.len().max(1), 5));
    for (m, model) in report.models.iter().enumerate() {
        let curves: [Curve; 4] = [
            ("deletion, zeroed", |s| &s.deletion),
            ("deletion, removed", |s| &s.deletion_removed),
            ("deletion, replaced", |s| &s.deletion_replaced),
            ("insertion", |s| &s.insertion),
        ];
        for (c, (title, curve)) in curves.into_iter().enumerate() {
            let lines: Vec<(String, Vec<(f64, f64)>)> = model
                .methods
                .iter()
                .map(|s| {
                    (
                        s.method.clone(),
                        curve(s).iter().enumerate().map(|(k, &p)| (k as f64, p)).collect(),
                    )
                })
                .collect();
            let x = if c == 3 { "words inserted" } else { "words deleted" };
            lines_panel(
                &rows[m * 5 + c],
                &format!("{}: {title}", model.model),
                x,
                "probability",
                (0.0, report.steps as f64),
                Some((0.0, 1.0)),
                &lines,
            )
            .map_err(text)?;
        }
        let lines: Vec<(String, Vec<(f64, f64)>)> = model
            .randomisation
            .iter()
            .map(|r| {
                (
                    r.method.clone(),
                    std::iter::once((0.0, 1.0))
                        .chain(
                            r.steps
                                .iter()
                                .enumerate()
                                .map(|(s, step)| ((s + 1) as f64, step.spearman)),
                        )
                        .collect(),
                )
            })
            .collect();
        lines_panel(
            &rows[m * 5 + 4],
            "randomised: 1 dense, 2 +conv, 3 +embedding",
            "layers randomised",
            "Spearman ρ",
            (0.0, 3.0),
            Some((-1.0, 1.0)),
            &lines,
        )
        .map_err(text)?;
    }
    root.present().map_err(text)
}

/// Draws `report` into `path` (`.png` or `.svg`).
pub fn plot_deletion(report: &DeletionReport, path: &Path) -> Result<(), TextError> {
    let fail = |problem: String| TextError::Plot { path: path.to_path_buf(), problem };
    pipeline::figure::save(path, (1200, 500), |root| draw(root, report), |root| draw(root, report))
        .map_err(fail)
}

fn draw<B: DrawingBackend>(
    root: DrawingArea<B, Shift>,
    report: &DeletionReport,
) -> Result<(), String> {
    let text = |e: DrawingAreaErrorKind<B::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(text)?;
    let panels = root.split_evenly((1, 2));
    let titles = [
        format!("(a) {} correctly classified documents", report.correct.documents),
        format!("(b) {} misclassified documents", report.misclassified.documents),
    ];
    for ((area, experiment), title) in
        panels.iter().zip([&report.correct, &report.misclassified]).zip(titles)
    {
        panel(area, experiment, &title, report.steps).map_err(text)?;
    }
    root.present().map_err(text)
}

fn panel<B: DrawingBackend>(
    area: &DrawingArea<B, Shift>,
    experiment: &Experiment,
    title: &str,
    steps: usize,
) -> Result<(), DrawingAreaErrorKind<B::ErrorType>> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..steps.max(1) as f64, 0f64..1f64)?;
    chart
        .configure_mesh()
        .x_desc("words deleted")
        .x_label_formatter(&|k| format!("{k:.0}"))
        .y_desc("accuracy")
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 16))
        .draw()?;
    for curve in &experiment.curves {
        let style = colour(&curve.method).stroke_width(3);
        chart
            .draw_series(LineSeries::new(
                curve.accuracy.iter().enumerate().map(|(k, &a)| (k as f64, a)),
                style,
            ))?
            .label(format!("{} (area {:.3})", curve.method.to_uppercase(), curve.area))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
    }
    chart
        .configure_series_labels()
        .position(if experiment.curves.first().is_some_and(|c| c.accuracy[0] > 0.5) {
            SeriesLabelPosition::UpperRight
        } else {
            SeriesLabelPosition::LowerRight
        })
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}
