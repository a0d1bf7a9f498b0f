//! Conservation: relevance sums per layer, through whole stacks, and what biases and ε absorb.

mod common;

use common::*;
use lrp::{relevance_through, Composite, LayerKind, LinearMap, Network, Rule, Target};

fn assert_conserves(net: &Network, composite: &Composite, seeds: std::ops::Range<u64>) {
    for seed in seeds {
        let mut rng = rng(seed);
        let x = uniform(&mut rng, &[12, FEATURES], -1.0, 1.0);
        let trace = net.forward(x).unwrap();
        for class in 0..trace.output().len() {
            let e = trace.lrp(&Target::Output(class), composite).unwrap();
            let score = f64::from(trace.output()[class]);
            assert_eq!(e.explained, score);
            let err = (e.input_sum() - score).abs() / score.abs().max(1e-6);
            assert!(
                err < 1e-5,
                "{composite}, seed {seed}, class {class}: Σ R = {} vs f = {score}",
                e.input_sum()
            );
            assert!(all_finite(&e.relevance));
        }
    }
}

#[test]
fn lrp0_and_vanishing_epsilon_conserve_through_a_bias_free_stack() {
    for rule in [Rule::Zero, Rule::Epsilon(1e-9)] {
        assert_conserves(&text_like_stack(1, false), &Composite::uniform(rule), 0..10);
        assert_conserves(&deep_stack(2, false), &Composite::uniform(rule), 0..10);
    }
}

#[test]
fn alpha_beta_conserves_by_construction() {
    for rule in [
        Rule::AlphaBeta { alpha: 2.0, beta: 1.0 },
        Rule::ZPLUS,
        Rule::AlphaBeta { alpha: 3.0, beta: 2.0 },
    ] {
        assert_conserves(&text_like_stack(3, false), &Composite::uniform(rule), 0..10);
        assert_conserves(&deep_stack(4, false), &Composite::uniform(rule), 0..10);
    }
}

#[test]
fn alpha_beta_passes_alpha_r_where_a_neuron_has_no_negative_part() {
    // The formula's degenerate case, as in zennit and the LRP toolbox: with Σ_i q⁻_ij = 0 the β
    // term has nothing to go to, so α·R_j reaches the input; with Σ_i q⁺_ij = 0, −β·R_j does.
    // The layer report makes the created relevance visible.
    let layer = lrp::Dense::new(ndarray::array![[1.0], [2.0]], None).unwrap();
    let x = ndarray::arr1(&[1.0f32, 0.5]).into_dyn();
    let r = ndarray::arr1(&[3.0f32]).into_dyn();
    let ab = Rule::AlphaBeta { alpha: 2.0, beta: 1.0 };
    let r_in = relevance_through(&layer, x.view(), r.view(), &ab).unwrap();
    assert_eq!(r_in.iter().copied().collect::<Vec<f32>>(), vec![3.0, 3.0]); // α·R_j = 6, split 1:1 by x_i w_ij = 1, 1
    let x = ndarray::arr1(&[-1.0f32, -0.5]).into_dyn();
    let r_in = relevance_through(&layer, x.view(), r.view(), &ab).unwrap();
    assert_eq!(r_in.iter().copied().collect::<Vec<f32>>(), vec![-1.5, -1.5]); // −β·R_j = −3
}

#[test]
fn flat_and_wsquare_conserve_even_with_biases() {
    for rule in [Rule::Flat, Rule::WSquare] {
        assert_conserves(&text_like_stack(5, true), &Composite::uniform(rule), 0..5);
        assert_conserves(&deep_stack(6, true), &Composite::uniform(rule), 0..5);
    }
}

#[test]
fn a_composite_of_zbox_flat_and_epsilon_conserves() {
    let composite = Composite::uniform(Rule::Epsilon(1e-9))
        .with_layer(0, Rule::ZBox { low: -1.0, high: 1.0 })
        .with_kind(LayerKind::Conv1d, Rule::ZPLUS)
        .with_layer(4, Rule::Flat);
    assert_conserves(&deep_stack(7, false), &composite, 0..5);
}

#[test]
fn the_layer_report_chains_from_score_to_input() {
    let net = deep_stack(8, true);
    let x = uniform(&mut rng(9), &[12, FEATURES], -1.0, 1.0);
    let trace = net.forward(x).unwrap();
    let e = trace.lrp(&Target::Output(1), &Composite::uniform(Rule::Epsilon(0.01))).unwrap();
    assert_eq!(e.layers.len(), net.layers().len());
    assert_eq!(e.layers[0].relevance_out, e.explained);
    for pair in e.layers.windows(2) {
        assert_eq!(pair[0].relevance_in, pair[1].relevance_out);
        assert_eq!(pair[0].index, pair[1].index + 1);
    }
    assert_eq!(e.layers.last().unwrap().relevance_in, e.input_sum());
    let total: f64 = e.layers.iter().map(|l| l.absorbed()).sum();
    assert!((total - e.absorbed()).abs() < 1e-9);
    // ReLU and max-pooling pass relevance on without loss; biases take a visible share.
    for layer in &e.layers {
        match layer.kind {
            LayerKind::Relu | LayerKind::MaxPool => {
                assert!(layer.absorbed().abs() < 1e-6 && layer.rule.is_none())
            }
            _ => assert_eq!(layer.rule, Some(Rule::Epsilon(0.01))),
        }
    }
    assert!(e.absorbed().abs() > 1e-4, "biases should absorb something: {}", e.absorbed());
}

#[test]
fn what_bias_and_epsilon_absorb_matches_the_formula() {
    // For LRP-ε, Σ_j R_j − Σ_i R_i = Σ_j (b_j + ε·sign z_j) / (z_j + ε·sign z_j) · R_j.
    let mut rng = rng(10);
    let d = dense(&mut rng, 6, 4, true);
    let c = conv(&mut rng, 2, 6, 4, true);
    let x = uniform(&mut rng, &[5, 6], -1.0, 1.0);
    for (map, edges) in [(&d as &dyn LinearMap, dense_edges(&d, 5)), (&c, conv_edges(&c, 5))] {
        let out_shape = map.output_shape(x.shape(), 0).unwrap();
        let r_out = uniform(&mut rng, &out_shape, -1.0, 1.0);
        for eps in [0.0f32, 0.01, 0.5] {
            let r_in = relevance_through(map, x.view(), r_out.view(), &Rule::Epsilon(eps)).unwrap();
            let z = edges.forward(&to_f64(&x));
            let e = f64::from(eps);
            let expected: f64 = z
                .iter()
                .zip(&edges.bias)
                .zip(to_f64(&r_out))
                .map(|((&z, &b), r)| {
                    let s = if z >= 0.0 { e } else { -e };
                    (b + s) / (z + s) * r
                })
                .sum();
            let absorbed = to_f64(&r_out).iter().sum::<f64>() - to_f64(&r_in).iter().sum::<f64>();
            // Near-zero denominators amplify f32 rounding: compare relative to the relevance moved.
            let scale = expected.abs() + to_f64(&r_out).iter().map(|r| r.abs()).sum::<f64>();
            assert!(
                (absorbed - expected).abs() < 1e-5 * scale,
                "{} ε={eps}: {absorbed} vs {expected}",
                map.name()
            );
        }
    }
}
