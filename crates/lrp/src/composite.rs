//! Composites: which rule goes to which layer.

use std::fmt;
use std::str::FromStr;

use crate::error::LrpError;
use crate::layers::LayerKind;
use crate::rule::{Rule, DEFAULT_EPSILON};

/// Which rule each linear layer gets: a default, overridden by layer kind, overridden by
/// layer index (the position in the network, counting from 0 at the input).
#[derive(Clone, Debug, PartialEq)]
pub struct Composite {
    default: Rule,
    by_kind: Vec<(LayerKind, Rule)>,
    by_index: Vec<(usize, Rule)>,
}

impl Composite {
    /// The same rule for every linear layer.
    pub fn uniform(rule: Rule) -> Self {
        Composite { default: rule, by_kind: Vec::new(), by_index: Vec::new() }
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
    pub fn validate(&self) -> Result<(), LrpError> {
        std::iter::once(&self.default)
            .chain(self.by_kind.iter().map(|(_, r)| r))
            .chain(self.by_index.iter().map(|(_, r)| r))
            .try_for_each(Rule::validate)
    }
}

impl fmt::Display for Composite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.default)?;
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
