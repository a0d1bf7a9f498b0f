//! A convolution, its ReLU and a global max-pool read by nothing else are passed as one step
//! (the signal kept at each filter's maxima); the relevance, the conservation report and the
//! gradient equal, bit for bit, those of the same graph where a node nobody reads also reads
//! the ReLU or the convolution, which the backward passes then take node by node.

use lrp::{Composite, Conv1d, Graph, Layer, MaxPool, Node, Op, Rule, Target};
use ndarray::{Array1, Array3, ArrayD, Axis};
use rand::Rng;

use crate::common::{conv_edges, dense, dense_edges, relative_error, rng};
use crate::{global_max, linear, route_to_maxima};

const CHANNELS: usize = 6;
const CLASSES: usize = 3;

/// Input `[T, CHANNELS]` → convolution (width 3, `filters`, `groups`) → ReLU → global max-pool →
/// dense (the output, node 4); `unread` adds a ReLU after the output reading that node.
fn text_cnn(seed: u64, filters: usize, groups: usize, unread: Option<usize>) -> Graph {
    let mut r = rng(seed);
    let weight =
        Array3::from_shape_simple_fn((3, CHANNELS / groups, filters), || r.gen_range(-1.0..1.0));
    // Filter 0 is closed: every window is below the ReLU's zero.
    let bias =
        Array1::from_shape_fn(filters, |f| if f == 0 { -100.0 } else { r.gen_range(-0.5..0.5) });
    let conv = Conv1d::grouped(weight, Some(bias), groups).unwrap();
    let mut nodes = vec![
        Node::new("input", Op::Input, vec![]),
        Node::new("conv", Op::Layer(Layer::Conv1d(conv)), vec![0]),
        Node::new("relu", Op::Layer(Layer::Relu), vec![1]),
        Node::new("pool", Op::Layer(Layer::MaxPool(MaxPool::Global)), vec![2]),
        Node::new("dense", Op::Layer(Layer::Dense(dense(&mut r, filters, CLASSES, true))), vec![3]),
    ];
    if let Some(read) = unread {
        nodes.push(Node::new("unread", Op::Layer(Layer::Relu), vec![read]));
    }
    Graph::new(nodes, 4).unwrap()
}

/// A document of `len` positions whose first window comes again at its end when `ties`.
fn document(seed: u64, len: usize, ties: bool) -> ArrayD<f32> {
    let mut r = rng(seed);
    let mut x = ndarray::Array2::from_shape_simple_fn((len, CHANNELS), || r.gen_range(-1.0..1.0));
    if ties {
        for t in 0..3 {
            let row = x.row(t).to_owned();
            x.row_mut(len - 3 + t).assign(&row);
        }
    }
    x.into_dyn()
}

#[test]
fn the_pooled_step_equals_the_node_by_node_passes_bit_for_bit() {
    let bits = |a: &ArrayD<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    for case in 0..24u64 {
        let (filters, groups) = if case % 2 == 0 { (24, 1) } else { (32, 2) };
        // Mostly long enough for the sparse step, every sixth case too short for it.
        let len = if case % 6 == 5 { 8 } else { 40 + 3 * case as usize };
        let x = document(100 + case, len, case % 3 == 0);
        let class = case as usize % CLASSES;
        let pooled = text_cnn(case, filters, groups, None);
        for read in [1, 2] {
            let apart = text_cnn(case, filters, groups, Some(read));
            let (a, b) = (pooled.forward(x.clone()).unwrap(), apart.forward(x.clone()).unwrap());
            assert_eq!(a.output(), b.output());
            for rule in [Rule::Zero, Rule::Epsilon(0.01), Rule::Epsilon(0.5), Rule::ZPLUS] {
                let composite = Composite::uniform(rule);
                let target = Target::Output(class);
                let (ea, eb) =
                    (a.lrp(&target, &composite).unwrap(), b.lrp(&target, &composite).unwrap());
                let what = format!("case {case}, {rule:?}, unread reader of node {read}");
                assert_eq!(bits(&ea.relevance), bits(&eb.relevance), "{what}: relevance");
                assert_eq!(ea.explained.to_bits(), eb.explained.to_bits(), "{what}");
                assert_eq!(ea.layers, eb.layers, "{what}: the report");
                assert_eq!(ea.layers.len(), 4, "{what}: a report per node");
            }
            let (ga, gb) = (
                a.gradient(&Target::Output(class)).unwrap(),
                b.gradient(&Target::Output(class)).unwrap(),
            );
            assert_eq!(bits(&ga), bits(&gb), "case {case}: the gradient");
            let (gxa, gxb) = (
                a.gradient_x_input(&Target::Output(class)).unwrap(),
                b.gradient_x_input(&Target::Output(class)).unwrap(),
            );
            assert_eq!(bits(&gxa), bits(&gxb), "case {case}: gradient × input");
        }
    }
}

