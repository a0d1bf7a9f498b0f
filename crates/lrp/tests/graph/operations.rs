//! The other operations against f64 formulas: a residual sum, a constant scale, a transpose
//! with a reshape, a bias added as a constant node, a leaky ReLU; a chain written as a graph
//! against the same network; graphs that cannot run.

use lrp::{Composite, Graph, Layer, LrpError, Node, Op, Rule, Target};
use ndarray::{ArrayD, IxDyn};

use crate::common::{self, dense, dense_edges, relative_error, rng, uniform, Edges};
use crate::{linear, rules};

/// input `[6]` → dense A and dense B side by side → their sum → ReLU → dense C.
fn residual(seed: u64) -> Graph {
    let mut r = rng(seed);
    Graph::new(
        vec![
            Node::new("input", Op::Input, vec![]),
            Node::new("a", Op::Layer(Layer::Dense(dense(&mut r, 6, 5, true))), vec![0]),
            Node::new("b", Op::Layer(Layer::Dense(dense(&mut r, 6, 5, false))), vec![0]),
            Node::new("sum", Op::Add, vec![1, 2]),
            Node::new("relu", Op::Layer(Layer::Relu), vec![3]),
            Node::new("c", Op::Layer(Layer::Dense(dense(&mut r, 5, 2, true))), vec![4]),
        ],
        5,
    )
    .unwrap()
}

#[test]
fn a_sum_splits_relevance_as_the_rule_says_for_the_map_of_stacked_inputs() {
    let graph = residual(11);
    let x = uniform(&mut rng(12), &[6], -1.0, 1.0);
    let trace = graph.forward(x.clone()).unwrap();
    let edges = |node: usize| match linear(&graph, node) {
        Layer::Dense(d) => dense_edges(d, 1),
        other => panic!("{other:?}"),
    };
    let (a, b, c) = (edges(1), edges(2), edges(5));
    // The sum as explicit connections: stacked input k·5 + i feeds output i with weight 1.
    let sum = Edges {
        n_in: 10,
        n_out: 5,
        edges: (0..2).flat_map(|k| (0..5).map(move |i| (k * 5 + i, i, 1.0))).collect(),
        bias: vec![0.0; 5],
    };
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    // The sum takes LRP-0 unless the composite names it (it has no weights); named, the rule.
    for (rule, sum_rule, composite) in rules().into_iter().flat_map(|rule| {
        [
            (rule, Rule::Zero, Composite::uniform(rule)),
            (rule, rule, Composite::uniform(rule).with_kind(lrp::LayerKind::Add, rule)),
        ]
    }) {
        let (ha, hb) = (a.forward(&x64), b.forward(&x64));
        let stacked: Vec<f64> = ha.iter().chain(&hb).copied().collect();
        let s = sum.forward(&stacked);
        let h: Vec<f64> = s.iter().map(|v| v.max(0.0)).collect();
        let out = c.forward(&h);
        let r_h = c.relevance(&h, &[0.0, out[1]], &rule);
        let r_stacked = sum.relevance(&stacked, &r_h, &sum_rule);
        let (ra, rb) =
            (a.relevance(&x64, &r_stacked[..5], &rule), b.relevance(&x64, &r_stacked[5..], &rule));
        let reference: Vec<f64> = ra.iter().zip(&rb).map(|(p, q)| p + q).collect();
        let e = trace.lrp(&Target::Output(1), &composite).unwrap();
        let error = relative_error(&e.relevance, &reference);
        assert!(error < 1e-4, "{composite}: relative error {error}");
    }
    // Under LRP-0 the sum hands each input its share x_k / z of the relevance exactly.
    let e = trace.lrp(&Target::Output(1), &Composite::uniform(Rule::Zero)).unwrap();
    let add = e.layers.iter().find(|l| l.kind == lrp::LayerKind::Add).unwrap();
    assert!(add.absorbed().abs() < 1e-5, "{add:?}");
}

