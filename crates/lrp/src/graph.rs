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
//! - `Add`, `z = Σ_k x_k` (inputs broadcast to one shape): the linear map `[I … I]` over the
//!   stacked inputs, so every rule applies; under LRP-0 `R_k = x_k / z · R`, under ε
//!   `R_k = x_k / (z + ε sign z) · R`; an input that was broadcast gets the sum over the
//!   positions it fed. What goes to a `Constant` (a bias added as its own node) is absorbed,
//!   as a layer's bias absorbs it;
//! - `Affine`, `z = a ⊙ x + c` along the last axis (a BatchNormalization): a diagonal linear
//!   map with a bias; [`Graph::fold_affine`] first folds it into the dense or convolution layer
//!   before it where there is one (zennit's canonizer), which explains the same function as
//!   one layer;
//! - `Scale`, `z = c ⊙ x` with a constant `c`: the diagonal linear map `w_ii = c_i`; under
//!   LRP-0 `R_i = R_i` wherever `c_i x_i ≠ 0`;
//! - `Concat`, `Reshape`, `Transpose`: relevance moves back with the values it belongs to,
//!   nothing is absorbed.

use ndarray::{Array1, ArrayD, ArrayView1, ArrayViewD, Axis, IxDyn, Slice};

use crate::composite::Composite;
use crate::error::LrpError;
use crate::explain::{sum, Explanation, LayerRelevance, Target};
use crate::layers::{Layer, LayerKind};
use crate::linear::{propagate, LinearMap, WeightMod};
use crate::rule::Rule;

/// A node's position in its graph.
pub type NodeId = usize;

/// What a node computes from its inputs.
#[derive(Debug)]
pub enum Op {
    /// The graph's input; only node 0.
    Input,
    /// A value that does not depend on the input (a bias, an exporter's initialiser).
    Constant(ArrayD<f32>),
    /// A layer applied to one input.
    Layer(Layer),
    /// The element-wise sum of its inputs, broadcast to one shape as in NumPy (a residual, a
    /// bias added as its own node).
    Add,
    /// `z[…, c] = scale_c · x[…, c] + shift_c` along the last axis: a BatchNormalization,
    /// `scale = γ / √(σ² + ε)`, `shift = β − μ · scale` (see [`Op::batch_norm`]).
    Affine { scale: Array1<f32>, shift: Array1<f32> },
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
    /// BatchNormalization with learnt `γ`, `β` and running `μ`, `σ²`, as an [`Op::Affine`].
    pub fn batch_norm(
        gamma: &Array1<f32>,
        beta: &Array1<f32>,
        mean: &Array1<f32>,
        variance: &Array1<f32>,
        epsilon: f32,
    ) -> Op {
        let scale =
            ndarray::Zip::from(gamma).and(variance).map_collect(|&g, &v| g / (v + epsilon).sqrt());
        let shift = beta - &(mean * &scale);
        Op::Affine { scale, shift }
    }

