//! Pictures of motion: a frame with its block field drawn as arrows, saved as PNG.

use std::path::Path;

use plotters::prelude::*;

use crate::decode::MotionField;
use crate::decode::RgbImage;
use crate::error::VideoError;

/// Arrow length in pixels per pixel-per-frame of motion (short vectors stay visible).
const ARROW_SCALE: f64 = 3.0;

/// Draws `field` over `picture` (arrows from each block's centre: yellow where the block had a
/// vector, grey where its motion was carried over) and writes a PNG to `path`.
pub fn draw_field_png(
    picture: &RgbImage,
    field: &MotionField,
    path: &Path,
) -> Result<(), VideoError> {
    let fail =
        |e: &dyn std::fmt::Display| VideoError::write(path, std::io::Error::other(e.to_string()));
    let size = (picture.width as u32, picture.height as u32);
    let backend = BitMapBackend::new(path, size);
    let area = backend.into_drawing_area();
    {
        let mut pixels = picture.pixels.clone();
        // Dim the picture so the arrows stand out.
        pixels.iter_mut().for_each(|p| *p = (*p as u16 * 3 / 5) as u8);
        let bitmap: BitMapElement<(i32, i32)> =
            BitMapElement::with_owned_buffer((0, 0), size, pixels)
                .ok_or_else(|| fail(&"picture buffer of the wrong size"))?;
        area.draw(&bitmap).map_err(|e| fail(&e))?;
    }
    let b = field.block as f64;
    for ((r, c), &dx) in field.dx.indexed_iter() {
        let dy = field.dy[[r, c]] as f64;
        let (x0, y0) = (c as f64 * b + b / 2.0, r as f64 * b + b / 2.0);
        let (x1, y1) = (x0 + ARROW_SCALE * dx as f64, y0 + ARROW_SCALE * dy);
        let color =
            if field.has_vector[[r, c]] { RGBColor(255, 220, 0) } else { RGBColor(150, 150, 150) };
        let p = |x: f64, y: f64| (x.round() as i32, y.round() as i32);
        area.draw(&Circle::new(p(x0, y0), 1, color.filled())).map_err(|e| fail(&e))?;
        area.draw(&PathElement::new(vec![p(x0, y0), p(x1, y1)], color.stroke_width(1)))
            .map_err(|e| fail(&e))?;
    }
    area.present().map_err(|e| fail(&e))
}
