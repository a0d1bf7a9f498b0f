//! Pictures as files: PNG or SVG by the file's extension, drawn with the embedded font
//! (DejaVu Sans from `assets/fonts/`), so no system fonts are needed.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font with plotters as `sans-serif`, once per process; whether it
/// could be read. Every relvis picture uses this one registration.
pub fn register_font() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok()
    })
}

/// Draws a `size` picture into `path`: `png` draws it on a bitmap, `svg` on an SVG document
/// (the same drawing, given once per backend because plotters' backends are distinct types);
/// what went wrong, in words, otherwise (an extension other than `.png` or `.svg` included).
pub fn save<'a>(
    path: &'a Path,
    size: (u32, u32),
    png: impl FnOnce(DrawingArea<BitMapBackend<'a>, Shift>) -> Result<(), String>,
    svg: impl FnOnce(DrawingArea<SVGBackend<'a>, Shift>) -> Result<(), String>,
) -> Result<(), String> {
    if !register_font() {
        return Err("the embedded font could not be read".into());
    }
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("png") => png(BitMapBackend::new(path, size).into_drawing_area()),
        Some("svg") => svg(SVGBackend::new(path, size).into_drawing_area()),
        _ => Err("the file name must end in .png or .svg".into()),
    }
}

/// Line colour per ranking method (by its name without settings; a second LRP composite in
/// orange).
pub fn method_colour(method: &str) -> RGBColor {
    let name = method.split([' ', ':']).next().unwrap_or(method);
    match name {
        "lrp" if method.contains("zplus") || method.contains("alphabeta") => RGBColor(255, 127, 14),
        "lrp" => RGBColor(214, 39, 40),
        "sa" => RGBColor(31, 119, 180),
        "gxi" => RGBColor(44, 160, 44),
        "ig" => RGBColor(148, 103, 189),
        "smoothgrad" => RGBColor(23, 190, 207),
        "occlusion" => RGBColor(140, 86, 75),
        _ => RGBColor(90, 90, 90),
    }
}

/// One panel of named lines over `x_range`; `y_range` from the lines (and 0) unless given.
pub fn lines_panel<B: DrawingBackend>(
    area: &DrawingArea<B, Shift>,
    title: &str,
    x: &str,
    y: &str,
    x_range: (f64, f64),
    y_range: Option<(f64, f64)>,
    lines: &[(String, Vec<(f64, f64)>)],
) -> Result<(), DrawingAreaErrorKind<B::ErrorType>> {
    let values = || lines.iter().flat_map(|l| l.1.iter().map(|p| p.1)).filter(|v| v.is_finite());
    let (low, high) = y_range
        .unwrap_or_else(|| (values().fold(0.0f64, f64::min), values().fold(0.0f64, f64::max)));
    let high = if high > low { high } else { low + 1.0 };
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 17))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(x_range.0..x_range.1.max(x_range.0 + 1.0), low..high)?;
    chart
        .configure_mesh()
        .x_desc(x)
        .y_desc(y)
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()?;
    for (method, points) in lines {
        let style = method_colour(method).stroke_width(2);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), style))?
            .label(method.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 12))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square<B: DrawingBackend>(root: DrawingArea<B, Shift>) -> Result<(), String> {
        root.fill(&RED).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())
    }

    #[test]
    fn the_extension_picks_the_format() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.png", "b.SVG"] {
            let path = dir.path().join(name);
            save(&path, (8, 6), square, square).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            let png = bytes.starts_with(b"\x89PNG");
            assert_eq!(png, name.ends_with("png"), "{name}");
            assert!(png || String::from_utf8_lossy(&bytes).contains("<svg"), "{name}");
        }
        assert!(save(&dir.path().join("c.jpg"), (8, 6), square, square)
            .unwrap_err()
            .contains(".png or .svg"));
    }
}
