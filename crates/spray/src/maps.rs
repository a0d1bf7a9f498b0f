//! Bringing relevance maps to a common shape: sum-pooling onto fixed bins, and normalising.

use ndarray::{Array1, Array3, ArrayView1, ArrayView3};
use serde::{Deserialize, Serialize};

/// How each map is scaled before clustering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Normalisation {
    None,
    /// Divide by the sum of absolute values.
    L1,
    /// Divide by the Euclidean norm.
    L2,
    /// Divide by the largest absolute value.
    MaxAbs,
}

impl std::str::FromStr for Normalisation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Normalisation::None),
            "l1" => Ok(Normalisation::L1),
            "l2" => Ok(Normalisation::L2),
            "max-abs" => Ok(Normalisation::MaxAbs),
            _ => Err(format!("unknown normalisation `{s}` (none, l1, l2, max-abs)")),
        }
    }
}

/// Scales `v` in place; a zero map stays zero.
pub fn normalise(v: &mut Array1<f64>, how: Normalisation) {
    let scale = match how {
        Normalisation::None => 1.0,
        Normalisation::L1 => v.iter().map(|x| x.abs()).sum(),
        Normalisation::L2 => v.dot(v).sqrt(),
        Normalisation::MaxAbs => v.iter().fold(0.0, |m: f64, x| m.max(x.abs())),
    };
    if scale > 0.0 {
        *v /= scale;
    }
}

/// Sum-pools `values` into `bins` equal stretches (position `i` of `n` goes to bin `i·bins/n`).
pub fn pool_1d(values: ArrayView1<f32>, bins: usize) -> Array1<f64> {
    let n = values.len().max(1);
    let mut out = Array1::zeros(bins);
    for (i, &v) in values.iter().enumerate() {
        out[i * bins / n] += f64::from(v);
    }
    out
}

/// Sum-pools a `[frames, rows, cols]` map onto a fixed `[t, h, w]` grid.
pub fn pool_3d(map: ArrayView3<f32>, (t, h, w): (usize, usize, usize)) -> Array3<f64> {
    let (frames, rows, cols) = map.dim();
    let mut out = Array3::zeros((t, h, w));
    for ((f, r, c), &v) in map.indexed_iter() {
        out[[f * t / frames.max(1), r * h / rows.max(1), c * w / cols.max(1)]] += f64::from(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn pooling_keeps_the_total_and_the_layout() {
        let p = pool_1d(array![1.0f32, 2.0, 3.0, 4.0, 5.0].view(), 2);
        assert_eq!(p, array![6.0, 9.0]); // positions 0..3 → bin 0 (0·2/5, 1·2/5, 2·2/5), 3..5 → bin 1
        let map = Array3::from_shape_fn((4, 2, 2), |(f, r, c)| (f * 4 + r * 2 + c) as f32);
        let q = pool_3d(map.view(), (2, 1, 2));
        assert_eq!(q.sum(), map.sum() as f64);
        assert_eq!(q[[0, 0, 0]], (2 + 4 + 6) as f64); // frames 0, 1; row 0; col 0: values 0, 2, 4, 6
        let mut v = array![3.0, -4.0];
        normalise(&mut v, Normalisation::L2);
        assert_eq!(v, array![0.6, -0.8]);
    }
}
