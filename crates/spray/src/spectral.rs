//! The spectral part: Laplacian eigenvalues and eigenvectors, eigengaps, clusters.

use linfa::traits::{Fit, Predict};
use linfa::DatasetBase;
use linfa_clustering::KMeans;
use linfa_linalg::eigh::EighInto;
use linfa_linalg::lobpcg::{lobpcg, Order};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::graph::{knn_graph, Graph, Weighting};
use crate::tsne::{tsne, TsneOptions};
use crate::SprayError;

/// Eigenvalues below this count as zero when gaps are compared (see [`analyse`]).
const GAP_FLOOR: f64 = 1e-3;

/// Which eigensolver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Solver {
    /// Dense up to 1,000 maps, sparse beyond.
    Auto,
    /// A full symmetric eigendecomposition of the n × n Laplacian.
    Dense,
    /// LOBPCG on the sparse graph (only matrix–vector products with the k-NN graph).
    Sparse,
}

/// Settings of an analysis.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SprayOptions {
    /// Neighbours per map; `None` for `⌈ln n⌉`.
    pub neighbours: Option<usize>,
    pub weighting: Weighting,
    /// Smallest eigenvalues computed.
    pub eigenvalues: usize,
    /// Clusters; `None` for the eigengap's proposal.
    pub clusters: Option<usize>,
    pub solver: Solver,
    pub seed: u64,
    /// The 2-D display embedding (t-SNE up to `TSNE_LIMIT` maps).
    pub tsne: TsneOptions,
}

impl Default for SprayOptions {
    fn default() -> Self {
        SprayOptions {
            neighbours: None,
            weighting: Weighting::Binary,
            eigenvalues: 10,
            clusters: None,
            solver: Solver::Auto,
            seed: 1,
            tsne: TsneOptions::default(),
        }
    }
}

/// Up to this many maps the display embedding is t-SNE (exact, O(n²) a step); beyond, the
/// spectral embedding (eigenvectors 2 and 3).
pub const TSNE_LIMIT: usize = 2000;

/// The result of an analysis.
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    pub maps: usize,
    pub neighbours: usize,
    pub solver: Solver,
    /// Smallest eigenvalues of `L_sym`, ascending.
    pub eigenvalues: Vec<f64>,
    /// `λ_{i+1} − λ_i`.
    pub eigengaps: Vec<f64>,
    /// Clusters the eigengap proposes (at least two): the number of eigenvalues before the
    /// largest step of `ln(λ + 10⁻³)` after the first.
    pub proposed_clusters: usize,
    /// That eigengap `λ_{k+1} − λ_k` (classes with a larger one deserve a look first).
    pub largest_eigengap: f64,
    pub clusters: usize,
    /// Cluster of each map.
    pub labels: Vec<usize>,
    pub cluster_sizes: Vec<usize>,
    /// A 2-D embedding for display, from the same graph.
    pub embedding: Vec<[f64; 2]>,
    /// `t-sne` or `spectral` (eigenvectors 2 and 3, beyond `TSNE_LIMIT` maps).
    pub embedding_method: String,
    /// The spectral embedding (eigenvectors 2 and 3 of `L_sym`), whichever `embedding` is.
    pub spectral_embedding: Vec<[f64; 2]>,
    /// The labels k-means gives for other cluster counts (2 up to `ALTERNATIVE_CLUSTERINGS`
    /// and the eigenvalues computed), beside `labels`, for a viewer to switch between.
    pub alternatives: Vec<Clustering>,
}

/// One clustering of the maps.
#[derive(Clone, Debug, Serialize)]
pub struct Clustering {
    pub clusters: usize,
    pub labels: Vec<usize>,
}

/// The largest cluster count offered as an alternative to the chosen one.
pub const ALTERNATIVE_CLUSTERINGS: usize = 8;

/// k-means (Ng, Jordan & Weiss) on the row-normalised first `clusters` eigenvectors.
fn spectral_clusters(
    vectors: &Array2<f64>,
    clusters: usize,
    seed: u64,
) -> Result<Vec<usize>, SprayError> {
    let n = vectors.nrows();
    if clusters <= 1 {
        return Ok(vec![0; n]);
    }
    let mut u = vectors.slice(ndarray::s![.., ..clusters.min(vectors.ncols())]).to_owned();
    for mut row in u.outer_iter_mut() {
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 {
            row /= norm;
        }
    }
    let data = DatasetBase::from(u);
    let model = KMeans::params_with_rng(clusters, StdRng::seed_from_u64(seed))
        .n_runs(10)
        .fit(&data)
        .map_err(|e| SprayError::Invalid(format!("k-means: {e}")))?;
    Ok(model.predict(&data).to_vec())
}

