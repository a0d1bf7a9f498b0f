//! Charts: the per-frame relevance curve with frame types marked, deletion and insertion
//! curves, SpRAy's cluster maps and the method comparison. PNG or SVG by extension; the font
//! is embedded (DejaVu Sans from `assets/fonts/`), so no system fonts are needed.

use std::path::Path;

use crate::decode::RgbImage;
use crate::report::save_png;
use plotters::prelude::*;

use crate::error::VideoError;
use crate::evaluate::VideoMethodScores;

/// A curve's title and where a method's scores keep it.
type Curve = (&'static str, fn(&VideoMethodScores) -> &Vec<f64>);

fn plot_error(path: &Path, e: impl std::fmt::Display) -> VideoError {
    VideoError::write(path, std::io::Error::other(e.to_string()))
}

/// Relevance summed over consecutive bins of `size` frames (the last bin may be shorter).
pub fn binned(per_frame: &[f32], size: usize) -> Vec<f32> {
    per_frame.chunks(size.max(1)).map(|bin| bin.iter().sum()).collect()
}

/// The relevance curve of a clip, as Samek et al. (2017, Fig. 2C) show it: relevance summed
/// over bins of `frames_per_bin` frames as bars, the per-frame relevance as a thin line on top,
/// and the frame types as a strip along the bottom (I red, P blue, B grey; one pixel column per
/// frame or wider, so that long clips stay readable). `.png` or `.svg`.
pub fn plot_frame_relevance(
    per_frame: &[f32],
    kinds: &[char],
    frames_per_bin: usize,
    title: &str,
    path: &Path,
) -> Result<(), VideoError> {
    let bin = frames_per_bin.max(1);
    pipeline::figure::save(
        path,
        (1000, 420),
        |root| curve(root, per_frame, kinds, bin, title),
        |root| curve(root, per_frame, kinds, bin, title),
    )
    .map_err(|e| plot_error(path, e))
}

fn curve<B: DrawingBackend>(
    root: DrawingArea<B, plotters::coord::Shift>,
    per_frame: &[f32],
    kinds: &[char],
    bin: usize,
    title: &str,
) -> Result<(), String> {
    let text = |e: DrawingAreaErrorKind<B::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(text)?;
    let bins: Vec<f32> = binned(per_frame, bin);
    let (lo, hi) =
        bins.iter().chain(per_frame).fold((0f32, 0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let pad = ((hi - lo) * 0.1).max(1e-6);
    let n = per_frame.len().max(1);
    let caption = if bin > 1 {
        format!("{title}: per {bin} frames (bars) and per frame (line)")
    } else {
        format!("{title}: per frame")
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f32..n as f32, (lo - 2.5 * pad)..(hi + pad))
        .map_err(text)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc("frame")
        .y_desc("relevance")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(text)?;
    if bin > 1 {
        chart
            .draw_series(bins.iter().enumerate().map(|(b, &v)| {
                let (x0, x1) = ((b * bin) as f32, ((b + 1) * bin).min(n) as f32);
                let colour = if v >= 0.0 {
                    RGBColor(214, 39, 40).mix(0.45)
                } else {
                    RGBColor(31, 119, 180).mix(0.45)
                };
                Rectangle::new([(x0, 0.0), (x1, v)], colour.filled())
            }))
            .map_err(text)?;
    }
    chart
        .draw_series(LineSeries::new(
            per_frame.iter().enumerate().map(|(i, &v)| (i as f32 + 0.5, v)),
            RGBColor(40, 40, 40).stroke_width(1),
        ))
        .map_err(text)?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (n as f32, 0.0)], BLACK.mix(0.4)))
        .map_err(text)?;
    // The frame-type strip: one band below the curve, a rectangle per frame.
    let (top, bottom) = (lo - 1.5 * pad, lo - 2.3 * pad);
    chart
        .draw_series(kinds.iter().enumerate().map(|(i, k)| {
            let colour = match k {
                'I' => RGBColor(214, 39, 40),
                'P' => RGBColor(31, 119, 180),
                _ => RGBColor(190, 190, 190),
            };
            Rectangle::new([(i as f32, top), (i as f32 + 1.0, bottom)], colour.filled())
        }))
        .map_err(text)?;
    root.present().map_err(text)
}

/// Mean class score against the share of block cells whose motion was removed, one line per
/// ordering (`.png` or `.svg`).
pub fn plot_perturbation(
    curves: &[crate::evaluate::PerturbationCurve],
    fraction: f64,
    path: &Path,
) -> Result<(), VideoError> {
    pipeline::figure::save(
        path,
        (800, 500),
        |root| perturbation_chart(root, curves, fraction),
        |root| perturbation_chart(root, curves, fraction),
    )
    .map_err(|e| plot_error(path, e))
}

