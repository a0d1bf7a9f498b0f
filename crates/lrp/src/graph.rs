//! A directed acyclic graph of operations: what imported models are (branches that are
//! concatenated, residual sums, scales and masks, reshapes), explained with the same rules as
//! a [`crate::Network`].
//!
//! Nodes are listed in topological order (every node's inputs come before it) and node 0 is
//! the graph's one input. The backward passes visit the nodes in reverse; a node read by
//! several others receives the sum of what each sends back (relevance or gradient).
//!
//! How relevance splits, per operation:
//! - a layer: as in a network (rules on linear maps, ReLU passes, max-pooling routes);
//! - `Add`, `z = Σ_k x_k`: the linear map `[I … I]` over the stacked inputs, so every rule
//!   applies; under LRP-0 `R_k = x_k / z · R`, under ε `R_k = x_k / (z + ε sign z) · R`;
//! - `Scale`, `z = c ⊙ x` with a constant `c`: the diagonal linear map `w_ii = c_i`; under
//!   LRP-0 `R_i = R_i` wherever `c_i x_i ≠ 0`;
//! - `Concat`, `Reshape`, `Transpose`: relevance moves back with the values it belongs to,
//!   nothing is absorbed.

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, Slice};

use crate::error::LrpError;
use crate::explain::{sum, Explanation, LayerRelevance, Target};
use crate::layers::{Layer, LayerKind};
use crate::linear::{propagate, LinearMap, WeightMod};
use crate::rule::{Composite, Rule};

/// A node's position in its graph.
pub type NodeId = usize;

/// What a node computes from its inputs.
#[derive(Debug)]
pub enum Op {
    /// The graph's input; only node 0.
    Input,
    /// A layer applied to one input.
    Layer(Layer),
    /// The element-wise sum of inputs of one shape (a residual, a bias added as its own node).
    Add,
    /// The element-wise product with a constant broadcast to the input's shape (a scale, a
    /// fixed mask, a division by a constant).
    Scale(ArrayD<f32>),
    /// The inputs joined along an axis.
    Concat { axis: usize },
    /// The same values, in row-major order, in another shape.
    Reshape(Vec<usize>),
    /// The axes permuted: output axis `i` is input axis `perm[i]`.
    Transpose(Vec<usize>),
}

impl Op {
    /// The kind, for composites and reports.
    pub fn kind(&self) -> LayerKind {
        match self {
            Op::Layer(layer) => layer.kind(),
            Op::Input => LayerKind::Input,
            Op::Reshape(_) => LayerKind::Reshape,
            Op::Add => LayerKind::Add,
            Op::Scale(_) => LayerKind::Scale,
            Op::Concat { .. } => LayerKind::Concat,
            Op::Transpose(_) => LayerKind::Transpose,
        }
    }
}

/// One operation, its inputs and a name for messages and reports (an exporter's node name).
#[derive(Debug)]
pub struct Node {
    pub name: String,
    pub op: Op,
    pub inputs: Vec<NodeId>,
}

impl Node {
    pub fn new(name: impl Into<String>, op: Op, inputs: Vec<NodeId>) -> Self {
        Node { name: name.into(), op, inputs }
    }
}

/// Operations in topological order, node 0 the input, `output` the node explained.
#[derive(Debug)]
pub struct Graph {
    nodes: Vec<Node>,
    output: NodeId,
}

/// One forward pass: every node's value, which is all the backward passes need.
#[derive(Debug)]
pub struct GraphTrace<'g> {
    graph: &'g Graph,
    values: Vec<ArrayD<f32>>,
}