/// `y = D^{-1/2} A D^{-1/2} x` for the graph's adjacency `A`, column by column.
fn normalised_adjacency(graph: &Graph, scale: &[f64], x: ArrayView2<f64>) -> Array2<f64> {
    let mut y = Array2::zeros(x.dim());
    for (i, list) in graph.neighbours.iter().enumerate() {
        let mut row = y.row_mut(i);
        for &(j, w) in list {
            let f = w * scale[i] * scale[j];
            row.scaled_add(f, &x.row(j));
        }
    }
    y
}

/// The `m` smallest eigenvalues (ascending) and eigenvectors (columns) of `L_sym`.
fn laplacian_eigen(
    graph: &Graph,
    m: usize,
    solver: Solver,
    seed: u64,
) -> Result<(Array1<f64>, Array2<f64>, Solver), SprayError> {
    let n = graph.len();
    let scale: Vec<f64> =
        graph.degrees().iter().map(|&d| if d > 0.0 { 1.0 / d.sqrt() } else { 0.0 }).collect();
    let solver = match solver {
        Solver::Auto if n <= 1000 => Solver::Dense,
        Solver::Auto => Solver::Sparse,
        s => s,
    };
    let m = m.min(n);
    let (values, vectors) = match solver {
        Solver::Dense => {
            let mut l = Array2::<f64>::eye(n);
            for (i, list) in graph.neighbours.iter().enumerate() {
                for &(j, w) in list {
                    l[[i, j]] -= w * scale[i] * scale[j];
                }
            }
            let (values, vectors) = l.eigh_into().map_err(|e| SprayError::Eigen(e.to_string()))?;
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
            let order = &order[..m];
            (order.iter().map(|&i| values[i]).collect(), vectors.select(Axis(1), order))
        }
        _ => {
            // The largest eigenvalues of I + D^{-1/2} A D^{-1/2} (in [0, 2]) are 2 − the
            // smallest of L_sym; LOBPCG needs only products with the sparse graph.
            let mut rng = StdRng::seed_from_u64(seed);
            let x0 = Array2::from_shape_fn((n, m), |_| rng.gen_range(-1.0..1.0));
            let operator = |x: ArrayView2<f64>| &x + &normalised_adjacency(graph, &scale, x);
            let result = lobpcg(operator, x0, |_| {}, None, 1e-6, 2000, Order::Largest);
            let r = match result {
                Ok(r) => r,
                Err((_, Some(r))) => r,
                Err((e, None)) => return Err(SprayError::Eigen(e.to_string())),
            };
            let mut order: Vec<usize> = (0..r.eigvals.len()).collect();
            order.sort_by(|&a, &b| r.eigvals[b].total_cmp(&r.eigvals[a]));
            (order.iter().map(|&i| 2.0 - r.eigvals[i]).collect(), r.eigvecs.select(Axis(1), &order))
        }
    };
    Ok((values, vectors, solver))
}

/// Orders per-class results by their largest eigengap, largest first: the classes whose maps
/// split most clearly into strategies lead.
pub fn rank_by_eigengap<T>(results: &mut [T], analysis: impl Fn(&T) -> &Analysis) {
    results.sort_by(|a, b| analysis(b).largest_eigengap.total_cmp(&analysis(a).largest_eigengap));
}