fn perturbation_chart<B: DrawingBackend>(
    root: DrawingArea<B, plotters::coord::Shift>,
    curves: &[crate::evaluate::PerturbationCurve],
    fraction: f64,
) -> Result<(), String> {
    let text = |e: DrawingAreaErrorKind<B::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(text)?;
    let (lo, hi) = curves
        .iter()
        .flat_map(|c| &c.scores)
        .fold((0f32, 0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let pad = ((hi - lo) * 0.05).max(1e-6);
    let mut chart = ChartBuilder::on(&root)
        .caption("class score as the most relevant blocks lose their motion", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f32..(100.0 * fraction) as f32, (lo - pad)..(hi + pad))
        .map_err(text)?;
    chart
        .configure_mesh()
        .x_desc("block cells removed (%)")
        .y_desc("mean class score")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(text)?;
    for c in curves {
        let colour = match c.order.as_str() {
            "lrp" => RGBColor(214, 39, 40),
            "gradient×input" => RGBColor(31, 119, 180),
            _ => RGBColor(90, 90, 90),
        };
        let steps = (c.scores.len() - 1).max(1) as f32;
        chart
            .draw_series(LineSeries::new(
                c.scores
                    .iter()
                    .enumerate()
                    .map(|(k, &s)| (k as f32 / steps * 100.0 * fraction as f32, s)),
                colour.stroke_width(2),
            ))
            .map_err(text)?
            .label(format!("{} (AOPC {:.3})", c.order, c.aopc))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(text)?;
    root.present().map_err(text)
}

/// Each cluster's mean pooled map `[t, h, w]` as a row of `t` heatmaps (red positive, blue
/// negative, scaled by the largest |value| over all clusters), one row per cluster, as PNG.
pub fn plot_cluster_maps(means: &[ndarray::Array3<f64>], path: &Path) -> Result<(), VideoError> {
    let Some(first) = means.first() else { return Ok(()) };
    let (t, h, w) = first.dim();
    let cell = 12usize;
    let gap = 6usize;
    let width = t * (w * cell + gap);
    let height = means.len() * (h * cell + gap);
    let max = means.iter().flat_map(|m| m.iter()).fold(0f64, |m, v| m.max(v.abs())).max(1e-12);
    let mut picture = RgbImage::filled(width, height, [255, 255, 255]);
    for (c, mean) in means.iter().enumerate() {
        for ((ti, r, col), &v) in mean.indexed_iter() {
            let a = (v.abs() / max).min(1.0);
            let colour = if v >= 0.0 {
                [255, (255.0 * (1.0 - a)) as u8, (255.0 * (1.0 - a)) as u8]
            } else {
                [(255.0 * (1.0 - a)) as u8, (255.0 * (1.0 - a)) as u8, 255]
            };
            let (x0, y0) = (ti * (w * cell + gap) + col * cell, c * (h * cell + gap) + r * cell);
            for y in y0..y0 + cell {
                for x in x0..x0 + cell {
                    picture.set(x as i64, y as i64, colour);
                }
            }
        }
    }
    save_png(&picture, path)
}

/// The method comparison as a picture (`.png` or `.svg`): per model, the mean class score
/// along both deletion curves and the insertion curve, and the randomisation test's ρ.
pub fn plot_evaluation(
    report: &crate::evaluate::VideoEvaluationReport,
    path: &Path,
) -> Result<(), VideoError> {
    let size = (1700, 420 * report.models.len().max(1) as u32);
    pipeline::figure::save(
        path,
        size,
        |root| evaluation_chart(root, report),
        |root| evaluation_chart(root, report),
    )
    .map_err(|e| plot_error(path, e))
}

fn evaluation_chart<B: DrawingBackend>(
    root: DrawingArea<B, plotters::coord::Shift>,
    report: &crate::evaluate::VideoEvaluationReport,
) -> Result<(), String> {
    use pipeline::figure::lines_panel;
    let text = |e: DrawingAreaErrorKind<B::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(text)?;
    let rows = root.split_evenly((report.models.len().max(1), 4));
    let percent = 100.0 * report.fraction;
    for (m, model) in report.models.iter().enumerate() {
        let curves: [Curve; 3] = [
            ("deletion, motion removed", |s| &s.deletion),
            ("deletion, imputed from neighbours", |s| &s.deletion_imputed),
            ("insertion", |s| &s.insertion),
        ];
        for (c, (title, curve)) in curves.into_iter().enumerate() {
            let lines: Vec<(String, Vec<(f64, f64)>)> = model
                .methods
                .iter()
                .map(|s| {
                    (
                        s.method.clone(),
                        curve(s)
                            .iter()
                            .enumerate()
                            .map(|(k, &v)| (k as f64 * percent / report.steps as f64, v))
                            .collect(),
                    )
                })
                .collect();
            let x = if c == 2 {
                "block cells given their motion (%)"
            } else {
                "block cells deleted (%)"
            };
            lines_panel(
                &rows[m * 4 + c],
                &format!("{}: {title}", model.model),
                x,
                "mean class score",
                (0.0, percent),
                None,
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
            &rows[m * 4 + 3],
            "randomised: 1 SVM, 2 +mixture means",
            "steps randomised",
            "Spearman ρ",
            (0.0, 2.0),
            Some((-1.0, 1.0)),
            &lines,
        )
        .map_err(text)?;
    }
    root.present().map_err(text)
}
