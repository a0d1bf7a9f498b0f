//! A motion field on a regular grid of square pixel blocks.

use ndarray::Array2;

/// Per-block displacement in pixels per frame (forward in time), and which blocks had a
/// vector of their own.
#[derive(Clone, Debug, PartialEq)]
pub struct MotionField {
    /// Block side in pixels.
    pub block: usize,
    /// Horizontal displacement, `[rows, cols]`.
    pub dx: Array2<f32>,
    /// Vertical displacement (down is positive), `[rows, cols]`.
    pub dy: Array2<f32>,
    /// Whether a motion vector covered the block.
    pub has_vector: Array2<bool>,
}

impl MotionField {
    /// A zero field for a `width`×`height` picture (the grid covers partial edge blocks).
    pub fn zeros(width: usize, height: usize, block: usize) -> Self {
        let shape = (height.div_ceil(block), width.div_ceil(block));
        MotionField {
            block,
            dx: Array2::zeros(shape),
            dy: Array2::zeros(shape),
            has_vector: Array2::from_elem(shape, false),
        }
    }

    /// Grid rows.
    pub fn rows(&self) -> usize {
        self.dx.nrows()
    }

    /// Grid columns.
    pub fn cols(&self) -> usize {
        self.dx.ncols()
    }

    /// Mean displacement length over the blocks that had a vector (0 when none had).
    pub fn mean_magnitude(&self) -> f32 {
        let (mut sum, mut n) = (0.0, 0usize);
        for ((dx, dy), &has) in self.dx.iter().zip(&self.dy).zip(&self.has_vector) {
            if has {
                sum += dx.hypot(*dy);
                n += 1;
            }
        }
        if n == 0 {
            0.0
        } else {
            sum / n as f32
        }
    }

    /// The same displacements, every block marked as without a vector of its own.
    pub fn carried_over(&self) -> Self {
        MotionField { has_vector: Array2::from_elem(self.dx.raw_dim(), false), ..self.clone() }
    }
}

/// Accumulates displacements of pixel rectangles onto the block grid, weighted by overlap.
pub(crate) struct FieldBuilder {
    width: usize,
    height: usize,
    sum_x: Array2<f32>,
    sum_y: Array2<f32>,
    area: Array2<f32>,
    block: usize,
}

impl FieldBuilder {
    pub(crate) fn new(width: usize, height: usize, block: usize) -> Self {
        let shape = (height.div_ceil(block), width.div_ceil(block));
        FieldBuilder {
            width,
            height,
            sum_x: Array2::zeros(shape),
            sum_y: Array2::zeros(shape),
            area: Array2::zeros(shape),
            block,
        }
    }

    /// Adds displacement `(dx, dy)` over the pixels `[x0, x1) × [y0, y1)` (clipped to the picture).
    pub(crate) fn add(&mut self, (x0, x1): (i32, i32), (y0, y1): (i32, i32), dx: f32, dy: f32) {
        let clip = |v: i32, hi: usize| v.clamp(0, hi as i32) as usize;
        let (x0, x1, y0, y1) = (
            clip(x0, self.width),
            clip(x1, self.width),
            clip(y0, self.height),
            clip(y1, self.height),
        );
        if x0 >= x1 || y0 >= y1 {
            return;
        }
        let b = self.block;
        for row in y0 / b..=(y1 - 1) / b {
            let overlap_y = (y1.min((row + 1) * b) - y0.max(row * b)) as f32;
            for col in x0 / b..=(x1 - 1) / b {
                let a = overlap_y * (x1.min((col + 1) * b) - x0.max(col * b)) as f32;
                self.sum_x[[row, col]] += a * dx;
                self.sum_y[[row, col]] += a * dy;
                self.area[[row, col]] += a;
            }
        }
    }

    /// The field: area-weighted mean displacement per block.
    pub(crate) fn finish(self) -> MotionField {
        let has_vector = self.area.mapv(|a| a > 0.0);
        let mean = |sum: &Array2<f32>| {
            ndarray::Zip::from(sum)
                .and(&self.area)
                .map_collect(|&s, &a| if a > 0.0 { s / a } else { 0.0 })
        };
        MotionField { block: self.block, dx: mean(&self.sum_x), dy: mean(&self.sum_y), has_vector }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_weights_follow_the_covered_area() {
        // 40×20 picture, 16-pixel blocks: 3 columns (the last 8 pixels wide), 2 rows (the last 4 high).
        let mut b = FieldBuilder::new(40, 20, 16);
        b.add((8, 24), (0, 16), 2.0, 0.0); // half in column 0, half in column 1
        b.add((12, 20), (0, 16), -2.0, 4.0); // 4 px in column 0, 4 px in column 1
        b.add((32, 48), (16, 32), 1.0, 1.0); // clipped to 8×4 pixels of block (1, 2)
        let f = b.finish();
        assert_eq!((f.rows(), f.cols()), (2, 3));
        // Column 0: 8×16 px at 2 and 4×16 px at −2 → (128·2 − 64·2) / 192.
        assert!((f.dx[[0, 0]] - 128.0 / 192.0).abs() < 1e-6);
        assert!((f.dy[[0, 0]] - 64.0 * 4.0 / 192.0).abs() < 1e-6);
        assert_eq!(f.dx[[0, 0]], f.dx[[0, 1]]);
        assert_eq!((f.dx[[1, 2]], f.dy[[1, 2]]), (1.0, 1.0));
        assert_eq!(f.has_vector, ndarray::array![[true, true, false], [false, false, true]]);
        assert!(f.dx[[0, 2]] == 0.0 && f.dx[[1, 0]] == 0.0);
    }
}
