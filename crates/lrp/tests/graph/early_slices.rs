//! A slice of an encoder's last layer moved toward the input (`Graph::slice_early`): the
//! graph then computes only the token the head reads after the keys and values, and gives
//! the same output, gradient and relevance as the graph it came from, bit for bit, under
//! AttnLRP, CP-LRP, an ε composite and the gradient. Slices that cannot move (the node has
//! another reader, the operation mixes positions along the axis) leave the graph as it was.

use lrp::{Composite, Elementwise, Graph, Layer, LayerNorm, Node, NodeId, Op, Target};
use ndarray::ArrayD;

use crate::common::{dense, rng, uniform};

const TOKENS: usize = 5;
const DIMS: usize = 4;
const HEADS: usize = 2;
const HEAD: usize = DIMS / HEADS;
const HIDDEN: usize = 6;
const CLASSES: usize = 3;

/// Nodes appended one at a time, each returning its id.
struct Builder {
    nodes: Vec<Node>,
    seed: u64,
}

impl Builder {
    fn new() -> Self {
        Builder { nodes: vec![Node::new("x", Op::Input, vec![])], seed: 100 }
    }

    fn add(&mut self, name: &str, op: Op, inputs: &[NodeId]) -> NodeId {
        self.nodes.push(Node::new(name, op, inputs.to_vec()));
        self.nodes.len() - 1
    }

    fn random(&mut self, shape: &[usize], low: f32, high: f32) -> ArrayD<f32> {
        self.seed += 1;
        uniform(&mut rng(self.seed), shape, low, high)
    }

    fn dense(&mut self, name: &str, x: NodeId, n_in: usize, n_out: usize) -> NodeId {
        self.seed += 1;
        let layer = dense(&mut rng(self.seed), n_in, n_out, true);
        self.add(name, Op::Layer(Layer::Dense(layer)), &[x])
    }

    fn layer_norm(&mut self, name: &str, x: NodeId) -> NodeId {
        let gamma = Some(self.random(&[DIMS], 0.5, 1.5));
        let beta = Some(self.random(&[DIMS], -0.5, 0.5));
        self.add(name, Op::LayerNorm(LayerNorm { axis: 2, epsilon: 1e-5, gamma, beta }), &[x])
    }

    /// One encoder layer on `x [1, TOKENS, DIMS]` as BERT's export writes it: queries, keys
    /// and values split into heads, scaled scores plus a constant mask per query and key,
    /// softmax, the heads joined again, a residual and a normalisation, then the feed-forward
    /// part (GELU) with its residual and normalisation.
    fn encoder_layer(&mut self, x: NodeId) -> NodeId {
        let heads = |b: &mut Self, name: &str, perm: Vec<usize>| {
            let d = b.dense(name, x, DIMS, DIMS);
            let r = b.add("split", Op::Reshape(vec![1, TOKENS, HEADS, HEAD]), &[d]);
            b.add("heads", Op::Transpose(perm), &[r])
        };
        let q = heads(self, "query", vec![0, 2, 1, 3]);
        let k = heads(self, "key", vec![0, 2, 3, 1]);
        let v = heads(self, "value", vec![0, 2, 1, 3]);
        // A scale per query token (a constant the slice also takes its row of).
        let scale = self.random(&[1, 1, TOKENS, 1], 0.4, 0.8);
        let q = self.add("scale", Op::Scale(scale), &[q]);
        let scores = self.add("scores", Op::MatMul, &[q, k]);
        let mask = self.random(&[1, 1, TOKENS, TOKENS], -0.5, 0.5);
        let mask = self.add("mask", Op::Constant(mask), &[]);
        let masked = self.add("masked", Op::Add, &[scores, mask]);
        let weights = self.add("softmax", Op::Softmax { axis: 3 }, &[masked]);
        let context = self.add("context", Op::MatMul, &[weights, v]);
        let joined = self.add("join", Op::Transpose(vec![0, 2, 1, 3]), &[context]);
        let joined = self.add("merge", Op::Reshape(vec![1, TOKENS, DIMS]), &[joined]);
        let out = self.dense("output", joined, DIMS, DIMS);
        let sum = self.add("residual", Op::Add, &[out, x]);
        let attended = self.layer_norm("norm", sum);
        let up = self.dense("up", attended, DIMS, HIDDEN);
        let gelu = self.add("gelu", Op::Elementwise(Elementwise::Gelu), &[up]);
        let down = self.dense("down", gelu, HIDDEN, DIMS);
        // A shift broadcast along the tokens, which every token's slice reads whole.
        let shift = self.random(&[1, 1, DIMS], -0.5, 0.5);
        let shift = self.add("shift", Op::Constant(shift), &[]);
        let down = self.add("shifted", Op::Add, &[down, shift]);
        let sum = self.add("residual", Op::Add, &[down, attended]);
        self.layer_norm("norm", sum)
    }

