//! The improved Fisher vector of a set of local descriptors (Perronnin et al. 2010): PCA,
//! a diagonal-covariance Gaussian mixture, gradients with respect to means and variances,
//! then power (signed square root) and L2 normalisation (`lrp::PowerNorm`, built by
//! `VideoClassifier::normalisation`).
//!
//! PCA is `linfa-reduction`'s and the mixture is initialised with `linfa-clustering`'s
//! k-means; the EM for a *diagonal* mixture is written here because `linfa-clustering`'s
//! `GaussianMixtureModel` fits full covariances only (a D×D matrix per component, which
//! the Fisher vector does not use).
//!
//! The raw Fisher vector is a mean over descriptors, `Φ = Σ_i φ(x_i)` with `φ` carrying the
//! `1/N`; [`FisherEncoder::terms`] gives each descriptor's `φ(x_i)`, which the
//! explanation uses to hand relevance back to descriptors.

use linfa::traits::{Fit, Predict as _};
use linfa::DatasetBase;
use linfa_clustering::KMeans;
use linfa_reduction::Pca;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::error::VideoError;

/// Rows k-means sees to start the mixture.
const KMEANS_SAMPLE: usize = 20_000;
/// Smallest variance a mixture component keeps (descriptors are L2-normalised histograms).
pub const MIN_VARIANCE: f64 = 1e-6;

/// A fitted PCA: `y = (x − mean) · componentsᵀ`.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    pub mean: Array1<f32>,
    /// `[out, in]`.
    pub components: Array2<f32>,
}

impl Projection {
    /// PCA of `x` (rows are samples) to `dims` dimensions.
    pub fn fit(x: ArrayView2<f32>, dims: usize) -> Result<Self, VideoError> {
        let dims = dims.min(x.ncols()).min(x.nrows().saturating_sub(1)).max(1);
        let data = DatasetBase::from(x.mapv(f64::from));
        let pca =
            Pca::params(dims).fit(&data).map_err(|e| VideoError::Invalid(format!("PCA: {e}")))?;
        Ok(Projection {
            mean: pca.mean().mapv(|v| v as f32),
            components: pca.components().mapv(|v| v as f32),
        })
    }

    pub fn apply(&self, x: ArrayView2<f32>) -> Array2<f32> {
        (&x - &self.mean).dot(&self.components.t())
    }

    pub fn output_dims(&self) -> usize {
        self.components.nrows()
    }
}

/// A Gaussian mixture with diagonal covariances.
#[derive(Clone, Debug, PartialEq)]
pub struct DiagonalGmm {
    /// Mixing weights `[K]`.
    pub weights: Array1<f32>,
    /// `[K, D]`.
    pub means: Array2<f32>,
    /// `[K, D]`.
    pub variances: Array2<f32>,
}

