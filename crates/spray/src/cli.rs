//! The clustering settings as command-line flags (`clap`), shared by `xai-text spray` and
//! `xai-video spray`/`spray-frames` (feature `cli`).

use crate::maps::Normalisation;
use crate::spectral::SprayOptions;
use crate::tsne::TsneOptions;

/// `--normalise`, `--neighbours`, `--clusters`, `--perplexity`, `--exaggeration`.
#[derive(clap::Args, Clone, Debug)]
pub struct ClusterArgs {
    /// none, l1, l2 or max-abs.
    #[arg(long, default_value = "l1")]
    pub normalise: Normalisation,
    /// Neighbours in the k-NN graph (default ⌈ln n⌉).
    #[arg(long)]
    pub neighbours: Option<usize>,
    /// Clusters (default: the eigengap's proposal).
    #[arg(long)]
    pub clusters: Option<usize>,
    /// t-SNE perplexity (Gaussian affinities over the neighbours); default: the k-NN graph's own.
    #[arg(long)]
    pub perplexity: Option<f64>,
    /// t-SNE early exaggeration.
    #[arg(long, default_value_t = TsneOptions::default().exaggeration)]
    pub exaggeration: f64,
}

impl ClusterArgs {
    /// The analysis settings these flags ask for.
    pub fn options(&self) -> SprayOptions {
        let tsne = TsneOptions {
            perplexity: self.perplexity,
            exaggeration: self.exaggeration,
            ..TsneOptions::default()
        };
        SprayOptions {
            neighbours: self.neighbours,
            clusters: self.clusters,
            tsne,
            ..SprayOptions::default()
        }
    }
}
