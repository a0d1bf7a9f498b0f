//! Where an explained score went, step by step: the same report for every pipeline.

use serde::{Deserialize, Serialize};

/// Where an explained score `f_c` went: into the input (as the pipeline splits it: words and
/// padding, or blocks), and what biases and stabilisers absorbed, `f_c − Σ input`; with each
/// step's sums.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conservation<I> {
    /// The explained class score `f_c`, the relevance at the top.
    pub explained: f64,
    /// The relevance that reached the input, as the pipeline names its parts.
    #[serde(flatten)]
    pub input: I,
    /// `explained − Σ input`: taken by biases and stabilisers (and zero denominators).
    pub absorbed: f64,
    /// Per step, from the output back to the input.
    pub layers: Vec<LayerSum>,
}

/// The relevance that reached a pipeline's input, in parts.
pub trait InputRelevance {
    /// What of `explained` the parts did not take, `explained − Σ parts` (subtracted part by
    /// part, in the order the parts are written).
    fn absorbed(&self, explained: f64) -> f64;
}

impl<I: InputRelevance> Conservation<I> {
    /// The report of `explained` split into `input` and what was absorbed.
    pub fn new(explained: f64, input: I, layers: Vec<LayerSum>) -> Self {
        let absorbed = input.absorbed(explained);
        Conservation { explained, input, absorbed, layers }
    }

    /// The same report with the input split anew.
    pub fn with_input<J: InputRelevance>(self, input: J) -> Conservation<J> {
        Conservation::new(self.explained, input, self.layers)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct Parts {
        left: f64,
        #[serde(default)]
        right: f64,
    }

    impl InputRelevance for Parts {
        fn absorbed(&self, explained: f64) -> f64 {
            explained - self.left - self.right
        }
    }

    #[test]
    fn the_absorbed_share_is_what_the_input_did_not_take_and_the_parts_are_fields() {
        let c = Conservation::new(3.0, Parts { left: 1.5, right: 0.25 }, Vec::new());
        assert_eq!(c.absorbed, 1.25);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"explained":3.0,"left":1.5,"right":0.25,"absorbed":1.25,"layers":[]}"#
        );
        let back: Conservation<Parts> =
            serde_json::from_str(r#"{"explained":3.0,"left":1.5,"absorbed":1.5,"layers":[]}"#)
                .unwrap();
        assert_eq!(back.input, Parts { left: 1.5, right: 0.0 });
        assert_eq!(c.with_input(Parts { left: 2.0, right: 0.0 }).absorbed, 1.0);
    }
}
