//! From an ONNX graph to an [`lrp::Graph`], node by node, for one input length: the model
//! and the dispatch here, the operators that only move or fold values in [`shapes`], those
//! that compute (layers, pooling, arithmetic) in [`layers`].

mod layers;
mod shapes;

use std::collections::HashMap;
use std::path::Path;

use lrp::{Dense, Graph, Layer, Node, NodeId, Op};
use ndarray::{Array2, ArrayD, IxDyn};
use onnx_protobuf::{Message, ModelProto, NodeProto};

use crate::error::{ImportError, UnsupportedNode};
use crate::tensor::{decode, Constant};
use shapes::reshape_target;

/// The operators the importer turns into graph nodes (or folds away).
pub const SUPPORTED_OPERATORS: &[&str] = &[
    "Gather",
    "Conv",
    "Relu",
    "LeakyRelu",
    "MaxPool",
    "GlobalMaxPool",
    "ReduceMax",
    "AveragePool",
    "GlobalAveragePool",
    "ReduceMean",
    "ReduceSum",
    "Gemm",
    "MatMul",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Concat",
    "Flatten",
    "Reshape",
    "Transpose",
    "Squeeze",
    "Unsqueeze",
    "BatchNormalization",
    "Dropout",
    "Identity",
    "Cast",
    "Constant",
    "Shape",
    "Softmax",
    "LogSoftmax",
    "Sigmoid",
];

/// Inputs of Hugging Face exports that hold the same value at every position of one document
/// read without padding: the attention mask (1) and the segment ids (0). They are constants of
/// the graph, so a masked mean pooling is a product with a constant mask.
const KNOWN_INPUTS: &[(&str, i64)] = &[("attention_mask", 1), ("token_type_ids", 0)];

/// Operators that are only allowed as the model's last step: the logit before them is explained.
const OUTPUT_ACTIVATIONS: &[&str] = &["Softmax", "LogSoftmax", "Sigmoid"];

/// A decoded ONNX model, checked to hold only supported operators.
pub struct OnnxModel {
    nodes: Vec<NodeProto>,
    initialisers: HashMap<String, Constant>,
    input: String,
    /// `attention_mask` and `token_type_ids` where the model reads them, with their value.
    known_inputs: Vec<(String, i64)>,
    /// The explained output: the first graph output, before a final softmax or sigmoid.
    output: String,
    /// The final activation left out, if any.
    activation: Option<String>,
    embedding: Option<Array2<f32>>,
}

/// The graph for one input, and what the import changed on the way.
pub struct ImportedGraph {
    pub graph: Graph,
    pub notes: Vec<String>,
}

/// A value while converting: a constant (folded), or the output of a graph node with its ONNX
/// shape, or the model's token ids before the embedding lookup.
#[derive(Clone, Debug)]
enum Value {
    Constant(Constant),
    Node { id: NodeId, shape: Vec<usize> },
    TokenIds,
}

impl OnnxModel {
    /// Reads and checks `path`.
    pub fn read(path: &Path) -> Result<Self, ImportError> {
        let bytes = std::fs::read(path)
            .map_err(|source| ImportError::Read { path: path.to_path_buf(), source })?;
        Self::from_bytes(&bytes)
    }