impl DiagonalGmm {
    /// EM from k-means centres, `iterations` rounds (or until the log-likelihood gains less
    /// than 1e-4 per sample).
    pub fn fit(
        x: ArrayView2<f32>,
        components: usize,
        iterations: usize,
        seed: u64,
    ) -> Result<Self, VideoError> {
        let (n, d) = x.dim();
        if n < components || components == 0 {
            return Err(VideoError::Invalid(format!(
                "{n} descriptors are too few for a mixture of {components} components"
            )));
        }
        let x64 = x.mapv(f64::from);
        let squares = x64.mapv(|v| v * v);
        // k-means (one run, on at most KMEANS_SAMPLE rows) only starts EM.
        let mut rng = StdRng::seed_from_u64(seed);
        let rows = rand::seq::index::sample(&mut rng, n, n.min(KMEANS_SAMPLE)).into_vec();
        let kmeans = KMeans::params_with_rng(components, rng)
            .n_runs(1)
            .max_n_iterations(30)
            .fit(&DatasetBase::from(x64.select(ndarray::Axis(0), &rows)))
            .map_err(|e| VideoError::Invalid(format!("k-means: {e}")))?;
        let labels = kmeans.predict(&DatasetBase::from(x64.clone()));
        let mut means = kmeans.centroids().clone();
        let mut variances = Array2::<f64>::zeros((components, d));
        let mut weights = Array1::<f64>::zeros(components);
        let global_var = x64.var_axis(Axis(0), 0.0).mapv(|v| v.max(MIN_VARIANCE));
        for (row, &k) in x64.outer_iter().zip(labels.iter()) {
            weights[k] += 1.0;
            variances.row_mut(k).zip_mut_with(&(&row - &means.row(k)), |v, diff| *v += diff * diff);
        }
        for k in 0..components {
            if weights[k] > 1.0 {
                let count = weights[k];
                variances.row_mut(k).mapv_inplace(|v| (v / count).max(MIN_VARIANCE));
            } else {
                variances.row_mut(k).assign(&global_var);
            }
        }
        weights.mapv_inplace(|w| w.max(1.0) / n as f64);
        weights /= weights.sum();
        let mut previous = f64::NEG_INFINITY;
        for _ in 0..iterations {
            let (gamma, log_likelihood) = posteriors(
                x64.view(),
                squares.view(),
                weights.view(),
                means.view(),
                variances.view(),
            );
            let mass = gamma.sum_axis(Axis(0)).mapv(|m| m.max(1e-10));
            weights = &mass / n as f64;
            means = gamma.t().dot(&x64) / mass.view().insert_axis(Axis(1));
            let second = gamma.t().dot(&squares) / mass.view().insert_axis(Axis(1));
            variances = (second - means.mapv(|m| m * m)).mapv(|v| v.max(MIN_VARIANCE));
            if log_likelihood - previous < 1e-4 * n as f64 {
                break;
            }
            previous = log_likelihood;
        }
        Ok(DiagonalGmm {
            weights: weights.mapv(|v| v as f32),
            means: means.mapv(|v| v as f32),
            variances: variances.mapv(|v| v as f32),
        })
    }

    pub fn components(&self) -> usize {
        self.weights.len()
    }

    pub fn dims(&self) -> usize {
        self.means.ncols()
    }
}

/// Posterior `γ_ik` of every component for every row of `x` (`x2` its squares), and the total
/// log-likelihood.
fn posteriors(
    x: ArrayView2<f64>,
    x2: ArrayView2<f64>,
    weights: ArrayView1<f64>,
    means: ArrayView2<f64>,
    variances: ArrayView2<f64>,
) -> (Array2<f64>, f64) {
    let d = x.ncols();
    let k = weights.len();
    // log N(x | μ, σ²) = −½ Σ_d [log 2π σ²_d + (x_d − μ_d)² / σ²_d]
    let inv = variances.mapv(|v| 1.0 / v);
    let constant: Array1<f64> = (0..k)
        .map(|c| {
            weights[c].max(1e-300).ln()
                - 0.5
                    * (d as f64 * (2.0 * std::f64::consts::PI).ln()
                        + variances.row(c).mapv(f64::ln).sum())
        })
        .collect();
    // Σ_d (x−μ)²/σ² = x²·inv − 2 x·(μ inv) + μ²·inv
    let mu_inv = &means * &inv;
    let mu2_inv: Array1<f64> = (&mu_inv * &means).sum_axis(Axis(1));
    let mut log_p = x2.dot(&inv.t()) - 2.0 * x.dot(&mu_inv.t());
    log_p += &mu2_inv.view().insert_axis(Axis(0));
    log_p.mapv_inplace(|v| -0.5 * v);
    log_p += &constant.view().insert_axis(Axis(0));
    let mut total = 0.0;
    for mut row in log_p.outer_iter_mut() {
        let max = row.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        row.mapv_inplace(|v| (v - max).exp());
        let sum = row.sum();
        row /= sum;
        total += max + sum.ln();
    }
    (log_p, total)
}

/// PCA, mixture and Fisher-vector encoding of one descriptor type.
#[derive(Clone, Debug, PartialEq)]
pub struct FisherEncoder {
    pub projection: Projection,
    pub gmm: DiagonalGmm,
}

impl FisherEncoder {
    /// Length of the Fisher vector: `2 K D`.
    pub fn fisher_len(&self) -> usize {
        2 * self.gmm.components() * self.gmm.dims()
    }