#[test]
fn a_constant_scale_is_a_diagonal_map_and_passes_lrp0_unchanged() {
    let mut r = rng(21);
    let factor = ArrayD::from_shape_vec(IxDyn(&[4]), vec![2.0, -0.5, 0.0, 3.0]).unwrap();
    let graph = Graph::new(
        vec![
            Node::new("input", Op::Input, vec![]),
            Node::new("mask", Op::Scale(factor.clone()), vec![0]),
            Node::new("dense", Op::Layer(Layer::Dense(dense(&mut r, 4, 2, false))), vec![1]),
        ],
        2,
    )
    .unwrap();
    let x = ArrayD::from_shape_vec(IxDyn(&[4]), vec![0.5, -1.0, 0.7, 0.25]).unwrap();
    let trace = graph.forward(x.clone()).unwrap();
    let scaled: Vec<f64> = x.iter().zip(&factor).map(|(&x, &c)| f64::from(x * c)).collect();
    let Layer::Dense(d) = linear(&graph, 2) else { panic!() };
    let dense = dense_edges(d, 1);
    let diagonal = Edges {
        n_in: 4,
        n_out: 4,
        edges: (0..4).map(|i| (i, i, f64::from(factor[i]))).collect(),
        bias: vec![0.0; 4],
    };
    let out = dense.forward(&scaled);
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    // The scale takes LRP-0 unless the composite names it (it has no weights); named, the rule.
    for rule in rules() {
        let r_scaled = dense.relevance(&scaled, &[out[0], 0.0], &rule);
        for (scale_rule, composite) in [
            (Rule::Zero, Composite::uniform(rule)),
            (rule, Composite::uniform(rule).with_kind(lrp::LayerKind::Scale, rule)),
        ] {
            let reference = diagonal.relevance(&x64, &r_scaled, &scale_rule);
            let e = trace.lrp(&Target::Output(0), &composite).unwrap();
            assert!(relative_error(&e.relevance, &reference) < 1e-5, "{composite}");
        }
    }
    let e = trace.lrp(&Target::Output(0), &Composite::uniform(Rule::Zero)).unwrap();
    let r_scaled = dense.relevance(&scaled, &[out[0], 0.0], &Rule::Zero);
    for i in [0, 1, 3] {
        assert!((f64::from(e.relevance[i]) - r_scaled[i]).abs() < 1e-6, "position {i}");
    }
    assert_eq!(e.relevance[2], 0.0, "a masked position receives nothing");
}

#[test]
fn relevance_moves_back_with_the_values_through_a_transpose_and_a_reshape() {
    let mut r = rng(31);
    let graph = Graph::new(
        vec![
            Node::new("input", Op::Input, vec![]),
            Node::new("swap", Op::Transpose(vec![1, 0]), vec![0]),
            Node::new("flatten", Op::Reshape(vec![12]), vec![1]),
            Node::new("dense", Op::Layer(Layer::Dense(dense(&mut r, 12, 2, true))), vec![2]),
        ],
        3,
    )
    .unwrap();
    let x = uniform(&mut rng(32), &[3, 4], -1.0, 1.0);
    let trace = graph.forward(x.clone()).unwrap();
    // Flattened after the transpose, position j·3 + i holds x[i, j].
    let flat: Vec<f64> = (0..12).map(|p| f64::from(x[[p % 3, p / 3]])).collect();
    let Layer::Dense(d) = linear(&graph, 3) else { panic!() };
    let dense = dense_edges(d, 1);
    let out = dense.forward(&flat);
    for rule in rules() {
        let r_flat = dense.relevance(&flat, &[0.0, out[1]], &rule);
        let reference: Vec<f64> = (0..12).map(|k| r_flat[(k % 4) * 3 + k / 4]).collect();
        let e = trace.lrp(&Target::Output(1), &Composite::uniform(rule)).unwrap();
        assert_eq!(e.relevance.shape(), &[3, 4]);
        assert!(relative_error(&e.relevance, &reference) < 1e-5, "{rule}");
    }
}