    /// Decodes and checks a model's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ImportError> {
        let model =
            ModelProto::parse_from_bytes(bytes).map_err(|e| ImportError::Parse(e.to_string()))?;
        let graph = model
            .graph
            .into_option()
            .ok_or_else(|| ImportError::Parse("the model has no graph".into()))?;
        let initialisers: HashMap<String, Constant> = graph
            .initializer
            .iter()
            .map(|t| Ok((t.name.clone(), decode(t)?)))
            .collect::<Result<_, ImportError>>()?;
        let inputs: Vec<&str> = graph
            .input
            .iter()
            .map(|i| i.name.as_str())
            .filter(|n| !initialisers.contains_key(*n))
            .collect();
        // The inputs a tokenizer fills besides the ids: for one document without padding, known.
        let (known, explained): (Vec<&str>, Vec<&str>) =
            inputs.iter().partition(|n| KNOWN_INPUTS.iter().any(|(k, _)| k == *n));
        let [input] = explained[..] else {
            return Err(ImportError::Invalid(format!(
                "the model has {} inputs besides {} ({}); relvis explains models of one input",
                explained.len(),
                KNOWN_INPUTS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(" and "),
                explained.join(", ")
            )));
        };
        let known_inputs: Vec<(String, i64)> = known
            .iter()
            .map(|n| {
                (n.to_string(), KNOWN_INPUTS.iter().find(|(k, _)| k == n).expect("partitioned").1)
            })
            .collect();
        let first_output = graph
            .output
            .first()
            .map(|o| o.name.clone())
            .ok_or_else(|| ImportError::Invalid("the model has no output".into()))?;
        let producer = |name: &str| graph.node.iter().find(|n| n.output.iter().any(|o| o == name));
        let (output, activation) = match producer(&first_output) {
            Some(n) if OUTPUT_ACTIVATIONS.contains(&n.op_type.as_str()) => {
                (n.input[0].clone(), Some(n.op_type.clone()))
            }
            _ => (first_output, None),
        };
        let unsupported: Vec<UnsupportedNode> = graph
            .node
            .iter()
            .filter(|n| {
                !SUPPORTED_OPERATORS.contains(&n.op_type.as_str())
                    || (OUTPUT_ACTIVATIONS.contains(&n.op_type.as_str())
                        && n.input.first() != Some(&output))
            })
            .map(|n| UnsupportedNode { name: n.name.clone(), op: n.op_type.clone() })
            .collect();
        if !unsupported.is_empty() {
            return Err(ImportError::Unsupported(unsupported));
        }
        let embedding = graph
            .node
            .iter()
            .find(|n| n.op_type == "Gather" && n.input.get(1).map(String::as_str) == Some(input))
            .map(|n| match initialisers.get(&n.input[0]) {
                Some(Constant::Float(table)) if table.ndim() == 2 => {
                    Ok(table.clone().into_dimensionality().expect("2-d"))
                }
                _ => Err(ImportError::Node {
                    node: n.name.clone(),
                    op: n.op_type.clone(),
                    problem:
                        "the token ids are gathered from something other than a 2-D embedding table"
                            .into(),
                }),
            });
        let embedding = embedding.transpose()?;
        // Nodes that only compute the final activation are not converted.
        let nodes = graph
            .node
            .into_iter()
            .filter(|n| !OUTPUT_ACTIVATIONS.contains(&n.op_type.as_str()))
            .collect();
        Ok(OnnxModel {
            nodes,
            initialisers,
            input: input.to_string(),
            known_inputs,
            output,
            activation,
            embedding,
        })
    }

    /// The embedding table `[vocabulary, D]` when the model's input is token ids.
    pub fn embedding(&self) -> Option<&Array2<f32>> {
        self.embedding.as_ref()
    }

    /// The graph for an input of `shape`: `[1, T, D]` gathered embeddings for a model of token
    /// ids (`T` ids), or the model's own float input shape.
    pub fn graph(&self, shape: &[usize]) -> Result<ImportedGraph, ImportError> {
        let mut b = Builder {
            nodes: vec![Node::new("input", Op::Input, vec![])],
            initialisers: &self.initialisers,
            values: HashMap::new(),
            notes: Vec::new(),
            readers: HashMap::new(),
            channels_last: HashMap::new(),
            input_shape: Vec::new(),
        };
        for n in &self.nodes {
            for i in &n.input {
                *b.readers.entry(i.clone()).or_insert(0) += 1;
            }
        }
        let input = if self.embedding.is_some() {
            Value::TokenIds
        } else {
            Value::Node { id: 0, shape: shape.to_vec() }
        };
        b.values.insert(self.input.clone(), input);
        b.input_shape = shape.to_vec();
        for (name, fill) in &self.known_inputs {
            let tokens = if self.embedding.is_some() {
                shape.get(1).copied().unwrap_or(0)
            } else {
                shape.get(1).copied().unwrap_or(1)
            };
            b.values.insert(
                name.clone(),
                Value::Constant(Constant::Int(ArrayD::from_elem(IxDyn(&[1, tokens]), *fill))),
            );
        }
        for node in &self.nodes {
            b.convert(node)?;
        }
        let Some(Value::Node { id, .. }) = b.values.get(&self.output) else {
            return Err(ImportError::Invalid(format!(
                "the output `{}` does not depend on the input",
                self.output
            )));
        };
        let output = *id;
        if let Some(activation) = &self.activation {
            b.notes.push(format!(
                "{activation} at the output left out: the logit `{}` is explained",
                self.output
            ));
        }
        let (nodes, output) = reachable(b.nodes, output);
        let mut graph = Graph::new(nodes, output)?;
        for name in graph.fold_affine() {
            b.notes.push(format!("BatchNormalization `{name}` folded into the layer before it"));
        }
        Ok(ImportedGraph { graph, notes: b.notes })
    }
}

