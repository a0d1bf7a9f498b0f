//! The attribution methods, one vocabulary for every domain: LRP under a composite, sensitivity
//! analysis, Gradient×Input, Integrated Gradients, SmoothGrad and occlusion, read from what a
//! user writes (`lrp epsilon=0.01`, `ig:steps=64`, `occlusion:window=3`), named, written back,
//! and dispatched to a model by [`Method::attribute`].
//!
//! What differs between domains is what IG starts from and what occlusion removes at a time
//! (a window of words, a cuboid of blocks × frames); a [`Domain`] names those settings and
//! the defaults. Adding a method is one variant here, its parse and name, and one function of
//! [`Attribute`] each domain implements.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::attribution::{Quadrature, SmoothGradSettings};
use crate::composite::Composite;
use crate::error::LrpError;
use crate::method_spec::{MethodSpec, SMOOTHGRAD_KEYS};

/// A method that could not be read, with what is wrong (`method `ig:steps=0`: steps `0`: …`).
#[derive(Clone, Debug, Error, PartialEq)]
#[error("{0}")]
pub struct MethodError(pub String);

/// Settings a domain adds to a method, read from `KEY=VALUE` pairs and written back to them.
pub trait MethodSettings: Sized + Clone + fmt::Debug + PartialEq {
    /// The keys these settings take, in the order they are written.
    const KEYS: &'static [&'static str];
    /// From a written method's settings, with defaults for the keys not given.
    fn read(spec: &MethodSpec) -> Result<Self, String>;
    /// As `KEY=VALUE` pairs, in [`Self::KEYS`]' order.
    fn written(&self) -> Vec<String>;
}

/// What a domain (text, video) adds to the methods, and its defaults.
pub trait Domain: Clone + fmt::Debug + PartialEq {
    /// Where Integrated Gradients' path starts.
    type Baseline: MethodSettings;
    /// What occlusion removes at a time.
    type Occlusion: MethodSettings;
    /// The composite LRP uses when none is given.
    const DEFAULT_RULE: &'static str;
    /// Integrated Gradients' nodes when none are given.
    const IG_STEPS: usize;
    /// SmoothGrad's settings when none are given.
    const SMOOTHGRAD: SmoothGradSettings;
}

/// How relevance is computed.
#[derive(Clone, Debug, PartialEq)]
pub enum Method<D: Domain> {
    /// Layer-wise relevance propagation with a rule per layer.
    Lrp(Composite),
    /// Sensitivity analysis: `‖∂f_c/∂x‖₂` over an input unit's elements (unsigned).
    Sensitivity,
    /// Gradient × input, summed over an input unit's elements.
    GradientXInput,
    /// Integrated Gradients, `∫₀¹ (x − x') ∂f_c/∂x (x' + α(x − x')) dα`, from the domain's
    /// baseline `x'` in `steps` nodes of `quadrature`.
    IntegratedGradients { steps: usize, quadrature: Quadrature, baseline: D::Baseline },
    /// SmoothGrad: the mean gradient over noisy copies of the input, its norm per unit (unsigned).
    SmoothGrad(SmoothGradSettings),
    /// Occlusion: the score's drop when a part of the input is removed, given to that part.
    Occlusion(D::Occlusion),
}

/// How a domain's model on one input computes each method; [`Method::attribute`] picks one.
pub trait Attribute<D: Domain> {
    /// What every method yields (relevance per input unit, and what each method reports).
    type Output;
    type Error: From<LrpError>;
    fn lrp(&self, composite: &Composite) -> Result<Self::Output, Self::Error>;
    fn sensitivity(&self) -> Result<Self::Output, Self::Error>;
    fn gradient_x_input(&self) -> Result<Self::Output, Self::Error>;
    fn integrated_gradients(
        &self,
        steps: usize,
        quadrature: Quadrature,
        baseline: &D::Baseline,
    ) -> Result<Self::Output, Self::Error>;
    fn smooth_grad(&self, settings: &SmoothGradSettings) -> Result<Self::Output, Self::Error>;
    fn occlusion(&self, occlusion: &D::Occlusion) -> Result<Self::Output, Self::Error>;
}

