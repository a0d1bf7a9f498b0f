//! Pictures of an explanation: block relevance over the decoded frame (red for, blue
//! against the class) and a montage of frames.

use std::path::Path;

use ndarray::ArrayView2;
use plotters::prelude::*;

use crate::decode::RgbImage;
use crate::error::VideoError;

fn plot_error(path: &Path, e: impl std::fmt::Display) -> VideoError {
    VideoError::write(path, std::io::Error::other(e.to_string()))
}

/// `picture` with block relevance laid over it: each block tinted red (positive) or blue
/// (negative) with opacity |R| / `max_abs` (at most 0.75); the picture is turned grey first.
pub fn overlay(
    picture: &RgbImage,
    relevance: ArrayView2<f32>,
    block: usize,
    max_abs: f32,
) -> RgbImage {
    let mut out = picture.clone();
    let row_bytes = picture.width * 3;
    for (y, (line, source)) in out
        .pixels
        .chunks_exact_mut(row_bytes)
        .zip(picture.pixels.chunks_exact(row_bytes))
        .enumerate()
    {
        for (bx, (cells, pixels)) in
            line.chunks_mut(block * 3).zip(source.chunks(block * 3)).enumerate()
        {
            // One block's tint and opacity for its run of pixels in this row.
            let v = relevance.get((y / block, bx)).copied().unwrap_or(0.0);
            let a = if max_abs > 0.0 { (v.abs() / max_abs).min(1.0) * 0.75 } else { 0.0 };
            let tint = if v >= 0.0 { [230.0, 30.0, 30.0] } else { [30.0, 60.0, 230.0] };
            let tinted = tint.map(|c: f32| c * a);
            for (cell, pixel) in cells.chunks_exact_mut(3).zip(pixels.chunks_exact(3)) {
                let grey =
                    (0.3 * pixel[0] as f32 + 0.59 * pixel[1] as f32 + 0.11 * pixel[2] as f32) * 0.8;
                // Both terms are non-negative and at most 255 together: `+ 0.5` then truncation rounds.
                for (c, t) in cell.iter_mut().zip(tinted) {
                    *c = (grey * (1.0 - a) + t + 0.5) as u8;
                }
            }
        }
    }
    out
}

/// Pictures of one size side by side, with a 4-pixel white gap.
pub fn montage(pictures: &[RgbImage]) -> Option<RgbImage> {
    pictures.first()?;
    let gap = 4;
    let width = pictures.iter().map(|p| p.width).sum::<usize>() + gap * (pictures.len() - 1);
    let height = pictures.iter().map(|p| p.height).max()?;
    let mut out = RgbImage::filled(width, height, [255, 255, 255]);
    let mut left = 0;
    for p in pictures {
        for y in 0..p.height {
            for x in 0..p.width {
                out.set((left + x) as i64, y as i64, p.get(x, y));
            }
        }
        left += p.width + gap;
    }
    Some(out)
}

/// Writes `picture` as a PNG.
pub fn save_png(picture: &RgbImage, path: &Path) -> Result<(), VideoError> {
    let size = (picture.width as u32, picture.height as u32);
    let area = BitMapBackend::new(path, size).into_drawing_area();
    let bitmap: BitMapElement<(i32, i32)> =
        BitMapElement::with_owned_buffer((0, 0), size, picture.pixels.clone())
            .ok_or_else(|| plot_error(path, "picture buffer of the wrong size"))?;
    area.draw(&bitmap).map_err(|e| plot_error(path, e))?;
    area.present().map_err(|e| plot_error(path, e))
}
