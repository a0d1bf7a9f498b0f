use super::*;
use ndarray::array;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn identity_encoder() -> FisherEncoder {
    FisherEncoder {
        projection: Projection { mean: Array1::zeros(2), components: Array2::eye(2) },
        gmm: DiagonalGmm {
            weights: array![0.5, 0.5],
            means: array![[0.0, 0.0], [1.0, 1.0]],
            variances: array![[1.0, 1.0], [1.0, 1.0]],
        },
    }
}

#[test]
fn the_fisher_vector_of_one_descriptor_by_hand() {
    // x = (0.5, 0): squared distances 0.25 and 1.25, so γ = (1, e^-0.5) / (1 + e^-0.5).
    let g0 = 1.0 / (1.0 + (-0.5f64).exp());
    let g1 = 1.0 - g0;
    let r2 = 2f64.sqrt();
    let expected = [
        r2 * g0 * 0.5,
        0.0, // mean gradient, component 0: (x − μ0)/σ · γ0/√w0
        -(r2 * g1 * 0.5),
        -(r2 * g1), // component 1
        g0 * (0.25 - 1.0),
        g0 * (0.0 - 1.0), // variance gradient, component 0: γ0 ((x−μ0)²/σ² − 1)/√(2 w0)
        g1 * (0.25 - 1.0),
        g1 * (1.0 - 1.0), // component 1
    ];
    let fv = identity_encoder().raw(array![[0.5f32, 0.0]].view());
    for (got, want) in fv.iter().zip(expected) {
        assert!((f64::from(*got) - want).abs() < 1e-6, "{fv} vs {expected:?}");
    }
    // Two descriptors: the mean of their terms.
    let both = identity_encoder().raw(array![[0.5f32, 0.0], [0.5, 0.0]].view());
    assert!(both.iter().zip(fv.iter()).all(|(a, b)| (a - b).abs() < 1e-6));
}

#[test]
fn the_running_sum_equals_the_sum_of_the_terms() {
    let x = Array2::from_shape_fn((37, 2), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 4.0 - 1.0);
    let encoder = identity_encoder();
    let terms = encoder.terms(x.view(), 50).mapv(f64::from).sum_axis(Axis(0));
    let sum = encoder.term_sum(x.view(), 50);
    for (a, b) in sum.iter().zip(&terms) {
        assert!((a - b).abs() < 1e-6, "{sum} vs {terms}");
    }
}

#[test]
fn leaving_out_unlikely_components_keeps_every_term() {
    // Narrow components (variances near 0.01) far from the origin: most posteriors are
    // tiny and left out, some are near the cut; the sum must still equal all the terms.
    let mut rng = StdRng::seed_from_u64(9);
    let (k, d) = (3, 5);
    let encoder = FisherEncoder {
        projection: Projection {
            mean: Array1::from_shape_fn(d, |j| j as f32 * 0.1),
            components: Array2::from_shape_fn((d, d), |(a, b)| if a == b { 1.0 } else { 0.05 }),
        },
        gmm: DiagonalGmm {
            weights: array![0.2, 0.3, 0.5],
            means: Array2::from_shape_fn((k, d), |_| 3.0 + rng.gen_range(-0.2f32..0.2)),
            variances: Array2::from_shape_fn((k, d), |_| rng.gen_range(0.005f32..0.02)),
        },
    };
    let x = Array2::from_shape_fn((300, d), |_| 3.0 + rng.gen_range(-0.3f32..0.3));
    let terms = encoder.terms(x.view(), 300).mapv(f64::from).sum_axis(Axis(0));
    let sum = encoder.term_sum(x.view(), 300);
    let scale = terms.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (a, b) in sum.iter().zip(&terms) {
        assert!((a - b).abs() < 1e-5 * scale, "{a} vs {b} (largest {scale})");
    }
}

#[test]
fn the_descriptor_gradient_matches_finite_differences() {
    // Three overlapping components in 3-D, so the posteriors move with y.
    let mut rng = StdRng::seed_from_u64(4);
    let (k, d) = (3, 3);
    let encoder = FisherEncoder {
        projection: Projection { mean: Array1::zeros(d), components: Array2::eye(d) },
        gmm: DiagonalGmm {
            weights: array![0.2, 0.3, 0.5],
            means: Array2::from_shape_fn((k, d), |_| rng.gen_range(-0.5f32..0.5)),
            variances: Array2::from_shape_fn((k, d), |_| rng.gen_range(0.2f32..0.6)),
        },
    };
    let y = Array2::from_shape_fn((4, d), |_| rng.gen_range(-0.6f32..0.6));
    let g = Array1::from_shape_fn(encoder.fisher_len(), |_| rng.gen_range(-1.0f32..1.0));
    let gradient = encoder.projected_gradient(y.view(), 4, g.view());
    let dot = |y: &Array2<f32>| {
        encoder
            .projected_term_sum(y.view(), 4)
            .iter()
            .zip(&g)
            .map(|(t, &w)| t * f64::from(w))
            .sum::<f64>()
    };
    let h = 1e-2f32;
    for i in 0..4 {
        for j in 0..d {
            let (mut up, mut down) = (y.clone(), y.clone());
            up[[i, j]] += h;
            down[[i, j]] -= h;
            let numeric = (dot(&up) - dot(&down)) / (2.0 * f64::from(h));
            assert!(
                (f64::from(gradient[[i, j]]) - numeric).abs() < 2e-3 * numeric.abs().max(0.1),
                "[{i}, {j}]: {} vs {numeric}",
                gradient[[i, j]]
            );
        }
    }
}

#[test]
fn em_finds_two_separated_clusters() {
    let mut rng = StdRng::seed_from_u64(5);
    let x = Array2::from_shape_fn((400, 2), |(i, _)| {
        if i < 300 {
            rng.gen_range(-0.5f32..0.5)
        } else {
            10.0 + rng.gen_range(-1.0f32..1.0)
        }
    });
    let gmm = DiagonalGmm::fit(x.view(), 2, 50, 1).unwrap();
    let (a, b) = if gmm.means[[0, 0]] < gmm.means[[1, 0]] { (0, 1) } else { (1, 0) };
    assert!(
        (gmm.weights[a] - 0.75).abs() < 1e-3 && (gmm.weights[b] - 0.25).abs() < 1e-3,
        "{:?}",
        gmm.weights
    );
    assert!(gmm.means[[a, 0]].abs() < 0.1 && (gmm.means[[b, 1]] - 10.0).abs() < 0.2);
    // Uniform on [−0.5, 0.5] has variance 1/12; on [−1, 1], 1/3.
    assert!(
        (gmm.variances[[a, 0]] - 1.0 / 12.0).abs() < 0.02
            && (gmm.variances[[b, 1]] - 1.0 / 3.0).abs() < 0.08,
        "{:?}",
        gmm.variances
    );
}

#[test]
fn pca_keeps_the_direction_of_largest_spread() {
    let mut rng = StdRng::seed_from_u64(2);
    let x =
        Array2::from_shape_fn((200, 3), |(_, j)| rng.gen_range(-1.0f32..1.0) * [0.1, 5.0, 0.2][j]);
    let p = Projection::fit(x.view(), 1).unwrap();
    assert!(p.components[[0, 1]].abs() > 0.99, "{:?}", p.components);
    assert_eq!(p.apply(x.view()).dim(), (200, 1));
}