impl Graph {
    /// A graph of `nodes` whose value at `output` is explained. Refuses a graph that is not
    /// topologically ordered, whose node 0 is not its one input, or whose operations have the
    /// wrong number of inputs.
    pub fn new(nodes: Vec<Node>, output: NodeId) -> Result<Self, LrpError> {
        let invalid = |index: usize, node: &Node, problem: String| LrpError::InvalidLayer(format!("node {index} ({}): {problem}", node.name));
        for (index, node) in nodes.iter().enumerate() {
            if matches!(node.op, Op::Input) != (index == 0) {
                return Err(invalid(index, node, "node 0, and only node 0, is the input".into()));
            }
            if let Some(&later) = node.inputs.iter().find(|&&i| i >= index) {
                return Err(invalid(index, node, format!("reads node {later}, which does not come before it")));
            }
            let arity_ok = match node.op {
                Op::Input => node.inputs.is_empty(),
                Op::Add | Op::Concat { .. } => !node.inputs.is_empty(),
                _ => node.inputs.len() == 1,
            };
            if !arity_ok {
                return Err(invalid(index, node, format!("{} inputs do not fit a {} node", node.inputs.len(), node.op.kind())));
            }
        }
        if output >= nodes.len() {
            return Err(LrpError::InvalidLayer(format!("output node {output} of a graph of {} nodes", nodes.len())));
        }
        Ok(Graph { nodes, output })
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The nodes, mutable (to fold or replace weights; the shapes a layer accepts may change).
    pub fn nodes_mut(&mut self) -> &mut [Node] {
        &mut self.nodes
    }

    pub fn output(&self) -> NodeId {
        self.output
    }

    /// Runs the graph on `input` and keeps every node's value. Fails, naming the node, on a
    /// shape an operation does not accept, and on NaN or infinite inputs.
    pub fn forward(&self, input: ArrayD<f32>) -> Result<GraphTrace<'_>, LrpError> {
        if let Some(index) = input.iter().position(|v| !v.is_finite()) {
            return Err(LrpError::NonFiniteInput { index });
        }
        let mut values: Vec<ArrayD<f32>> = Vec::with_capacity(self.nodes.len());
        values.push(input);
        for (index, node) in self.nodes.iter().enumerate().skip(1) {
            let inputs: Vec<ArrayViewD<f32>> = node.inputs.iter().map(|&i| values[i].view()).collect();
            let value = forward(index, node, &inputs)?;
            values.push(value);
        }
        Ok(GraphTrace { graph: self, values })
    }
}

fn mismatch(index: usize, node: &Node, expected: String, got: &[usize]) -> LrpError {
    LrpError::ShapeMismatch { layer: index, kind: format!("{} `{}`", node.op.kind(), node.name), expected, got: got.to_vec() }
}

/// One node's value from its inputs' values, shapes checked.
fn forward(index: usize, node: &Node, inputs: &[ArrayViewD<f32>]) -> Result<ArrayD<f32>, LrpError> {
    let first = &inputs[0];
    match &node.op {
        Op::Input => unreachable!("Graph::new keeps the input at node 0"),
        Op::Layer(layer) => {
            layer.output_shape(first.shape(), index)?;
            Ok(layer.forward(first.view()))
        }
        Op::Add => {
            let mut z = first.to_owned();
            for x in &inputs[1..] {
                if x.shape() != first.shape() {
                    return Err(mismatch(index, node, format!("{:?} like its first input", first.shape()), x.shape()));
                }
                z += x;
            }
            Ok(z)
        }
        Op::Scale(c) => {
            let c = c.broadcast(first.raw_dim()).ok_or_else(|| mismatch(index, node, format!("a shape {:?} broadcasts to", c.shape()), first.shape()))?;
            Ok(&c * first)
        }
        Op::Concat { axis } => {
            let fits = |x: &ArrayViewD<f32>| x.ndim() == first.ndim() && *axis < x.ndim() && (0..x.ndim()).all(|a| a == *axis || x.shape()[a] == first.shape()[a]);
            if let Some(x) = inputs.iter().find(|x| !fits(x)) {
                return Err(mismatch(index, node, format!("{:?} in every axis but {axis}", first.shape()), x.shape()));
            }
            Ok(ndarray::concatenate(Axis(*axis), inputs).expect("shapes checked"))
        }
        Op::Reshape(shape) => {
            if shape.iter().product::<usize>() != first.len() {
                return Err(mismatch(index, node, format!("{} values for the shape {shape:?}", shape.iter().product::<usize>()), first.shape()));
            }
            Ok(first.as_standard_layout().into_owned().into_shape_with_order(IxDyn(shape)).expect("length checked"))
        }
        Op::Transpose(perm) => {
            let mut sorted = perm.clone();
            sorted.sort_unstable();
            if sorted != (0..first.ndim()).collect::<Vec<_>>() {
                return Err(mismatch(index, node, format!("{} axes for the permutation {perm:?}", perm.len()), first.shape()));
            }
            Ok(first.view().permuted_axes(IxDyn(perm)).as_standard_layout().into_owned())
        }
    }
}

