//! The deletion curves as a picture: accuracy against words deleted, one line per ranking,
//! for both experiments side by side. PNG or SVG by the file's extension; the font is
//! embedded (DejaVu Sans from `assets/fonts/`), so no system fonts are needed.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::deletion::{DeletionReport, Experiment};
use crate::error::TextError;

/// Line colour per ranking method.
fn colour(method: &str) -> RGBColor {
    match method {
        "lrp" => RGBColor(214, 39, 40),
        "sa" => RGBColor(31, 119, 180),
        _ => RGBColor(90, 90, 90),
    }
}

/// Draws `report` into `path` (`.png` or `.svg`).
pub fn plot_deletion(report: &DeletionReport, path: &Path) -> Result<(), TextError> {
    let fail = |problem: String| TextError::Plot { path: path.to_path_buf(), problem };
    pipeline::figure::save(path, (1200, 500), |root| draw(root, report), |root| draw(root, report)).map_err(fail)
}

fn draw<B: DrawingBackend>(root: DrawingArea<B, Shift>, report: &DeletionReport) -> Result<(), String> {
    let text = |e: DrawingAreaErrorKind<B::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(text)?;
    let panels = root.split_evenly((1, 2));
    let titles = [
        format!("(a) {} correctly classified documents", report.correct.documents),
        format!("(b) {} misclassified documents", report.misclassified.documents),
    ];
    for ((area, experiment), title) in panels.iter().zip([&report.correct, &report.misclassified]).zip(titles) {
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
            .draw_series(LineSeries::new(curve.accuracy.iter().enumerate().map(|(k, &a)| (k as f64, a)), style))?
            .label(format!("{} (area {:.3})", curve.method.to_uppercase(), curve.area))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
    }
    chart
        .configure_series_labels()
        .position(if experiment.curves.first().is_some_and(|c| c.accuracy[0] > 0.5) { SeriesLabelPosition::UpperRight } else { SeriesLabelPosition::LowerRight })
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}
