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

    /// Bilinear value at `(x, y)`; outside the picture the edge repeats, as codecs extend
    /// their references.
    fn sample(&self, x: f32, y: f32) -> f32 {
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let (x0, y0) = (x0 as i32, y0 as i32);
        let top = self.at(x0, y0) * (1.0 - fx) + self.at(x0 + 1, y0) * fx;
        let bottom = self.at(x0, y0 + 1) * (1.0 - fx) + self.at(x0 + 1, y0 + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }

    /// Mean absolute difference between this picture's pixels in `rect` and `reference`'s
    /// displaced by `(mx, my)`: `(1/n) Σ |I(x, y) − R(x + mx, y + my)|`, over every second
    /// pixel in each direction (blocks are 8 or 16 pixels wide); `None` when `rect` lies
    /// outside the picture.
    pub(crate) fn difference(&self, reference: &Luma, ((x0, x1), (y0, y1)): ((i32, i32), (i32, i32)), (mx, my): (f32, f32)) -> Option<f32> {
        let (x0, x1) = (x0.max(0), x1.min(self.width as i32));
        let (y0, y1) = (y0.max(0), y1.min(self.height as i32));
        let (mut sum, mut n) = (0.0f32, 0u32);
        for y in (y0..y1).step_by(2) {
            for x in (x0..x1).step_by(2) {
                sum += (self.at(x, y) - reference.sample(x as f32 + mx, y as f32 + my)).abs();
                n += 1;
            }
        }
        (n > 0).then(|| sum / n as f32)
    }
}
