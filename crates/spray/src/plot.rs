//! Pictures of an analysis: the eigenvalue spectrum as a bar chart and the 2-D embedding
//! coloured by cluster. PNG or SVG by extension ([`pipeline::figure`]).

use std::path::Path;

use plotters::prelude::*;

use crate::spectral::Analysis;
use crate::SprayError;

/// A colour per cluster (a ten-colour palette, repeated).
pub fn cluster_colour(c: usize) -> RGBColor {
    const PALETTE: [(u8, u8, u8); 10] = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ];
    let (r, g, b) = PALETTE[c % PALETTE.len()];
    RGBColor(r, g, b)
}

fn fail(path: &Path, e: impl std::fmt::Display) -> SprayError {
    SprayError::Invalid(format!("{}: {e}", path.display()))
}

fn backend_for<'a>(
    path: &'a Path,
    size: (u32, u32),
    draw: impl FnOnce(DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>) -> Result<(), String>,
    draw_svg: impl FnOnce(DrawingArea<SVGBackend<'a>, plotters::coord::Shift>) -> Result<(), String>,
) -> Result<(), SprayError> {
    pipeline::figure::save(path, size, draw, draw_svg).map_err(|e| fail(path, e))
}

/// A class's two pictures in `dir`, named after it: `{name}-spectrum.png` and
/// `{name}-embedding.png`; `items` says what the maps are of ("documents", "clips").
pub fn plot_class(a: &Analysis, name: &str, items: &str, dir: &Path) -> Result<(), SprayError> {
    plot_spectrum(
        a,
        &format!("{name}: eigenvalues of L_sym ({} {items})", a.maps),
        &dir.join(format!("{name}-spectrum.png")),
    )?;
    plot_embedding(
        a,
        &format!("{name}: embedding by cluster ({})", a.embedding_method),
        &dir.join(format!("{name}-embedding.png")),
    )
}

/// The smallest eigenvalues as bars, the proposed cut marked.
pub fn plot_spectrum(a: &Analysis, title: &str, path: &Path) -> Result<(), SprayError> {
    backend_for(path, (700, 400), |root| spectrum(root, a, title), |root| spectrum(root, a, title))
}

fn spectrum<B: DrawingBackend>(
    root: DrawingArea<B, plotters::coord::Shift>,
    a: &Analysis,
    title: &str,
) -> Result<(), String> {
    let text = |e: DrawingAreaErrorKind<B::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(text)?;
    let top = a.eigenvalues.iter().fold(1e-6f64, |m, &v| m.max(v)) * 1.1;
    let n = a.eigenvalues.len();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d((1..n + 1).into_segmented(), 0.0..top)
        .map_err(text)?;
    chart
        .configure_mesh()
        .x_desc("eigenvalue index")
        .y_desc("eigenvalue of L_sym")
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(text)?;
    chart
        .draw_series(a.eigenvalues.iter().enumerate().map(|(i, &v)| {
            let colour = if i < a.proposed_clusters {
                RGBColor(214, 39, 40)
            } else {
                RGBColor(120, 120, 120)
            };
            Rectangle::new(
                [(SegmentValue::Exact(i + 1), 0.0), (SegmentValue::Exact(i + 2), v)],
                colour.filled(),
            )
        }))
        .map_err(text)?;
    root.present().map_err(text)
}

/// The 2-D embedding, one dot per map, coloured by cluster.
pub fn plot_embedding(a: &Analysis, title: &str, path: &Path) -> Result<(), SprayError> {
    backend_for(
        path,
        (600, 600),
        |root| embedding(root, a, title),
        |root| embedding(root, a, title),
    )
}

fn embedding<B: DrawingBackend>(
    root: DrawingArea<B, plotters::coord::Shift>,
    a: &Analysis,
    title: &str,
) -> Result<(), String> {
    let text = |e: DrawingAreaErrorKind<B::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(text)?;
    let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
    for p in &a.embedding {
        for d in 0..2 {
            lo[d] = lo[d].min(p[d]);
            hi[d] = hi[d].max(p[d]);
        }
    }
    let pad = |d: usize| ((hi[d] - lo[d]) * 0.05).max(1e-9);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d((lo[0] - pad(0))..(hi[0] + pad(0)), (lo[1] - pad(1))..(hi[1] + pad(1)))
        .map_err(text)?;
    let (x, y) = if a.embedding_method == "t-sne" {
        ("t-SNE 1", "t-SNE 2")
    } else {
        ("eigenvector 2", "eigenvector 3")
    };
    chart
        .configure_mesh()
        .x_desc(x)
        .y_desc(y)
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(text)?;
    chart
        .draw_series(
            a.embedding
                .iter()
                .zip(&a.labels)
                .map(|(p, &l)| Circle::new((p[0], p[1]), 4, cluster_colour(l).filled())),
        )
        .map_err(text)?;
    root.present().map_err(text)
}