/// Clusters the rows of `x` (one relevance map per row, already pooled and normalised).
pub fn analyse(x: ArrayView2<f64>, options: &SprayOptions) -> Result<Analysis, SprayError> {
    let n = x.nrows();
    if x.iter().any(|v| !v.is_finite()) {
        return Err(SprayError::Invalid("a relevance map holds NaN or infinity".into()));
    }
    let k = options.neighbours.unwrap_or_else(|| (n as f64).ln().ceil().max(1.0) as usize);
    let graph = knn_graph(x, k, options.weighting)?;
    let (values, vectors, solver) =
        laplacian_eigen(&graph, options.eigenvalues.max(2), options.solver, options.seed)?;
    let values: Vec<f64> = values.iter().map(|v| v.max(0.0)).collect();
    let eigengaps: Vec<f64> = values.windows(2).map(|w| w[1] - w[0]).collect();
    // The proposal takes the largest step of ln(λ + GAP_FLOOR) from the second eigenvalue on
    // (at least two clusters: λ₂ − λ₁ only says how well the graph holds together): a jump up
    // from ~0 (a separate component) outweighs an equal absolute step between the small
    // eigenvalues of an elongated cluster.
    let log_gaps: Vec<f64> =
        values.windows(2).map(|w| (w[1] + GAP_FLOOR).ln() - (w[0] + GAP_FLOOR).ln()).collect();
    let gap_at = (1..log_gaps.len()).fold(1.min(log_gaps.len().saturating_sub(1)), |best, i| {
        if log_gaps[i] > log_gaps[best] {
            i
        } else {
            best
        }
    });
    let largest_eigengap = eigengaps[gap_at];
    let proposed_clusters = gap_at + 1;
    let clusters = options.clusters.unwrap_or(proposed_clusters).clamp(1, n);
    let labels = spectral_clusters(&vectors, clusters, options.seed)?;
    let alternatives = (2..=ALTERNATIVE_CLUSTERINGS.min(vectors.ncols()).min(n))
        .filter(|&k| k != clusters)
        .map(|k| {
            Ok(Clustering { clusters: k, labels: spectral_clusters(&vectors, k, options.seed)? })
        })
        .collect::<Result<_, SprayError>>()?;
    let mut cluster_sizes = vec![0; clusters];
    for &l in &labels {
        cluster_sizes[l] += 1;
    }
    let column =
        |c: usize| if c < vectors.ncols() { vectors.column(c).to_vec() } else { vec![0.0; n] };
    let spectral_embedding: Vec<[f64; 2]> =
        column(1).into_iter().zip(column(2)).map(|(a, b)| [a, b]).collect();
    let (embedding, embedding_method) = if n <= TSNE_LIMIT {
        (tsne(&graph, &graph.distances, &options.tsne), "t-sne")
    } else {
        (spectral_embedding.clone(), "spectral")
    };
    Ok(Analysis {
        maps: n,
        neighbours: k,
        solver,
        eigenvalues: values,
        eigengaps,
        proposed_clusters,
        largest_eigengap,
        clusters,
        labels,
        cluster_sizes,
        embedding,
        embedding_method: embedding_method.to_string(),
        spectral_embedding,
        alternatives,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// `per` samples from each 1-D Gaussian at `centres` with deviation `sd`.
    fn gaussians(centres: &[f64], sd: f64, per: usize, seed: u64) -> (Array2<f64>, Vec<usize>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut normal =
            move || -> f64 { (0..12).map(|_| rng.gen_range(0.0..1.0)).sum::<f64>() - 6.0 };
        let mut x = Array2::zeros((centres.len() * per, 1));
        let mut truth = Vec::new();
        for (g, c) in centres.iter().enumerate() {
            for i in 0..per {
                x[[g * per + i, 0]] = c + sd * normal();
                truth.push(g);
            }
        }
        (x, truth)
    }

    /// Share of maps whose cluster's majority group is their own.
    fn purity(labels: &[usize], truth: &[usize]) -> f64 {
        let k = labels.iter().max().unwrap() + 1;
        let g = truth.iter().max().unwrap() + 1;
        let mut counts = vec![vec![0; g]; k];
        for (&l, &t) in labels.iter().zip(truth) {
            counts[l][t] += 1;
        }
        counts.iter().map(|c| *c.iter().max().unwrap()).sum::<usize>() as f64 / labels.len() as f64
    }

    #[test]
    fn four_separated_gaussians_give_four_zero_eigenvalues_and_a_gap() {
        // The seed's Figure 21: four well-separated 1-D Gaussians.
        let (x, truth) = gaussians(&[0.0, 10.0, 20.0, 30.0], 1.0, 60, 1);
        let a = analyse(x.view(), &SprayOptions::default()).unwrap();
        assert!(a.eigenvalues[..4].iter().all(|&v| v < 1e-8), "{:?}", a.eigenvalues);
        assert!(a.eigenvalues[4] > 1e-3);
        assert_eq!(a.proposed_clusters, 4);
        assert_eq!(purity(&a.labels, &truth), 1.0);
        // Overlapping ones blur it: no clear gap after the fourth.
        let (x, _) = gaussians(&[0.0, 1.0, 2.0, 3.0], 1.0, 60, 2);
        let b = analyse(x.view(), &SprayOptions::default()).unwrap();
        assert!(b.eigenvalues[3] > 1e-4, "{:?}", b.eigenvalues);
    }

    #[test]
    fn sparse_and_dense_solvers_agree() {
        let (x, truth) = gaussians(&[0.0, 8.0, 16.0], 1.5, 50, 3);
        for weighting in [Weighting::Binary, Weighting::Heat] {
            let options = SprayOptions { weighting, clusters: Some(3), ..SprayOptions::default() };
            let dense =
                analyse(x.view(), &SprayOptions { solver: Solver::Dense, ..options }).unwrap();
            let sparse =
                analyse(x.view(), &SprayOptions { solver: Solver::Sparse, ..options }).unwrap();
            assert_eq!((dense.solver, sparse.solver), (Solver::Dense, Solver::Sparse));
            for (d, s) in dense.eigenvalues.iter().zip(&sparse.eigenvalues) {
                assert!(
                    (d - s).abs() < 1e-6,
                    "{weighting:?}: dense {:?} vs sparse {:?}",
                    dense.eigenvalues,
                    sparse.eigenvalues
                );
            }
            if weighting == Weighting::Binary {
                // (The heat-kernel graph isolates an outlier, which then takes a cluster.)
                assert!(
                    purity(&sparse.labels, &truth) >= 0.98 && purity(&dense.labels, &truth) >= 0.98
                );
            }
        }
    }

    #[test]
    fn planted_groups_in_many_dimensions_are_recovered() {
        // Three prototype maps of 400 values plus noise; the clusters must be the groups.
        let mut rng = StdRng::seed_from_u64(9);
        let protos: Vec<Vec<f64>> =
            (0..3).map(|_| (0..400).map(|_| rng.gen_range(-1.0..1.0)).collect()).collect();
        let truth: Vec<usize> = (0..300).map(|i| i % 3).collect();
        let x = Array2::from_shape_fn((300, 400), |(i, j)| {
            protos[truth[i]][j] + 0.8 * rng.gen_range(-1.0..1.0)
        });
        let a = analyse(x.view(), &SprayOptions::default()).unwrap();
        assert_eq!(a.proposed_clusters, 3, "{:?}", a.eigenvalues);
        assert_eq!(purity(&a.labels, &truth), 1.0);
        assert_eq!(a.cluster_sizes.iter().sum::<usize>(), 300);
        // The alternatives with more clusters split the same three groups further: with six,
        // each cluster lies within one group. (With fewer clusters than the graph's three
        // separate parts nothing is defined: the first eigenvectors are any basis of the
        // eigenvalue 0's three dimensions, and which groups two clusters join, or whether one
        // is cut, rests on rounding in the eigensolver.)
        let counts: Vec<usize> = a.alternatives.iter().map(|c| c.clusters).collect();
        assert_eq!(counts, vec![2, 4, 5, 6, 7, 8]);
        let six = &a.alternatives[3].labels;
        for c in 0..6 {
            let groups: std::collections::BTreeSet<usize> =
                (0..300).filter(|&i| six[i] == c).map(|i| truth[i]).collect();
            assert!(groups.len() <= 1, "cluster {c} mixes groups {groups:?}");
        }
        // The spectral embedding is eigenvectors 2 and 3: unit length, orthogonal to each other.
        let (u, v): (Vec<f64>, Vec<f64>) =
            a.spectral_embedding.iter().map(|p| (p[0], p[1])).unzip();
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        assert!(
            (dot(&u, &u) - 1.0).abs() < 1e-8
                && (dot(&v, &v) - 1.0).abs() < 1e-8
                && dot(&u, &v).abs() < 1e-8
        );
    }

    #[test]
    fn empty_and_identical_maps_give_finite_results() {
        // All-zero maps (nothing relevant anywhere) and exact ties between every pair.
        for x in [Array2::zeros((30, 8)), Array2::from_elem((30, 8), 0.25)] {
            for weighting in [Weighting::Binary, Weighting::Heat] {
                for solver in [Solver::Dense, Solver::Sparse] {
                    let a = analyse(
                        x.view(),
                        &SprayOptions { weighting, solver, ..SprayOptions::default() },
                    )
                    .unwrap();
                    assert!(
                        a.eigenvalues.iter().chain(&a.eigengaps).all(|v| v.is_finite()),
                        "{weighting:?} {solver:?}: {:?}",
                        a.eigenvalues
                    );
                    assert!(a.largest_eigengap.is_finite());
                    assert!(a.embedding.iter().flatten().all(|v| v.is_finite()));
                    assert_eq!(a.cluster_sizes.iter().sum::<usize>(), 30);
                }
            }
        }
    }
}
