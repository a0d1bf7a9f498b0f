//! A layer normalisation and a GELU written out as steps (as exporters write them) fused into
//! one node each: the same values, gradient and relevance as the steps, bit for bit where the
//! fused arithmetic is the steps' own; against f64 loops written here (the normalisation's
//! value, central differences of its gradient, lxt's rule with the deviation held constant);
//! steps another node reads are left alone.

use lrp::{Composite, Elementwise, Graph, LayerKind, Node, Op, Target};
use ndarray::{ArrayD, IxDyn};

use crate::common::{dense, relative_error, rng, to_f64, uniform};

const TOKENS: usize = 5;
const DIMS: usize = 6;
const CLASSES: usize = 3;
const EPSILON: f32 = 0.01;

fn scalar(v: f32) -> ArrayD<f32> {
    ArrayD::from_elem(IxDyn(&[]), v)
}

/// The ten steps of a layer normalisation along `axis` of node 0, as the ONNX importer writes
/// `LayerNormalization` (and the opset-14 export's `ReduceMean … Add`), `γ` and `β` shaped
/// `parameter`; then a fixed mask per value, the mean over tokens and a dense layer to
/// `CLASSES` outputs.
fn normalisation_graph(axis: usize, parameter: &[usize]) -> Graph {
    let gamma = uniform(&mut rng(41), parameter, 0.5, 1.5);
    let beta = uniform(&mut rng(42), parameter, -0.5, 0.5);
    let mask = uniform(&mut rng(43), &[1, TOKENS, DIMS], -1.0, 1.0);
    let f = |name: &str, op: Elementwise, input: usize| {
        Node::new(name, Op::Elementwise(op), vec![input])
    };
    Graph::new(
        vec![
            Node::new("x", Op::Input, vec![]),
            Node::new("mean", Op::Mean { axis }, vec![0]),
            Node::new("negate", Op::Scale(scalar(-1.0)), vec![1]),
            Node::new("centre", Op::Add, vec![0, 2]),
            f("square", Elementwise::Power(2.0), 3),
            Node::new("variance", Op::Mean { axis }, vec![4]),
            Node::new("epsilon", Op::Constant(scalar(EPSILON)), vec![]),
            Node::new("variance_epsilon", Op::Add, vec![5, 6]),
            f("deviation", Elementwise::Sqrt, 7),
            Node::new("normalise", Op::Quotient, vec![3, 8]),
            Node::new("scale", Op::Scale(gamma), vec![9]),
            Node::new("bias", Op::Constant(beta), vec![]),
            Node::new("layer_norm", Op::Add, vec![10, 11]),
            Node::new("mask", Op::Scale(mask), vec![12]),
            Node::new("pooled", Op::Mean { axis: 1 }, vec![13]),
            Node::new(
                "classes",
                Op::Layer(lrp::Layer::Dense(dense(&mut rng(44), DIMS, CLASSES, true))),
                vec![14],
            ),
        ],
        15,
    )
    .unwrap()
}

fn constant(graph: &Graph, node: usize) -> Vec<f64> {
    match &graph.nodes()[node].op {
        Op::Constant(c) | Op::Scale(c) => to_f64(c),
        other => panic!("node {node} is {other:?}"),
    }
}

/// The class scores of [`normalisation_graph`] along the last axis, in f64: `(x − μ) / √(σ² +
/// ε) · γ + β` per token, times the mask, averaged over tokens, through the dense layer.
struct Reference {
    gamma: Vec<f64>,
    beta: Vec<f64>,
    mask: Vec<f64>,
    weight: Vec<Vec<f64>>,
    bias: Vec<f64>,
}

impl Reference {
    fn of(graph: &Graph) -> Self {
        let Op::Layer(lrp::Layer::Dense(d)) = &graph.nodes()[15].op else { panic!("dense") };
        Reference {
            gamma: constant(graph, 10),
            beta: constant(graph, 11),
            mask: constant(graph, 13),
            weight: d
                .weight
                .rows()
                .into_iter()
                .map(|r| r.iter().map(|&w| f64::from(w)).collect())
                .collect(),
            bias: d.bias.as_ref().unwrap().iter().map(|&b| f64::from(b)).collect(),
        }
    }

