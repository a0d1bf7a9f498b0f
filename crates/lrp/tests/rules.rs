//! Every rule on small random layers against the rule's formula evaluated connection by
//! connection in f64 (tests/common).

mod common;

use common::*;
use lrp::{relevance_through, LinearMap, Rule};
use ndarray::ArrayD;

const RULES: [Rule; 8] = [
    Rule::Zero,
    Rule::Epsilon(0.1),
    Rule::Epsilon(0.001),
    Rule::AlphaBeta { alpha: 2.0, beta: 1.0 },
    Rule::AlphaBeta { alpha: 1.0, beta: 0.0 },
    Rule::WSquare,
    Rule::Flat,
    Rule::ZBox { low: -1.0, high: 1.0 },
];

fn check(map: &dyn LinearMap, edges: &Edges, x: &ArrayD<f32>, seed: u64) {
    let mut rng = rng(seed);
    let out_shape = map.output_shape(x.shape(), 0).unwrap();
    check_with(map, edges, x, &uniform(&mut rng, &out_shape, -1.0, 1.0));
}

fn check_with(map: &dyn LinearMap, edges: &Edges, x: &ArrayD<f32>, r_out: &ArrayD<f32>) {
    for rule in RULES {
        let got = relevance_through(map, x.view(), r_out.view(), &rule).unwrap();
        let reference = edges.relevance(&to_f64(x), &to_f64(r_out), &rule);
        let err = relative_error(&got, &reference);
        assert!(err < 1e-4, "{} on {}: relative error {err:e}", rule, map.name());
        assert!(all_finite(&got));
    }
}

#[test]
fn dense_on_a_vector_matches_the_formula() {
    for seed in 0..5 {
        let mut rng = rng(seed);
        let layer = dense(&mut rng, 7, 5, true);
        let x = uniform(&mut rng, &[7], -1.0, 1.0);
        check(&layer, &dense_edges(&layer, 1), &x, seed + 100);
    }
}

#[test]
fn dense_over_positions_matches_the_formula() {
    for seed in 0..5 {
        let mut rng = rng(seed);
        let layer = dense(&mut rng, 4, 6, true);
        let x = uniform(&mut rng, &[9, 4], -1.0, 1.0);
        check(&layer, &dense_edges(&layer, 9), &x, seed + 200);
    }
}

#[test]
fn conv1d_matches_the_formula() {
    for (seed, width) in [(0, 1), (1, 2), (2, 3), (3, 5), (4, 11)] {
        let mut rng = rng(seed);
        let layer = conv(&mut rng, width, 4, 6, true);
        let x = uniform(&mut rng, &[11, 4], -1.0, 1.0);
        check(&layer, &conv_edges(&layer, 11), &x, seed + 300);
    }
}

#[test]
fn conv1d_with_a_sparse_output_signal_matches_the_formula() {
    // As behind a global max-pool: one position per filter carries relevance, which sends
    // the transposed convolution down its sparse path.
    let mut rng = rng(5);
    let layer = conv(&mut rng, 3, 4, 5, true);
    let x = uniform(&mut rng, &[40, 4], -1.0, 1.0);
    let mut r_out = ArrayD::<f32>::zeros(vec![38, 5]);
    for (f, t) in [(0, 0), (1, 37), (2, 11), (3, 11), (4, 20)] {
        r_out[[t, f]] = 1.0 + f as f32;
    }
    check_with(&layer, &conv_edges(&layer, 40), &x, &r_out);
}

#[test]
fn grouped_conv1d_matches_the_formula() {
    // Every rule on the group's own connections only (flat and w² included).
    for (seed, width, groups) in [(20, 1, 2), (21, 3, 3), (22, 2, 6)] {
        let mut rng = rng(seed);
        let layer = grouped_conv(&mut rng, width, 6, 12, groups);
        let x = uniform(&mut rng, &[9, 6], -1.0, 1.0);
        check(&layer, &conv_edges(&layer, 9), &x, seed + 400);
    }
    // The sparse path behind a max-pool.
    let mut rng = rng(23);
    let layer = grouped_conv(&mut rng, 3, 4, 6, 2);
    let x = uniform(&mut rng, &[30, 4], -1.0, 1.0);
    let mut r_out = ArrayD::<f32>::zeros(vec![28, 6]);
    for (f, t) in [(0, 0), (1, 27), (2, 5), (3, 5), (4, 13), (5, 2)] {
        r_out[[t, f]] = 0.5 + f as f32;
    }
    check_with(&layer, &conv_edges(&layer, 30), &x, &r_out);
}

