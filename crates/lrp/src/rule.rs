//! Relevance rules.
//!
//! Every rule is one instance of the same "modified linear backward" (see [`crate::linear`]):
//! for a layer `z_j = Σ_i x_i w_ij + b_j`, a rule says how inputs and weights are modified,
//! how the bias enters, and how the denominator is stabilised; relevance then flows as
//! `R_i = Σ_j q_ij / Σ_i' q_i'j · R_j`, the seed paper's general form.

use std::fmt;
use std::str::FromStr;

use crate::error::LrpError;

/// A relevance rule for a linear layer (dense, convolution, or any [`crate::LinearMap`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// LRP-0: `q_ij = x_i w_ij`, bias in the denominator; a zero denominator passes nothing.
    Zero,
    /// LRP-ε: like LRP-0 with the denominator stabilised as `z + ε·sign(z)`, `sign(0) = +1`.
    Epsilon(f32),
    /// LRP-αβ: `α·q⁺_ij/Σq⁺ − β·q⁻_ij/Σq⁻` with `α − β = 1`; positive and negative bias
    /// parts join their denominators. `α=1, β=0` is z⁺. Conserves wherever a neuron has both
    /// positive and negative parts; a neuron with only one kind passes `α·R_j` (or `−β·R_j`),
    /// as in zennit and the LRP toolbox, and the layer report shows the difference.
    AlphaBeta { alpha: f32, beta: f32 },
    /// w²-rule: `q_ij = w_ij²`, independent of the input.
    WSquare,
    /// Flat rule: `q_ij = 1` for every connection, independent of input and weights.
    Flat,
    /// z^B-rule for inputs bounded by `low ≤ x_i ≤ high`:
    /// `q_ij = x_i w_ij − low·w⁺_ij − high·w⁻_ij`.
    ZBox { low: f32, high: f32 },
}

impl Rule {
    /// The z⁺-rule, i.e. αβ with `α = 1, β = 0`.
    pub const ZPLUS: Rule = Rule::AlphaBeta { alpha: 1.0, beta: 0.0 };

    /// Checks the rule's parameters: `ε ≥ 0`; `α − β = 1`, `β ≥ 0`; `low ≤ high`; all finite.
    pub fn validate(&self) -> Result<(), LrpError> {
        let bad = |msg: String| Err(LrpError::InvalidRule(msg));
        match *self {
            Rule::Epsilon(eps) if !(eps.is_finite() && eps >= 0.0) => {
                bad(format!("epsilon must be finite and ≥ 0, got {eps}"))
            }
            Rule::AlphaBeta { alpha, beta } => {
                if !(alpha.is_finite() && beta.is_finite() && beta >= 0.0) {
                    bad(format!("alpha and beta must be finite and beta ≥ 0, got {alpha},{beta}"))
                } else if ((alpha - beta) - 1.0).abs() > 1e-6 {
                    bad(format!("alpha − beta must be 1, got {alpha} − {beta}"))
                } else {
                    Ok(())
                }
            }
            Rule::ZBox { low, high } if !(low.is_finite() && high.is_finite() && low <= high) => {
                bad(format!("z^B bounds must be finite with low ≤ high, got {low},{high}"))
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Rule::Zero => write!(f, "lrp0"),
            Rule::Epsilon(eps) => write!(f, "epsilon={eps}"),
            r if r == Rule::ZPLUS => write!(f, "zplus"),
            Rule::AlphaBeta { alpha, beta } => write!(f, "alphabeta={alpha},{beta}"),
            Rule::WSquare => write!(f, "wsquare"),
            Rule::Flat => write!(f, "flat"),
            Rule::ZBox { low, high } => write!(f, "zb={low},{high}"),
        }
    }
}

/// ε when `epsilon` is given without a value.
pub const DEFAULT_EPSILON: f32 = 0.01;

impl FromStr for Rule {
    type Err = LrpError;

    /// Parses `lrp0`, `epsilon[=ε]`, `alphabeta[=α,β]` (default 2,1), `zplus`, `wsquare` (or `w2`),
    /// `flat`, `zb=low,high`. Names are case-insensitive.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (name, args) = match text.split_once('=') {
            Some((name, args)) => (name.trim().to_ascii_lowercase(), Some(args)),
            None => (text.to_ascii_lowercase(), None),
        };
        let numbers = |args: &str| -> Result<Vec<f32>, LrpError> {
            args.split(',')
                .map(|a| {
                    a.trim().parse::<f32>().map_err(|_| {
                        LrpError::InvalidRule(format!("`{}` in `{text}` is not a number", a.trim()))
                    })
                })
                .collect()
        };
        let count = |args: Option<&str>, n: usize| -> Result<Option<Vec<f32>>, LrpError> {
            match args {
                None => Ok(None),
                Some(a) => {
                    let v = numbers(a)?;
                    if v.len() == n {
                        Ok(Some(v))
                    } else {
                        Err(LrpError::InvalidRule(format!(
                            "`{text}` takes {n} number(s), got {}",
                            v.len()
                        )))
                    }
                }
            }
        };
        let no_args = |rule: Rule| match args {
            None => Ok(rule),
            Some(_) => Err(LrpError::InvalidRule(format!("`{name}` takes no parameters"))),
        };
        let rule = match name.as_str() {
            "lrp0" | "zero" => no_args(Rule::Zero)?,
            "epsilon" | "eps" => Rule::Epsilon(count(args, 1)?.map_or(DEFAULT_EPSILON, |v| v[0])),
            "alphabeta" | "ab" => match count(args, 2)? {
                Some(v) => Rule::AlphaBeta { alpha: v[0], beta: v[1] },
                None => Rule::AlphaBeta { alpha: 2.0, beta: 1.0 },
            },
            "zplus" | "z+" => no_args(Rule::ZPLUS)?,
            "wsquare" | "w2" => no_args(Rule::WSquare)?,
            "flat" => no_args(Rule::Flat)?,
            "zb" | "zbox" => match count(args, 2)? {
                Some(v) => Rule::ZBox { low: v[0], high: v[1] },
                None => return Err(LrpError::InvalidRule("`zb` needs bounds: zb=low,high".into())),
            },
            _ => {
                return Err(LrpError::InvalidRule(format!(
                    "unknown rule `{name}` (known: lrp0, epsilon[=ε], alphabeta[=α,β], zplus, wsquare, flat, zb=low,high)"
                )))
            }
        };
        rule.validate()?;
        Ok(rule)
    }
}

/// The rules for attention: which of the two methods a composite follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attention {
    /// AttnLRP: products split in halves, the softmax by its gradient.
    AttnLrp,
    /// CP-LRP: attention weights held constant, nothing through the softmax.
    CpLrp,
}

impl fmt::Display for Attention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Attention::AttnLrp => "attnlrp",
            Attention::CpLrp => "cp-lrp",
        })
    }
}
