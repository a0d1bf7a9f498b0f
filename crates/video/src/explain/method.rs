//! The video side of the attribution methods ([`lrp::Method`]): Integrated Gradients starts
//! from the motionless clip, occlusion removes the motion of block × frame cuboids, and the
//! defaults, as written on the command line: `lrp` (with a rule or composite for the chain),
//! `sa`, `gxi`, `ig[:steps=N,quadrature=midpoint|gauss-legendre|graded]`,
//! `smoothgrad[:samples=N,noise=F,seed=S]` and `occlusion[:blocks=B,frames=F]`.

use lrp::{Domain, MethodError, MethodSettings, MethodSpec, SmoothGradSettings};

use crate::error::VideoError;

/// Clips: the video domain of [`lrp::Method`].
#[derive(Clone, Debug, PartialEq)]
pub struct Clips;

/// How a clip's relevance is computed.
pub type Method = lrp::Method<Clips>;

/// The rules of the chain unless asked otherwise ([`Clips`]' default), for command-line
/// defaults.
pub const DEFAULT_RULE: &str = <Clips as Domain>::DEFAULT_RULE;

impl Domain for Clips {
    type Baseline = Motionless;
    type Occlusion = Cuboid;
    /// LRP-ε with ε = 10⁻³ on the chain's linear steps.
    const DEFAULT_RULE: &'static str = "epsilon=0.001";
    const IG_STEPS: usize = 32;
    /// As for text, with half the samples (a clip's gradient costs more).
    const SMOOTHGRAD: SmoothGradSettings = SmoothGradSettings { samples: 16, noise: 0.15, seed: 0 };
}

/// Integrated Gradients' one baseline: the clip with every block's motion removed, as deletion
/// removes it, so its sum explains `f(clip) − f(motionless clip)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Motionless;

impl Motionless {
    /// As the completeness record names it.
    pub const NAME: &'static str = "motionless";
}

impl MethodSettings for Motionless {
    const KEYS: &'static [&'static str] = &[];

    fn read(_: &MethodSpec) -> Result<Self, String> {
        Ok(Motionless)
    }

    fn written(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Occlusion's cuboid: the score's drop when the motion of `blocks × blocks` blocks × `frames`
/// frames is removed, given to each of its cells (cuboids tile the clip); by default a
/// descriptor's side and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cuboid {
    pub blocks: usize,
    pub frames: usize,
}

impl MethodSettings for Cuboid {
    const KEYS: &'static [&'static str] = &["blocks", "frames"];

    fn read(spec: &MethodSpec) -> Result<Self, String> {
        Ok(Cuboid { blocks: spec.count("blocks", 2)?, frames: spec.count("frames", 5)? })
    }

    fn written(&self) -> Vec<String> {
        vec![format!("blocks={}", self.blocks), format!("frames={}", self.frames)]
    }
}

impl From<MethodError> for VideoError {
    fn from(e: MethodError) -> Self {
        VideoError::Settings(e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lrp::Quadrature;

    #[test]
    fn methods_read_back_as_they_are_written() {
        let parse = |m: &str| m.parse::<Method>().unwrap();
        assert_eq!(
            parse("ig"),
            Method::IntegratedGradients {
                steps: Clips::IG_STEPS,
                quadrature: Quadrature::Midpoint,
                baseline: Motionless
            }
        );
        assert_eq!(
            parse("ig:steps=8,quadrature=gauss-legendre"),
            Method::IntegratedGradients {
                steps: 8,
                quadrature: Quadrature::GaussLegendre,
                baseline: Motionless
            }
        );
        assert_eq!(parse("occlusion"), Method::Occlusion(Cuboid { blocks: 2, frames: 5 }));
        assert_eq!(parse("lrp"), Method::Lrp("epsilon=0.001".parse().unwrap()));
        for m in [
            "ig:steps=8",
            "ig:steps=8,quadrature=gauss-legendre",
            "occlusion:blocks=2,frames=5",
            "sa",
            "gxi",
        ] {
            assert_eq!(parse(m).to_string(), m);
        }
        let wrong = "ig:quadrature=simpson".parse::<Method>().unwrap_err().to_string();
        assert!(wrong.contains("quadrature `simpson`"), "{wrong}");
        let wrong = "ig:baseline=zero".parse::<Method>().unwrap_err().to_string();
        assert!(
            wrong.contains("unknown setting `baseline`; ig takes steps, quadrature"),
            "{wrong}"
        );
    }
}