impl<D: Domain> Method<D> {
    /// `method` as written (`ig:steps=64`, …), with the composite LRP uses.
    pub fn parse(method: &str, rule: &str) -> Result<Self, MethodError> {
        let spec = MethodSpec::parse(method, |name| match name {
            "ig" => [&["steps"], D::Baseline::KEYS, &["quadrature"]].concat(),
            "smoothgrad" => SMOOTHGRAD_KEYS.to_vec(),
            "occlusion" => D::Occlusion::KEYS.to_vec(),
            _ => Vec::new(),
        })
        .map_err(MethodError)?;
        let invalid = |why: String| MethodError(spec.error(why));
        Ok(match spec.name.as_str() {
            "lrp" => {
                Method::Lrp(rule.parse().map_err(|e| MethodError(format!("rule `{rule}`: {e}")))?)
            }
            "sa" => Method::Sensitivity,
            "gxi" => Method::GradientXInput,
            "ig" => Method::IntegratedGradients {
                steps: spec.count("steps", D::IG_STEPS).map_err(MethodError)?,
                quadrature: spec
                    .get("quadrature")
                    .unwrap_or("midpoint")
                    .parse()
                    .map_err(invalid)?,
                baseline: D::Baseline::read(&spec).map_err(MethodError)?,
            },
            "smoothgrad" => {
                Method::SmoothGrad(spec.smooth_grad(D::SMOOTHGRAD).map_err(MethodError)?)
            }
            "occlusion" => Method::Occlusion(D::Occlusion::read(&spec).map_err(MethodError)?),
            other => {
                return Err(MethodError(format!(
                    "method `{other}`: expected lrp, sa, gxi, ig, smoothgrad or occlusion"
                )))
            }
        })
    }

    /// Whether scores are signed (sensitivity's and SmoothGrad's are norms).
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
            Method::Occlusion(_) => "occlusion",
        }
    }

    /// The method computed on `model`'s input.
    pub fn attribute<A: Attribute<D> + ?Sized>(&self, model: &A) -> Result<A::Output, A::Error> {
        match self {
            Method::Lrp(composite) => model.lrp(composite),
            Method::Sensitivity => model.sensitivity(),
            Method::GradientXInput => model.gradient_x_input(),
            Method::IntegratedGradients { steps, quadrature, baseline } => {
                model.integrated_gradients(*steps, *quadrature, baseline)
            }
            Method::SmoothGrad(settings) => model.smooth_grad(settings),
            Method::Occlusion(occlusion) => model.occlusion(occlusion),
        }
    }
}

/// A method as [`Method`]'s `Display` writes it: `lrp RULES` (or `lrp` alone, the domain's
/// default composite) or a method with its settings.
impl<D: Domain> FromStr for Method<D> {
    type Err = MethodError;

    fn from_str(written: &str) -> Result<Self, MethodError> {
        match written.trim().split_once(' ') {
            Some((name, rule)) if name.eq_ignore_ascii_case("lrp") => {
                Method::parse(name, rule.trim())
            }
            _ => Method::parse(written, D::DEFAULT_RULE),
        }
    }
}

