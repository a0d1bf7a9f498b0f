//! The k-nearest-neighbour graph over relevance maps, stored sparse (a row per map).

use ndarray::{ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::SprayError;

/// How an edge is weighted.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Weighting {
    /// 1 for every neighbour.
    Binary,
    /// `exp(−d² / σ²)` with σ the median neighbour distance.
    Heat,
}

/// A symmetric sparse graph: for each node, its neighbours and edge weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    pub neighbours: Vec<Vec<(usize, f64)>>,
    /// Each node's own k nearest neighbours and squared distances (before symmetrising).
    pub distances: Vec<Vec<(usize, f64)>>,
}

impl Graph {
    pub fn len(&self) -> usize {
        self.neighbours.len()
    }

    pub fn is_empty(&self) -> bool {
        self.neighbours.is_empty()
    }

    /// Weighted degree of each node.
    pub fn degrees(&self) -> Vec<f64> {
        self.neighbours.iter().map(|n| n.iter().map(|(_, w)| w).sum()).collect()
    }
}

/// Rows per block when distances are computed as `‖x‖² + ‖y‖² − 2 x·y` with a matrix product.
const BLOCK: usize = 512;

/// The `k` nearest neighbours of every row of `x` (Euclidean), weighted, symmetrised by max.
pub fn knn_graph(x: ArrayView2<f64>, k: usize, weighting: Weighting) -> Result<Graph, SprayError> {
    let n = x.nrows();
    if n < 2 {
        return Err(SprayError::Invalid(format!("{n} maps: SpRAy needs at least two")));
    }
    let k = k.clamp(1, n - 1);
    let squares: Vec<f64> = x.outer_iter().map(|r| r.dot(&r)).collect();
    let mut nearest: Vec<Vec<(usize, f64)>> = Vec::with_capacity(n);
    for start in (0..n).step_by(BLOCK) {
        let rows = x.slice(ndarray::s![start..(start + BLOCK).min(n), ..]);
        let products = rows.dot(&x.t());
        for (i, row) in products.axis_iter(Axis(0)).enumerate() {
            let me = start + i;
            let mut d: Vec<(usize, f64)> = row
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != me)
                .map(|(j, &p)| (j, (squares[me] + squares[j] - 2.0 * p).max(0.0)))
                .collect();
            d.select_nth_unstable_by(k - 1, |a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            d.truncate(k);
            nearest.push(d);
        }
    }
    let sigma2 = match weighting {
        Weighting::Binary => 1.0,
        Weighting::Heat => {
            let mut all: Vec<f64> = nearest.iter().flatten().map(|&(_, d2)| d2).collect();
            let mid = all.len() / 2;
            all.select_nth_unstable_by(mid, f64::total_cmp);
            all[mid].max(1e-12)
        }
    };
    let weight = |d2: f64| match weighting {
        Weighting::Binary => 1.0,
        Weighting::Heat => (-d2 / sigma2).exp(),
    };
    // Symmetrise by max: an edge exists if either end lists the other.
    let mut maps: Vec<std::collections::BTreeMap<usize, f64>> = vec![Default::default(); n];
    for (i, list) in nearest.iter().enumerate() {
        for &(j, d2) in list {
            let w = weight(d2);
            for (a, b) in [(i, j), (j, i)] {
                let e = maps[a].entry(b).or_insert(0.0);
                *e = e.max(w);
            }
        }
    }
    Ok(Graph {
        neighbours: maps.into_iter().map(|m| m.into_iter().collect()).collect(),
        distances: nearest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn neighbours_are_the_nearest_and_the_graph_is_symmetric() {
        let x = array![[0.0], [1.0], [1.5], [10.0], [10.2]];
        let g = knn_graph(x.view(), 1, Weighting::Binary).unwrap();
        // 0→1, 1→2, 2→1, 3→4, 4→3; symmetrised: 0–1, 1–2, 3–4.
        let ids: Vec<Vec<usize>> =
            g.neighbours.iter().map(|n| n.iter().map(|(j, _)| *j).collect()).collect();
        assert_eq!(ids, vec![vec![1], vec![0, 2], vec![1], vec![4], vec![3]]);
        for (i, list) in g.neighbours.iter().enumerate() {
            for &(j, w) in list {
                assert!(g.neighbours[j].iter().any(|&(back, v)| back == i && v == w));
            }
        }
    }
}
