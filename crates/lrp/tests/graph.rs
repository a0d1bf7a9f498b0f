//! The graph of operations against brute-force computations in f64: a Kim-style CNN (three
//! convolution widths, pooled and concatenated), a residual sum, a constant scale, and a
//! transpose with a reshape, under every rule; the gradient against finite differences; a
//! chain written as a graph against the same chain as a network.

mod common;

use common::{conv, conv_edges, dense, dense_edges, relative_error, rng, uniform, Edges};
use lrp::{Composite, Graph, Layer, LrpError, MaxPool, Node, Op, Rule, Target};
use ndarray::{ArrayD, IxDyn};

const WORDS: usize = 9;
const DIMS: usize = 8;
const WIDTHS: [usize; 3] = [2, 3, 4];
const FILTERS: usize = 5;
const CLASSES: usize = 3;

fn rules() -> Vec<Rule> {
    vec![
        Rule::Zero,
        Rule::Epsilon(0.1),
        Rule::AlphaBeta { alpha: 2.0, beta: 1.0 },
        Rule::ZPLUS,
        Rule::WSquare,
        Rule::Flat,
        Rule::ZBox { low: -1.0, high: 1.0 },
    ]
}

/// Input `[WORDS, DIMS]` → conv of width 2, 3 and 4 → ReLU → global max → concatenated →
/// dense. Node ids: 0 input, then per branch conv, relu, pool; then concat, dense.
fn kim_cnn(seed: u64, with_bias: bool) -> Graph {
    let mut r = rng(seed);
    let mut nodes = vec![Node::new("input", Op::Input, vec![])];
    let mut pooled = Vec::new();
    for width in WIDTHS {
        let first = nodes.len();
        nodes.push(Node::new(
            format!("conv{width}"),
            Op::Layer(Layer::Conv1d(conv(&mut r, width, DIMS, FILTERS, with_bias))),
            vec![0],
        ));
        nodes.push(Node::new(format!("relu{width}"), Op::Layer(Layer::Relu), vec![first]));
        nodes.push(Node::new(
            format!("pool{width}"),
            Op::Layer(Layer::MaxPool(MaxPool::Global)),
            vec![first + 1],
        ));
        pooled.push(first + 2);
    }
    let concat = nodes.len();
    nodes.push(Node::new("concat", Op::Concat { axis: 0 }, pooled));
    nodes.push(Node::new(
        "dense",
        Op::Layer(Layer::Dense(dense(&mut r, WIDTHS.len() * FILTERS, CLASSES, with_bias))),
        vec![concat],
    ));
    let output = nodes.len() - 1;
    Graph::new(nodes, output).unwrap()
}

fn linear(graph: &Graph, node: usize) -> &Layer {
    match &graph.nodes()[node].op {
        Op::Layer(layer) => layer,
        other => panic!("node {node} is {other:?}"),
    }
}

fn conv_of(graph: &Graph, node: usize) -> Edges {
    match linear(graph, node) {
        Layer::Conv1d(c) => conv_edges(c, WORDS),
        other => panic!("{other:?}"),
    }
}

/// Global max over positions of a row-major `[positions, channels]` map.
fn global_max(a: &[f64], channels: usize) -> Vec<f64> {
    (0..channels)
        .map(|c| a.iter().skip(c).step_by(channels).copied().fold(f64::NEG_INFINITY, f64::max))
        .collect()
}

/// The pooled signal `r` sent back to the maxima of `a`, split evenly between ties.
fn route_to_maxima(a: &[f64], channels: usize, r: &[f64]) -> Vec<f64> {
    let maxima = global_max(a, channels);
    let mut out = vec![0.0; a.len()];
    for c in 0..channels {
        let ties: Vec<usize> =
            (c..a.len()).step_by(channels).filter(|&i| a[i] == maxima[c]).collect();
        for &i in &ties {
            out[i] = r[c] / ties.len() as f64;
        }
    }
    out
}

/// The Kim CNN's output and LRP relevance at the input, in f64 from explicit connections.
fn kim_reference(graph: &Graph, x: &[f64], class: usize, rule: &Rule) -> (Vec<f64>, Vec<f64>) {
    let dense_node = graph.nodes().len() - 1;
    let Layer::Dense(d) = linear(graph, dense_node) else { panic!("dense last") };
    let dense = dense_edges(d, 1);
    let mut features = Vec::new();
    let mut branches = Vec::new();
    for (b, _) in WIDTHS.iter().enumerate() {
        let edges = conv_of(graph, 1 + 3 * b);
        let z = edges.forward(x);
        let a: Vec<f64> = z.iter().map(|v| v.max(0.0)).collect();
        features.extend(global_max(&a, FILTERS));
        branches.push((edges, a));
    }
    let out = dense.forward(&features);
    let mut r_out = vec![0.0; CLASSES];
    r_out[class] = out[class];
    let r_features = dense.relevance(&features, &r_out, rule);
    let mut r_in = vec![0.0; x.len()];
    for (b, (edges, a)) in branches.iter().enumerate() {
        let r_map = route_to_maxima(a, FILTERS, &r_features[b * FILTERS..(b + 1) * FILTERS]);
        for (total, r) in r_in.iter_mut().zip(edges.relevance(x, &r_map, rule)) {
            *total += r;
        }
    }
    (out, r_in)
}