/// As [`Method::parse`] reads it, with LRP's composite after a space; IG's quadrature only
/// when it is not the default midpoint rule.
impl<D: Domain> fmt::Display for Method<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Method::Lrp(composite) => write!(f, "lrp {composite}"),
            Method::Sensitivity | Method::GradientXInput => f.write_str(self.name()),
            Method::IntegratedGradients { steps, quadrature, baseline } => {
                let mut settings = vec![format!("steps={steps}")];
                settings.extend(baseline.written());
                if *quadrature != Quadrature::Midpoint {
                    settings.push(format!("quadrature={quadrature}"));
                }
                write!(f, "ig:{}", settings.join(","))
            }
            Method::SmoothGrad(s) => {
                write!(f, "smoothgrad:samples={},noise={},seed={}", s.samples, s.noise, s.seed)
            }
            Method::Occlusion(occlusion) => {
                write!(f, "occlusion:{}", occlusion.written().join(","))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A domain with a two-way baseline and a two-key occlusion, as text and video have.
    #[derive(Clone, Debug, PartialEq)]
    struct Toy;

    #[derive(Clone, Debug, PartialEq)]
    enum Start {
        Zero,
        Mean,
    }

    #[derive(Clone, Debug, PartialEq)]
    struct Patch {
        width: usize,
        height: usize,
    }

    impl MethodSettings for Start {
        const KEYS: &'static [&'static str] = &["baseline"];
        fn read(spec: &MethodSpec) -> Result<Self, String> {
            match spec.get("baseline").unwrap_or("zero") {
                "zero" => Ok(Start::Zero),
                "mean" => Ok(Start::Mean),
                other => Err(spec.error(format!("baseline `{other}`: expected zero or mean"))),
            }
        }
        fn written(&self) -> Vec<String> {
            vec![format!("baseline={}", if *self == Start::Zero { "zero" } else { "mean" })]
        }
    }

    impl MethodSettings for Patch {
        const KEYS: &'static [&'static str] = &["width", "height"];
        fn read(spec: &MethodSpec) -> Result<Self, String> {
            Ok(Patch { width: spec.count("width", 2)?, height: spec.count("height", 3)? })
        }
        fn written(&self) -> Vec<String> {
            vec![format!("width={}", self.width), format!("height={}", self.height)]
        }
    }

    impl Domain for Toy {
        type Baseline = Start;
        type Occlusion = Patch;
        const DEFAULT_RULE: &'static str = "epsilon=0.5";
        const IG_STEPS: usize = 7;
        const SMOOTHGRAD: SmoothGradSettings =
            SmoothGradSettings { samples: 5, noise: 0.1, seed: 2 };
    }

    type ToyMethod = Method<Toy>;

    #[test]
    fn methods_parse_with_the_domains_defaults_and_print_back() {
        let parse = |m: &str| m.parse::<ToyMethod>().unwrap();
        assert_eq!(
            parse("IG"),
            Method::IntegratedGradients {
                steps: 7,
                quadrature: Quadrature::Midpoint,
                baseline: Start::Zero
            }
        );
        assert_eq!(parse("occlusion"), Method::Occlusion(Patch { width: 2, height: 3 }));
        assert_eq!(
            parse("smoothgrad:noise=0.3"),
            Method::SmoothGrad(SmoothGradSettings { noise: 0.3, ..Toy::SMOOTHGRAD })
        );
        assert_eq!(parse("lrp"), Method::Lrp("epsilon=0.5".parse().unwrap()));
        assert_eq!(parse("lrp zplus;0:flat"), Method::Lrp("zplus;0:flat".parse().unwrap()));
        for m in [
            "ig:steps=8,baseline=mean",
            "ig:steps=8,baseline=zero,quadrature=gauss-legendre",
            "smoothgrad:samples=4,noise=0.2,seed=9",
            "occlusion:width=1,height=4",
            "sa",
            "gxi",
        ] {
            assert_eq!(parse(m).to_string(), m);
            assert_eq!(parse(&parse(m).to_string()), parse(m));
        }
        let lrp = parse("lrp epsilon=0.1;dense:zplus");
        assert_eq!(lrp.to_string().parse::<ToyMethod>().unwrap(), lrp);
        assert_eq!((lrp.name(), lrp.is_signed()), ("lrp", true));
        assert!(!parse("sa").is_signed() && !parse("smoothgrad").is_signed());
    }

    #[test]
    fn bad_methods_name_what_is_wrong() {
        let message = |m: &str| ToyMethod::parse(m, "epsilon").unwrap_err().to_string();
        assert_eq!(
            message("ig:steps=0"),
            "method `ig:steps=0`: steps `0`: expected a whole number ≥ 1"
        );
        assert!(message("ig:baseline=one").contains("baseline `one`: expected zero or mean"));
        assert!(message("ig:quadrature=simpson").contains("quadrature `simpson`"));
        assert!(message("ig:width=2")
            .contains("unknown setting `width`; ig takes steps, baseline, quadrature"));
        assert!(message("occlusion:window=2").contains("occlusion takes width, height"));
        assert!(message("sa:steps=2").contains("sa takes no settings"));
        assert_eq!(
            message("shap"),
            "method `shap`: expected lrp, sa, gxi, ig, smoothgrad or occlusion"
        );
        let rule = ToyMethod::parse("lrp", "nonsense").unwrap_err().to_string();
        assert!(rule.starts_with("rule `nonsense`: "), "{rule}");
    }

    /// Each method reaches its own function of [`Attribute`], with its settings.
    #[test]
    fn attribute_dispatches_each_method_with_its_settings() {
        struct Names;
        impl Attribute<Toy> for Names {
            type Output = String;
            type Error = LrpError;
            fn lrp(&self, composite: &Composite) -> Result<String, LrpError> {
                Ok(format!("lrp {composite}"))
            }
            fn sensitivity(&self) -> Result<String, LrpError> {
                Ok("sa".into())
            }
            fn gradient_x_input(&self) -> Result<String, LrpError> {
                Ok("gxi".into())
            }
            fn integrated_gradients(
                &self,
                steps: usize,
                quadrature: Quadrature,
                baseline: &Start,
            ) -> Result<String, LrpError> {
                Ok(format!("ig {steps} {quadrature} {baseline:?}"))
            }
            fn smooth_grad(&self, s: &SmoothGradSettings) -> Result<String, LrpError> {
                Ok(format!("smoothgrad {}", s.samples))
            }
            fn occlusion(&self, patch: &Patch) -> Result<String, LrpError> {
                Ok(format!("occlusion {}x{}", patch.width, patch.height))
            }
        }
        let run = |m: &str| m.parse::<ToyMethod>().unwrap().attribute(&Names).unwrap();
        assert_eq!(run("ig:steps=3,baseline=mean"), "ig 3 midpoint Mean");
        assert_eq!(run("occlusion:height=5"), "occlusion 2x5");
        assert_eq!(run("smoothgrad:samples=9"), "smoothgrad 9");
        assert_eq!((run("sa"), run("gxi")), ("sa".to_string(), "gxi".to_string()));
        assert_eq!(run("lrp zplus"), format!("lrp {}", "zplus".parse::<Composite>().unwrap()));
    }
}