    /// The terms `φ(x_i)` of the raw Fisher vector for some of a set's descriptors `[n, 2KD]`,
    /// where `count` is the size of the whole set (the terms carry its `1/N`):
    /// `[1/(N√w_k) γ_ik (x_i − μ_k)/σ_k ,  1/(N√(2w_k)) γ_ik ((x_i − μ_k)²/σ²_k − 1)]` per component.
    pub fn terms(&self, descriptors: ArrayView2<f32>, count: usize) -> Array2<f32> {
        let y = self.projection.apply(descriptors).mapv(f64::from);
        let (n, d) = y.dim();
        let g = &self.gmm;
        let (weights, means, variances) =
            (g.weights.mapv(f64::from), g.means.mapv(f64::from), g.variances.mapv(f64::from));
        let (gamma, _) = posteriors(
            y.view(),
            y.mapv(|v| v * v).view(),
            weights.view(),
            means.view(),
            variances.view(),
        );
        let mut out = Array2::<f32>::zeros((n, self.fisher_len()));
        for k in 0..g.components() {
            let sigma = variances.row(k).mapv(f64::sqrt);
            let (scale_mean, scale_var) = (
                1.0 / (count as f64 * weights[k].sqrt()),
                1.0 / (count as f64 * (2.0 * weights[k]).sqrt()),
            );
            for i in 0..n {
                let gik = gamma[[i, k]];
                let mut row = out.row_mut(i);
                for j in 0..d {
                    let u = (y[[i, j]] - means[[k, j]]) / sigma[j];
                    row[k * d + j] = (scale_mean * gik * u) as f32;
                    row[(g.components() + k) * d + j] = (scale_var * gik * (u * u - 1.0)) as f32;
                }
            }
        }
        out
    }

    /// `Σ_i φ(x_i)` over some of a set's descriptors (`count` in the whole set), summed in f64:
    /// the same terms as [`FisherEncoder::terms`] without the `[n, 2KD]` matrix.
    ///
    /// Most components are far from a descriptor. One f32 matrix product screens them,
    /// `log w_k N(y | μ_k, σ²_k) ≈ c_k − ½ (y²·σ⁻²_k − 2 y·μ_k σ⁻²_k + μ²_k·σ⁻²_k)` (its rounding is
    /// far below [`SCREEN_MARGIN`]); the components within reach are then computed exactly in
    /// f64 from `(y − μ_k)/σ_k`, and those whose posterior reaches [`NEGLIGIBLE_POSTERIOR`]
    /// (about six of 32) add their terms.
    pub fn term_sum(&self, descriptors: ArrayView2<f32>, count: usize) -> Array1<f64> {
        self.projected_term_sum(self.projection.apply(descriptors).view(), count)
    }

    /// [`FisherEncoder::term_sum`] of descriptors already projected, `y = (x − mean) · Pᵀ`.
    pub fn projected_term_sum(&self, y: ArrayView2<f32>, count: usize) -> Array1<f64> {
        let g = &self.gmm;
        let (components, d) = g.means.dim();
        let inv = g.variances.mapv(|v| 1.0 / v);
        let log_norm: Vec<f64> = (0..components)
            .map(|k| {
                f64::from(g.weights[k]).max(1e-300).ln()
                    - 0.5
                        * (d as f64 * (2.0 * std::f64::consts::PI).ln()
                            + g.variances.row(k).iter().map(|&v| f64::from(v).ln()).sum::<f64>())
            })
            .collect();
        // One product [y², y] · [σ⁻², −2 μ σ⁻²]ᵀ; the constant μ²·σ⁻² joins `screen_norm`.
        let screen = {
            let mu_inv = &g.means * &inv;
            let mut squares_and_values = Array2::<f32>::zeros((y.nrows(), 2 * d));
            squares_and_values.slice_mut(ndarray::s![.., ..d]).zip_mut_with(&y, |s, &v| *s = v * v);
            squares_and_values.slice_mut(ndarray::s![.., d..]).assign(&y);
            squares_and_values
                .dot(&ndarray::concatenate![Axis(1), inv, mu_inv.mapv(|v| -2.0 * v)].t())
        };
        let screen_norm: Vec<f64> = (0..components)
            .map(|k| {
                log_norm[k]
                    - 0.5
                        * f64::from(
                            g.means
                                .row(k)
                                .iter()
                                .zip(inv.row(k))
                                .map(|(m, i)| m * m * i)
                                .sum::<f32>(),
                        )
            })
            .collect();
        let (means, inv_sigma) =
            (g.means.mapv(f64::from), g.variances.mapv(|v| 1.0 / f64::from(v).sqrt()));
        let mixture = Mixture {
            log_norm: &log_norm,
            screen_norm: &screen_norm,
            means: means.as_slice().expect("standard layout"),
            inv_sigma: inv_sigma.as_slice().expect("standard layout"),
            dims: d,
        };
        let (mut first, mut second) = (vec![0.0f64; components * d], vec![0.0f64; components * d]);
        add_near_terms(y.view(), screen.view(), &mixture, &mut first, &mut second);
        let mut sum = Array1::<f64>::zeros(self.fisher_len());
        for k in 0..components {
            let w = f64::from(g.weights[k]);
            let (scale_mean, scale_var) =
                (1.0 / (count as f64 * w.sqrt()), 1.0 / (count as f64 * (2.0 * w).sqrt()));
            for j in 0..d {
                sum[k * d + j] = scale_mean * first[k * d + j];
                sum[(components + k) * d + j] = scale_var * second[k * d + j];
            }
        }
        sum
    }