/// LRP of `class` through `text_cnn`'s graph in f64 from its explicit connections: dense,
/// routed to the ReLU's maxima (split between ties), convolution.
fn text_cnn_reference(graph: &Graph, x: &[f64], len: usize, class: usize, rule: &Rule) -> Vec<f64> {
    let (Layer::Conv1d(conv), Layer::Dense(d)) = (linear(graph, 1), linear(graph, 4)) else {
        panic!("conv at node 1, dense at node 4")
    };
    let (conv, dense) = (conv_edges(conv, len), dense_edges(d, 1));
    let a: Vec<f64> = conv.forward(x).iter().map(|v| v.max(0.0)).collect();
    let features = global_max(&a, d.weight.nrows());
    let mut top = vec![0.0; CLASSES];
    top[class] = dense.forward(&features)[class];
    let r_features = dense.relevance(&features, &top, rule);
    conv.relevance(x, &route_to_maxima(&a, d.weight.nrows(), &r_features), rule)
}

#[test]
fn the_pooled_step_explains_as_the_f64_formula() {
    for case in 0..6u64 {
        let (filters, groups) = if case % 2 == 0 { (24, 1) } else { (32, 2) };
        let len = 48 + 5 * case as usize;
        let graph = text_cnn(case, filters, groups, None);
        let x = document(200 + case, len, case % 3 == 0);
        let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let trace = graph.forward(x).unwrap();
        let class = case as usize % CLASSES;
        for rule in [Rule::Zero, Rule::Epsilon(0.01), Rule::Epsilon(0.5)] {
            let reference = text_cnn_reference(&graph, &x64, len, class, &rule);
            let e = trace.lrp(&Target::Output(class), &Composite::uniform(rule)).unwrap();
            let error = relative_error(&e.relevance, &reference);
            assert!(error < 1e-5, "case {case}, {rule:?}: relative error {error}");
        }
    }
}

#[test]
fn the_pooled_step_sends_relevance_only_to_the_maxima_windows() {
    // Conservation without biases under LRP-0: what reaches the input is the score, and it
    // lies only in the windows of the filters' maxima.
    let mut r = rng(7);
    let (len, filters) = (60, 20);
    let weight = Array3::from_shape_simple_fn((3, CHANNELS, filters), || r.gen_range(-1.0..1.0));
    let conv = Conv1d::new(weight, None).unwrap();
    let w = ndarray::Array2::from_shape_simple_fn((filters, CLASSES), || r.gen_range(0.1..1.0));
    let nodes = vec![
        Node::new("input", Op::Input, vec![]),
        Node::new("conv", Op::Layer(Layer::Conv1d(conv)), vec![0]),
        Node::new("relu", Op::Layer(Layer::Relu), vec![1]),
        Node::new("pool", Op::Layer(Layer::MaxPool(MaxPool::Global)), vec![2]),
        Node::new("dense", Op::Layer(Layer::Dense(lrp::Dense::new(w, None).unwrap())), vec![3]),
    ];
    let graph = Graph::new(nodes, 4).unwrap();
    let x = document(8, len, false);
    let trace = graph.forward(x).unwrap();
    let e = trace.lrp(&Target::Output(1), &Composite::uniform(Rule::Zero)).unwrap();
    let total: f64 = e.relevance.iter().map(|&v| f64::from(v)).sum();
    let score = f64::from(trace.output()[[1]]);
    assert!((total - score).abs() <= 1e-4 * score.abs(), "{total} against {score}");
    let z = &trace.values()[1];
    let touched: std::collections::BTreeSet<usize> = z
        .axis_iter(Axis(1))
        .filter_map(|column| {
            let max = column.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            (max > 0.0).then(|| column.iter().position(|&v| v == max).unwrap())
        })
        .flat_map(|t| t..t + 3)
        .collect();
    for (p, row) in e.relevance.axis_iter(Axis(0)).enumerate() {
        if !touched.contains(&p) {
            assert!(row.iter().all(|&v| v == 0.0), "position {p} is in no filter's maximum window");
        }
    }
}