    /// Per token: the centred row and its deviation.
    fn centre(&self, x: &[f64], t: usize) -> (Vec<f64>, f64) {
        let row = &x[t * DIMS..(t + 1) * DIMS];
        let mean = row.iter().sum::<f64>() / DIMS as f64;
        let c: Vec<f64> = row.iter().map(|v| v - mean).collect();
        let variance = c.iter().map(|c| c * c).sum::<f64>() / DIMS as f64;
        (c, (variance + f64::from(EPSILON)).sqrt())
    }

    fn normalised(&self, x: &[f64]) -> Vec<f64> {
        (0..TOKENS)
            .flat_map(|t| {
                let (c, d) = self.centre(x, t);
                (0..DIMS).map(move |i| c[i] / d * self.gamma[i] + self.beta[i]).collect::<Vec<_>>()
            })
            .collect()
    }

    fn score(&self, x: &[f64], class: usize) -> f64 {
        let z = self.normalised(x);
        (0..DIMS)
            .map(|i| {
                let pooled: f64 =
                    (0..TOKENS).map(|t| z[t * DIMS + i] * self.mask[t * DIMS + i]).sum::<f64>();
                pooled / TOKENS as f64 * self.weight[i][class]
            })
            .sum::<f64>()
            + self.bias[class]
    }

    /// `∂score/∂z` at the normalisation's output: mask · w_class / tokens.
    fn output_gradient(&self, class: usize) -> Vec<f64> {
        (0..TOKENS * DIMS)
            .map(|k| self.mask[k] * self.weight[k % DIMS][class] / TOKENS as f64)
            .collect()
    }

    /// lxt's relevance with the deviation held constant: `g_c = γ g / d`, `g_x = g_c − mean
    /// g_c`, `R_x = x g_x` (the dense layer and the pooling pass the plain gradient).
    fn held_relevance(&self, x: &[f64], class: usize) -> Vec<f64> {
        let g = self.output_gradient(class);
        let mut r = vec![0.0; x.len()];
        for t in 0..TOKENS {
            let (_, d) = self.centre(x, t);
            let g_c: Vec<f64> = (0..DIMS).map(|i| self.gamma[i] * g[t * DIMS + i] / d).collect();
            let mean = g_c.iter().sum::<f64>() / DIMS as f64;
            for i in 0..DIMS {
                r[t * DIMS + i] = x[t * DIMS + i] * (g_c[i] - mean);
            }
        }
        r
    }
}

fn explain(graph: &Graph, x: &ArrayD<f32>, class: usize, rule: &str) -> lrp::Explanation {
    let composite: Composite = rule.parse().unwrap();
    graph.forward(x.clone()).unwrap().lrp(&Target::Output(class), &composite).unwrap()
}

fn gradient(graph: &Graph, x: &ArrayD<f32>, class: usize) -> ArrayD<f32> {
    graph.forward(x.clone()).unwrap().gradient(&Target::Output(class)).unwrap()
}

fn kinds(graph: &Graph) -> Vec<LayerKind> {
    graph.nodes().iter().map(|n| n.op.kind()).collect()
}

/// Values, gradient, AttnLRP and CP-LRP on `fused` and `steps` for each class: bit for bit.
/// Under a classic composite the steps pass relevance in proportion one by one and the fused
/// node in its gradient form, the same function with other roundings.
fn assert_same_explanations(fused: &Graph, steps: &Graph, x: &ArrayD<f32>) {
    let out = |g: &Graph| g.forward(x.clone()).unwrap().output().to_owned();
    assert_eq!(out(fused), out(steps), "values");
    for class in 0..CLASSES {
        assert_eq!(gradient(fused, x, class), gradient(steps, x, class), "gradient, class {class}");
        for rule in ["attnlrp", "cp-lrp"] {
            let (a, b) = (explain(fused, x, class, rule), explain(steps, x, class, rule));
            assert_eq!(a.relevance, b.relevance, "{rule}, class {class}");
            assert_eq!(a.explained, b.explained, "{rule}, class {class}");
        }
        let (a, b) =
            (explain(fused, x, class, "epsilon=0.1"), explain(steps, x, class, "epsilon=0.1"));
        let error = relative_error(&a.relevance, &to_f64(&b.relevance));
        assert!(error < 1e-5, "epsilon=0.1, class {class}: relative error {error}");
    }
}