    /// The kind, for composites and reports.
    pub fn kind(&self) -> LayerKind {
        match self {
            Op::Layer(layer) => layer.kind(),
            Op::Input | Op::Constant(_) => LayerKind::Input,
            Op::Affine { .. } => LayerKind::Affine,
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
        let invalid = |index: usize, node: &Node, problem: String| {
            LrpError::InvalidLayer(format!("node {index} ({}): {problem}", node.name))
        };
        for (index, node) in nodes.iter().enumerate() {
            if matches!(node.op, Op::Input) != (index == 0) {
                return Err(invalid(index, node, "node 0, and only node 0, is the input".into()));
            }
            if let Some(&later) = node.inputs.iter().find(|&&i| i >= index) {
                return Err(invalid(
                    index,
                    node,
                    format!("reads node {later}, which does not come before it"),
                ));
            }
            let arity_ok = match node.op {
                Op::Input | Op::Constant(_) => node.inputs.is_empty(),
                Op::Add | Op::Concat { .. } => !node.inputs.is_empty(),
                _ => node.inputs.len() == 1,
            };
            if !arity_ok {
                return Err(invalid(
                    index,
                    node,
                    format!("{} inputs do not fit a {} node", node.inputs.len(), node.op.kind()),
                ));
            }
        }
        if output >= nodes.len() {
            return Err(LrpError::InvalidLayer(format!(
                "output node {output} of a graph of {} nodes",
                nodes.len()
            )));
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

    /// Folds every `Affine` node into the dense or convolution layer it reads, where that
    /// layer feeds nothing else: `w'_·c = scale_c · w_·c`, `b'_c = scale_c · b_c + shift_c`.
    /// The graph computes the same function with one node fewer per fold; the names of the
    /// folded nodes are returned (an explanation says which were folded).
    pub fn fold_affine(&mut self) -> Vec<String> {
        let mut folded = Vec::new();
        for index in 0..self.nodes.len() {
            let Op::Affine { scale, shift } = &self.nodes[index].op else { continue };
            let source = self.nodes[index].inputs[0];
            let readers = self.nodes.iter().filter(|n| n.inputs.contains(&source)).count();
            if readers != 1 || source == self.output {
                continue;
            }
            let (scale, shift) = (scale.clone(), shift.clone());
            let fits = |filters: usize| filters == scale.len();
            let done = match &mut self.nodes[source].op {
                Op::Layer(Layer::Dense(d)) if fits(d.outputs()) => {
                    fold(d.weight.view_mut().into_dyn(), &mut d.bias, &scale, &shift);
                    true
                }
                Op::Layer(Layer::Conv1d(c)) if fits(c.filters()) => {
                    fold(c.weight.view_mut().into_dyn(), &mut c.bias, &scale, &shift);
                    true
                }
                Op::Layer(Layer::Conv2d(c)) if fits(c.filters()) => {
                    fold(c.weight.view_mut().into_dyn(), &mut c.bias, &scale, &shift);
                    true
                }
                _ => false,
            };
            if done {
                folded.push(self.nodes[index].name.clone());
                // The affine node becomes a pass-through of its layer's (now folded) output.
                self.nodes[index].op = Op::Reshape(Vec::new());
            }
        }
        self.remove_pass_throughs();
        folded
    }

    /// Removes the nodes `fold_affine` emptied (`Reshape` to an empty shape), reading their
    /// input instead, and renumbers the rest.
    fn remove_pass_throughs(&mut self) {
        let mut target: Vec<NodeId> = Vec::with_capacity(self.nodes.len());
        let mut kept = Vec::with_capacity(self.nodes.len());
        for (index, mut node) in std::mem::take(&mut self.nodes).into_iter().enumerate() {
            node.inputs.iter_mut().for_each(|i| *i = target[*i]);
            if matches!(&node.op, Op::Reshape(shape) if shape.is_empty()) {
                target.push(node.inputs[0]);
            } else {
                target.push(kept.len());
                kept.push(node);
            }
            debug_assert_eq!(target.len(), index + 1);
        }
        self.output = target[self.output];
        self.nodes = kept;
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
            let value = match &node.op {
                Op::Constant(c) => c.clone(),
                _ => {
                    let inputs: Vec<ArrayViewD<f32>> =
                        node.inputs.iter().map(|&i| values[i].view()).collect();
                    forward(index, node, &inputs)?
                }
            };
            values.push(value);
        }
        Ok(GraphTrace { graph: self, values })
    }
}

/// `w[…, c] *= scale_c`, `b_c = scale_c · b_c + shift_c` (a missing bias counts as 0).
fn fold(
    mut weight: ndarray::ArrayViewMutD<f32>,
    bias: &mut Option<Array1<f32>>,
    scale: &Array1<f32>,
    shift: &Array1<f32>,
) {
    for mut lane in weight.lanes_mut(Axis(weight.ndim() - 1)) {
        lane *= scale;
    }
    let b = bias.get_or_insert_with(|| Array1::zeros(scale.len()));
    *b = &*b * scale + shift;
}

/// The shape inputs of `shapes` broadcast to, as in NumPy (trailing axes aligned).
fn broadcast_shape<'a>(shapes: impl IntoIterator<Item = &'a [usize]>) -> Option<Vec<usize>> {
    let mut out: Vec<usize> = Vec::new();
    for shape in shapes {
        let n = out.len().max(shape.len());
        let mut next = vec![1; n];
        for k in 0..n {
            let a = if k + out.len() >= n { out[k + out.len() - n] } else { 1 };
            let b = if k + shape.len() >= n { shape[k + shape.len() - n] } else { 1 };
            next[k] = match (a, b) {
                (a, b) if a == b => a,
                (1, b) => b,
                (a, 1) => a,
                _ => return None,
            };
        }
        out = next;
    }
    Some(out)
}

/// A signal of a broadcast result summed back to the `shape` of an input that was broadcast.
fn reduce_to(mut s: ArrayD<f32>, shape: &[usize]) -> ArrayD<f32> {
    while s.ndim() > shape.len() {
        s = s.sum_axis(Axis(0));
    }
    for (axis, &len) in shape.iter().enumerate() {
        if len == 1 && s.shape()[axis] != 1 {
            s = s.sum_axis(Axis(axis)).insert_axis(Axis(axis));
        }
    }
    s
}

fn mismatch(index: usize, node: &Node, expected: String, got: &[usize]) -> LrpError {
    LrpError::ShapeMismatch {
        layer: index,
        kind: format!("{} `{}`", node.op.kind(), node.name),
        expected,
        got: got.to_vec(),
    }
}

/// One node's value from its inputs' values, shapes checked.
fn forward(index: usize, node: &Node, inputs: &[ArrayViewD<f32>]) -> Result<ArrayD<f32>, LrpError> {
    let first = &inputs[0];
    match &node.op {
        Op::Input => unreachable!("Graph::new keeps the input at node 0"),
        Op::Constant(_) => unreachable!("a constant has no inputs"),
        Op::Layer(layer) => {
            layer.output_shape(first.shape(), index)?;
            Ok(layer.forward(first.view()))
        }
        Op::Add => {
            let shape = broadcast_shape(inputs.iter().map(|x| x.shape())).ok_or_else(|| {
                let other = inputs
                    .iter()
                    .find(|x| broadcast_shape([first.shape(), x.shape()]).is_none())
                    .unwrap_or(first);
                mismatch(
                    index,
                    node,
                    format!("a shape that broadcasts with {:?}", first.shape()),
                    other.shape(),
                )
            })?;
            let mut z = ArrayD::<f32>::zeros(IxDyn(&shape));
            for x in inputs {
                z += &x.broadcast(IxDyn(&shape)).expect("broadcast checked");
            }
            Ok(z)
        }
        Op::Affine { scale, shift } => {
            if first.shape().last() != Some(&scale.len()) {
                return Err(mismatch(
                    index,
                    node,
                    format!("{} channels on the last axis", scale.len()),
                    first.shape(),
                ));
            }
            Ok(&(first * scale) + shift)
        }
        Op::Scale(c) => {
            let c = c.broadcast(first.raw_dim()).ok_or_else(|| {
                mismatch(
                    index,
                    node,
                    format!("a shape {:?} broadcasts to", c.shape()),
                    first.shape(),
                )
            })?;
            Ok(&c * first)
        }
        Op::Concat { axis } => {
            let fits = |x: &ArrayViewD<f32>| {
                x.ndim() == first.ndim()
                    && *axis < x.ndim()
                    && (0..x.ndim()).all(|a| a == *axis || x.shape()[a] == first.shape()[a])
            };
            if let Some(x) = inputs.iter().find(|x| !fits(x)) {
                return Err(mismatch(
                    index,
                    node,
                    format!("{:?} in every axis but {axis}", first.shape()),
                    x.shape(),
                ));
            }
            Ok(ndarray::concatenate(Axis(*axis), inputs).expect("shapes checked"))
        }
        Op::Reshape(shape) => {
            if shape.iter().product::<usize>() != first.len() {
                return Err(mismatch(
                    index,
                    node,
                    format!("{} values for the shape {shape:?}", shape.iter().product::<usize>()),
                    first.shape(),
                ));
            }
            Ok(first
                .as_standard_layout()
                .into_owned()
                .into_shape_with_order(IxDyn(shape))
                .expect("length checked"))
        }
        Op::Transpose(perm) => {
            let mut sorted = perm.clone();
            sorted.sort_unstable();
            if sorted != (0..first.ndim()).collect::<Vec<_>>() {
                return Err(mismatch(
                    index,
                    node,
                    format!("{} axes for the permutation {perm:?}", perm.len()),
                    first.shape(),
                ));
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
            // What goes to a constant is absorbed, as by a layer's bias.
            let relevance_in = sent
                .iter()
                .zip(&node.inputs)
                .filter(|(_, &i)| !matches!(self.graph.nodes[i].op, Op::Constant(_)))
                .map(|(s, _)| sum(s.view()))
                .sum();
            layers.push(LayerRelevance {
                index,
                kind: node.op.kind(),
                rule,
                relevance_out,
                relevance_in,
            });
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
    fn backward(
        &self,
        top: ArrayD<f32>,
        mut step: impl FnMut(usize, &Node, &[ArrayViewD<f32>], ArrayD<f32>) -> Vec<ArrayD<f32>>,
    ) -> ArrayD<f32> {
        let nodes = &self.graph.nodes;
        let mut signal: Vec<Option<ArrayD<f32>>> = (0..nodes.len()).map(|_| None).collect();
        signal[self.graph.output] = Some(top);
        for index in (1..nodes.len()).rev() {
            let node = &nodes[index];
            if matches!(node.op, Op::Constant(_)) {
                continue;
            }
            let Some(s) = signal[index].take() else { continue };
            let inputs: Vec<ArrayViewD<f32>> =
                node.inputs.iter().map(|&i| self.values[i].view()).collect();
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
    fn relevance_step(
        &self,
        index: usize,
        node: &Node,
        inputs: &[ArrayViewD<f32>],
        r: ArrayD<f32>,
        composite: &Composite,
    ) -> (Vec<ArrayD<f32>>, Option<Rule>) {
        let z = self.values[index].view();
        match &node.op {
            Op::Layer(layer) => match layer.as_linear() {
                None => (
                    vec![layer
                        .pass_relevance(inputs[0].view(), r)
                        .expect("a layer without a rule")],
                    None,
                ),
                Some(map) => {
                    let rule = composite.rule_for(index, layer.kind());
                    (vec![propagate(map, inputs[0].view(), Some(z), r.view(), &rule)], Some(rule))
                }
            },
            Op::Add => {
                let rule = composite.rule_for(index, LayerKind::Add);
                let broadcast: Vec<ArrayViewD<f32>> = inputs
                    .iter()
                    .map(|x| x.broadcast(z.raw_dim()).expect("checked forward"))
                    .collect();
                let stacked = ndarray::stack(Axis(0), &broadcast).expect("one shape");
                let r_in = propagate(&SumMap, stacked.view(), Some(z), r.view(), &rule);
                (
                    r_in.outer_iter()
                        .zip(inputs)
                        .map(|(part, x)| reduce_to(part.to_owned(), x.shape()))
                        .collect(),
                    Some(rule),
                )
            }
            Op::Affine { scale, shift } => {
                let rule = composite.rule_for(index, LayerKind::Affine);
                let map = AffineMap { scale, shift };
                (vec![propagate(&map, inputs[0].view(), Some(z), r.view(), &rule)], Some(rule))
            }
            Op::Scale(c) => {
                let rule = composite.rule_for(index, LayerKind::Scale);
                let map = ScaleMap {
                    factor: c.broadcast(inputs[0].raw_dim()).expect("checked forward").to_owned(),
                };
                (vec![propagate(&map, inputs[0].view(), Some(z), r.view(), &rule)], Some(rule))
            }
            _ => (shape_step(node, inputs, r), None),
        }
    }
}

/// What one node's inputs receive of the gradient `g` at its output.
fn gradient_step(node: &Node, inputs: &[ArrayViewD<f32>], g: ArrayD<f32>) -> Vec<ArrayD<f32>> {
    let x = &inputs[0];
    match &node.op {
        Op::Layer(layer) => vec![layer.gradient(x.view(), g)],
        Op::Add => inputs.iter().map(|x| reduce_to(g.clone(), x.shape())).collect(),
        Op::Affine { scale, .. } => vec![&g * scale],
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
                    let part =
                        s.slice_axis(Axis(*axis), Slice::from(start..start + len)).to_owned();
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

    fn transpose(
        &self,
        s: ArrayViewD<f32>,
        weights: WeightMod,
        input_shape: &[usize],
    ) -> ArrayD<f32> {
        let w = weights.apply(1.0);
        s.broadcast(IxDyn(input_shape))
            .expect("stacked inputs of the output's shape")
            .mapv(|v| v * w)
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

    fn transpose(
        &self,
        s: ArrayViewD<f32>,
        weights: WeightMod,
        _input_shape: &[usize],
    ) -> ArrayD<f32> {
        &s * &*weights.weights(&self.factor)
    }

    fn bias(&self) -> Option<ndarray::ArrayView1<'_, f32>> {
        None
    }
}

/// `z[…, c] = a_c x[…, c] + b_c`: a diagonal map over the last axis with a bias.
struct AffineMap<'a> {
    scale: &'a Array1<f32>,
    shift: &'a Array1<f32>,
}

impl LinearMap for AffineMap<'_> {
    fn name(&self) -> &str {
        "affine"
    }

    fn output_shape(&self, shape: &[usize], _layer: usize) -> Result<Vec<usize>, LrpError> {
        Ok(shape.to_vec())
    }

    fn forward(&self, x: ArrayViewD<f32>, weights: WeightMod) -> ArrayD<f32> {
        &x * &*weights.weights(self.scale)
    }

    fn transpose(
        &self,
        s: ArrayViewD<f32>,
        weights: WeightMod,
        _input_shape: &[usize],
    ) -> ArrayD<f32> {
        &s * &*weights.weights(self.scale)
    }

    fn bias(&self) -> Option<ArrayView1<'_, f32>> {
        Some(self.shift.view())
    }
}