#[test]
fn a_convolution_read_twice_is_passed_node_by_node_as_two_copies_would_be() {
    // Two ReLU and max-pool branches on one convolution, summed, against the same with the
    // convolution copied into each branch (each then a chain of its own, passed at once).
    let mut r = rng(21);
    let filters = 24;
    let weight = Array3::from_shape_simple_fn((3, CHANNELS, filters), || r.gen_range(-1.0..1.0));
    let bias = Array1::from_shape_simple_fn(filters, || r.gen_range(-0.5..0.5));
    let conv = Conv1d::new(weight, Some(bias)).unwrap();
    let head = dense(&mut r, filters, CLASSES, true);
    let layer = |d: &lrp::Dense| Op::Layer(Layer::Dense(d.clone()));
    let pool = || Op::Layer(Layer::MaxPool(MaxPool::Global));
    let shared = vec![
        Node::new("input", Op::Input, vec![]),
        Node::new("conv", Op::Layer(Layer::Conv1d(conv.clone())), vec![0]),
        Node::new("relu", Op::Layer(Layer::Relu), vec![1]),
        Node::new("pool", pool(), vec![2]),
        Node::new("relu2", Op::Layer(Layer::Relu), vec![1]),
        Node::new("pool2", pool(), vec![4]),
        Node::new("add", Op::Add, vec![3, 5]),
        Node::new("dense", layer(&head), vec![6]),
    ];
    let copied = vec![
        Node::new("input", Op::Input, vec![]),
        Node::new("conv", Op::Layer(Layer::Conv1d(conv.clone())), vec![0]),
        Node::new("relu", Op::Layer(Layer::Relu), vec![1]),
        Node::new("pool", pool(), vec![2]),
        Node::new("conv2", Op::Layer(Layer::Conv1d(conv)), vec![0]),
        Node::new("relu2", Op::Layer(Layer::Relu), vec![4]),
        Node::new("pool2", pool(), vec![5]),
        Node::new("add", Op::Add, vec![3, 6]),
        Node::new("dense", layer(&head), vec![7]),
    ];
    let (shared, copied) = (Graph::new(shared, 7).unwrap(), Graph::new(copied, 8).unwrap());
    let x = document(22, 50, true);
    let (a, b) = (shared.forward(x.clone()).unwrap(), copied.forward(x).unwrap());
    let close = |p: &ArrayD<f32>, q: &ArrayD<f32>, what: &str| {
        let largest = q.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let apart = p.iter().zip(q).fold(0.0f32, |m, (u, v)| m.max((u - v).abs()));
        assert!(largest > 0.0 && apart <= 1e-5 * largest, "{what}: {apart} of {largest}");
    };
    for rule in [Rule::Zero, Rule::Epsilon(0.01)] {
        let target = Target::Output(2);
        let (ea, eb) = (
            a.lrp(&target, &Composite::uniform(rule)).unwrap(),
            b.lrp(&target, &Composite::uniform(rule)).unwrap(),
        );
        close(&ea.relevance, &eb.relevance, &format!("{rule:?}"));
        let mut nodes: Vec<usize> = ea.layers.iter().map(|l| l.index).collect();
        nodes.sort_unstable();
        assert_eq!(nodes, (1..=7).collect::<Vec<_>>(), "{rule:?}: a report per node, once");
    }
    close(
        &a.gradient(&Target::Output(2)).unwrap(),
        &b.gradient(&Target::Output(2)).unwrap(),
        "gradient",
    );
}
