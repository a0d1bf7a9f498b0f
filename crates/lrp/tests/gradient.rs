//! The gradient against central finite differences of an independent f64 forward pass, and
//! the identities that tie LRP-0, Gradient×Input and sensitivity analysis together.

mod common;

use common::*;
use lrp::{position_norms, Composite, Network, Rule, Target};
use ndarray::{ArrayD, Axis};

fn check_gradient(net: &Network, seed: u64) {
    let mut rng = rng(seed);
    let x = uniform(&mut rng, &[12, FEATURES], -1.0, 1.0);
    let x64 = to_f64(&x);
    let trace = net.forward(x.clone()).unwrap();
    let reference = reference_forward(net, &x64, x.shape());
    assert!(
        relative_error(&trace.output().to_owned(), &reference) < 1e-5,
        "forward differs from the reference"
    );
    let h = 1e-6;
    for class in 0..reference.len() {
        let g = trace.gradient(&Target::Output(class)).unwrap();
        let fd: Vec<f64> = (0..x64.len())
            .map(|i| {
                let (mut up, mut down) = (x64.clone(), x64.clone());
                up[i] += h;
                down[i] -= h;
                (reference_forward(net, &up, x.shape())[class]
                    - reference_forward(net, &down, x.shape())[class])
                    / (2.0 * h)
            })
            .collect();
        let err = relative_error(&g, &fd);
        assert!(
            err < 1e-4,
            "seed {seed}, class {class}: gradient differs from finite differences by {err:e}"
        );
    }
}

#[test]
fn gradient_matches_finite_differences() {
    for seed in 0..4 {
        check_gradient(&text_like_stack(seed, true), seed + 50);
        check_gradient(&deep_stack(seed, true), seed + 60);
    }
}

#[test]
fn lrp0_equals_gradient_times_input_on_a_bias_free_relu_stack() {
    // On a bias-free ReLU network, LRP-0 and Gradient×Input coincide, and both sum to f
    // (Euler's theorem for positively homogeneous functions).
    for seed in 0..5 {
        let net = deep_stack(seed, false);
        let x = uniform(&mut rng(seed + 70), &[12, FEATURES], -1.0, 1.0);
        let trace = net.forward(x).unwrap();
        for class in 0..3 {
            let target = Target::Output(class);
            let gxi = trace.gradient_x_input(&target).unwrap();
            let lrp0 = trace.lrp(&target, &Composite::uniform(Rule::Zero)).unwrap().relevance;
            assert!(relative_error(&lrp0, &to_f64(&gxi)) < 1e-4);
            let score = f64::from(trace.output()[class]);
            let sum: f64 = to_f64(&gxi).iter().sum();
            assert!((sum - score).abs() < 1e-5 * score.abs().max(1e-3));
        }
    }
}

#[test]
fn a_given_output_signal_is_explained_linearly() {
    // The gradient of Σ_j r_j f_j is Σ_j r_j ∂f_j/∂x.
    let net = text_like_stack(3, true);
    let trace = net.forward(uniform(&mut rng(80), &[12, FEATURES], -1.0, 1.0)).unwrap();
    let r = ArrayD::from_shape_vec(vec![4], vec![0.5, -2.0, 0.0, 1.5]).unwrap();
    let combined = trace.gradient(&Target::Relevance(r.clone())).unwrap();
    let mut sum = ArrayD::<f64>::zeros(combined.raw_dim());
    for (j, &rj) in r.iter().enumerate() {
        sum = sum + trace.gradient(&Target::Output(j)).unwrap().mapv(|g| f64::from(g * rj));
    }
    assert!(relative_error(&combined, &sum.iter().copied().collect::<Vec<_>>()) < 1e-5);
}

#[test]
fn sensitivity_is_the_gradient_norm_per_position() {
    let net = text_like_stack(4, true);
    let trace = net.forward(uniform(&mut rng(90), &[12, FEATURES], -1.0, 1.0)).unwrap();
    let g = trace.gradient(&Target::Output(2)).unwrap();
    let sa = trace.sensitivity(&Target::Output(2)).unwrap();
    assert_eq!(sa.shape(), &[12]);
    for (t, row) in g.axis_iter(Axis(0)).enumerate() {
        let mut squares = 0.0f64;
        for &v in row {
            squares += f64::from(v) * f64::from(v);
        }
        assert!((f64::from(sa[t]) - squares.sqrt()).abs() < 1e-6);
    }
    assert_eq!(position_norms(g.view()), sa);
}

