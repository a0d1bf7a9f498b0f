//! Whether an explanation points at what truly matters, where a mask says what that is: the
//! localisation metrics of Arras et al. (2022) and Zhang et al. (2018), defined as Quantus
//! defines them (`RelevanceMassAccuracy`, `RelevanceRankAccuracy`, `PointingGame`). Relevance
//! and mask are flattened alike; an empty mask has no score (`None`, Quantus's NaN).

/// Relevance mass accuracy: `Σ_{i∈M} R_i / Σ_i R_i`, the share of the relevance inside the mask.
pub fn mass_accuracy(relevance: &[f32], mask: &[bool]) -> Option<f64> {
    assert_eq!(relevance.len(), mask.len(), "relevance and mask of one input");
    if !mask.contains(&true) {
        return None;
    }
    let within: f64 =
        relevance.iter().zip(mask).filter(|(_, &m)| m).map(|(&r, _)| f64::from(r)).sum();
    let total: f64 = relevance.iter().map(|&r| f64::from(r)).sum();
    Some(within / total)
}

/// Relevance rank accuracy: of the `K = |M|` most relevant elements, the share inside the mask
/// (ties by position, first first).
pub fn rank_accuracy(relevance: &[f32], mask: &[bool]) -> Option<f64> {
    assert_eq!(relevance.len(), mask.len(), "relevance and mask of one input");
    let k = mask.iter().filter(|&&m| m).count();
    if k == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..relevance.len()).collect();
    order.sort_by(|&a, &b| relevance[b].total_cmp(&relevance[a]).then(a.cmp(&b)));
    Some(order[..k].iter().filter(|&&i| mask[i]).count() as f64 / k as f64)
}

/// The pointing game: 1 when an element of maximal relevance lies inside the mask, else 0.
pub fn pointing_game(relevance: &[f32], mask: &[bool]) -> Option<f64> {
    assert_eq!(relevance.len(), mask.len(), "relevance and mask of one input");
    if !mask.contains(&true) {
        return None;
    }
    let max = relevance.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    Some(if relevance.iter().zip(mask).any(|(&r, &m)| m && r == max) { 1.0 } else { 0.0 })
}

/// The three measures, summed over inputs by [`Localisation::add`] and made means by
/// [`Localisation::mean`].
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Localisation {
    /// Inputs measured (those with a non-empty mask).
    pub inputs: usize,
    pub mass_accuracy: f64,
    pub rank_accuracy: f64,
    pub pointing_game: f64,
}

impl Localisation {
    /// The measures of one input, `None` for an empty mask.
    pub fn of(relevance: &[f32], mask: &[bool]) -> Option<Self> {
        Some(Localisation {
            inputs: 1,
            mass_accuracy: mass_accuracy(relevance, mask)?,
            rank_accuracy: rank_accuracy(relevance, mask)?,
            pointing_game: pointing_game(relevance, mask)?,
        })
    }

    pub fn add(&mut self, other: &Localisation) {
        self.inputs += other.inputs;
        self.mass_accuracy += other.mass_accuracy;
        self.rank_accuracy += other.rank_accuracy;
        self.pointing_game += other.pointing_game;
    }

    /// Sums over inputs made means.
    pub fn mean(self) -> Self {
        let n = self.inputs.max(1) as f64;
        Localisation {
            mass_accuracy: self.mass_accuracy / n,
            rank_accuracy: self.rank_accuracy / n,
            pointing_game: self.pointing_game / n,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: [f32; 6] = [0.5, -0.25, 2.0, 1.0, 0.0, 0.25];

    #[test]
    fn hand_computed_cases() {
        let mask = [false, false, true, false, false, true];
        // (2 + 0.25) / 3.5
        assert_eq!(mass_accuracy(&R, &mask), Some(2.25 / 3.5));
        // The two most relevant are elements 2 and 3: one of them inside.
        assert_eq!(rank_accuracy(&R, &mask), Some(0.5));
        assert_eq!(pointing_game(&R, &mask), Some(1.0));
        let elsewhere = [true, true, false, false, false, false];
        assert_eq!(pointing_game(&R, &elsewhere), Some(0.0));
        assert_eq!(rank_accuracy(&R, &elsewhere), Some(0.0));
        assert_eq!(mass_accuracy(&R, &elsewhere), Some(0.25 / 3.5));
    }

    #[test]
    fn ties_and_empty_masks() {
        let flat = [1.0f32; 4];
        assert_eq!(
            pointing_game(&flat, &[false, false, false, true]),
            Some(1.0),
            "any maximum counts"
        );
        // Ties are ranked by position: the first two of four equal values.
        assert_eq!(rank_accuracy(&flat, &[false, false, true, true]), Some(0.0));
        assert_eq!(rank_accuracy(&flat, &[true, true, false, false]), Some(1.0));
        for metric in [mass_accuracy, rank_accuracy, pointing_game] {
            assert_eq!(metric(&flat, &[false; 4]), None);
        }
    }
}