#[test]
fn a_chain_written_as_a_graph_explains_as_the_network() {
    let network = common::deep_stack(41, true);
    let graph = {
        let layers = common::deep_stack(41, true).into_layers();
        let count = layers.len();
        let mut nodes = vec![Node::new("input", Op::Input, vec![])];
        for (i, layer) in layers.into_iter().enumerate() {
            nodes.push(Node::new(format!("layer{i}"), Op::Layer(layer), vec![i]));
        }
        Graph::new(nodes, count).unwrap()
    };
    let x = uniform(&mut rng(42), &[12, common::FEATURES], -1.0, 1.0);
    let (by_network, by_graph) = (network.forward(x.clone()).unwrap(), graph.forward(x).unwrap());
    assert_eq!(by_network.output(), by_graph.output());
    for rule in rules() {
        let composite =
            Composite::uniform(Rule::Epsilon(0.01)).with_kind(lrp::LayerKind::Conv1d, rule);
        let (n, g) = (
            by_network.lrp(&Target::Output(0), &composite).unwrap(),
            by_graph.lrp(&Target::Output(0), &composite).unwrap(),
        );
        assert_eq!(n.relevance, g.relevance, "{rule}");
        // The graph numbers its nodes from the input node 0: layer i is node i + 1.
        let sums = |e: &lrp::Explanation, shift: usize| {
            e.layers
                .iter()
                .map(|l| (l.index - shift, l.kind, l.relevance_out, l.relevance_in))
                .collect::<Vec<_>>()
        };
        assert_eq!(sums(&n, 0), sums(&g, 1), "{rule}");
    }
    assert_eq!(
        by_network.gradient(&Target::Output(2)).unwrap(),
        by_graph.gradient(&Target::Output(2)).unwrap()
    );
}

#[test]
fn graphs_that_cannot_run_are_refused_naming_the_node() {
    let mut r = rng(51);
    let later = Graph::new(
        vec![
            Node::new("input", Op::Input, vec![]),
            Node::new("early", Op::Layer(Layer::Relu), vec![2]),
            Node::new("late", Op::Layer(Layer::Relu), vec![0]),
        ],
        2,
    );
    assert!(
        matches!(&later, Err(LrpError::InvalidLayer(m)) if m.contains("early") && m.contains("node 2")),
        "{later:?}"
    );
    let no_input = Graph::new(vec![Node::new("relu", Op::Layer(Layer::Relu), vec![])], 0);
    assert!(matches!(no_input, Err(LrpError::InvalidLayer(_))));
    let graph = Graph::new(
        vec![
            Node::new("input", Op::Input, vec![]),
            Node::new("wide", Op::Layer(Layer::Dense(dense(&mut r, 4, 3, false))), vec![0]),
            Node::new("residual", Op::Add, vec![0, 1]),
        ],
        2,
    )
    .unwrap();
    let refused = graph.forward(ArrayD::zeros(IxDyn(&[4]))).unwrap_err();
    assert!(refused.to_string().contains("`residual`"), "{refused}");
}

#[test]
fn a_bias_added_as_a_constant_node_is_explained_as_the_layer_bias_it_stands_for() {
    let mut r = rng(61);
    let with_bias = dense(&mut r, 3, 4, true);
    let bias = with_bias.bias.clone().unwrap();
    let without = lrp::Dense::new(with_bias.weight.clone(), None).unwrap();
    let graph = Graph::new(
        vec![
            Node::new("input", Op::Input, vec![]),
            Node::new("matmul", Op::Layer(Layer::Dense(without)), vec![0]),
            Node::new("bias", Op::Constant(bias.clone().into_dyn()), vec![]),
            Node::new("add", Op::Add, vec![1, 2]),
        ],
        3,
    )
    .unwrap();
    let x = uniform(&mut rng(62), &[5, 3], -1.0, 1.0);
    let trace = graph.forward(x.clone()).unwrap();
    let edges = dense_edges(&with_bias, 5);
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let out = edges.forward(&x64);
    assert!(relative_error(&trace.output().to_owned(), &out) < 1e-6);
    // Under LRP-0 the sum's share x/(x + b) times the product's x_i w_ij / x is the layer's
    // x_i w_ij / (x + b): the same relevance, and the constant absorbs what the bias would.
    let target = 7;
    let mut r_out = vec![0.0; out.len()];
    r_out[target] = out[target];
    let reference = edges.relevance(&x64, &r_out, &Rule::Zero);
    let e = trace.lrp(&Target::Output(target), &Composite::uniform(Rule::Zero)).unwrap();
    assert!(relative_error(&e.relevance, &reference) < 1e-5);
    let add = e.layers.iter().find(|l| l.kind == lrp::LayerKind::Add).unwrap();
    let absorbed = out[target] - reference.iter().sum::<f64>();
    assert!((add.absorbed() - absorbed).abs() < 1e-5, "{add:?} vs {absorbed}");
    // The gradient skips the constant and sums nothing across the broadcast of the input.
    let g = trace.gradient(&Target::Output(target)).unwrap();
    let (row, col) = (target / 4, target % 4);
    for ((t, i), &v) in g.clone().into_dimensionality::<ndarray::Ix2>().unwrap().indexed_iter() {
        let expected = if t == row { with_bias.weight[[i, col]] } else { 0.0 };
        assert!((v - expected).abs() < 1e-6);
    }
}

