//! `relvis.spray`: spectral relevance analysis over any stack of relevance maps.

use ::spray::maps::{normalise as normalise_map, Normalisation};
use ::spray::{analyse, Analysis, SprayOptions};
use numpy::{AllowTypeChange, PyArray1, PyArray2, PyArrayLikeDyn};
use pyo3::prelude::*;

use crate::errors::{exception, usage};
use outcome::FailureKind;

/// SpRAy over `maps` (`n × …`: one relevance map per row, of any shape, flattened): each map
/// scaled by `normalise` (`l1`, `l2`, `max-abs`, `none`), a k-nearest-neighbour graph
/// (`neighbours`, default `⌈ln n⌉`), the smallest eigenvalues of its normalised Laplacian
/// `L = I − D^{-1/2} A D^{-1/2}`, spectral clustering into `clusters` (default: the eigengap's
/// proposal) and a 2-D embedding (t-SNE up to 2,000 maps), seeded.
#[pyfunction]
#[pyo3(signature = (maps, neighbours=None, clusters=None, normalise="l1", perplexity=None, seed=1))]
pub(crate) fn spray(
    py: Python<'_>,
    maps: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
    neighbours: Option<usize>,
    clusters: Option<usize>,
    normalise: &str,
    perplexity: Option<f64>,
    seed: u64,
) -> PyResult<PySprayAnalysis> {
    let how: Normalisation = normalise.parse().map_err(usage)?;
    let view = maps.as_array();
    if view.ndim() < 2 || view.shape()[0] == 0 {
        return Err(usage(format!(
            "maps: expected an array of shape (n, …) with n ≥ 1 maps, got shape {:?}",
            view.shape()
        )));
    }
    let n = view.shape()[0];
    let mut x =
        view.to_owned().into_shape_with_order((n, view.len() / n)).expect("rows of equal length");
    let mut options = SprayOptions { neighbours, clusters, seed, ..SprayOptions::default() };
    options.tsne.perplexity = perplexity;
    options.tsne.seed = seed;
    let analysis = py.detach(|| {
        for mut row in x.outer_iter_mut() {
            let mut map = row.to_owned();
            normalise_map(&mut map, how);
            row.assign(&map);
        }
        analyse(x.view(), &options)
    });
    let analysis =
        analysis.map_err(|e| exception(FailureKind::InvalidInput, format!("maps: {e}")))?;
    Ok(PySprayAnalysis { a: analysis })
}

/// The result of [`spray`].
#[pyclass(name = "SprayAnalysis", module = "relvis", frozen)]
pub(crate) struct PySprayAnalysis {
    a: Analysis,
}

#[pymethods]
impl PySprayAnalysis {
    /// The smallest eigenvalues of the graph's normalised Laplacian, ascending.
    #[getter]
    fn eigenvalues<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.a.eigenvalues)
    }

    /// `λ_{i+1} − λ_i`.
    #[getter]
    fn eigengaps<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.a.eigengaps)
    }

    /// The number of clusters the eigengap proposes.
    #[getter]
    fn proposed_clusters(&self) -> usize {
        self.a.proposed_clusters
    }

    #[getter]
    fn clusters(&self) -> usize {
        self.a.clusters
    }

    /// Each map's cluster.
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        PyArray1::from_iter(py, self.a.labels.iter().map(|&l| l as i64))
    }

    #[getter]
    fn cluster_sizes(&self) -> Vec<usize> {
        self.a.cluster_sizes.clone()
    }

    /// A 2-D embedding of the maps for display (`n × 2`).
    #[getter]
    fn embedding<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let rows: Vec<Vec<f64>> = self.a.embedding.iter().map(|p| p.to_vec()).collect();
        Ok(PyArray2::from_vec2(py, &rows)?)
    }

    /// `t-sne` or `spectral`.
    #[getter]
    fn embedding_method(&self) -> &str {
        &self.a.embedding_method
    }

    /// The analysis as `spray.json` holds it.
    fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.a).expect("serialises")
    }

    fn __repr__(&self) -> String {
        format!(
            "SprayAnalysis(maps={}, clusters={}, proposed={}, largest_eigengap={:.4})",
            self.a.maps, self.a.clusters, self.a.proposed_clusters, self.a.largest_eigengap
        )
    }
}