    /// `∂(g · Σ_i φ(y_i))/∂y_i` for projected descriptors `y` (`count` in the whole set), one
    /// row per descriptor, in f64 over every component. With `u_k = (y − μ_k)/σ_k`,
    /// `a_k = 1/(N√w_k)`, `b_k = 1/(N√(2w_k))`, `c_k = Σ_j a_k u_kj g¹_kj + b_k (u²_kj − 1) g²_kj`
    /// and `e_k = −u_k/σ_k = ∂ln N(y | μ_k, σ²_k)/∂y`:
    /// `Σ_k γ_k [(a_k g¹_k + 2 b_k u_k g²_k)/σ_k + c_k (e_k − Σ_l γ_l e_l)]`.
    pub fn projected_gradient(
        &self,
        y: ArrayView2<f32>,
        count: usize,
        g: ArrayView1<f32>,
    ) -> Array2<f32> {
        let y = y.mapv(f64::from);
        let (n, d) = y.dim();
        let m = &self.gmm;
        let components = m.components();
        let (weights, means, variances) =
            (m.weights.mapv(f64::from), m.means.mapv(f64::from), m.variances.mapv(f64::from));
        let (gamma, _) = posteriors(
            y.view(),
            y.mapv(|v| v * v).view(),
            weights.view(),
            means.view(),
            variances.view(),
        );
        let sigma = variances.mapv(f64::sqrt);
        let mut out = Array2::<f32>::zeros((n, d));
        let (mut direct, mut e, mut c) =
            (vec![0.0f64; d], vec![0.0f64; components * d], vec![0.0f64; components]);
        for i in 0..n {
            direct.iter_mut().for_each(|v| *v = 0.0);
            let mut mean_e = vec![0.0f64; d];
            for k in 0..components {
                let (a, b) = (
                    1.0 / (count as f64 * weights[k].sqrt()),
                    1.0 / (count as f64 * (2.0 * weights[k]).sqrt()),
                );
                let gik = gamma[[i, k]];
                c[k] = 0.0;
                for j in 0..d {
                    let u = (y[[i, j]] - means[[k, j]]) / sigma[[k, j]];
                    let (g1, g2) =
                        (f64::from(g[k * d + j]), f64::from(g[(components + k) * d + j]));
                    c[k] += a * u * g1 + b * (u * u - 1.0) * g2;
                    direct[j] += gik * (a * g1 + 2.0 * b * u * g2) / sigma[[k, j]];
                    e[k * d + j] = -u / sigma[[k, j]];
                    mean_e[j] += gik * e[k * d + j];
                }
            }
            for j in 0..d {
                let through_posteriors: f64 = (0..components)
                    .map(|k| gamma[[i, k]] * c[k] * (e[k * d + j] - mean_e[j]))
                    .sum();
                out[[i, j]] = (direct[j] + through_posteriors) as f32;
            }
        }
        out
    }

