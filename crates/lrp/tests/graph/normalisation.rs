//! BatchNormalization: a diagonal map with a bias, folded into the layer before it where that
//! layer feeds nothing else.

use lrp::{Composite, Graph, Layer, MaxPool, Node, Op, Rule, Target};

use crate::common::{dense, dense_edges, relative_error, rng, uniform, Edges};
use crate::{global_max, linear, route_to_maxima, rules};

/// input `[6, 4]` → dense → BatchNormalization → ReLU → global max → dense, and the
/// normalisation's parameters (γ, β, μ, σ², ε).
fn normalised(seed: u64) -> (Graph, [ndarray::Array1<f32>; 4], f32) {
    let mut r = rng(seed);
    let parameters = [0.5, -0.3, 0.1, 0.2]
        .map(|base| ndarray::Array1::from_shape_fn(5, |c| base + 0.25 * c as f32));
    let [gamma, beta, mean, variance] = &parameters;
    let graph = Graph::new(
        vec![
            Node::new("input", Op::Input, vec![]),
            Node::new("dense", Op::Layer(Layer::Dense(dense(&mut r, 4, 5, true))), vec![0]),
            Node::new("bn", Op::batch_norm(gamma, beta, mean, variance, 1e-5), vec![1]),
            Node::new("relu", Op::Layer(Layer::Relu), vec![2]),
            Node::new("pool", Op::Layer(Layer::MaxPool(MaxPool::Global)), vec![3]),
            Node::new("out", Op::Layer(Layer::Dense(dense(&mut r, 5, 2, true))), vec![4]),
        ],
        5,
    )
    .unwrap();
    (graph, parameters, 1e-5)
}

#[test]
fn batch_normalisation_is_a_diagonal_map_with_a_bias_and_folds_into_the_layer_before_it() {
    let (mut graph, [gamma, beta, mean, variance], eps) = normalised(71);
    let x = uniform(&mut rng(72), &[6, 4], -1.0, 1.0);
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    // The normalisation in f64: a = γ/√(σ² + ε), c = β − μ a, per channel.
    let a: Vec<f64> = (0..5)
        .map(|c| f64::from(gamma[c]) / (f64::from(variance[c]) + f64::from(eps)).sqrt())
        .collect();
    let shift: Vec<f64> = (0..5).map(|c| f64::from(beta[c]) - f64::from(mean[c]) * a[c]).collect();
    let Layer::Dense(first) = linear(&graph, 1) else { panic!() };
    let first_edges = dense_edges(first, 6);
    let norm = Edges {
        n_in: 30,
        n_out: 30,
        edges: (0..30).map(|i| (i, i, a[i % 5])).collect(),
        bias: (0..30).map(|i| shift[i % 5]).collect(),
    };
    let Layer::Dense(last) = linear(&graph, 5) else { panic!() };
    let last_edges = dense_edges(last, 1);
    let unfolded = graph.forward(x.clone()).unwrap();
    let (unfolded_output, unfolded_gradient) =
        (unfolded.output().to_owned(), unfolded.gradient(&Target::Output(1)).unwrap());
    for rule in rules() {
        let h = first_edges.forward(&x64);
        let n = norm.forward(&h);
        let act: Vec<f64> = n.iter().map(|v| v.max(0.0)).collect();
        let pooled = global_max(&act, 5);
        let out = last_edges.forward(&pooled);
        let r_act = route_to_maxima(&act, 5, &last_edges.relevance(&pooled, &[0.0, out[1]], &rule));
        let reference = first_edges.relevance(&x64, &norm.relevance(&h, &r_act, &rule), &rule);
        let e = unfolded.lrp(&Target::Output(1), &Composite::uniform(rule)).unwrap();
        assert!(relative_error(&e.relevance, &reference) < 1e-4, "{rule}");
    }
    drop(unfolded);
    let Layer::Dense(before) = linear(&graph, 1) else { panic!() };
    let (w, b) = (before.weight.clone(), before.bias.clone().unwrap());
    assert_eq!(graph.fold_affine(), ["bn"]);
    assert_eq!(graph.nodes().len(), 5);
    let Layer::Dense(folded) = linear(&graph, 1) else { panic!() };
    for ((i, c), &v) in folded.weight.indexed_iter() {
        assert!((f64::from(v) - f64::from(w[[i, c]]) * a[c]).abs() < 1e-6);
    }
    for c in 0..5 {
        assert!(
            (f64::from(folded.bias.as_ref().unwrap()[c]) - (f64::from(b[c]) * a[c] + shift[c]))
                .abs()
                < 1e-6
        );
    }
    let trace = graph.forward(x).unwrap();
    assert!(
        relative_error(
            &trace.output().to_owned(),
            &unfolded_output.iter().map(|&v| f64::from(v)).collect::<Vec<_>>()
        ) < 1e-5
    );
    let g = trace.gradient(&Target::Output(1)).unwrap();
    assert!(
        relative_error(&g, &unfolded_gradient.iter().map(|&v| f64::from(v)).collect::<Vec<_>>())
            < 1e-5
    );
    // Folded, ε over the one layer: the folded layer's own formula.
    let folded_edges = dense_edges(folded, 6);
    let h = folded_edges.forward(&x64);
    let act: Vec<f64> = h.iter().map(|v| v.max(0.0)).collect();
    let pooled = global_max(&act, 5);
    let out = last_edges.forward(&pooled);
    let r_act = route_to_maxima(
        &act,
        5,
        &last_edges.relevance(&pooled, &[0.0, out[1]], &Rule::Epsilon(0.1)),
    );
    let reference = folded_edges.relevance(&x64, &r_act, &Rule::Epsilon(0.1));
    let e = trace.lrp(&Target::Output(1), &Composite::uniform(Rule::Epsilon(0.1))).unwrap();
    assert!(relative_error(&e.relevance, &reference) < 1e-4);
}

#[test]
fn a_normalisation_whose_layer_feeds_another_node_is_left_unfolded() {
    let mut r = rng(81);
    let mut graph = Graph::new(
        vec![
            Node::new("input", Op::Input, vec![]),
            Node::new("dense", Op::Layer(Layer::Dense(dense(&mut r, 3, 3, true))), vec![0]),
            Node::new(
                "bn",
                Op::Affine {
                    scale: ndarray::arr1(&[2.0, 1.0, 0.5]),
                    shift: ndarray::arr1(&[0.1, 0.0, -0.1]),
                },
                vec![1],
            ),
            Node::new("residual", Op::Add, vec![1, 2]),
        ],
        3,
    )
    .unwrap();
    assert!(graph.fold_affine().is_empty());
    assert_eq!(graph.nodes().len(), 4);
}
