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

mod gmm;
#[cfg(test)]
mod tests;

use linfa::traits::Fit;
use linfa::DatasetBase;
use linfa_reduction::Pca;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use super::squared_norm::squared_norm;
use crate::error::VideoError;
use gmm::posteriors;
pub use gmm::{DiagonalGmm, MIN_VARIANCE};

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
/// The rows' posteriors gather the moments `S⁰_k = Σ_i γ_ik`, `S¹_k = Σ_i γ_ik y_i` and
/// `S²_k = Σ_i γ_ik y²_i` (two products per value and component instead of four), and at the
/// end `Σ γ u = (S¹ − μ S⁰)/σ` and `Σ γ (u² − 1) = (S² − 2 μ S¹ + μ² S⁰)/σ² − S⁰`; in f64 the
/// cancellation there costs a few of its sixteen digits, far below the f32 the vector is kept in.
///
/// Compiled for AVX-512 and AVX2 as well, chosen at run time (`multiversion`): the loops are
/// element-wise and the compiler vectorises them eight or four f64 wide instead of two. Without
/// fused multiply-add contraction (Rust never contracts) every version rounds alike, so results
/// are identical.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "x86_64+avx"
))]
fn add_near_terms(
    y: ArrayView2<f32>,
    screen: ArrayView2<f32>,
    mixture: &Mixture,
    first: &mut [f64],
    second: &mut [f64],
) {
    let (components, d) = (mixture.log_norm.len(), mixture.dims);
    let mut u = vec![0.0f64; d];
    let mut near: Vec<(usize, f64)> = Vec::with_capacity(components);
    let mut approximate = vec![0.0f64; components];
    let (mut values, mut squares) = (vec![0.0f64; d], vec![0.0f64; d]);
    let mut zeroth = vec![0.0f64; components];
    let (mut moment1, mut moment2) = (vec![0.0f64; components * d], vec![0.0f64; components * d]);
    // Rows as slices: ndarray's element iterators keep these loops one value wide.
    let (y, screen) = (y.as_standard_layout(), screen.as_standard_layout());
    let (y, screen) =
        (y.as_slice().expect("standard layout"), screen.as_slice().expect("standard layout"));
    for (row, distances) in y.chunks_exact(d).zip(screen.chunks_exact(components)) {
        for ((x, x2), &v) in values.iter_mut().zip(squares.iter_mut()).zip(row) {
            *x = f64::from(v);
            *x2 = *x * *x;
        }
        for ((a, &l), &s) in approximate.iter_mut().zip(mixture.screen_norm).zip(distances) {
            *a = l - 0.5 * f64::from(s);
        }
        let best = approximate.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        near.clear();
        for k in (0..components).filter(|&k| approximate[k] >= best - SCREEN_MARGIN) {
            for (((u, x), m), i) in u
                .iter_mut()
                .zip(&values)
                .zip(&mixture.means[k * d..(k + 1) * d])
                .zip(&mixture.inv_sigma[k * d..(k + 1) * d])
            {
                *u = (x - m) * i;
            }
            near.push((k, mixture.log_norm[k] - 0.5 * squared_norm::<f64, 4>(&u)));
        }
        let top = near.iter().fold(f64::NEG_INFINITY, |m, &(_, l)| m.max(l));
        for (_, l) in near.iter_mut() {
            *l = (*l - top).exp();
        }
        let total: f64 = near.iter().map(|&(_, p)| p).sum();
        for &(k, p) in &near {
            let gik = p / total;
            if gik < NEGLIGIBLE_POSTERIOR {
                continue;
            }
            zeroth[k] += gik;
            let (m1, m2) = (&mut moment1[k * d..(k + 1) * d], &mut moment2[k * d..(k + 1) * d]);
            for (((m1, m2), x), x2) in m1.iter_mut().zip(m2.iter_mut()).zip(&values).zip(&squares) {
                *m1 += gik * x;
                *m2 += gik * x2;
            }
        }
    }
    for (k, &s0) in zeroth.iter().enumerate() {
        let range = k * d..(k + 1) * d;
        for (j, (f, s)) in first[range.clone()].iter_mut().zip(&mut second[range]).enumerate() {
            let (m, i) = (mixture.means[k * d + j], mixture.inv_sigma[k * d + j]);
            let (s1, s2) = (moment1[k * d + j], moment2[k * d + j]);
            *f += (s1 - m * s0) * i;
            *s += (s2 - 2.0 * m * s1 + m * m * s0) * i * i - s0;
        }
    }
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
