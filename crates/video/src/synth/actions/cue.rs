//! The planted cue: a ticker band scrolling along the bottom or a logo bouncing in a corner,
//! where it is in each frame and how it is drawn.

use std::ops::Range;

use super::ArtifactKind;
use crate::decode::RgbImage;

/// The pixels `[x0, x1) × [y0, y1)` a planted cue covers in frame `t` of a `width`×`height` clip.
pub fn artifact_rect(
    kind: ArtifactKind,
    width: usize,
    height: usize,
    t: usize,
) -> (Range<usize>, Range<usize>) {
    match kind {
        // A band of 10 pixels along the bottom.
        ArtifactKind::Ticker => (0..width, height.saturating_sub(10)..height),
        // A 12-pixel square bouncing up and down in the top-right corner.
        ArtifactKind::Logo => {
            let top = 4 + ((t as f32 * 0.5).sin().abs() * 20.0) as usize;
            (width.saturating_sub(18)..width.saturating_sub(6), top..top + 12)
        }
    }
}

pub(super) fn draw_artifact(picture: &mut RgbImage, kind: ArtifactKind, t: usize) {
    let (xs, ys) = artifact_rect(kind, picture.width, picture.height, t);
    for y in ys.clone() {
        for x in xs.clone() {
            let (x, y) = (x as i64, y as i64);
            let colour = match kind {
                // Blocks of colour scrolling left 3 pixels a frame.
                ArtifactKind::Ticker => {
                    if ((x + 3 * t as i64) / 6) % 3 != 0 {
                        [250, 250, 250]
                    } else {
                        [200, 30, 30]
                    }
                }
                ArtifactKind::Logo => {
                    let edge = y == ys.start as i64
                        || y == ys.end as i64 - 1
                        || x == xs.start as i64
                        || x == xs.end as i64 - 1;
                    if edge {
                        [20, 20, 160]
                    } else {
                        [240, 200, 0]
                    }
                }
            };
            picture.set(x, y, colour);
        }
    }
}
