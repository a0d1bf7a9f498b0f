//! A plain 8-bit RGB picture, row-major.

/// `width × height` pixels, 3 bytes each, rows top to bottom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbImage {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl RgbImage {
    /// A picture of one colour.
    pub fn filled(width: usize, height: usize, rgb: [u8; 3]) -> Self {
        RgbImage { width, height, pixels: rgb.repeat(width * height) }
    }

    /// The pixel at `(x, y)`.
    pub fn get(&self, x: usize, y: usize) -> [u8; 3] {
        let i = 3 * (y * self.width + x);
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }

    /// Sets the pixel at `(x, y)`; outside the picture nothing happens.
    pub fn set(&mut self, x: i64, y: i64, rgb: [u8; 3]) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            let i = 3 * (y as usize * self.width + x as usize);
            self.pixels[i..i + 3].copy_from_slice(&rgb);
        }
    }
}
