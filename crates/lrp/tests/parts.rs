//! A linear map explained block by block of its input (`relevance_through_part`) against the
//! whole map and against the ε-rule's formula in f64.

use lrp::{relevance_through, relevance_through_part, Dense, LinearMap, Rule, WeightMod};
use ndarray::{s, Array1, Array2};

fn data() -> (Array2<f32>, Array1<f32>, Array1<f32>, Array1<f32>) {
    let w = Array2::from_shape_fn((7, 3), |(i, j)| ((i * 5 + j * 3) % 11) as f32 / 5.0 - 1.0);
    let b = Array1::from(vec![0.3, -0.2, 0.05]);
    let x = Array1::from_shape_fn(7, |i| (i as f32 * 0.7).sin() + 0.2);
    let r = Array1::from(vec![1.0, -0.5, 2.0]);
    (w, b, x, r)
}

#[test]
fn blocks_of_the_input_add_up_to_the_whole_and_to_the_formula() {
    let (w, b, x, r) = data();
    let whole = Dense::new(w.clone(), Some(b.clone())).unwrap();
    let z = whole
        .forward(x.view().into_dyn(), WeightMod::Identity)
        .into_dimensionality::<ndarray::Ix1>()
        .unwrap()
        + &b;
    for rule in [Rule::Epsilon(0.1), Rule::Zero] {
        let all =
            relevance_through(&whole, x.view().into_dyn(), r.view().into_dyn(), &rule).unwrap();
        let mut pieces = Vec::new();
        for (from, to) in [(0, 3), (3, 7)] {
            let part = Dense::new(w.slice(s![from..to, ..]).to_owned(), None).unwrap();
            let xs = x.slice(s![from..to]);
            pieces.extend(
                relevance_through_part(
                    &part,
                    xs.into_dyn(),
                    z.view().into_dyn(),
                    r.view().into_dyn(),
                    &rule,
                )
                .unwrap(),
            );
        }
        let epsilon = if let Rule::Epsilon(e) = rule { f64::from(e) } else { 0.0 };
        for i in 0..7 {
            let formula: f64 = (0..3)
                .map(|j| {
                    let zj = f64::from(z[j]);
                    let d = if zj >= 0.0 { zj + epsilon } else { zj - epsilon };
                    f64::from(x[i]) * f64::from(w[[i, j]]) * f64::from(r[j]) / d
                })
                .sum();
            assert!(
                (f64::from(pieces[i]) - formula).abs() < 1e-5,
                "{rule:?} input {i}: {} vs {formula}",
                pieces[i]
            );
            assert!((pieces[i] - all[i]).abs() < 1e-6, "{rule:?} input {i}");
        }
    }
}

#[test]
fn rules_that_modify_the_denominator_are_refused_block_by_block() {
    let (w, _, x, r) = data();
    let part = Dense::new(w, None).unwrap();
    let z = Array1::<f32>::ones(3);
    for rule in [Rule::ZPLUS, Rule::Flat, Rule::WSquare] {
        assert!(
            relevance_through_part(
                &part,
                x.view().into_dyn(),
                z.view().into_dyn(),
                r.view().into_dyn(),
                &rule
            )
            .is_err(),
            "{rule:?}"
        );
    }
    let short = Array1::<f32>::ones(2);
    assert!(relevance_through_part(
        &part,
        x.view().into_dyn(),
        short.view().into_dyn(),
        r.view().into_dyn(),
        &Rule::Zero
    )
    .is_err());
}