#[test]
fn a_layer_normalisation_written_as_steps_is_one_node_with_the_steps_numbers() {
    let steps = normalisation_graph(2, &[DIMS]);
    let mut fused = normalisation_graph(2, &[DIMS]);
    assert_eq!(fused.fuse_steps(), 1);
    use LayerKind::*;
    assert_eq!(kinds(&fused), [Input, LayerNorm, Scale, Mean, Dense]);
    let x = uniform(&mut rng(45), &[1, TOKENS, DIMS], -2.0, 2.0);
    assert_same_explanations(&fused, &steps, &x);

    let reference = Reference::of(&steps);
    let x64 = to_f64(&x);
    let trace = fused.forward(x.clone()).unwrap();
    let error = relative_error(&trace.values()[1], &reference.normalised(&x64));
    assert!(error < 1e-6, "normalised values: relative error {error}");
    for class in 0..CLASSES {
        // The whole gradient (the deviation's too) against central differences.
        let h = 1e-5;
        let differences: Vec<f64> = (0..x64.len())
            .map(|k| {
                let (mut up, mut down) = (x64.clone(), x64.clone());
                up[k] += h;
                down[k] -= h;
                (reference.score(&up, class) - reference.score(&down, class)) / (2.0 * h)
            })
            .collect();
        let error = relative_error(&gradient(&fused, &x, class), &differences);
        assert!(error < 1e-5, "gradient, class {class}: relative error {error}");

        let held = reference.held_relevance(&x64, class);
        for rule in ["attnlrp", "cp-lrp"] {
            let explanation = explain(&fused, &x, class, rule);
            let error = relative_error(&explanation.relevance, &held);
            assert!(error < 1e-5, "{rule}, class {class}: relative error {error}");
            // The report's node: Σ z g out, Σ x g_x in.
            let report = explanation.layers.iter().find(|l| l.kind == LayerNorm).unwrap();
            let z = reference.normalised(&x64);
            let g = reference.output_gradient(class);
            let out: f64 = z.iter().zip(&g).map(|(z, g)| z * g).sum();
            let into: f64 = held.iter().sum();
            assert!((report.relevance_out - out).abs() < 1e-5 * out.abs().max(1.0), "{rule} out");
            assert!((report.relevance_in - into).abs() < 1e-5 * into.abs().max(1.0), "{rule} in");
        }
    }
}

/// Along the token axis, `γ` and `β` per token: the steps' array operations, not the rows.
#[test]
fn a_layer_normalisation_along_another_axis_has_the_steps_numbers() {
    let steps = normalisation_graph(1, &[TOKENS, 1]);
    let mut fused = normalisation_graph(1, &[TOKENS, 1]);
    assert_eq!(fused.fuse_steps(), 1);
    assert_eq!(kinds(&fused)[1], LayerKind::LayerNorm);
    let x = uniform(&mut rng(46), &[1, TOKENS, DIMS], -2.0, 2.0);
    assert_same_explanations(&fused, &steps, &x);
}

/// `x → dense → x · (erf(x · 1/√2) + 1) · ½ → mean over tokens → dense`, the GELU as the
/// ONNX export writes it (the division by √2 a scale by its reciprocal).
fn gelu_graph() -> Graph {
    let hidden = 8;
    let layer =
        |seed, n_in, n_out| Op::Layer(lrp::Layer::Dense(dense(&mut rng(seed), n_in, n_out, true)));
    Graph::new(
        vec![
            Node::new("x", Op::Input, vec![]),
            Node::new("up", layer(51, DIMS, hidden), vec![0]),
            Node::new("div", Op::Scale(scalar(1.0 / std::f32::consts::SQRT_2)), vec![1]),
            Node::new("erf", Op::Elementwise(Elementwise::Erf), vec![2]),
            Node::new("one", Op::Constant(scalar(1.0)), vec![]),
            Node::new("plus_one", Op::Add, vec![3, 4]),
            Node::new("gate", Op::Gate, vec![1, 5]),
            Node::new("half", Op::Scale(scalar(0.5)), vec![6]),
            Node::new("pooled", Op::Mean { axis: 1 }, vec![7]),
            Node::new("classes", layer(52, hidden, CLASSES), vec![8]),
        ],
        9,
    )
    .unwrap()
}