#[test]
fn conv2d_matches_the_formula_with_strides_dilations_padding_and_groups() {
    use lrp::Conv2dGeometry as G;
    let cases = [
        // A Kim-style filter spanning the whole embedding: one column out.
        ((3, 5), 1, 4, 1, G::default(), (9, 5)),
        ((3, 3), 2, 4, 1, G { padding: (1, 1, 1, 1), ..G::default() }, (6, 7)),
        ((2, 3), 4, 6, 2, G { strides: (2, 1), dilations: (1, 2), padding: (0, 2, 1, 0) }, (7, 8)),
        ((1, 1), 3, 3, 3, G { strides: (1, 3), ..G::default() }, (4, 7)),
        ((3, 2), 2, 2, 1, G { strides: (3, 2), dilations: (2, 1), padding: (2, 0, 0, 1) }, (5, 4)),
    ];
    for (seed, (kernel, channels, filters, groups, geometry, (rows, cols))) in
        cases.into_iter().enumerate()
    {
        let mut rng = rng(600 + seed as u64);
        let layer = conv2d(&mut rng, kernel, channels, filters, groups, geometry);
        let edges = conv2d_edges(&layer, rows, cols);
        let x = uniform(&mut rng, &[rows, cols, channels], -1.0, 1.0);
        let z =
            layer.forward(x.view(), lrp::WeightMod::Identity) + layer.bias.as_ref().unwrap().view();
        assert_eq!(z.len(), edges.n_out, "case {seed}: output size");
        assert!(relative_error(&z, &edges.forward(&to_f64(&x))) < 1e-6, "case {seed}: forward");
        check(&layer, &edges, &x, 700 + seed as u64);
    }
}

#[test]
fn a_block_diagonal_convolution_is_found_grouped_and_explains_the_same() {
    let mut rng = rng(24);
    let grouped = grouped_conv(&mut rng, 2, 6, 9, 3);
    let full = lrp::Conv1d::new(grouped.full_weight(), grouped.bias.clone()).unwrap();
    let found =
        lrp::Conv1d::from_block_diagonal(grouped.full_weight(), grouped.bias.clone()).unwrap();
    assert_eq!(found, grouped);
    // An ungrouped layer stays one group; a single non-zero weight between groups breaks them.
    let mut broken = grouped.full_weight();
    broken[[1, 0, 8]] = 0.25;
    assert_eq!(lrp::Conv1d::from_block_diagonal(broken, None).unwrap().groups(), 1);
    let x = uniform(&mut rng, &[7, 6], -1.0, 1.0);
    let r_out = uniform(&mut rng, &[6, 9], -1.0, 1.0);
    assert!(
        relative_error(
            &grouped.forward(x.view(), lrp::WeightMod::Identity),
            &to_f64(&full.forward(x.view(), lrp::WeightMod::Identity))
        ) < 1e-6
    );
    // The zeros between groups take no relevance under any rule that weighs connections by
    // their weights (flat gives every connection the same share, so it differs there).
    for rule in RULES.into_iter().filter(|r| *r != Rule::Flat) {
        let a = relevance_through(&grouped, x.view(), r_out.view(), &rule).unwrap();
        let b = relevance_through(&full, x.view(), r_out.view(), &rule).unwrap();
        assert!(relative_error(&a, &to_f64(&b)) < 1e-5, "{rule}");
    }
}

#[test]
fn conv1d_on_nonnegative_inputs_matches_the_formula() {
    // After a ReLU, inputs are ≥ 0 and half the αβ parts vanish; z^B gets its usual bounds.
    let mut rng = rng(7);
    let layer = conv(&mut rng, 2, 3, 4, false);
    let x = uniform(&mut rng, &[6, 3], 0.0, 1.0);
    check(&layer, &conv_edges(&layer, 6), &x, 307);
}

#[test]
fn the_reference_forward_agrees_with_the_layers() {
    let mut rng = rng(11);
    let d = dense(&mut rng, 5, 3, true);
    let c = conv(&mut rng, 3, 5, 4, true);
    let x = uniform(&mut rng, &[8, 5], -1.0, 1.0);
    for (layer, edges) in [(&d as &dyn LinearMap, dense_edges(&d, 8)), (&c, conv_edges(&c, 8))] {
        let mut z = layer.forward(x.view(), lrp::WeightMod::Identity);
        if let Some(b) = layer.bias() {
            z += &b;
        }
        assert!(relative_error(&z, &edges.forward(&to_f64(&x))) < 1e-5, "{}", layer.name());
    }
}
