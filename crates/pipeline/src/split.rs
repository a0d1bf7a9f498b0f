//! Seeded, stratified hold-out splits.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Which examples to hold out: per class (in class order, one generator seeded with `seed`),
/// the class's examples in input order are shuffled and the first `round(fraction · n)` held
/// out, at least one of a class with two or more (when `fraction > 0`) and never all of it.
/// `labels[i] < classes`; true marks a held-out example.
pub fn stratified(labels: &[usize], classes: usize, fraction: f64, seed: u64) -> Vec<bool> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut held_out = vec![false; labels.len()];
    for class in 0..classes {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        members.shuffle(&mut rng);
        let n = members.len();
        let held = ((n as f64 * fraction).round() as usize)
            .clamp(usize::from(n >= 2 && fraction > 0.0), n.saturating_sub(1));
        for &i in &members[..held] {
            held_out[i] = true;
        }
    }
    held_out
}

/// `items` thinned to `limit`, spread evenly over them (all of them without a limit).
pub fn evenly_spread<T: Clone>(items: &[T], limit: Option<usize>) -> Vec<T> {
    match limit.filter(|&l| l > 0 && l < items.len()) {
        Some(limit) => {
            let stride = items.len() as f64 / limit as f64;
            (0..limit).map(|i| items[(i as f64 * stride) as usize].clone()).collect()
        }
        None => items.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_class_gives_its_share_seeded() {
        let labels: Vec<usize> =
            (0..50).map(|i| usize::from(i >= 40)).chain([2, 2]).chain([3]).collect();
        let held = stratified(&labels, 4, 0.25, 7);
        let count = |c: usize| labels.iter().zip(&held).filter(|(&l, &h)| l == c && h).count();
        // 40 × 0.25 = 10; 10 × 0.25 = 2.5 → 3 (half away from zero); 2 × 0.25 → at least 1; one alone stays.
        assert_eq!((count(0), count(1), count(2), count(3)), (10, 3, 1, 0));
        assert_eq!(stratified(&labels, 4, 0.25, 7), held, "the same seed, the same split");
        assert_ne!(stratified(&labels, 4, 0.25, 8), held);
        assert!(stratified(&labels, 4, 0.0, 7).iter().all(|&h| !h));
        assert_eq!(
            stratified(&[0, 0, 0], 1, 1.0, 1).iter().filter(|&&h| h).count(),
            2,
            "never the whole class"
        );
    }
}