impl GraphTrace<'_> {
    pub fn input(&self) -> ArrayViewD<'_, f32> {
        self.values[0].view()
    }

    /// The explained node's value.
    pub fn output(&self) -> ArrayViewD<'_, f32> {
        self.values[self.graph.output].view()
    }

    /// Every node's value, in node order.
    pub fn values(&self) -> &[ArrayD<f32>] {
        &self.values
    }

    /// LRP of `target` at the output node, a rule per node that takes one from `composite`
    /// (by node index, else by kind). The report lists every node the relevance passes, from
    /// the output back to the input.
    pub fn lrp(&self, target: &Target, composite: &Composite) -> Result<Explanation, LrpError> {
        composite.validate()?;
        let top = target.top(self.output(), true)?;
        let explained = sum(top.view());
        let mut layers = Vec::new();
        let relevance = self.backward(top, |index, node, inputs, r| {
            let relevance_out = sum(r.view());
            let (sent, rule) = self.relevance_step(index, node, inputs, r, composite);
            let relevance_in = sent.iter().map(|s| sum(s.view())).sum();
            layers.push(LayerRelevance { index, kind: node.op.kind(), rule, relevance_out, relevance_in });
            sent
        });
        Ok(Explanation { relevance, explained, layers })
    }

    /// The gradient of the explained quantity (`f_j`, or `Σ r·f` for a given `r`) with
    /// respect to the input.
    pub fn gradient(&self, target: &Target) -> Result<ArrayD<f32>, LrpError> {
        let top = target.top(self.output(), false)?;
        Ok(self.backward(top, |_, node, inputs, g| gradient_step(node, inputs, g)))
    }

    /// Gradient×Input: `x_i · ∂f/∂x_i`.
    pub fn gradient_x_input(&self, target: &Target) -> Result<ArrayD<f32>, LrpError> {
        Ok(self.gradient(target)? * &self.input())
    }

    /// Sends `top` from the output node back to the input: `step` gives, for a node and the
    /// signal summed at its output, what each of its inputs receives.
    fn backward(&self, top: ArrayD<f32>, mut step: impl FnMut(usize, &Node, &[ArrayViewD<f32>], ArrayD<f32>) -> Vec<ArrayD<f32>>) -> ArrayD<f32> {
        let nodes = &self.graph.nodes;
        let mut signal: Vec<Option<ArrayD<f32>>> = (0..nodes.len()).map(|_| None).collect();
        signal[self.graph.output] = Some(top);
        for index in (1..nodes.len()).rev() {
            let Some(s) = signal[index].take() else { continue };
            let node = &nodes[index];
            let inputs: Vec<ArrayViewD<f32>> = node.inputs.iter().map(|&i| self.values[i].view()).collect();
            for (&i, sent) in node.inputs.iter().zip(step(index, node, &inputs, s)) {
                match &mut signal[i] {
                    Some(existing) => *existing += &sent,
                    slot => *slot = Some(sent),
                }
            }
        }
        signal[0].take().unwrap_or_else(|| ArrayD::zeros(self.values[0].raw_dim()))
    }

    /// What one node's inputs receive of the relevance `r` at its output, and the rule used.
    fn relevance_step(&self, index: usize, node: &Node, inputs: &[ArrayViewD<f32>], r: ArrayD<f32>, composite: &Composite) -> (Vec<ArrayD<f32>>, Option<Rule>) {
        let z = self.values[index].view();
        match &node.op {
            Op::Layer(Layer::Relu) => (vec![r], None),
            Op::Layer(Layer::MaxPool(p)) => (vec![p.route(inputs[0].view(), r.view())], None),
            Op::Layer(layer) => {
                let rule = composite.rule_for(index, layer.kind());
                let map = layer.as_linear().expect("the other layers are linear");
                (vec![propagate(map, inputs[0].view(), Some(z), r.view(), &rule)], Some(rule))
            }
            Op::Add => {
                let rule = composite.rule_for(index, LayerKind::Add);
                let stacked = ndarray::stack(Axis(0), inputs).expect("one shape, checked forward");
                let r_in = propagate(&SumMap, stacked.view(), Some(z), r.view(), &rule);
                (r_in.outer_iter().map(|part| part.to_owned()).collect(), Some(rule))
            }
            Op::Scale(c) => {
                let rule = composite.rule_for(index, LayerKind::Scale);
                let map = ScaleMap { factor: c.broadcast(inputs[0].raw_dim()).expect("checked forward").to_owned() };
                (vec![propagate(&map, inputs[0].view(), Some(z), r.view(), &rule)], Some(rule))
            }
            _ => (shape_step(node, inputs, r), None),
        }
    }
}

