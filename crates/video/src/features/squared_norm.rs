//! `Σ v²` with running sums side by side: the compiler keeps a single sum in order, one value
//! at a time, and these sums run for every descriptor (its L2 norm) and every descriptor and
//! mixture component (the Mahalanobis distance).

use std::ops::{Add, Mul};

/// `Σ v²` in `LANES` running sums, added together at the end (then the remainder).
#[inline(always)]
pub(crate) fn squared_norm<T, const LANES: usize>(v: &[T]) -> T
where
    T: Copy + Default + Add<Output = T> + Mul<Output = T>,
{
    let mut lanes = [T::default(); LANES];
    let chunks = v.chunks_exact(LANES);
    let rest = chunks.remainder().iter().fold(T::default(), |s, &x| s + x * x);
    for c in chunks {
        for (lane, &x) in lanes.iter_mut().zip(c) {
            *lane = *lane + x * x;
        }
    }
    lanes.iter().fold(T::default(), |s, &l| s + l) + rest
}

#[cfg(test)]
mod tests {
    use super::squared_norm;

    #[test]
    fn lanes_and_remainder_sum_every_square_once() {
        // 11 values: two chunks of four and a remainder of three, each square a distinct power
        // of two so that a square left out or counted twice shows in the sum exactly.
        let v: Vec<f64> = (0..11).map(|k| 2f64.powi(k)).collect();
        let want: f64 = v.iter().map(|x| x * x).sum();
        assert_eq!(squared_norm::<f64, 4>(&v), want);
        let v32: Vec<f32> = (0..11).map(|k| 2f32.powi(k)).collect();
        assert_eq!(squared_norm::<f32, 8>(&v32), want as f32);
    }
}
