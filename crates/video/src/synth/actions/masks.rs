//! The figure's per-frame masks on disk: one binary PBM (P4) image per frame, concatenated.

use std::io::Write;
use std::path::Path;

use crate::error::VideoError;

/// Writes masks as one binary PBM (P4) image per frame, concatenated (netpbm allows several
/// images in a file).
pub(super) fn write_masks(
    path: &Path,
    masks: &[Vec<bool>],
    width: usize,
    height: usize,
) -> Result<(), VideoError> {
    let mut bytes = Vec::new();
    for mask in masks {
        write!(bytes, "P4\n{width} {height}\n").expect("writing to memory");
        for row in mask.chunks(width) {
            for chunk in row.chunks(8) {
                bytes.push(
                    chunk.iter().enumerate().fold(0u8, |b, (i, &on)| b | (u8::from(on) << (7 - i))),
                );
            }
        }
    }
    std::fs::write(path, bytes).map_err(|e| VideoError::write(path, e))
}

/// Reads the per-frame masks written with a clip: `(width, height, masks)`.
pub fn read_masks(path: &Path) -> Result<(usize, usize, Vec<Vec<bool>>), VideoError> {
    let bytes = std::fs::read(path).map_err(|e| VideoError::read(path, e))?;
    let bad = |why: &str| {
        VideoError::Invalid(format!("{}: not a relvis mask file ({why})", path.display()))
    };
    let (mut at, mut size, mut masks) = (0usize, (0, 0), Vec::new());
    while at < bytes.len() {
        let header_end = bytes[at..]
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .nth(1)
            .map(|(i, _)| at + i + 1)
            .ok_or_else(|| bad("header"))?;
        let header = std::str::from_utf8(&bytes[at..header_end]).map_err(|_| bad("header"))?;
        let mut words = header.split_whitespace();
        if words.next() != Some("P4") {
            return Err(bad("magic"));
        }
        let mut number =
            || words.next().and_then(|w| w.parse::<usize>().ok()).ok_or_else(|| bad("size"));
        let (w, h) = (number()?, number()?);
        size = (w, h);
        let row_bytes = w.div_ceil(8);
        let data =
            bytes.get(header_end..header_end + row_bytes * h).ok_or_else(|| bad("truncated"))?;
        masks.push(
            (0..h)
                .flat_map(|y| {
                    (0..w).map(move |x| data[y * row_bytes + x / 8] >> (7 - x % 8) & 1 == 1)
                })
                .collect(),
        );
        at = header_end + row_bytes * h;
    }
    Ok((size.0, size.1, masks))
}
