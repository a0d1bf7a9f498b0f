//! An attribution method as a user writes it, `NAME[:KEY=VALUE,…]` (`ig:steps=64`,
//! `smoothgrad:samples=8,noise=0.2`): its name and settings, checked against the keys the name
//! takes, with typed getters. [`crate::Method`] is read from it.

use crate::attribution::SmoothGradSettings;

/// A method's name (lower case) and its settings.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodSpec {
    pub name: String,
    written: String,
    settings: Vec<(String, String)>,
}

impl MethodSpec {
    /// Splits `written` into name and settings; `keys(name)` lists the settings a name takes.
    /// Errors read "method `WRITTEN`: why".
    pub fn parse(written: &str, keys: impl Fn(&str) -> Vec<&'static str>) -> Result<Self, String> {
        let written = written.trim();
        let (name, settings) = written.split_once(':').unwrap_or((written, ""));
        let name = name.trim().to_ascii_lowercase();
        let spec = MethodSpec { name, written: written.to_string(), settings: Vec::new() };
        let mut pairs = Vec::new();
        for pair in settings.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| spec.error(format!("`{pair}` is not KEY=VALUE")))?;
            pairs.push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        let allowed = keys(&spec.name);
        if let Some((key, _)) = pairs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            return Err(spec.error(if allowed.is_empty() {
                format!("{} takes no settings", spec.name)
            } else {
                format!("unknown setting `{key}`; {} takes {}", spec.name, allowed.join(", "))
            }));
        }
        Ok(MethodSpec { settings: pairs, ..spec })
    }

    /// "method `WRITTEN`: why".
    pub fn error(&self, why: String) -> String {
        format!("method `{}`: {why}", self.written)
    }

    /// The last value given for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.settings.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// A whole number ≥ 1.
    pub fn count(&self, key: &str, default: usize) -> Result<usize, String> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| self.error(format!("{key} `{v}`: expected a whole number ≥ 1"))),
        }
    }

    /// A finite number ≥ 0.
    pub fn non_negative(&self, key: &str, default: f32) -> Result<f32, String> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse::<f32>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| self.error(format!("{key} `{v}`: expected a number ≥ 0"))),
        }
    }

    /// A seed, any whole number.
    pub fn seed(&self, key: &str, default: u64) -> Result<u64, String> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => {
                v.parse().map_err(|_| self.error(format!("{key} `{v}`: expected a whole number")))
            }
        }
    }

    /// SmoothGrad's `samples`, `noise` and `seed`, each `defaults`' unless given.
    pub fn smooth_grad(&self, defaults: SmoothGradSettings) -> Result<SmoothGradSettings, String> {
        Ok(SmoothGradSettings {
            samples: self.count("samples", defaults.samples)?,
            noise: self.non_negative("noise", defaults.noise)?,
            seed: self.seed("seed", defaults.seed)?,
        })
    }
}

/// The settings SmoothGrad takes.
pub const SMOOTHGRAD_KEYS: &[&str] = &["samples", "noise", "seed"];

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(name: &str) -> Vec<&'static str> {
        match name {
            "ig" => vec!["steps"],
            "smoothgrad" => SMOOTHGRAD_KEYS.to_vec(),
            _ => vec![],
        }
    }

    #[test]
    fn settings_are_read_with_their_defaults() {
        let spec = MethodSpec::parse(" IG:Steps=8 ", keys).unwrap();
        assert_eq!((spec.name.as_str(), spec.count("steps", 50).unwrap()), ("ig", 8));
        let defaults = SmoothGradSettings { samples: 32, noise: 0.15, seed: 0 };
        assert_eq!(
            MethodSpec::parse("smoothgrad:noise=0.3,seed=4", keys)
                .unwrap()
                .smooth_grad(defaults)
                .unwrap(),
            SmoothGradSettings { noise: 0.3, seed: 4, ..defaults }
        );
        assert_eq!(
            MethodSpec::parse("ig:steps=2,steps=3", keys).unwrap().count("steps", 1).unwrap(),
            3
        );
    }

    #[test]
    fn bad_settings_name_what_is_wrong() {
        let message = |m: &str| {
            MethodSpec::parse(m, keys)
                .and_then(|s| s.count("steps", 1).and(s.non_negative("noise", 0.0)))
                .unwrap_err()
        };
        assert_eq!(
            message("ig:steps=0"),
            "method `ig:steps=0`: steps `0`: expected a whole number ≥ 1"
        );
        assert!(message("ig:window=2").contains("unknown setting `window`; ig takes steps"));
        assert!(message("sa:steps=2").contains("sa takes no settings"));
        assert!(message("smoothgrad:noise=-1").contains("noise `-1`: expected a number ≥ 0"));
        assert!(message("ig:steps").contains("`steps` is not KEY=VALUE"));
    }
}
