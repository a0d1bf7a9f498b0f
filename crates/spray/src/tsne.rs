//! A 2-D t-SNE embedding (van der Maaten & Hinton 2008) for display, from the k-NN graph
//! the spectral analysis built: the joint probabilities are either that graph's affinities
//! (the same affinity as the clustering) or, with a perplexity, Gaussian conditionals over the
//! same neighbours calibrated to it. Exact gradients (O(n²) a step), with early exaggeration
//! and momentum.
//!
//! Written here because the kept t-SNE crates (`bhtsne`, `linfa-tsne`) compute their own
//! affinities from raw points and cannot take the graph's.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::graph::Graph;

/// t-SNE settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TsneOptions {
    /// Calibrate Gaussian affinities over each map's neighbours to this perplexity; `None`
    /// uses the k-NN graph's own weights.
    pub perplexity: Option<f64>,
    /// Factor on the affinities during the first quarter of the iterations.
    pub exaggeration: f64,
    pub iterations: usize,
    pub seed: u64,
}

impl Default for TsneOptions {
    fn default() -> Self {
        TsneOptions { perplexity: None, exaggeration: 12.0, iterations: 750, seed: 1 }
    }
}

/// Symmetric joint probabilities `P` as sparse rows.
fn joint_probabilities(
    graph: &Graph,
    distances: &[Vec<(usize, f64)>],
    perplexity: Option<f64>,
) -> Vec<Vec<(usize, f64)>> {
    let n = graph.len();
    let conditional: Vec<Vec<(usize, f64)>> = match perplexity {
        None => graph.neighbours.clone(),
        Some(perplexity) => distances
            .iter()
            .map(|list| {
                // Binary search on β = 1/(2σ²) for entropy ln(perplexity).
                let target = perplexity.max(1.0).ln();
                let (mut lo, mut hi, mut beta) = (0.0f64, f64::INFINITY, 1.0f64);
                let min = list.iter().map(|&(_, d)| d).fold(f64::INFINITY, f64::min);
                let mut p: Vec<f64> = Vec::new();
                for _ in 0..64 {
                    p = list.iter().map(|&(_, d)| (-(d - min) * beta).exp()).collect();
                    let sum: f64 = p.iter().sum();
                    let entropy = sum.ln()
                        + beta
                            * list.iter().zip(&p).map(|(&(_, d), &q)| (d - min) * q).sum::<f64>()
                            / sum;
                    if (entropy - target).abs() < 1e-5 {
                        break;
                    }
                    if entropy > target {
                        lo = beta;
                        beta = if hi.is_finite() { (beta + hi) / 2.0 } else { beta * 2.0 };
                    } else {
                        hi = beta;
                        beta = (beta + lo) / 2.0;
                    }
                }
                list.iter().zip(p).map(|(&(j, _), q)| (j, q)).collect()
            })
            .collect(),
    };
    // Row-normalise, symmetrise, and normalise to a joint distribution.
    let mut joint: Vec<std::collections::BTreeMap<usize, f64>> = vec![Default::default(); n];
    for (i, row) in conditional.iter().enumerate() {
        let sum: f64 = row.iter().map(|(_, w)| w).sum();
        if sum <= 0.0 {
            continue;
        }
        for &(j, w) in row {
            let p = w / sum / (2.0 * n as f64);
            *joint[i].entry(j).or_default() += p;
            *joint[j].entry(i).or_default() += p;
        }
    }
    joint.into_iter().map(|m| m.into_iter().collect()).collect()
}

/// The 2-D embedding of the graph's nodes.
pub fn tsne(
    graph: &Graph,
    distances: &[Vec<(usize, f64)>],
    options: &TsneOptions,
) -> Vec<[f64; 2]> {
    let n = graph.len();
    let p = joint_probabilities(graph, distances, options.perplexity);
    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut y: Vec<[f64; 2]> =
        (0..n).map(|_| [rng.gen_range(-1e-2..1e-2), rng.gen_range(-1e-2..1e-2)]).collect();
    let mut velocity = vec![[0.0f64; 2]; n];
    let rate = (n as f64 / options.exaggeration.max(1.0)).max(50.0);
    let early = options.iterations / 4;
    let mut q = vec![0.0f64; n * n];
    for step in 0..options.iterations {
        let exaggeration = if step < early { options.exaggeration } else { 1.0 };
        let momentum = if step < early { 0.5 } else { 0.8 };
        // Student-t kernel 1 / (1 + |y_i − y_j|²) and its sum.
        let mut z = 0.0;
        for i in 0..n {
            for j in (i + 1)..n {
                let (dx, dy) = (y[i][0] - y[j][0], y[i][1] - y[j][1]);
                let k = 1.0 / (1.0 + dx * dx + dy * dy);
                q[i * n + j] = k;
                q[j * n + i] = k;
                z += 2.0 * k;
            }
        }
        let mut gradient = vec![[0.0f64; 2]; n];
        for i in 0..n {
            // Repulsion over all pairs, attraction over the sparse P.
            for j in 0..n {
                if i != j {
                    let k = q[i * n + j];
                    let f = -k * k / z;
                    gradient[i][0] += 4.0 * f * (y[i][0] - y[j][0]);
                    gradient[i][1] += 4.0 * f * (y[i][1] - y[j][1]);
                }
            }
            for &(j, pij) in &p[i] {
                let k = q[i * n + j];
                let f = exaggeration * pij * k;
                gradient[i][0] += 4.0 * f * (y[i][0] - y[j][0]);
                gradient[i][1] += 4.0 * f * (y[i][1] - y[j][1]);
            }
        }
        for i in 0..n {
            for d in 0..2 {
                velocity[i][d] = momentum * velocity[i][d] - rate * gradient[i][d];
                y[i][d] += velocity[i][d];
            }
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{knn_graph, Weighting};
    use ndarray::Array2;

    #[test]
    fn separated_groups_stay_apart_in_the_embedding() {
        let mut rng = StdRng::seed_from_u64(3);
        let x = Array2::from_shape_fn((90, 5), |(i, _)| {
            (i / 30) as f64 * 20.0 + rng.gen_range(-1.0..1.0)
        });
        let graph = knn_graph(x.view(), 6, Weighting::Binary).unwrap();
        let distances = graph.distances.clone();
        for perplexity in [None, Some(5.0)] {
            let y = tsne(
                &graph,
                &distances,
                &TsneOptions { perplexity, iterations: 300, ..TsneOptions::default() },
            );
            let centre = |g: usize| -> [f64; 2] {
                let s = y[g * 30..g * 30 + 30]
                    .iter()
                    .fold([0.0, 0.0], |a, p| [a[0] + p[0], a[1] + p[1]]);
                [s[0] / 30.0, s[1] / 30.0]
            };
            let centres = [centre(0), centre(1), centre(2)];
            let nearest = |p: &[f64; 2]| {
                (0..3).min_by(|&a, &b| {
                    let d = |c: [f64; 2]| (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2);
                    d(centres[a]).total_cmp(&d(centres[b]))
                })
            };
            let right = y.iter().enumerate().filter(|(i, p)| nearest(p) == Some(i / 30)).count();
            assert!(
                right >= 88,
                "{perplexity:?}: only {right} of 90 points nearest their own group's centre"
            );
        }
    }
}
