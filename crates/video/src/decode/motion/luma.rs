//! Luma planes of decoded pictures, sampled between pixels, for telling which reference a
//! vector points into.

/// An 8-bit luma plane.
pub(crate) struct Luma {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) pixels: Vec<u8>,
}

impl Luma {
    fn at(&self, x: i32, y: i32) -> f32 {
        let x = x.clamp(0, self.width as i32 - 1) as usize;
        let y = y.clamp(0, self.height as i32 - 1) as usize;
        f32::from(self.pixels[y * self.width + x])
    }

    /// Mean absolute difference between this picture's pixels in `rect` and `reference`'s
    /// displaced by `(mx, my)`: `(1/n) Σ |I(x, y) − R(x + mx, y + my)|`, over a 4 × 4 lattice
    /// of the block's pixels (blocks are 8 or 16 pixels wide); `None` when `rect` lies outside
    /// the picture. The sum stops once it passes `give_up` times the samples (the caller no
    /// longer needs the exact value then) and gives what it has, at least `give_up`. The
    /// displacement is the same for every pixel, so the bilinear weights are computed once;
    /// samples inside the reference skip the edge clamping.
    pub(crate) fn difference(
        &self,
        reference: &Luma,
        ((x0, x1), (y0, y1)): ((i32, i32), (i32, i32)),
        (mx, my): (f32, f32),
        give_up: f32,
    ) -> Option<f32> {
        let (x0, x1) = (x0.max(0), x1.min(self.width as i32));
        let (y0, y1) = (y0.max(0), y1.min(self.height as i32));
        if x0 >= x1 || y0 >= y1 {
            return None;
        }
        let (ix, iy) = (mx.floor(), my.floor());
        let (fx, fy) = (mx - ix, my - iy);
        let (ix, iy) = (ix as i32, iy as i32);
        let weights = [(1.0 - fx) * (1.0 - fy), fx * (1.0 - fy), (1.0 - fx) * fy, fx * fy];
        let inside = x0 + ix >= 0
            && y0 + iy >= 0
            && x1 + ix < reference.width as i32
            && y1 + iy < reference.height as i32;
        let (step_x, step_y) = (((x1 - x0) / 4).max(1) as usize, ((y1 - y0) / 4).max(1) as usize);
        let samples = (x0..x1).step_by(step_x).len() * (y0..y1).step_by(step_y).len();
        let limit = give_up * samples as f32;
        let (mut sum, mut n) = (0.0f32, 0u32);
        for y in (y0..y1).step_by(step_y) {
            if sum > limit {
                return Some(sum / n as f32);
            }
            for x in (x0..x1).step_by(step_x) {
                let (rx, ry) = (x + ix, y + iy);
                let value = if inside {
                    let i = ry as usize * reference.width + rx as usize;
                    let p = &reference.pixels;
                    weights[0] * f32::from(p[i])
                        + weights[1] * f32::from(p[i + 1])
                        + weights[2] * f32::from(p[i + reference.width])
                        + weights[3] * f32::from(p[i + reference.width + 1])
                } else {
                    weights[0] * reference.at(rx, ry)
                        + weights[1] * reference.at(rx + 1, ry)
                        + weights[2] * reference.at(rx, ry + 1)
                        + weights[3] * reference.at(rx + 1, ry + 1)
                };
                sum += (f32::from(self.pixels[y as usize * self.width + x as usize]) - value).abs();
                n += 1;
            }
        }
        Some(sum / n as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_difference_matches_bilinear_sampling_inside_and_at_the_edges() {
        let plane = |w: usize, h: usize, f: &dyn Fn(usize, usize) -> u8| Luma {
            width: w,
            height: h,
            pixels: (0..h)
                .flat_map(|y| (0..w).map(move |x| (x, y)))
                .map(|(x, y)| f(x, y))
                .collect(),
        };
        let current = plane(24, 20, &|x, y| ((x * 37 + y * 11) % 251) as u8);
        let reference = plane(24, 20, &|x, y| ((x * 53 + y * 29 + 7) % 241) as u8);
        // Brute force: clamp every coordinate, weigh the four neighbours.
        let brute = |rect: ((i32, i32), (i32, i32)), (mx, my): (f32, f32)| {
            let at = |x: i32, y: i32| {
                f64::from(reference.pixels[y.clamp(0, 19) as usize * 24 + x.clamp(0, 23) as usize])
            };
            let (mut sum, mut n) = (0.0, 0);
            let (x0, x1, y0, y1) =
                (rect.0 .0.max(0), rect.0 .1.min(24), rect.1 .0.max(0), rect.1 .1.min(20));
            for y in (y0..y1).step_by(((y1 - y0) / 4).max(1) as usize) {
                for x in (x0..x1).step_by(((x1 - x0) / 4).max(1) as usize) {
                    let (sx, sy) = (f64::from(x as f32 + mx), f64::from(y as f32 + my));
                    let (x0, y0) = (sx.floor(), sy.floor());
                    let (fx, fy) = (sx - x0, sy - y0);
                    let (x0, y0) = (x0 as i32, y0 as i32);
                    let v = at(x0, y0) * (1.0 - fx) * (1.0 - fy)
                        + at(x0 + 1, y0) * fx * (1.0 - fy)
                        + at(x0, y0 + 1) * (1.0 - fx) * fy
                        + at(x0 + 1, y0 + 1) * fx * fy;
                    sum += (f64::from(current.pixels[y as usize * 24 + x as usize]) - v).abs();
                    n += 1;
                }
            }
            sum / f64::from(n)
        };
        for (rect, motion) in [
            (((4, 12), (4, 12)), (2.25, -1.75)),
            (((0, 8), (0, 8)), (-3.5, 0.5)),
            (((16, 24), (12, 20)), (1.75, 2.0)),
            (((8, 16), (8, 16)), (0.0, 0.0)),
        ] {
            let got =
                f64::from(current.difference(&reference, rect, motion, f32::INFINITY).unwrap());
            assert!(
                (got - brute(rect, motion)).abs() < 1e-3,
                "{rect:?} {motion:?}: {got} vs {}",
                brute(rect, motion)
            );
        }
        assert!(current
            .difference(&reference, ((30, 40), (0, 8)), (0.0, 0.0), f32::INFINITY)
            .is_none());
        // Giving up early still reports at least the bound.
        let full =
            current.difference(&reference, ((4, 20), (4, 20)), (1.5, 0.0), f32::INFINITY).unwrap();
        let early =
            current.difference(&reference, ((4, 20), (4, 20)), (1.5, 0.0), full / 4.0).unwrap();
        assert!(early >= full / 4.0 && early <= full * 1.5, "{early} vs {full}");
    }
}
