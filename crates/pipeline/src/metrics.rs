//! Class decisions and how good they are.

/// The index of the largest score; the first of equal maxima (as NumPy's and PyTorch's
/// `argmax`), 0 for no scores. NaN never wins.
pub fn argmax<'a>(scores: impl IntoIterator<Item = &'a f32>) -> usize {
    let mut best: Option<(usize, f32)> = None;
    for (i, &s) in scores.into_iter().enumerate() {
        if best.is_none_or(|(_, b)| s > b || b.is_nan()) {
            best = Some((i, s));
        }
    }
    best.map_or(0, |(i, _)| i)
}

/// A class name the model does not have, with the classes it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownClass {
    pub name: String,
    pub classes: Vec<String>,
}

impl std::fmt::Display for UnknownClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no class `{}`; the model's classes are {}", self.name, self.classes.join(", "))
    }
}

/// The index of the class called `name` among `classes`.
pub fn class_index(classes: &[String], name: &str) -> Result<usize, UnknownClass> {
    classes
        .iter()
        .position(|c| c == name)
        .ok_or_else(|| UnknownClass { name: name.to_string(), classes: classes.to_vec() })
}
/// `counts[true][predicted]` over `classes` classes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confusion {
    pub counts: Vec<Vec<usize>>,
}

impl Confusion {
    /// The matrix of `(true, predicted)` pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (usize, usize)>, classes: usize) -> Self {
        let mut counts = vec![vec![0usize; classes]; classes];
        for (truth, predicted) in pairs {
            counts[truth][predicted] += 1;
        }
        Confusion { counts }
    }

    pub fn total(&self) -> usize {
        self.counts.iter().flatten().sum()
    }

    /// Correct decisions over all (0 with none).
    pub fn accuracy(&self) -> f64 {
        ratio((0..self.counts.len()).map(|c| self.counts[c][c]).sum(), self.total())
    }

    /// Per class: correct over predicted as that class (0 when never predicted).
    pub fn precision(&self) -> Vec<f64> {
        (0..self.counts.len())
            .map(|c| ratio(self.counts[c][c], self.counts.iter().map(|row| row[c]).sum()))
            .collect()
    }

    /// Per class: correct over that class's examples (0 for a class without any).
    pub fn recall(&self) -> Vec<f64> {
        self.counts.iter().enumerate().map(|(c, row)| ratio(row[c], row.iter().sum())).collect()
    }

    /// Per class: `2PR / (P + R)` (0 when both are 0).
    pub fn f1(&self) -> Vec<f64> {
        self.precision()
            .iter()
            .zip(self.recall())
            .map(|(&p, r)| if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) })
            .collect()
    }
}

/// The unweighted mean over classes (0 for none).
pub fn macro_mean(per_class: &[f64]) -> f64 {
    if per_class.is_empty() {
        0.0
    } else {
        per_class.iter().sum::<f64>() / per_class.len() as f64
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_of_equal_maxima_wins_and_nan_never_does() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0, -1.0]), 1);
        assert_eq!(argmax(&[f32::NAN, 0.5, 0.2]), 1);
        assert_eq!(argmax(&[0.5, f32::NAN, 0.7]), 2);
        assert_eq!(argmax(&[]), 0);
        assert_eq!(argmax(&[f32::NEG_INFINITY]), 0);
    }

    #[test]
    fn measures_from_a_hand_counted_matrix() {
        // truth:     0 0 0 1 1 2
        // predicted: 0 0 1 1 2 2
        let c = Confusion::from_pairs([(0, 0), (0, 0), (0, 1), (1, 1), (1, 2), (2, 2)], 3);
        assert_eq!(c.counts, vec![vec![2, 1, 0], vec![0, 1, 1], vec![0, 0, 1]]);
        assert!((c.accuracy() - 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(c.precision(), vec![1.0, 0.5, 0.5]);
        assert_eq!(c.recall(), vec![2.0 / 3.0, 0.5, 1.0]);
        assert!((c.f1()[0] - 0.8).abs() < 1e-12);
        assert!((macro_mean(&c.recall()) - (2.0 / 3.0 + 0.5 + 1.0) / 3.0).abs() < 1e-12);
        assert_eq!(Confusion::from_pairs([], 2).accuracy(), 0.0);
    }
}