#[test]
fn a_gelu_written_as_steps_is_one_node_with_the_steps_values_and_relevance() {
    let steps = gelu_graph();
    let mut fused = gelu_graph();
    assert_eq!(fused.fuse_steps(), 1);
    use LayerKind::*;
    assert_eq!(kinds(&fused), [Input, Dense, Elementwise, Mean, Dense]);
    assert!(matches!(fused.nodes()[2].op, Op::Elementwise(lrp::Elementwise::Gelu)));
    let x = uniform(&mut rng(53), &[1, TOKENS, DIMS], -2.0, 2.0);
    let (a, b) = (fused.forward(x.clone()).unwrap(), steps.forward(x.clone()).unwrap());
    assert_eq!(a.output(), b.output());
    let h = &a.values()[1];
    let gelu: Vec<f64> = to_f64(h)
        .into_iter()
        .map(|v| 0.5 * v * (1.0 + libm::erf(v / std::f64::consts::SQRT_2)))
        .collect();
    let error = relative_error(&a.values()[2], &gelu);
    assert!(error < 1e-6, "GELU values: relative error {error}");
    for class in 0..CLASSES {
        for rule in ["attnlrp", "cp-lrp", "epsilon=0.1"] {
            let (a, b) = (explain(&fused, &x, class, rule), explain(&steps, &x, class, rule));
            assert_eq!(a.relevance, b.relevance, "{rule}, class {class}");
        }
        // GELU's derivative in closed form against the steps' chain rule.
        let (a, b) = (gradient(&fused, &x, class), gradient(&steps, &x, class));
        let error = relative_error(&a, &to_f64(&b));
        assert!(error < 1e-6, "gradient, class {class}: relative error {error}");
    }
}

#[test]
fn steps_that_another_node_reads_or_that_broadcast_into_more_axes_are_not_fused() {
    // ε of rank 4 makes the variance (and so the output) rank 4: not a layer normalisation.
    let mut nodes = normalisation_graph(2, &[DIMS]).nodes().iter().map(copy).collect::<Vec<_>>();
    nodes[6].op = Op::Constant(ArrayD::from_elem(IxDyn(&[1, 1, 1, 1]), EPSILON));
    let mut graph = Graph::new(nodes, 15).unwrap();
    assert_eq!(graph.fuse_steps(), 0);
    // The deviation read again, as a root mean square normalisation's output might be.
    let mut nodes = normalisation_graph(2, &[DIMS]).nodes().iter().map(copy).collect::<Vec<_>>();
    nodes.push(Node::new("again", Op::Product, vec![15, 8]));
    let mut graph = Graph::new(nodes, 16).unwrap();
    assert_eq!(graph.fuse_steps(), 0);
    assert_eq!(graph.nodes().len(), 17);
    // GELU's erf read again.
    let mut nodes = gelu_graph().nodes().iter().map(copy).collect::<Vec<_>>();
    nodes.push(Node::new("again", Op::Product, vec![9, 3]));
    let mut graph = Graph::new(nodes, 10).unwrap();
    assert_eq!(graph.fuse_steps(), 0);
    assert_eq!(graph.nodes().len(), 11);
}

/// A node rebuilt with a copy of its operation (`Op` holds layers, which are not `Clone`).
fn copy(node: &Node) -> Node {
    let op = match &node.op {
        Op::Input => Op::Input,
        Op::Constant(c) => Op::Constant(c.clone()),
        Op::Scale(c) => Op::Scale(c.clone()),
        Op::Mean { axis } => Op::Mean { axis: *axis },
        Op::Add => Op::Add,
        Op::Quotient => Op::Quotient,
        Op::Gate => Op::Gate,
        Op::Elementwise(f) => Op::Elementwise(*f),
        Op::Layer(lrp::Layer::Dense(d)) => Op::Layer(lrp::Layer::Dense(d.clone())),
        other => panic!("not used here: {other:?}"),
    };
    Node::new(node.name.clone(), op, node.inputs.clone())
}
