//! Phone videos are stored sideways with a display matrix that says how to turn them upright.
//! Motion vectors and pictures are turned the same way, so that fields, descriptors and
//! heatmaps are in the orientation a player shows.

use serde::Serialize;

/// A clockwise turn by a multiple of 90° (0, 90, 180 or 270 degrees).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DisplayRotation {
    pub clockwise_degrees: u32,
}

impl DisplayRotation {
    /// The turn that FFmpeg's players apply for a stream's 3×3 display matrix (`-θ` of
    /// `av_display_rotation_get`, rounded to the nearest quarter turn).
    pub fn from_display_matrix(matrix: &[i32; 9]) -> Self {
        // SAFETY: av_display_rotation_get reads the nine values of the matrix it is given.
        let counterclockwise =
            unsafe { ffmpeg_next::ffi::av_display_rotation_get(matrix.as_ptr()) };
        if !counterclockwise.is_finite() {
            return DisplayRotation::default();
        }
        let quarter_turns = (-counterclockwise / 90.0).round().rem_euclid(4.0) as u32;
        DisplayRotation { clockwise_degrees: 90 * quarter_turns }
    }

    /// Width and height after the turn, of a `width × height` picture.
    pub fn size(self, (width, height): (usize, usize)) -> (usize, usize) {
        if self.clockwise_degrees % 180 == 90 {
            (height, width)
        } else {
            (width, height)
        }
    }

    /// A point of a `width × height` picture (continuous coordinates) after the turn.
    pub fn point(self, (x, y): (f32, f32), (width, height): (usize, usize)) -> (f32, f32) {
        let (w, h) = (width as f32, height as f32);
        match self.clockwise_degrees {
            90 => (h - y, x),
            180 => (w - x, h - y),
            270 => (y, w - x),
            _ => (x, y),
        }
    }

    /// A displacement after the turn.
    pub fn vector(self, (dx, dy): (f32, f32)) -> (f32, f32) {
        match self.clockwise_degrees {
            90 => (-dy, dx),
            180 => (-dx, -dy),
            270 => (dy, -dx),
            _ => (dx, dy),
        }
    }

    /// A pixel rectangle `((x0, x1), (y0, y1))` (end exclusive) after the turn.
    pub fn rect(
        self,
        ((x0, x1), (y0, y1)): ((i32, i32), (i32, i32)),
        (width, height): (usize, usize),
    ) -> ((i32, i32), (i32, i32)) {
        let (w, h) = (width as i32, height as i32);
        match self.clockwise_degrees {
            90 => ((h - y1, h - y0), (x0, x1)),
            180 => ((w - x1, w - x0), (h - y1, h - y0)),
            270 => ((y0, y1), (w - x1, w - x0)),
            _ => ((x0, x1), (y0, y1)),
        }
    }

    /// A picture after the turn.
    pub fn picture(self, picture: crate::decode::RgbImage) -> crate::decode::RgbImage {
        if self.clockwise_degrees == 0 {
            return picture;
        }
        let (width, height) = self.size((picture.width, picture.height));
        let mut out = crate::decode::RgbImage::filled(width, height, [0, 0, 0]);
        for y in 0..picture.height {
            for x in 0..picture.width {
                // The pixel's centre moves to the centre of its new pixel.
                let (cx, cy) =
                    self.point((x as f32 + 0.5, y as f32 + 0.5), (picture.width, picture.height));
                out.set((cx - 0.5).round() as i64, (cy - 0.5).round() as i64, picture.get(x, y));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::RgbImage;

    const TURNS: [u32; 4] = [0, 90, 180, 270];

    #[test]
    fn rectangles_vectors_and_pictures_turn_together() {
        let size = (5, 3);
        let mut picture = RgbImage::filled(5, 3, [0, 0, 0]);
        for (i, p) in picture.pixels.chunks_mut(3).enumerate() {
            p[0] = i as u8;
        }
        for degrees in TURNS {
            let turn = DisplayRotation { clockwise_degrees: degrees };
            let turned = turn.picture(picture.clone());
            assert_eq!((turned.width, turned.height), turn.size(size));
            for y in 0..3 {
                for x in 0..5 {
                    // The one-pixel rectangle of (x, y) lands on the pixel the picture moved it to.
                    let ((x0, x1), (y0, y1)) = turn.rect(((x, x + 1), (y, y + 1)), size);
                    assert_eq!((x1 - x0, y1 - y0), (1, 1));
                    assert_eq!(
                        turned.get(x0 as usize, y0 as usize),
                        picture.get(x as usize, y as usize),
                        "{degrees}° at ({x}, {y})"
                    );
                }
            }
            // A displacement is the difference of its end points.
            let (a, b) = ((1.0, 0.5), (3.5, 2.0));
            let (ta, tb) = (turn.point(a, size), turn.point(b, size));
            assert_eq!(turn.vector((b.0 - a.0, b.1 - a.1)), (tb.0 - ta.0, tb.1 - ta.1));
        }
    }

    #[test]
    fn display_matrices_give_the_turn_players_apply() {
        // av_display_rotation_set's matrices, 16.16 fixed point: [cos, -sin, 0, sin, cos, 0, 0, 0, 1<<30]
        // for a counterclockwise angle; players turn the picture back clockwise.
        let matrix = |degrees: f64| {
            let (s, c) = degrees.to_radians().sin_cos();
            let f = |v: f64| (v * 65536.0).round() as i32;
            [f(c), f(-s), 0, f(s), f(c), 0, 0, 0, 1 << 30]
        };
        assert_eq!(DisplayRotation::from_display_matrix(&matrix(0.0)).clockwise_degrees, 0);
        assert_eq!(DisplayRotation::from_display_matrix(&matrix(90.0)).clockwise_degrees, 270);
        assert_eq!(DisplayRotation::from_display_matrix(&matrix(-90.0)).clockwise_degrees, 90);
        assert_eq!(DisplayRotation::from_display_matrix(&matrix(180.0)).clockwise_degrees, 180);
        assert_eq!(
            DisplayRotation::from_display_matrix(&[0; 9]).clockwise_degrees,
            0,
            "a degenerate matrix turns nothing"
        );
    }
}
