//! The localisation metrics against Quantus's numbers on the same relevance maps and masks
//! (made by `scripts/quantus_localisation.py`; text-like rows and video-like block grids,
//! signed and positive relevance, masks the maximum falls in and masks it misses).

use pipeline::localisation::{mass_accuracy, pointing_game, rank_accuracy};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    relevance: Vec<f32>,
    mask: Vec<bool>,
    mass_accuracy: f64,
    rank_accuracy: f64,
    pointing_game: f64,
}

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[test]
fn localisation_metrics_equal_quantus() {
    let fixture: Fixture =
        serde_json::from_str(include_str!("fixtures/quantus_localisation.json")).unwrap();
    assert_eq!(fixture.cases.len(), 12);
    let (mut hits, mut misses) = (0, 0);
    for (i, case) in fixture.cases.iter().enumerate() {
        let mass = mass_accuracy(&case.relevance, &case.mask).unwrap();
        // Quantus sums in float32.
        assert!(
            (mass - case.mass_accuracy).abs() < 1e-5 * case.mass_accuracy.abs().max(1.0),
            "case {i}: mass accuracy {mass} against {}",
            case.mass_accuracy
        );
        assert_eq!(
            rank_accuracy(&case.relevance, &case.mask).unwrap(),
            case.rank_accuracy,
            "case {i}: rank accuracy"
        );
        assert_eq!(
            pointing_game(&case.relevance, &case.mask).unwrap(),
            case.pointing_game,
            "case {i}: pointing game"
        );
        if case.pointing_game == 1.0 {
            hits += 1
        } else {
            misses += 1
        }
    }
    assert!(hits >= 4 && misses >= 4, "the fixture holds both outcomes of the pointing game");
}