fn input(seed: u64) -> ArrayD<f32> {
    uniform(&mut rng(seed), &[WORDS, DIMS], -1.0, 1.0)
}

#[test]
fn a_kim_cnn_is_explained_as_its_f64_formula_under_every_rule() {
    for seed in 0..3 {
        let graph = kim_cnn(seed, true);
        let x = input(100 + seed);
        let trace = graph.forward(x.clone()).unwrap();
        let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        for rule in rules() {
            let (out, reference) = kim_reference(&graph, &x64, 1, &rule);
            assert!(
                relative_error(&trace.output().to_owned(), &out) < 1e-5,
                "seed {seed}: forward"
            );
            let e = trace.lrp(&Target::Output(1), &Composite::uniform(rule)).unwrap();
            let error = relative_error(&e.relevance, &reference);
            assert!(error < 1e-4, "seed {seed}, {rule}: relative error {error}");
        }
    }
}

#[test]
fn without_biases_lrp0_conserves_the_score_through_branches_and_concatenation() {
    let graph = kim_cnn(7, false);
    let trace = graph.forward(input(8)).unwrap();
    let e = trace.lrp(&Target::Output(0), &Composite::uniform(Rule::Zero)).unwrap();
    assert!(
        (e.input_sum() - e.explained).abs() < 1e-5 * e.explained.abs().max(1.0),
        "{} vs {}",
        e.input_sum(),
        e.explained
    );
    // Every node the relevance passes is reported once; the concatenation absorbs nothing.
    assert_eq!(e.layers.len(), 3 * WIDTHS.len() + 2);
    let concat = e.layers.iter().find(|l| l.kind == lrp::LayerKind::Concat).unwrap();
    assert!(concat.absorbed().abs() < 1e-6, "{concat:?}");
    // What the three branches receive adds up to what the concatenation passed on.
    let branches: f64 = e
        .layers
        .iter()
        .filter(|l| l.kind == lrp::LayerKind::MaxPool)
        .map(|l| l.relevance_out)
        .sum();
    assert!((branches - concat.relevance_in).abs() < 1e-6);
}

/// The Kim CNN's score for `class` in f64, for finite differences.
fn kim_score(graph: &Graph, x: &[f64], class: usize) -> f64 {
    kim_reference(graph, x, class, &Rule::Zero).0[class]
}

#[test]
fn the_gradient_through_the_graph_matches_finite_differences() {
    let graph = kim_cnn(3, true);
    let x = input(4);
    let gradient = graph.forward(x.clone()).unwrap().gradient(&Target::Output(2)).unwrap();
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let h = 1e-5;
    let numeric: Vec<f64> = (0..x64.len())
        .map(|i| {
            let (mut up, mut down) = (x64.clone(), x64.clone());
            up[i] += h;
            down[i] -= h;
            (kim_score(&graph, &up, 2) - kim_score(&graph, &down, 2)) / (2.0 * h)
        })
        .collect();
    let error = relative_error(&gradient, &numeric);
    assert!(error < 1e-4, "relative error {error}");
}

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
    for rule in rules() {
        let (ha, hb) = (a.forward(&x64), b.forward(&x64));
        let stacked: Vec<f64> = ha.iter().chain(&hb).copied().collect();
        let s = sum.forward(&stacked);
        let h: Vec<f64> = s.iter().map(|v| v.max(0.0)).collect();
        let out = c.forward(&h);
        let r_h = c.relevance(&h, &[0.0, out[1]], &rule);
        let r_stacked = sum.relevance(&stacked, &r_h, &rule);
        let (ra, rb) =
            (a.relevance(&x64, &r_stacked[..5], &rule), b.relevance(&x64, &r_stacked[5..], &rule));
        let reference: Vec<f64> = ra.iter().zip(&rb).map(|(p, q)| p + q).collect();
        let e = trace.lrp(&Target::Output(1), &Composite::uniform(rule)).unwrap();
        let error = relative_error(&e.relevance, &reference);
        assert!(error < 1e-4, "{rule}: relative error {error}");
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
    for rule in rules() {
        let r_scaled = dense.relevance(&scaled, &[out[0], 0.0], &rule);
        let reference = diagonal.relevance(&x64, &r_scaled, &rule);
        let e = trace.lrp(&Target::Output(0), &Composite::uniform(rule)).unwrap();
        assert!(relative_error(&e.relevance, &reference) < 1e-5, "{rule}");
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