    /// The raw (unnormalised) Fisher vector of a set of descriptors, `Σ_i φ(x_i)`, computed
    /// in chunks so that long clips need no `N × 2KD` matrix.
    pub fn raw(&self, descriptors: ArrayView2<f32>) -> Array1<f32> {
        let n = descriptors.nrows();
        let mut sum = Array1::<f64>::zeros(self.fisher_len());
        for start in (0..n).step_by(CHUNK) {
            let chunk = descriptors.slice(ndarray::s![start..(start + CHUNK).min(n), ..]);
            sum += &self.term_sum(chunk, n);
        }
        sum.mapv(|v| v as f32)
    }
}

/// A mixture's per-component constants for [`add_near_terms`], flat `[K × D]`.
struct Mixture<'a> {
    /// `ln w_k − ½ (D ln 2π + Σ_d ln σ²_kd)`.
    log_norm: &'a [f64],
    /// `log_norm_k − ½ μ²_k·σ⁻²_k`, the screen's constant.
    screen_norm: &'a [f64],
    means: &'a [f64],
    inv_sigma: &'a [f64],
    dims: usize,
}

/// Adds `Σ_i γ_ik u_ik` to `first` and `Σ_i γ_ik (u²_ik − 1)` to `second` for every row `y_i`,
/// `u_ik = (y_i − μ_k)/σ_k`, over the components the screen leaves within [`SCREEN_MARGIN`]
/// (`screen[i, k] = y²_i·σ⁻²_k − 2 y_i·μ_k σ⁻²_k`, the squared Mahalanobis distance without
/// its constant).
///
/// Compiled for AVX2 as well, chosen at run time (`multiversion`): the loops are element-wise
/// and the compiler vectorises them four f64 wide instead of two. Without fused multiply-add
/// contraction (Rust never contracts) every version rounds alike, so results are identical.
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx"))]
fn add_near_terms(
    y: ArrayView2<f32>,
    screen: ArrayView2<f32>,
    mixture: &Mixture,
    first: &mut [f64],
    second: &mut [f64],
) {
    let (components, d) = (mixture.log_norm.len(), mixture.dims);
    let mut u = vec![0.0f64; components * d];
    let mut near: Vec<(usize, f64)> = Vec::with_capacity(components);
    let mut approximate = vec![0.0f64; components];
    let mut row64 = vec![0.0f64; d];
    for (row, distances) in y.outer_iter().zip(screen.outer_iter()) {
        for (x, &v) in row64.iter_mut().zip(row) {
            *x = f64::from(v);
        }
        for ((a, &l), &s) in approximate.iter_mut().zip(mixture.screen_norm).zip(distances) {
            *a = l - 0.5 * f64::from(s);
        }
        let best = approximate.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        near.clear();
        for k in (0..components).filter(|&k| approximate[k] >= best - SCREEN_MARGIN) {
            let slot = &mut u[near.len() * d..(near.len() + 1) * d];
            for (((u, x), m), i) in slot
                .iter_mut()
                .zip(&row64)
                .zip(&mixture.means[k * d..(k + 1) * d])
                .zip(&mixture.inv_sigma[k * d..(k + 1) * d])
            {
                *u = (x - m) * i;
            }
            near.push((k, mixture.log_norm[k] - 0.5 * squared_norm(slot)));
        }
        let top = near.iter().fold(f64::NEG_INFINITY, |m, &(_, l)| m.max(l));
        for (_, l) in near.iter_mut() {
            *l = (*l - top).exp();
        }
        let total: f64 = near.iter().map(|&(_, p)| p).sum();
        for (slot, &(k, p)) in near.iter().enumerate() {
            let gik = p / total;
            if gik < NEGLIGIBLE_POSTERIOR {
                continue;
            }
            let (f, s) = (&mut first[k * d..(k + 1) * d], &mut second[k * d..(k + 1) * d]);
            for ((f, s), u) in f.iter_mut().zip(s.iter_mut()).zip(&u[slot * d..(slot + 1) * d]) {
                *f += gik * u;
                *s += gik * (u * u - 1.0);
            }
        }
    }
}

/// `Σ v²` with four running sums (the compiler keeps a single sum in order, one lane wide).
#[inline(always)]
fn squared_norm(v: &[f64]) -> f64 {
    let mut lanes = [0.0f64; 4];
    let chunks = v.chunks_exact(4);
    let rest: f64 = chunks.remainder().iter().map(|x| x * x).sum();
    for c in chunks {
        for (lane, x) in lanes.iter_mut().zip(c) {
            *lane += x * x;
        }
    }
    lanes.iter().sum::<f64>() + rest
}