#[test]
fn a_leaky_relu_passes_relevance_unchanged_and_its_slope_to_the_gradient() {
    let mut r = rng(91);
    let (first, last) = (dense(&mut r, 5, 6, true), dense(&mut r, 6, 2, true));
    let (e1, e2) = (dense_edges(&first, 1), dense_edges(&last, 1));
    let graph = Graph::new(
        vec![
            Node::new("input", Op::Input, vec![]),
            Node::new("a", Op::Layer(Layer::Dense(first)), vec![0]),
            Node::new("leaky", Op::Layer(Layer::LeakyRelu(0.1)), vec![1]),
            Node::new("b", Op::Layer(Layer::Dense(last)), vec![2]),
        ],
        3,
    )
    .unwrap();
    let x = uniform(&mut rng(92), &[5], -1.0, 1.0);
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let forward = |x: &[f64]| {
        let h: Vec<f64> =
            e1.forward(x).iter().map(|&v| if v > 0.0 { v } else { 0.1 * v }).collect();
        (h.clone(), e2.forward(&h))
    };
    let (h, out) = forward(&x64);
    assert!(h.iter().any(|&v| v < 0.0), "the test needs a negative pre-activation");
    let trace = graph.forward(x).unwrap();
    for rule in rules() {
        let reference = e1.relevance(&x64, &e2.relevance(&h, &[out[0], 0.0], &rule), &rule);
        let e = trace.lrp(&Target::Output(0), &Composite::uniform(rule)).unwrap();
        assert!(relative_error(&e.relevance, &reference) < 1e-5, "{rule}");
    }
    let g = trace.gradient(&Target::Output(0)).unwrap();
    let numeric: Vec<f64> = (0..5)
        .map(|i| {
            let (mut up, mut down) = (x64.clone(), x64.clone());
            up[i] += 1e-6;
            down[i] -= 1e-6;
            (forward(&up).1[0] - forward(&down).1[0]) / 2e-6
        })
        .collect();
    assert!(relative_error(&g, &numeric) < 1e-5);
}

#[test]
fn a_node_read_twice_reports_all_the_relevance_that_passes_it() {
    // x = A·input; y = x + B·x; output C·y, no biases. All relevance passes x (read by B and
    // by the sum): under LRP-0 and AttnLRP its report's relevance out is the whole score, as
    // the sum's and C's are (B's is its share).
    let mut r = rng(31);
    let graph = Graph::new(
        vec![
            Node::new("input", Op::Input, vec![]),
            Node::new("a", Op::Layer(Layer::Dense(dense(&mut r, 6, 5, false))), vec![0]),
            Node::new("b", Op::Layer(Layer::Dense(dense(&mut r, 5, 5, false))), vec![1]),
            Node::new("sum", Op::Add, vec![1, 2]),
            Node::new("c", Op::Layer(Layer::Dense(dense(&mut r, 5, 2, false))), vec![3]),
        ],
        4,
    )
    .unwrap();
    let trace = graph.forward(uniform(&mut r, &[6], -1.0, 1.0)).unwrap();
    let attnlrp: Composite = "attnlrp".parse().unwrap();
    for composite in [Composite::uniform(Rule::Zero), attnlrp] {
        let e = trace.lrp(&Target::Output(1), &composite).unwrap();
        for layer in e.layers.iter().filter(|l| l.index != 2) {
            let apart = (layer.relevance_out - e.explained).abs();
            assert!(
                apart <= 1e-5 * e.explained.abs(),
                "node {}: {} out of {}",
                layer.index,
                layer.relevance_out,
                e.explained
            );
        }
        assert_eq!(e.layers.len(), 4);
    }
}
