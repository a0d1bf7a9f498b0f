//! The attribution methods a text explanation can use, as written on the command line:
//! `lrp` (with a rule or composite), `sa`, `gxi`,
//! `ig[:steps=N,baseline=zero|pad,quadrature=midpoint|gauss-legendre|graded]`,
//! `smoothgrad[:samples=N,noise=F,seed=S]` and `occlusion[:window=W]`.

use std::fmt;

use lrp::{Composite, Quadrature, SmoothGradSettings};
use pipeline::method_spec::{MethodSpec, SMOOTHGRAD_KEYS};

use crate::error::TextError;

/// Where Integrated Gradients' path starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Baseline {
    /// Every embedding zero: no word read (what deletion does to a word).
    Zero,
    /// Every word's tokens replaced by the padding token, special tokens kept (for relvis's
    /// CNN, whose padding embedding is zero, the same as `Zero`).
    Pad,
}

/// How relevance is computed.
#[derive(Clone, Debug, PartialEq)]
pub enum Method {
    /// Layer-wise relevance propagation with a rule per layer.
    Lrp(Composite),
    /// Sensitivity analysis: `‖∂f_c/∂x‖₂` over a word's embedding dimensions (unsigned).
    Sensitivity,
    /// Gradient × input, summed over a word's embedding dimensions.
    GradientXInput,
    /// Integrated Gradients from `baseline`, `steps` nodes of `quadrature`; summed like
    /// Gradient×Input.
    IntegratedGradients { steps: usize, baseline: Baseline, quadrature: Quadrature },
    /// SmoothGrad: the mean gradient over noisy copies of the embedded document, its norm per
    /// position like SA (unsigned).
    SmoothGrad(SmoothGradSettings),
    /// Occlusion: the score's drop when windows of `window` consecutive tokens are deleted (their
    /// embeddings zeroed), averaged over the windows that hold a token; for a word-level
    /// tokenizer, as relvis's CNN has, windows of words.
    Occlusion { window: usize },
}

/// Integrated Gradients' default steps, where the completeness error of the default model is
/// below 1 % of the explained score gap (see the README's table).
pub const IG_STEPS: usize = 50;
/// SmoothGrad's defaults: Smilkov et al. found 10–20 % noise and some tens of samples enough.
pub const SMOOTHGRAD: SmoothGradSettings = SmoothGradSettings { samples: 32, noise: 0.15, seed: 0 };

impl Method {
    /// `method` as written (`ig:steps=64`, …), with the rule (or composite) LRP uses.
    pub fn parse(method: &str, rule: &str) -> Result<Self, TextError> {
        let spec = MethodSpec::parse(method, |name| match name {
            "ig" => &["steps", "baseline", "quadrature"],
            "smoothgrad" => SMOOTHGRAD_KEYS,
            "occlusion" => &["window"],
            _ => &[],
        })
        .map_err(TextError::Explain)?;
        let invalid = |why: String| TextError::Explain(spec.error(why));
        Ok(match spec.name.as_str() {
            "lrp" => Method::Lrp(
                rule.parse().map_err(|e| TextError::Explain(format!("rule `{rule}`: {e}")))?,
            ),
            "sa" => Method::Sensitivity,
            "gxi" => Method::GradientXInput,
            "ig" => {
                let baseline = match spec.get("baseline").unwrap_or("zero") {
                    "zero" => Baseline::Zero,
                    "pad" => Baseline::Pad,
                    other => {
                        return Err(invalid(format!("baseline `{other}`: expected zero or pad")))
                    }
                };
                let quadrature =
                    spec.get("quadrature").unwrap_or("midpoint").parse().map_err(invalid)?;
                Method::IntegratedGradients {
                    steps: spec.count("steps", IG_STEPS).map_err(TextError::Explain)?,
                    baseline,
                    quadrature,
                }
            }
            "smoothgrad" => {
                Method::SmoothGrad(spec.smooth_grad(SMOOTHGRAD).map_err(TextError::Explain)?)
            }
            "occlusion" => {
                Method::Occlusion { window: spec.count("window", 1).map_err(TextError::Explain)? }
            }
            other => {
                return Err(TextError::Explain(format!(
                    "method `{other}`: expected lrp, sa, gxi, ig, smoothgrad or occlusion"
                )))
            }
        })
    }

    /// Whether scores are signed (SA's and SmoothGrad's are not).
    pub fn is_signed(&self) -> bool {
        !matches!(self, Method::Sensitivity | Method::SmoothGrad(_))
    }

    /// The method's name without its settings: `lrp`, `sa`, `gxi`, `ig`, `smoothgrad`, `occlusion`.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Lrp(_) => "lrp",
            Method::Sensitivity => "sa",
            Method::GradientXInput => "gxi",
            Method::IntegratedGradients { .. } => "ig",
            Method::SmoothGrad(_) => "smoothgrad",
            Method::Occlusion { .. } => "occlusion",
        }
    }
}

/// A method as [`Method`]'s `Display` writes it: `lrp RULES` (or `lrp` with the default rule)
/// or the other methods with their settings.
impl std::str::FromStr for Method {
    type Err = TextError;

    fn from_str(written: &str) -> Result<Self, TextError> {
        match written.trim().split_once(' ') {
            Some((name, rule)) if name.eq_ignore_ascii_case("lrp") => {
                Method::parse(name, rule.trim())
            }
            _ => Method::parse(written, crate::explain::DEFAULT_RULE),
        }
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

/// As [`Method::parse`] reads it (with LRP's rules after a space).
impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Method::Lrp(composite) => write!(f, "lrp {composite}"),
            Method::Sensitivity | Method::GradientXInput => f.write_str(self.name()),
            Method::IntegratedGradients { steps, baseline, quadrature: Quadrature::Midpoint } => {
                write!(f, "ig:steps={steps},baseline={baseline}")
            }
            Method::IntegratedGradients { steps, baseline, quadrature } => {
                write!(f, "ig:steps={steps},baseline={baseline},quadrature={quadrature}")
            }
            Method::SmoothGrad(s) => {
                write!(f, "smoothgrad:samples={},noise={},seed={}", s.samples, s.noise, s.seed)
            }
            Method::Occlusion { window } => write!(f, "occlusion:window={window}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_parse_with_defaults_and_print_back() {
        let parse = |m: &str| Method::parse(m, "epsilon=0.01").unwrap();
        assert_eq!(
            parse("IG"),
            Method::IntegratedGradients {
                steps: IG_STEPS,
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
                steps: IG_STEPS,
                baseline: Baseline::Zero,
                quadrature: Quadrature::GaussLegendre
            }
        );
        assert_eq!(
            parse("smoothgrad:noise=0.3"),
            Method::SmoothGrad(SmoothGradSettings { noise: 0.3, ..SMOOTHGRAD })
        );
        assert_eq!(parse("occlusion:window=3"), Method::Occlusion { window: 3 });
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
            Method::parse("lrp", crate::explain::DEFAULT_RULE).unwrap()
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