struct Builder<'m> {
    nodes: Vec<Node>,
    /// The model's weights, read (and copied) only by the nodes that use them.
    initialisers: &'m HashMap<String, Constant>,
    /// The values computed so far.
    values: HashMap<String, Value>,
    notes: Vec<String>,
    /// How many nodes read each value (a bias folds only into a product read once).
    readers: HashMap<String, usize>,
    /// For a channels-first `[1, C, spatial…]` value made by a convolution or a transpose, the
    /// node holding it as `[spatial…, C]`: convolutions, pooling and normalisation work there
    /// without transposing back and forth.
    channels_last: HashMap<NodeId, NodeId>,
    input_shape: Vec<usize>,
}

fn attribute<'a>(node: &'a NodeProto, name: &str) -> Option<&'a onnx_protobuf::AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

fn int_attribute(node: &NodeProto, name: &str, default: i64) -> i64 {
    attribute(node, name).map_or(default, |a| a.i)
}

fn ints_attribute(node: &NodeProto, name: &str) -> Option<Vec<i64>> {
    attribute(node, name).map(|a| a.ints.clone())
}

/// An axis in `0..rank` from ONNX's possibly negative one.
fn axis(a: i64, rank: usize) -> usize {
    if a < 0 {
        (rank as i64 + a).max(0) as usize
    } else {
        a as usize
    }
}

