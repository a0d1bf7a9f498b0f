//! Composites: which rule goes to which layer.

use std::fmt;
use std::str::FromStr;

use crate::error::LrpError;
use crate::layers::LayerKind;
use crate::rule::{Attention, Rule, DEFAULT_EPSILON};

/// Which rule each linear layer gets: a default, overridden by layer kind, overridden by
/// layer index (the position in the network, counting from 0 at the input).
#[derive(Clone, Debug, PartialEq)]
pub struct Composite {
    default: Rule,
    by_kind: Vec<(LayerKind, Rule)>,
    by_index: Vec<(usize, Rule)>,
    attention: Option<Attention>,
}

impl Composite {
    /// The same rule for every linear layer.
    pub fn uniform(rule: Rule) -> Self {
        Composite { default: rule, by_kind: Vec::new(), by_index: Vec::new(), attention: None }
    }

    /// Uses `rule` for every layer of `kind` (unless an index override applies).
    pub fn with_kind(mut self, kind: LayerKind, rule: Rule) -> Self {
        self.by_kind.retain(|(k, _)| *k != kind);
        self.by_kind.push((kind, rule));
        self
    }

    /// Uses `rule` for the layer at `index`.
    pub fn with_layer(mut self, index: usize, rule: Rule) -> Self {
        self.by_index.retain(|(i, _)| *i != index);
        self.by_index.push((index, rule));
        self
    }

    /// The rule for the layer at `index` of `kind`.
    pub fn rule_for(&self, index: usize, kind: LayerKind) -> Rule {
        self.by_index
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, r)| r)
            .or_else(|| self.by_kind.iter().find(|(k, _)| *k == kind).map(|(_, r)| r))
            .map_or(self.default, |r| *r)
    }

    /// Checks every rule's parameters.
    /// AttnLRP or CP-LRP ([`Attention`]): relevance as lxt computes it, dense and convolution
    /// layers by this composite's rule (LRP-0 by default, or ε).
    pub fn attention(&self) -> Option<Attention> {
        self.attention
    }

    /// The same composite following `attention`'s rules through attention.
    pub fn with_attention(mut self, attention: Attention) -> Self {
        self.attention = Some(attention);
        self
    }

    /// The rule of a graph's step of `kind` at `index`: as [`Composite::rule_for`] for layers
    /// with weights; steps without weights (sums, scalings by constants, means) pass relevance
    /// in proportion (LRP-0) unless the composite names their kind or index, as zennit's and
    /// lxt's composites leave them: a stabiliser belongs to a layer with weights, and beside the
    /// small values of a mean it would move relevance.
    pub fn rule_for_step(&self, index: usize, kind: LayerKind, has_weights: bool) -> Rule {
        let named = self
            .by_index
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, r)| r)
            .or_else(|| self.by_kind.iter().find(|(k, _)| *k == kind).map(|(_, r)| r));
        match named {
            Some(rule) => *rule,
            None if has_weights => self.default,
            None => Rule::Zero,
        }
    }

    pub fn validate(&self) -> Result<(), LrpError> {
        if let Some(attention) = self.attention {
            let rules = std::iter::once(&self.default)
                .chain(self.by_kind.iter().map(|(_, r)| r))
                .chain(self.by_index.iter().map(|(_, r)| r));
            if let Some(rule) =
                rules.into_iter().find(|r| !matches!(r, Rule::Zero | Rule::Epsilon(_)))
            {
                return Err(LrpError::InvalidRule(format!(
                    "{attention} takes lrp0 or epsilon for its dense layers, not {rule}"
                )));
            }
        }
        std::iter::once(&self.default)
            .chain(self.by_kind.iter().map(|(_, r)| r))
            .chain(self.by_index.iter().map(|(_, r)| r))
            .try_for_each(Rule::validate)
    }
}

impl fmt::Display for Composite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.attention, self.default) {
            (Some(attention), Rule::Zero) => write!(f, "{attention}")?,
            (Some(attention), rule) => write!(f, "{attention}:{rule}")?,
            (None, rule) => write!(f, "{rule}")?,
        }
        for (kind, rule) in &self.by_kind {
            write!(f, ";{kind}:{rule}")?;
        }
        for (index, rule) in &self.by_index {
            write!(f, ";{index}:{rule}")?;
        }
        Ok(())
    }
}

impl FromStr for Composite {
    type Err = LrpError;

    /// Parses `RULE` or `RULE;KIND:RULE;INDEX:RULE…`, e.g. `epsilon=0.01;conv1d:zplus;0:flat`.
    /// A leading entry without `KIND:` sets the default (ε = 0.01 when absent).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut composite = Composite::uniform(Rule::Epsilon(DEFAULT_EPSILON));
        for (n, entry) in text.split(';').map(str::trim).enumerate() {
            let (head, rest) = entry.split_once(':').unwrap_or((entry, ""));
            let attention = match head.trim().to_ascii_lowercase().as_str() {
                "attnlrp" => Some(Attention::AttnLrp),
                "cp-lrp" | "cplrp" => Some(Attention::CpLrp),
                _ => None,
            };
            if let Some(attention) = attention {
                if n > 0 {
                    return Err(LrpError::InvalidRule(format!(
                        "`{entry}`: {attention} comes first (`{attention}[:epsilon=ε]`)"
                    )));
                }
                composite.attention = Some(attention);
                composite.default = if rest.trim().is_empty() { Rule::Zero } else { rest.parse()? };
                continue;
            }
            match entry.split_once(':') {
                // `z+` has no colon; a rule name never contains one.
                Some((target, rule)) => {
                    let rule: Rule = rule.parse()?;
                    composite = match target.trim().parse::<usize>() {
                        Ok(index) => composite.with_layer(index, rule),
                        Err(_) => composite.with_kind(target.parse()?, rule),
                    };
                }
                None if n == 0 => composite.default = entry.parse()?,
                None => {
                    return Err(LrpError::InvalidRule(format!(
                        "`{entry}`: only the first entry may omit `KIND:` or `INDEX:`"
                    )))
                }
            }
        }
        Ok(composite)
    }
}
