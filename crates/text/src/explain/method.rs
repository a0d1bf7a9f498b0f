//! The text side of the attribution methods ([`lrp::Method`]): Integrated Gradients starts
//! from the zero document or from padding, occlusion removes windows of consecutive tokens,
//! and the defaults, as written on the command line: `lrp` (with a rule or composite), `sa`,
//! `gxi`, `ig[:steps=N,baseline=zero|pad,quadrature=midpoint|gauss-legendre|graded]`,
//! `smoothgrad[:samples=N,noise=F,seed=S]` and `occlusion[:window=W]`.

use std::fmt;

use lrp::{Domain, MethodError, MethodSettings, MethodSpec, SmoothGradSettings};

use crate::error::TextError;

/// Words: the text domain of [`lrp::Method`].
#[derive(Clone, Debug, PartialEq)]
pub struct Words;

/// How a word's relevance is computed.
pub type Method = lrp::Method<Words>;

/// The composite a text explanation uses unless told otherwise ([`Words`]' default), for
/// command-line defaults.
pub const DEFAULT_RULE: &str = <Words as Domain>::DEFAULT_RULE;

impl Domain for Words {
    type Baseline = Baseline;
    type Occlusion = OcclusionWindow;
    /// ε with a small ε, as in the seed.
    const DEFAULT_RULE: &'static str = "epsilon=0.01";
    /// Where the completeness error of the default model is below 1 % of the explained score
    /// gap (see docs/judging-explanations.md).
    const IG_STEPS: usize = 50;
    /// Smilkov et al. found 10–20 % noise and some tens of samples enough.
    const SMOOTHGRAD: SmoothGradSettings = SmoothGradSettings { samples: 32, noise: 0.15, seed: 0 };
}

/// Where Integrated Gradients' path starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Baseline {
    /// Every embedding zero: no word read (what deletion does to a word).
    Zero,
    /// Every word's tokens replaced by the padding token, special tokens kept (for relvis's
    /// CNN, whose padding embedding is zero, the same as `Zero`).
    Pad,
}

impl MethodSettings for Baseline {
    const KEYS: &'static [&'static str] = &["baseline"];

    fn read(spec: &MethodSpec) -> Result<Self, String> {
        match spec.get("baseline").unwrap_or("zero") {
            "zero" => Ok(Baseline::Zero),
            "pad" => Ok(Baseline::Pad),
            other => Err(spec.error(format!("baseline `{other}`: expected zero or pad"))),
        }
    }

    fn written(&self) -> Vec<String> {
        vec![format!("baseline={self}")]
    }
}

impl fmt::Display for Baseline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Baseline::Zero => "zero",
            Baseline::Pad => "pad",
        })
    }
}

/// Occlusion's window: the score's drop when this many consecutive tokens are deleted (their
/// embeddings zeroed), averaged over the windows that hold a token; for a word-level
/// tokenizer, as relvis's CNN has, windows of words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OcclusionWindow(pub usize);

impl MethodSettings for OcclusionWindow {
    const KEYS: &'static [&'static str] = &["window"];

    fn read(spec: &MethodSpec) -> Result<Self, String> {
        spec.count("window", 1).map(OcclusionWindow)
    }

    fn written(&self) -> Vec<String> {
        vec![format!("window={}", self.0)]
    }
}

impl From<MethodError> for TextError {
    fn from(e: MethodError) -> Self {
        TextError::Explain(e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lrp::{Domain, Quadrature, SmoothGradSettings};

    #[test]
    fn methods_parse_with_defaults_and_print_back() {
        let parse = |m: &str| Method::parse(m, "epsilon=0.01").unwrap();
        assert_eq!(
            parse("IG"),
            Method::IntegratedGradients {
                steps: Words::IG_STEPS,
                baseline: Baseline::Zero,
                quadrature: Quadrature::Midpoint
            }
        );
        assert_eq!(
            parse("ig:steps=8, baseline=pad"),
            Method::IntegratedGradients {
                steps: 8,
                baseline: Baseline::Pad,
                quadrature: Quadrature::Midpoint
            }
        );
        assert_eq!(
            parse("ig:quadrature=gauss-legendre"),
            Method::IntegratedGradients {
                steps: Words::IG_STEPS,
                baseline: Baseline::Zero,
                quadrature: Quadrature::GaussLegendre
            }
        );
        assert_eq!(
            parse("smoothgrad:noise=0.3"),
            Method::SmoothGrad(SmoothGradSettings { noise: 0.3, ..Words::SMOOTHGRAD })
        );
        assert_eq!(parse("occlusion:window=3"), Method::Occlusion(OcclusionWindow(3)));
        for m in [
            "ig:steps=8,baseline=pad",
            "ig:steps=8,baseline=zero,quadrature=gauss-legendre",
            "smoothgrad:samples=4,noise=0.2,seed=9",
            "occlusion:window=2",
            "sa",
            "gxi",
        ] {
            assert_eq!(parse(m).to_string(), m);
            assert_eq!(parse(&parse(m).to_string()), parse(m));
            assert_eq!(parse(m).to_string().parse::<Method>().unwrap(), parse(m));
        }
        let composite: Method = "lrp epsilon=0.1;conv1d:zplus".parse().unwrap();
        assert_eq!(composite, Method::parse("lrp", "epsilon=0.1;conv1d:zplus").unwrap());
        assert_eq!(composite.to_string().parse::<Method>().unwrap(), composite);
        assert_eq!(
            "lrp".parse::<Method>().unwrap(),
            Method::parse("lrp", Words::DEFAULT_RULE).unwrap()
        );
    }

    #[test]
    fn bad_methods_name_what_is_wrong() {
        let message = |m: &str| Method::parse(m, "epsilon").unwrap_err().to_string();
        assert!(message("ig:steps=0").contains("steps `0`"));
        assert!(message("ig:baseline=mean").contains("baseline `mean`"));
        assert!(message("ig:quadrature=simpson").contains("quadrature `simpson`"));
        assert!(message("ig:window=2").contains("unknown setting `window`"));
        assert!(message("sa:steps=2").contains("sa takes no settings"));
        assert!(message("smoothgrad:noise=-1").contains("noise `-1`"));
        assert!(message("occlusion:window").contains("not KEY=VALUE"));
        assert!(message("shap").contains("expected lrp, sa, gxi, ig, smoothgrad or occlusion"));
    }
}