/// Posteriors below this are left out of [`FisherEncoder::term_sum`]. A component this
/// unlikely lies at a squared Mahalanobis distance of about 2·ln(1/γ) ≈ 46 from the
/// descriptor, so what it would add is below 1e-8 of a term: under f32's rounding.
pub const NEGLIGIBLE_POSTERIOR: f64 = 1e-10;
/// Components whose screened log-density is this far below the best one are not computed:
/// `ln(1/NEGLIGIBLE_POSTERIOR)` ≈ 23, plus room for the screen's f32 rounding.
const SCREEN_MARGIN: f64 = 25.0;

/// Descriptors per chunk when Fisher-vector terms are computed piecewise (a few frames' worth:
/// small enough to stay in cache and to keep the decoding thread streaming).
pub const CHUNK: usize = 2048;

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::Rng;

    fn identity_encoder() -> FisherEncoder {
        FisherEncoder {
            projection: Projection { mean: Array1::zeros(2), components: Array2::eye(2) },
            gmm: DiagonalGmm {
                weights: array![0.5, 0.5],
                means: array![[0.0, 0.0], [1.0, 1.0]],
                variances: array![[1.0, 1.0], [1.0, 1.0]],
            },
        }
    }

    #[test]
    fn the_fisher_vector_of_one_descriptor_by_hand() {
        // x = (0.5, 0): squared distances 0.25 and 1.25, so γ = (1, e^-0.5) / (1 + e^-0.5).
        let g0 = 1.0 / (1.0 + (-0.5f64).exp());
        let g1 = 1.0 - g0;
        let r2 = 2f64.sqrt();
        let expected = [
            r2 * g0 * 0.5,
            0.0, // mean gradient, component 0: (x − μ0)/σ · γ0/√w0
            -(r2 * g1 * 0.5),
            -(r2 * g1), // component 1
            g0 * (0.25 - 1.0),
            g0 * (0.0 - 1.0), // variance gradient, component 0: γ0 ((x−μ0)²/σ² − 1)/√(2 w0)
            g1 * (0.25 - 1.0),
            g1 * (1.0 - 1.0), // component 1
        ];
        let fv = identity_encoder().raw(array![[0.5f32, 0.0]].view());
        for (got, want) in fv.iter().zip(expected) {
            assert!((f64::from(*got) - want).abs() < 1e-6, "{fv} vs {expected:?}");
        }
        // Two descriptors: the mean of their terms.
        let both = identity_encoder().raw(array![[0.5f32, 0.0], [0.5, 0.0]].view());
        assert!(both.iter().zip(fv.iter()).all(|(a, b)| (a - b).abs() < 1e-6));
    }

    #[test]
    fn the_running_sum_equals_the_sum_of_the_terms() {
        let x = Array2::from_shape_fn((37, 2), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 4.0 - 1.0);
        let encoder = identity_encoder();
        let terms = encoder.terms(x.view(), 50).mapv(f64::from).sum_axis(Axis(0));
        let sum = encoder.term_sum(x.view(), 50);
        for (a, b) in sum.iter().zip(&terms) {
            assert!((a - b).abs() < 1e-6, "{sum} vs {terms}");
        }
    }

    #[test]
    fn leaving_out_unlikely_components_keeps_every_term() {
        // Narrow components (variances near 0.01) far from the origin: most posteriors are
        // tiny and left out, some are near the cut; the sum must still equal all the terms.
        let mut rng = StdRng::seed_from_u64(9);
        let (k, d) = (3, 5);
        let encoder = FisherEncoder {
            projection: Projection {
                mean: Array1::from_shape_fn(d, |j| j as f32 * 0.1),
                components: Array2::from_shape_fn((d, d), |(a, b)| if a == b { 1.0 } else { 0.05 }),
            },
            gmm: DiagonalGmm {
                weights: array![0.2, 0.3, 0.5],
                means: Array2::from_shape_fn((k, d), |_| 3.0 + rng.gen_range(-0.2f32..0.2)),
                variances: Array2::from_shape_fn((k, d), |_| rng.gen_range(0.005f32..0.02)),
            },
        };
        let x = Array2::from_shape_fn((300, d), |_| 3.0 + rng.gen_range(-0.3f32..0.3));
        let terms = encoder.terms(x.view(), 300).mapv(f64::from).sum_axis(Axis(0));
        let sum = encoder.term_sum(x.view(), 300);
        let scale = terms.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (a, b) in sum.iter().zip(&terms) {
            assert!((a - b).abs() < 1e-5 * scale, "{a} vs {b} (largest {scale})");
        }
    }

    #[test]
    fn the_descriptor_gradient_matches_finite_differences() {
        // Three overlapping components in 3-D, so the posteriors move with y.
        let mut rng = StdRng::seed_from_u64(4);
        let (k, d) = (3, 3);
        let encoder = FisherEncoder {
            projection: Projection { mean: Array1::zeros(d), components: Array2::eye(d) },
            gmm: DiagonalGmm {
                weights: array![0.2, 0.3, 0.5],
                means: Array2::from_shape_fn((k, d), |_| rng.gen_range(-0.5f32..0.5)),
                variances: Array2::from_shape_fn((k, d), |_| rng.gen_range(0.2f32..0.6)),
            },
        };
        let y = Array2::from_shape_fn((4, d), |_| rng.gen_range(-0.6f32..0.6));
        let g = Array1::from_shape_fn(encoder.fisher_len(), |_| rng.gen_range(-1.0f32..1.0));
        let gradient = encoder.projected_gradient(y.view(), 4, g.view());
        let dot = |y: &Array2<f32>| {
            encoder
                .projected_term_sum(y.view(), 4)
                .iter()
                .zip(&g)
                .map(|(t, &w)| t * f64::from(w))
                .sum::<f64>()
        };
        let h = 1e-2f32;
        for i in 0..4 {
            for j in 0..d {
                let (mut up, mut down) = (y.clone(), y.clone());
                up[[i, j]] += h;
                down[[i, j]] -= h;
                let numeric = (dot(&up) - dot(&down)) / (2.0 * f64::from(h));
                assert!(
                    (f64::from(gradient[[i, j]]) - numeric).abs() < 2e-3 * numeric.abs().max(0.1),
                    "[{i}, {j}]: {} vs {numeric}",
                    gradient[[i, j]]
                );
            }
        }
    }

    #[test]
    fn em_finds_two_separated_clusters() {
        let mut rng = StdRng::seed_from_u64(5);
        let x = Array2::from_shape_fn((400, 2), |(i, _)| {
            if i < 300 {
                rng.gen_range(-0.5f32..0.5)
            } else {
                10.0 + rng.gen_range(-1.0f32..1.0)
            }
        });
        let gmm = DiagonalGmm::fit(x.view(), 2, 50, 1).unwrap();
        let (a, b) = if gmm.means[[0, 0]] < gmm.means[[1, 0]] { (0, 1) } else { (1, 0) };
        assert!(
            (gmm.weights[a] - 0.75).abs() < 1e-3 && (gmm.weights[b] - 0.25).abs() < 1e-3,
            "{:?}",
            gmm.weights
        );
        assert!(gmm.means[[a, 0]].abs() < 0.1 && (gmm.means[[b, 1]] - 10.0).abs() < 0.2);
        // Uniform on [−0.5, 0.5] has variance 1/12; on [−1, 1], 1/3.
        assert!(
            (gmm.variances[[a, 0]] - 1.0 / 12.0).abs() < 0.02
                && (gmm.variances[[b, 1]] - 1.0 / 3.0).abs() < 0.08,
            "{:?}",
            gmm.variances
        );
    }

    #[test]
    fn pca_keeps_the_direction_of_largest_spread() {
        let mut rng = StdRng::seed_from_u64(2);
        let x = Array2::from_shape_fn((200, 3), |(_, j)| {
            rng.gen_range(-1.0f32..1.0) * [0.1, 5.0, 0.2][j]
        });
        let p = Projection::fit(x.view(), 1).unwrap();
        assert!(p.components[[0, 1]].abs() > 0.99, "{:?}", p.components);
        assert_eq!(p.apply(x.view()).dim(), (200, 1));
    }
}