    /// The head on token `token`: a slice, the token axis dropped, a dense layer with tanh
    /// (BERT's pooler), the classes.
    fn head(&mut self, x: NodeId, token: usize) -> NodeId {
        let picked = self.add("pick", Op::Slice { axis: 1, start: token, end: token + 1 }, &[x]);
        let flat = self.add("flat", Op::Reshape(vec![1, DIMS]), &[picked]);
        let pooled = self.dense("pooler", flat, DIMS, DIMS);
        let pooled = self.add("tanh", Op::Elementwise(Elementwise::Tanh), &[pooled]);
        self.dense("classes", pooled, DIMS, CLASSES)
    }

    fn graph(self, output: NodeId) -> Graph {
        Graph::new(self.nodes, output).unwrap()
    }
}

/// Two encoder layers, then the head on `token`.
fn encoder(token: usize) -> Graph {
    let mut b = Builder::new();
    let first = b.encoder_layer(0);
    let second = b.encoder_layer(first);
    let head = b.head(second, token);
    b.graph(head)
}

fn input() -> ArrayD<f32> {
    uniform(&mut rng(7), &[1, TOKENS, DIMS], -1.0, 1.0)
}

/// Every explanation the two graphs give of `input`, as exact bits: the output, the gradient
/// of class 1, and the relevance and explained score under AttnLRP, CP-LRP and ε.
fn explanations(graph: &Graph) -> Vec<(String, Vec<u32>)> {
    let trace = graph.forward(input()).unwrap();
    let bits = |a: &ArrayD<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
    let mut out = vec![
        ("output".to_string(), bits(&trace.output().to_owned())),
        ("gradient".to_string(), bits(&trace.gradient(&Target::Output(1)).unwrap())),
    ];
    for rule in ["attnlrp", "cp-lrp", "attnlrp:epsilon=0.1", "epsilon=0.1"] {
        let composite: Composite = rule.parse().unwrap();
        let e = trace.lrp(&Target::Output(1), &composite).unwrap();
        let mut relevance = bits(&e.relevance);
        relevance.push(e.explained.to_bits() as u32);
        relevance.push((e.explained.to_bits() >> 32) as u32);
        out.push((rule.to_string(), relevance));
    }
    out
}

/// The shapes of the values of the nodes named `name`, in node order (one per layer).
fn shapes_of(graph: &Graph, name: &str) -> Vec<Vec<usize>> {
    let shapes = graph.shapes(&[1, TOKENS, DIMS]).unwrap();
    graph.nodes().iter().zip(shapes).filter(|(n, _)| n.name == name).map(|(_, s)| s).collect()
}

#[test]
fn shapes_are_the_shapes_of_the_forward_values() {
    let graph = encoder(0);
    let trace = graph.forward(input()).unwrap();
    let shapes = graph.shapes(&[1, TOKENS, DIMS]).unwrap();
    assert_eq!(shapes.len(), graph.nodes().len());
    for (value, shape) in trace.values().iter().zip(&shapes) {
        assert_eq!(value.shape(), &shape[..]);
    }
    assert!(graph.shapes(&[1, TOKENS, DIMS + 1]).is_err());
}

