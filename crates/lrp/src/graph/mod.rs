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
//! - `Concat`, `Reshape`, `Transpose`, `Slice`: relevance moves back with the values it
//!   belongs to, nothing is absorbed; `Mean` over an axis is linear (every weight `1/n`);
//! - the operations of attention and normalisation ([`Op::Product`], [`Op::MatMul`],
//!   [`Op::Quotient`], [`Op::Softmax`], [`Op::Elementwise`], [`Op::Gate`], [`Op::LayerNorm`])
//!   follow AttnLRP
//!   (Achtibat et al., 2024) or CP-LRP (Ali et al., 2022), see [`crate::Attention`]; under a classic
//!   composite they take AttnLRP's rules.

mod attention;
mod backward;
mod early_slices;
mod elementwise;
mod fold;
mod forward;
mod fuse;
mod layer_norm;
mod maps;
mod shapes;
mod tensor_ops;

use ndarray::{Array1, ArrayD, ArrayViewD};

use crate::error::LrpError;
use crate::layers::{Layer, LayerKind};

pub use elementwise::Elementwise;
pub use layer_norm::LayerNorm;

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
    /// `z = x[…, start..end, …]` along `axis`.
    Slice { axis: usize, start: usize, end: usize },
    /// `z = mean_axis x`, the axis kept with length 1 (a layer normalisation's mean).
    Mean { axis: usize },
    /// `z = a ⊙ b` of two computed tensors, broadcast as in NumPy.
    Product,
    /// `z = a · b` over the last two axes of two computed tensors, the leading axes equal
    /// (attention's `q · kᵀ` and `softmax · v`, heads as a leading axis).
    MatMul,
    /// `z = a / b` with a computed divisor (a normalisation's standard deviation), broadcast.
    Quotient,
    /// `z = exp(x) / Σ_axis exp(x)` inside the network (attention weights).
    Softmax { axis: usize },
    /// A function applied to every value (GELU, tanh, erf, square root, a power).
    Elementwise(Elementwise),
    /// A layer normalisation, `z = (x − μ) / √(σ² + ε) ⊙ γ + β` along an axis: the steps an
    /// exporter writes out, fused by [`Graph::fuse_steps`].
    LayerNorm(LayerNorm),
    /// `z = x ⊙ h` where `h` is computed from `x` alone, element by element: an activation
    /// written as a product (GELU as `x · (1 + erf(x/√2)) / 2`, SiLU as `x · σ(x)`). Inputs
    /// `[x, h]`; its rules treat it as the activation it is.
    Gate,
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
            Op::Slice { .. } => LayerKind::Slice,
            Op::Mean { .. } => LayerKind::Mean,
            Op::Product => LayerKind::Product,
            Op::MatMul => LayerKind::MatMul,
            Op::Quotient => LayerKind::Quotient,
            Op::Softmax { .. } => LayerKind::Softmax,
            Op::Elementwise(_) => LayerKind::Elementwise,
            Op::LayerNorm(_) => LayerKind::LayerNorm,
            Op::Gate => LayerKind::Gate,
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
                Op::Product | Op::MatMul | Op::Quotient | Op::Gate => node.inputs.len() == 2,
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

    /// Whether node `id` is a constant: what is sent to it is absorbed, as by a bias.
    fn is_constant(&self, id: NodeId) -> bool {
        matches!(self.nodes[id].op, Op::Constant(_))
    }

    /// Removes the nodes the output does not depend on (the input stays node 0) and renumbers
    /// the rest: what an importer's conversion left unread, what a fusion replaced.
    pub fn remove_unreachable(&mut self) {
        let mut needed = vec![false; self.nodes.len()];
        needed[0] = true;
        needed[self.output] = true;
        for index in (0..self.nodes.len()).rev() {
            if needed[index] {
                self.nodes[index].inputs.iter().for_each(|&i| needed[i] = true);
            }
        }
        let kept: Vec<NodeId> = (0..self.nodes.len()).filter(|&i| needed[i]).collect();
        self.renumber(&kept);
    }

    /// Keeps the nodes `order` lists (each once, every node after its inputs and the output
    /// among them), in that order, with their inputs and the output renumbered.
    fn renumber(&mut self, order: &[NodeId]) {
        let mut target = vec![0; self.nodes.len()];
        order.iter().enumerate().for_each(|(to, &from)| target[from] = to);
        let mut nodes: Vec<Option<Node>> =
            std::mem::take(&mut self.nodes).into_iter().map(Some).collect();
        self.nodes = order
            .iter()
            .map(|&from| {
                let mut node = nodes[from].take().expect("each node once");
                node.inputs.iter_mut().for_each(|i| *i = target[*i]);
                node
            })
            .collect();
        self.output = target[self.output];
    }

    /// Per node, how many nodes read it (the output counts as read once more).
    fn readers(&self) -> Vec<usize> {
        let mut readers = vec![0; self.nodes.len()];
        self.nodes.iter().flat_map(|n| &n.inputs).for_each(|&i| readers[i] += 1);
        readers[self.output] += 1;
        readers
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
}