/// What one node's inputs receive of the gradient `g` at its output.
fn gradient_step(node: &Node, inputs: &[ArrayViewD<f32>], mut g: ArrayD<f32>) -> Vec<ArrayD<f32>> {
    let x = &inputs[0];
    match &node.op {
        Op::Layer(Layer::Relu) => {
            g.zip_mut_with(x, |g, &x| {
                if x <= 0.0 {
                    *g = 0.0
                }
            });
            vec![g]
        }
        Op::Layer(Layer::MaxPool(p)) => vec![p.route(x.view(), g.view())],
        Op::Layer(layer) => vec![layer.as_linear().expect("the other layers are linear").transpose(g.view(), WeightMod::Identity, x.shape())],
        Op::Add => inputs.iter().map(|_| g.clone()).collect(),
        Op::Scale(c) => vec![&g * &c.broadcast(x.raw_dim()).expect("checked forward")],
        _ => shape_step(node, inputs, g),
    }
}

/// A signal sent back through an operation that only moves values: each input receives the
/// part that came from its own values.
fn shape_step(node: &Node, inputs: &[ArrayViewD<f32>], s: ArrayD<f32>) -> Vec<ArrayD<f32>> {
    match &node.op {
        Op::Concat { axis } => {
            let mut start = 0;
            inputs
                .iter()
                .map(|x| {
                    let len = x.shape()[*axis];
                    let part = s.slice_axis(Axis(*axis), Slice::from(start..start + len)).to_owned();
                    start += len;
                    part
                })
                .collect()
        }
        Op::Reshape(_) => vec![s.into_shape_with_order(inputs[0].raw_dim()).expect("same length")],
        Op::Transpose(perm) => {
            let mut inverse = vec![0; perm.len()];
            for (i, &p) in perm.iter().enumerate() {
                inverse[p] = i;
            }
            vec![s.permuted_axes(IxDyn(&inverse)).as_standard_layout().into_owned()]
        }
        _ => unreachable!("only operations that move values"),
    }
}

/// `z = Σ_k x_k` over stacked inputs `[K, …]`: every weight is 1.
struct SumMap;

impl LinearMap for SumMap {
    fn name(&self) -> &str {
        "add"
    }

    fn output_shape(&self, shape: &[usize], _layer: usize) -> Result<Vec<usize>, LrpError> {
        Ok(shape[1..].to_vec())
    }

    fn forward(&self, x: ArrayViewD<f32>, weights: WeightMod) -> ArrayD<f32> {
        x.sum_axis(Axis(0)) * weights.apply(1.0)
    }

    fn transpose(&self, s: ArrayViewD<f32>, weights: WeightMod, input_shape: &[usize]) -> ArrayD<f32> {
        let w = weights.apply(1.0);
        s.broadcast(IxDyn(input_shape)).expect("stacked inputs of the output's shape").mapv(|v| v * w)
    }

    fn bias(&self) -> Option<ndarray::ArrayView1<'_, f32>> {
        None
    }
}

/// `z = c ⊙ x`: a diagonal map whose weights are the factors.
struct ScaleMap {
    factor: ArrayD<f32>,
}

impl LinearMap for ScaleMap {
    fn name(&self) -> &str {
        "scale"
    }

    fn output_shape(&self, shape: &[usize], _layer: usize) -> Result<Vec<usize>, LrpError> {
        Ok(shape.to_vec())
    }

    fn forward(&self, x: ArrayViewD<f32>, weights: WeightMod) -> ArrayD<f32> {
        &x * &*weights.weights(&self.factor)
    }

    fn transpose(&self, s: ArrayViewD<f32>, weights: WeightMod, _input_shape: &[usize]) -> ArrayD<f32> {
        &s * &*weights.weights(&self.factor)
    }

    fn bias(&self) -> Option<ndarray::ArrayView1<'_, f32>> {
        None
    }
}