impl Builder<'_> {
    fn fail(node: &NodeProto, problem: impl Into<String>) -> ImportError {
        ImportError::Node {
            node: node.name.clone(),
            op: node.op_type.clone(),
            problem: problem.into(),
        }
    }

    fn value(&self, node: &NodeProto, index: usize) -> Result<Value, ImportError> {
        let name = node
            .input
            .get(index)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| Self::fail(node, format!("input {index} is missing")))?;
        match self.values.get(name) {
            Some(v) => Ok(v.clone()),
            None => {
                self.initialisers.get(name).map(|c| Value::Constant(c.clone())).ok_or_else(|| {
                    Self::fail(node, format!("input `{name}` is not computed before it"))
                })
            }
        }
    }

    fn constant(&self, node: &NodeProto, index: usize) -> Result<Constant, ImportError> {
        match self.value(node, index)? {
            Value::Constant(c) => Ok(c),
            _ => Err(Self::fail(
                node,
                format!("input {index} must be a constant (a weight or a shape)"),
            )),
        }
    }

    fn add(&mut self, name: &str, op: Op, inputs: Vec<NodeId>) -> NodeId {
        self.nodes.push(Node::new(name, op, inputs));
        self.nodes.len() - 1
    }

    fn set(&mut self, node: &NodeProto, value: Value) {
        self.values.insert(node.output[0].clone(), value);
    }

    fn constant_node(&mut self, name: &str, c: ArrayD<f32>) -> NodeId {
        self.add(name, Op::Constant(c), vec![])
    }

    /// A value as a graph node (constants become `Constant` nodes).
    fn as_node(&mut self, node: &NodeProto, v: Value) -> Result<(NodeId, Vec<usize>), ImportError> {
        match v {
            Value::Node { id, shape } => Ok((id, shape)),
            Value::Constant(c) => {
                let shape = c.shape().to_vec();
                Ok((self.constant_node(&format!("{}/constant", node.name), c.to_float()), shape))
            }
            Value::TokenIds => {
                Err(Self::fail(node, "token ids are only read by the embedding lookup"))
            }
        }
    }

    fn reshape(&mut self, name: &str, id: NodeId, shape: Vec<usize>) -> NodeId {
        self.add(name, Op::Reshape(shape), vec![id])
    }

    /// The channels-last node `[spatial…, C]` of a channels-first `[1, C, spatial…]` value.
    fn channels_last_of(&mut self, name: &str, id: NodeId, shape: &[usize]) -> NodeId {
        if let Some(&last) = self.channels_last.get(&id) {
            return last;
        }
        let flat = self.reshape(&format!("{name}/drop_batch"), id, shape[1..].to_vec());
        let perm: Vec<usize> = (1..shape.len() - 1).chain([0]).collect();
        self.add(&format!("{name}/channels_last"), Op::Transpose(perm), vec![flat])
    }

    /// A channels-last node `[spatial…, C]` back as the channels-first value `[1, C, spatial…]`.
    fn channels_first_of(
        &mut self,
        name: &str,
        last: NodeId,
        spatial: &[usize],
        channels: usize,
    ) -> Value {
        let perm: Vec<usize> = [spatial.len()].into_iter().chain(0..spatial.len()).collect();
        let t = self.add(&format!("{name}/channels_first"), Op::Transpose(perm), vec![last]);
        let shape: Vec<usize> = [1, channels].into_iter().chain(spatial.iter().copied()).collect();
        let id = self.reshape(&format!("{name}/add_batch"), t, shape.clone());
        self.channels_last.insert(id, last);
        Value::Node { id, shape }
    }

    fn convert(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let op = node.op_type.as_str();
        let name = node.name.as_str();
        match op {
            "Identity" | "Dropout" | "Cast" => {
                let v = self.value(node, 0)?;
                let v = match (op, v) {
                    ("Cast", Value::Constant(c)) => {
                        let to = int_attribute(node, "to", 1);
                        Value::Constant(if to == 1 || to == 11 {
                            Constant::Float(c.to_float())
                        } else {
                            Constant::Int(c.to_float().mapv(|v| v as i64))
                        })
                    }
                    (_, v) => v,
                };
                self.set(node, v);
            }
            "Constant" => {
                let t = attribute(node, "value")
                    .and_then(|a| a.t.as_ref())
                    .ok_or_else(|| Self::fail(node, "only a tensor `value` is supported"))?;
                self.set(node, Value::Constant(decode(t)?));
            }
            "Shape" => {
                let shape = match self.value(node, 0)? {
                    Value::Node { shape, .. } => shape,
                    Value::Constant(c) => c.shape().to_vec(),
                    Value::TokenIds => self.input_shape[..2].to_vec(),
                };
                let dims: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
                self.set(
                    node,
                    Value::Constant(Constant::Int(
                        ArrayD::from_shape_vec(IxDyn(&[dims.len()]), dims).expect("1-d"),
                    )),
                );
            }
            "Gather" => self.gather(node)?,
            "Unsqueeze" | "Squeeze" => {
                let v = self.value(node, 0)?;
                let axes = match ints_attribute(node, "axes") {
                    Some(a) => Some(a),
                    None if node.input.len() > 1 => Some(
                        self.constant(node, 1)?
                            .ints()
                            .ok_or_else(|| Self::fail(node, "axes must be integers"))?,
                    ),
                    None => None,
                };
                let shape =
                    shape_of(&v).ok_or_else(|| Self::fail(node, "token ids cannot be reshaped"))?;
                let target: Vec<usize> = if op == "Unsqueeze" {
                    let axes = axes.ok_or_else(|| Self::fail(node, "no axes"))?;
                    let rank = shape.len() + axes.len();
                    let axes: Vec<usize> = axes.iter().map(|&a| axis(a, rank)).collect();
                    let mut dims = shape.iter().copied();
                    (0..rank)
                        .map(|i| if axes.contains(&i) { 1 } else { dims.next().unwrap_or(1) })
                        .collect()
                } else {
                    let axes: Vec<usize> = axes.map_or_else(
                        || (0..shape.len()).filter(|&i| shape[i] == 1).collect(),
                        |a| a.iter().map(|&a| axis(a, shape.len())).collect(),
                    );
                    shape
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| !axes.contains(i))
                        .map(|(_, &d)| d)
                        .collect()
                };
                self.reshaped(node, v, target)?;
            }
            "Flatten" => {
                let v = self.value(node, 0)?;
                let shape = shape_of(&v)
                    .ok_or_else(|| Self::fail(node, "token ids cannot be flattened"))?;
                let a = axis(int_attribute(node, "axis", 1), shape.len());
                self.reshaped(
                    node,
                    v,
                    vec![shape[..a].iter().product(), shape[a..].iter().product()],
                )?;
            }
            "Reshape" => {
                let v = self.value(node, 0)?;
                let shape =
                    shape_of(&v).ok_or_else(|| Self::fail(node, "token ids cannot be reshaped"))?;
                let spec = self
                    .constant(node, 1)?
                    .ints()
                    .ok_or_else(|| Self::fail(node, "the shape must be integers"))?;
                let target = reshape_target(&shape, &spec).ok_or_else(|| {
                    Self::fail(node, format!("cannot reshape {shape:?} to {spec:?}"))
                })?;
                self.reshaped(node, v, target)?;
            }
            "Transpose" => {
                let v = self.value(node, 0)?;
                let shape = shape_of(&v)
                    .ok_or_else(|| Self::fail(node, "token ids cannot be transposed"))?;
                let perm: Vec<usize> = ints_attribute(node, "perm").map_or_else(
                    || (0..shape.len()).rev().collect(),
                    |p| p.iter().map(|&a| axis(a, shape.len())).collect(),
                );
                let target: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
                match v {
                    Value::Constant(c) => {
                        let t = c
                            .to_float()
                            .permuted_axes(IxDyn(&perm))
                            .as_standard_layout()
                            .into_owned();
                        self.set(node, Value::Constant(Constant::Float(t)));
                    }
                    other => {
                        let (id, _) = self.as_node(node, other)?;
                        let channels_first = perm == [0, 2, 1] && shape[0] == 1;
                        let t = self.add(name, Op::Transpose(perm), vec![id]);
                        if channels_first {
                            // `[1, L, C]` to `[1, C, L]`: the source is already the channels-last copy.
                            let last = self.reshape(
                                &format!("{name}/channels_last"),
                                id,
                                shape[1..].to_vec(),
                            );
                            self.channels_last.insert(t, last);
                        }
                        self.set(node, Value::Node { id: t, shape: target });
                    }
                }
            }
            "Concat" => self.concat(node)?,
            "Relu" | "LeakyRelu" => {
                let (id, shape) = self.node_input(node)?;
                let layer = || {
                    if op == "Relu" {
                        Layer::Relu
                    } else {
                        Layer::LeakyRelu(attribute(node, "alpha").map_or(0.01, |a| a.f))
                    }
                };
                let r = self.add(name, Op::Layer(layer()), vec![id]);
                if let Some(&last) = self.channels_last.get(&id) {
                    // The same activation on the channels-last copy keeps pooling on it exact.
                    let r_last =
                        self.add(&format!("{name}/channels_last"), Op::Layer(layer()), vec![last]);
                    self.channels_last.insert(r, r_last);
                }
                self.set(node, Value::Node { id: r, shape });
            }
            "Conv" => self.conv(node)?,
            "BatchNormalization" => self.batch_norm(node)?,
            "MaxPool" | "GlobalMaxPool" | "AveragePool" | "GlobalAveragePool" => self.pool(node)?,
            "ReduceMax" | "ReduceMean" | "ReduceSum" => self.reduce(node)?,
            "Gemm" => self.gemm(node)?,
            "MatMul" => {
                let (id, shape) = self.node_input(node)?;
                let Constant::Float(w) = self.constant(node, 1).map_err(|_| {
                    ImportError::Unsupported(vec![UnsupportedNode {
                        name: name.into(),
                        op: op.into(),
                    }])
                })?
                else {
                    return Err(Self::fail(node, "the weights must be floats"));
                };
                if w.ndim() != 2 || shape.last() != Some(&w.shape()[0]) {
                    return Err(Self::fail(
                        node,
                        format!("weights {:?} for an input {shape:?}", w.shape()),
                    ));
                }
                let w: Array2<f32> = w.into_dimensionality().expect("2-d");
                let mut out = shape.clone();
                *out.last_mut().expect("rank ≥ 1") = w.ncols();
                let d = self.add(name, Op::Layer(Layer::Dense(Dense::new(w, None)?)), vec![id]);
                self.set(node, Value::Node { id: d, shape: out });
            }
            "Add" | "Sub" | "Mul" | "Div" => self.arithmetic(node)?,
            other => {
                return Err(ImportError::Unsupported(vec![UnsupportedNode {
                    name: name.into(),
                    op: other.into(),
                }]))
            }
        }
        Ok(())
    }

    /// The node input 0 is, refusing constants and token ids.
    fn node_input(&mut self, node: &NodeProto) -> Result<(NodeId, Vec<usize>), ImportError> {
        match self.value(node, 0)? {
            Value::Node { id, shape } => Ok((id, shape)),
            _ => Err(Self::fail(node, "input 0 must depend on the model's input")),
        }
    }
}

/// Only the nodes the output depends on (and the input), renumbered: the conversion leaves
/// copies in another layout that nothing reads, and a layer read by one of them would not fold.
fn reachable(nodes: Vec<Node>, output: NodeId) -> (Vec<Node>, NodeId) {
    let mut needed = vec![false; nodes.len()];
    needed[0] = true;
    needed[output] = true;
    for index in (0..nodes.len()).rev() {
        if needed[index] {
            for &i in &nodes[index].inputs {
                needed[i] = true;
            }
        }
    }
    let mut renumbered = vec![0; nodes.len()];
    let mut kept = Vec::new();
    for (index, mut node) in nodes.into_iter().enumerate() {
        if needed[index] {
            node.inputs.iter_mut().for_each(|i| *i = renumbered[*i]);
            renumbered[index] = kept.len();
            kept.push(node);
        }
    }
    (kept, renumbered[output])
}

fn shape_of(v: &Value) -> Option<Vec<usize>> {
    match v {
        Value::Constant(c) => Some(c.shape().to_vec()),
        Value::Node { shape, .. } => Some(shape.clone()),
        Value::TokenIds => None,
    }
}
