//! Where an explained score went, step by step: the same report for every pipeline.

use serde::{Deserialize, Serialize};

/// Relevance sums of one step of an LRP pass (a layer, or a pipeline's own linear step).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerSum {
    /// The step's position, counting from 0 at the input.
    pub index: usize,
    pub kind: String,
    /// The rule used, for steps that take one (absent for those that pass relevance on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// `Σ_j R_j` at the step's output.
    pub relevance_out: f64,
    /// `Σ_i R_i` at the step's input.
    pub relevance_in: f64,
}

impl From<&lrp::LayerRelevance> for LayerSum {
    fn from(l: &lrp::LayerRelevance) -> Self {
        LayerSum {
            index: l.index,
            kind: l.kind.to_string(),
            rule: l.rule.map(|r| r.to_string()),
            relevance_out: l.relevance_out,
            relevance_in: l.relevance_in,
        }
    }
}

/// How far Integrated Gradients' sum is from the score gap it explains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Completeness {
    /// Where the path starts: `zero` or `pad` (text), `motionless` (video).
    pub baseline: String,
    pub steps: usize,
    /// How the path is sampled: `midpoint` or `gauss-legendre`.
    pub quadrature: String,
    /// `f_c(x)`.
    pub score: f64,
    /// `f_c(x')` at the baseline.
    pub baseline_score: f64,
    /// `Σ_i R_i − (f_c(x) − f_c(x'))` over every input element.
    pub error: f64,
}
