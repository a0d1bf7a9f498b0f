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
    *REGISTERED.get_or_init(|| plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok())
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
        assert!(save(&dir.path().join("c.jpg"), (8, 6), square, square).unwrap_err().contains(".png or .svg"));
    }
}