/// The first token and a middle one: after the move the second layer's queries, attention
/// and feed-forward part compute one token, its keys and values all; every explanation is
/// the same bit for bit.
#[test]
fn a_slice_of_the_last_layer_moves_to_its_queries_and_explanations_stay_bit_for_bit() {
    for token in [0, 2] {
        let whole = encoder(token);
        let mut sliced = encoder(token);
        let moved = sliced.slice_early(&[1, TOKENS, DIMS]).unwrap();
        // From the second layer's last normalisation back to its queries: norm, residual,
        // shifted, down, gelu, up, norm, residual, output, merge, join, context, softmax,
        // masked, scores, scale, heads, split, query.
        assert_eq!(moved, 19, "token {token}");
        assert_eq!(shapes_of(&sliced, "up"), [[1, TOKENS, HIDDEN], [1, 1, HIDDEN]]);
        assert_eq!(shapes_of(&sliced, "query"), [[1, TOKENS, DIMS], [1, 1, DIMS]]);
        assert_eq!(
            shapes_of(&sliced, "scores"),
            [[1, HEADS, TOKENS, TOKENS], [1, HEADS, 1, TOKENS]]
        );
        assert_eq!(shapes_of(&sliced, "key"), [[1, TOKENS, DIMS]; 2]);
        assert_eq!(shapes_of(&sliced, "value"), [[1, TOKENS, DIMS]; 2]);
        // The mask's row for the token, as a constant of its own.
        let masks: Vec<&ArrayD<f32>> = sliced
            .nodes()
            .iter()
            .filter_map(|n| match &n.op {
                Op::Constant(c) if c.ndim() == 4 => Some(c),
                _ => None,
            })
            .collect();
        let Op::Constant(whole_mask) =
            &whole.nodes().iter().rev().find(|n| n.name == "mask").unwrap().op
        else {
            panic!("the mask is a constant")
        };
        assert_eq!(
            masks.last().unwrap(),
            &whole_mask.slice(ndarray::s![.., .., token..token + 1, ..]).into_dyn()
        );
        for ((what, a), (_, b)) in explanations(&whole).into_iter().zip(explanations(&sliced)) {
            assert!(a == b, "token {token}: {what} differs");
        }
    }
}

/// A slice twice along one axis becomes one slice of the combined range, and moves on.
#[test]
fn a_slice_of_a_slice_along_the_same_axis_takes_the_combined_range() {
    let mut b = Builder::new();
    let layer = b.encoder_layer(0);
    let middle = b.add("middle", Op::Slice { axis: 1, start: 1, end: 4 }, &[layer]);
    let head = b.head(middle, 1);
    let whole = b.graph(head);
    let mut b = Builder::new();
    let layer = b.encoder_layer(0);
    let middle = b.add("middle", Op::Slice { axis: 1, start: 1, end: 4 }, &[layer]);
    let head = b.head(middle, 1);
    let mut sliced = b.graph(head);
    assert!(sliced.slice_early(&[1, TOKENS, DIMS]).unwrap() > 0);
    assert_eq!(shapes_of(&sliced, "up"), [[1, 1, HIDDEN]]);
    assert_eq!(shapes_of(&sliced, "scores"), [[1, HEADS, 1, TOKENS]]);
    let picked: Vec<&Op> =
        sliced.nodes().iter().filter(|n| matches!(n.op, Op::Slice { .. })).map(|n| &n.op).collect();
    // Token 2 of the input, for the queries and for the residual.
    assert!(
        picked.len() == 2
            && picked.iter().all(|op| matches!(op, Op::Slice { axis: 1, start: 2, end: 3 })),
        "{picked:?}"
    );
    for ((what, a), (_, b)) in explanations(&whole).into_iter().zip(explanations(&sliced)) {
        assert!(a == b, "{what} differs");
    }
}

