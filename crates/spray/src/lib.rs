//! Spectral relevance analysis (SpRAy, Lapuschkin et al. 2019): many relevance maps of one
//! class, brought to a common shape, are clustered spectrally to show the strategies a model
//! uses across a data set — Clever Hans ones included.
//!
//! Steps: a k-nearest-neighbour graph over the maps (binary or heat-kernel weights,
//! symmetrised by max), the symmetric normalised Laplacian `L = I − D^{-1/2} A D^{-1/2}`, its
//! smallest eigenvalues and eigenvectors (dense for small sets, LOBPCG on the sparse graph for
//! large ones), the largest eigengap to propose the number of clusters, and k-means on the
//! row-normalised eigenvectors; a t-SNE embedding of the same graph for display.

#[cfg(feature = "cli")]
pub mod cli;
pub mod graph;
pub mod maps;
pub mod plot;
pub mod spectral;
pub mod tsne;

pub use graph::{knn_graph, Graph, Weighting};
pub use spectral::{analyse, rank_by_eigengap, Analysis, Clustering, Solver, SprayOptions};
pub use tsne::TsneOptions;

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum SprayError {
    #[error("{0}")]
    Invalid(String),
    #[error("eigensolver: {0}")]
    Eigen(String),
}