#[test]
fn gradient_through_a_generic_linear_map() {
    use lrp::{Layer, MaxPool};
    let mut rng = rng(7);
    let net = Network::new(vec![
        Layer::Conv1d(conv(&mut rng, 3, FEATURES, 6, true)),
        Layer::Relu,
        Layer::MaxPool(MaxPool::Global),
        Layer::Linear(Box::new(dense(&mut rng, 6, 4, true))),
    ]);
    check_gradient(&net, 70);
}

/// dense → power normalisation (two segments) → dense, on a vector: the shape of a Fisher
/// vector's normalisation and SVM over a linear encoding.
fn normalised_head(seed: u64, power: f32) -> Network {
    let mut rng = rng(seed);
    Network::new(vec![
        lrp::Layer::Dense(dense(&mut rng, 5, 7, true)),
        lrp::Layer::PowerNorm(lrp::PowerNorm::new(power, vec![4, 3]).unwrap()),
        lrp::Layer::Dense(dense(&mut rng, 7, 3, true)),
    ])
}

#[test]
fn gradient_through_power_normalisation_matches_finite_differences() {
    for (seed, power) in [(0, 0.5), (1, 0.5), (2, 1.0), (3, 2.0)] {
        let net = normalised_head(seed, power);
        let x = uniform(&mut rng(seed + 70), &[5], -1.0, 1.0);
        let x64 = to_f64(&x);
        let trace = net.forward(x.clone()).unwrap();
        assert!(
            relative_error(&trace.output().to_owned(), &reference_forward(&net, &x64, &[5])) < 1e-5
        );
        for class in 0..3 {
            let g = trace.gradient(&Target::Output(class)).unwrap();
            let fd: Vec<f64> = (0..5)
                .map(|i| {
                    let (mut up, mut down) = (x64.clone(), x64.clone());
                    up[i] += 1e-6;
                    down[i] -= 1e-6;
                    (reference_forward(&net, &up, &[5])[class]
                        - reference_forward(&net, &down, &[5])[class])
                        / 2e-6
                })
                .collect();
            let err = relative_error(&g, &fd);
            assert!(err < 1e-4, "seed {seed}, power {power}, class {class}: {err:e}");
        }
    }
}

#[test]
fn power_normalisation_passes_relevance_unchanged() {
    let net = normalised_head(5, 0.5);
    let x = uniform(&mut rng(75), &[5], -1.0, 1.0);
    let trace = net.forward(x).unwrap();
    let e = trace.lrp(&Target::Output(1), &Composite::uniform(Rule::Epsilon(0.01))).unwrap();
    let norm = &e.layers[1];
    assert_eq!((norm.kind, norm.rule), (lrp::LayerKind::PowerNorm, None));
    assert_eq!(norm.relevance_in, norm.relevance_out);
    // LRP-ε by hand through the two dense layers, the normalised vector's relevance given to
    // its input unchanged.
    let mut r_top = ArrayD::<f32>::zeros(ndarray::IxDyn(&[3]));
    r_top[1] = trace.output()[1];
    let linear = |i: usize| net.layers()[i].as_linear().unwrap();
    let r_normalised =
        lrp::relevance_through(linear(2), trace.layer_input(2), r_top.view(), &Rule::Epsilon(0.01))
            .unwrap();
    let below = lrp::relevance_through(
        linear(0),
        trace.layer_input(0),
        r_normalised.view(),
        &Rule::Epsilon(0.01),
    )
    .unwrap();
    assert!(relative_error(&e.relevance, &to_f64(&below)) < 1e-6);
}

#[test]
fn power_normalisation_in_a_graph_explains_as_in_a_network() {
    use lrp::{Graph, Node, Op};
    let net = normalised_head(6, 0.5);
    let x = uniform(&mut rng(76), &[5], -1.0, 1.0);
    let (g_net, r_net) = {
        let trace = net.forward(x.clone()).unwrap();
        (
            trace.gradient(&Target::Output(0)).unwrap(),
            trace.lrp(&Target::Output(0), &Composite::uniform(Rule::Zero)).unwrap().relevance,
        )
    };
    let mut nodes = vec![Node::new("input", Op::Input, vec![])];
    for (i, layer) in net.into_layers().into_iter().enumerate() {
        nodes.push(Node::new(format!("layer{i}"), Op::Layer(layer), vec![i]));
    }
    let graph = Graph::new(nodes, 3).unwrap();
    let trace = graph.forward(x).unwrap();
    assert_eq!(trace.gradient(&Target::Output(0)).unwrap(), g_net);
    assert_eq!(
        trace.lrp(&Target::Output(0), &Composite::uniform(Rule::Zero)).unwrap().relevance,
        r_net
    );
}