/// A reshape that drops the leading axis: the slice of its rows is a slice of the tokens of
/// what it reads.
#[test]
fn a_slice_moves_through_a_reshape_to_the_axis_it_was_in_the_input() {
    let build = || {
        let mut b = Builder::new();
        let t = b.add("tanh", Op::Elementwise(Elementwise::Tanh), &[0]);
        let rows = b.add("rows", Op::Reshape(vec![TOKENS, DIMS]), &[t]);
        let row = b.add("row", Op::Slice { axis: 0, start: 3, end: 4 }, &[rows]);
        let d = b.dense("classes", row, DIMS, CLASSES);
        b.graph(d)
    };
    let whole = build();
    let mut sliced = build();
    assert_eq!(sliced.slice_early(&[1, TOKENS, DIMS]).unwrap(), 2);
    assert_eq!(shapes_of(&sliced, "tanh"), [[1, 1, DIMS]]);
    assert_eq!(shapes_of(&sliced, "rows"), [[1, DIMS]]);
    assert!(matches!(sliced.nodes()[1].op, Op::Slice { axis: 1, start: 3, end: 4 }));
    for ((what, a), (_, b)) in explanations(&whole).into_iter().zip(explanations(&sliced)) {
        assert!(a == b, "{what} differs");
    }
}

/// Where the slice cannot move the graph is left as it was: the sliced node read by another
/// node too; a dense layer, a softmax, a normalisation or a mean along the sliced axis; a
/// reshape that merges it with another axis.
#[test]
fn a_slice_stays_where_the_operation_mixes_positions_or_another_node_reads_the_value() {
    type Build = fn(&mut Builder) -> NodeId;
    let cases: [(&str, Build); 7] = [
        ("read twice", |b| {
            let d = b.dense("dense", 0, DIMS, DIMS);
            let s = b.add("s", Op::Slice { axis: 1, start: 0, end: 1 }, &[d]);
            let m = b.add("m", Op::Mean { axis: 1 }, &[d]);
            b.add("sum", Op::Add, &[s, m])
        }),
        ("dense along the axis", |b| {
            let d = b.dense("dense", 0, DIMS, DIMS);
            b.add("s", Op::Slice { axis: 2, start: 1, end: 3 }, &[d])
        }),
        ("softmax along the axis", |b| {
            let d = b.add("softmax", Op::Softmax { axis: 1 }, &[0]);
            b.add("s", Op::Slice { axis: 1, start: 0, end: 1 }, &[d])
        }),
        ("normalisation along the axis", |b| {
            let norm = LayerNorm { axis: 1, epsilon: 1e-5, gamma: None, beta: None };
            let d = b.add("norm", Op::LayerNorm(norm), &[0]);
            b.add("s", Op::Slice { axis: 1, start: 0, end: 1 }, &[d])
        }),
        ("normalisation with γ per token", |b| {
            let gamma = Some(b.random(&[1, TOKENS, DIMS], 0.5, 1.5));
            let norm = LayerNorm { axis: 2, epsilon: 1e-5, gamma, beta: None };
            let d = b.add("norm", Op::LayerNorm(norm), &[0]);
            b.add("s", Op::Slice { axis: 1, start: 0, end: 1 }, &[d])
        }),
        ("mean along the axis", |b| {
            let d = b.add("mean", Op::Mean { axis: 2 }, &[0]);
            b.add("s", Op::Slice { axis: 2, start: 0, end: 1 }, &[d])
        }),
        ("reshape merging the axis", |b| {
            let d = b.add("tanh", Op::Elementwise(Elementwise::Tanh), &[0]);
            let r = b.add("flat", Op::Reshape(vec![1, TOKENS * DIMS]), &[d]);
            b.add("s", Op::Slice { axis: 1, start: 0, end: DIMS }, &[r])
        }),
    ];
    for (what, build) in cases {
        let mut b = Builder::new();
        let out = build(&mut b);
        let mut graph = b.graph(out);
        let before = format!("{:?}", graph.nodes());
        assert_eq!(graph.slice_early(&[1, TOKENS, DIMS]).unwrap(), 0, "{what}");
        assert_eq!(format!("{:?}", graph.nodes()), before, "{what}");
    }
}
