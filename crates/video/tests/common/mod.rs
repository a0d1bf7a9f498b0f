//! Pictures with known motion for the motion tests.

use video::{MotionField, RgbImage};

/// Value noise on a 4-pixel lattice (splitmix64 of the lattice point: no structure along
/// either axis) seen through a window at `(ox, oy)`: moving the window by −d moves the
/// content by +d.
pub fn textured(width: usize, height: usize, ox: i64, oy: i64) -> RgbImage {
    let lattice = |x: i64, y: i64| -> f32 {
        let mut h = (x as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            ^ (y as u64).wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^= h >> 31;
        (h >> 40) as f32 / (1u64 << 24) as f32
    };
    let mut image = RgbImage::filled(width, height, [0, 0, 0]);
    for y in 0..height as i64 {
        for x in 0..width as i64 {
            let (sx, sy) = (x + ox, y + oy);
            let (cx, cy) = (sx.div_euclid(4), sy.div_euclid(4));
            let (fx, fy) = (sx.rem_euclid(4) as f32 / 4.0, sy.rem_euclid(4) as f32 / 4.0);
            let top = lattice(cx, cy) * (1.0 - fx) + lattice(cx + 1, cy) * fx;
            let bottom = lattice(cx, cy + 1) * (1.0 - fx) + lattice(cx + 1, cy + 1) * fx;
            let v = (top * (1.0 - fy) + bottom * fy) * 255.0;
            image.set(x, y, [v as u8, (255.0 - v) as u8, (v * 0.5) as u8]);
        }
    }
    image
}

pub fn median(mut v: Vec<f32>) -> f32 {
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

/// The displacements of the interior blocks that had a vector, `(dx, dy)` (the border blocks
/// see content enter the picture).
pub fn interior(field: &MotionField) -> (Vec<f32>, Vec<f32>) {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for r in 1..field.rows().saturating_sub(1) {
        for c in 1..field.cols().saturating_sub(1) {
            if field.has_vector[[r, c]] {
                xs.push(field.dx[[r, c]]);
                ys.push(field.dy[[r, c]]);
            }
        }
    }
    (xs, ys)
}
