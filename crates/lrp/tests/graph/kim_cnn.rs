//! A Kim-style CNN (three convolution widths, pooled and concatenated) against its f64
//! formula under every rule, its conservation without biases, and its gradient against finite
//! differences.

use lrp::{Composite, Graph, Layer, MaxPool, Node, Op, Rule, Target};
use ndarray::ArrayD;

use crate::common::{conv, conv_edges, dense, dense_edges, relative_error, rng, uniform, Edges};
use crate::{global_max, linear, route_to_maxima, rules};

const WORDS: usize = 9;
const DIMS: usize = 8;
const WIDTHS: [usize; 3] = [2, 3, 4];
const FILTERS: usize = 5;
const CLASSES: usize = 3;

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

fn conv_of(graph: &Graph, node: usize) -> Edges {
    match linear(graph, node) {
        Layer::Conv1d(c) => conv_edges(c, WORDS),
        other => panic!("{other:?}"),
    }
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
