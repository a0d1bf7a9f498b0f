//! The diagonal-covariance Gaussian mixture: started by `linfa-clustering`'s k-means, fitted by
//! EM written here (`linfa-clustering`'s `GaussianMixtureModel` fits full covariances only),
//! and the posteriors the Fisher vector weighs its terms by.

use linfa::traits::{Fit, Predict as _};
use linfa::DatasetBase;
use linfa_clustering::KMeans;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::error::VideoError;

/// Rows k-means sees to start the mixture.
const KMEANS_SAMPLE: usize = 20_000;
/// Smallest variance a mixture component keeps (descriptors are L2-normalised histograms).
pub const MIN_VARIANCE: f64 = 1e-6;

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
pub(super) fn posteriors(
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
