//! From an ONNX graph to an [`lrp::Graph`], node by node, for one input length: the model here,
//! the state of a conversion in [`builder`], the dispatch by operator in [`dispatch`], the
//! operators that only move or fold values in [`shapes`], those that compute (layers, pooling,
//! arithmetic) in [`layers`].

mod arithmetic;
mod builder;
mod layers;
mod masks;
mod normalisation;
mod reductions;
mod registry;
mod shapes;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use lrp::{Conv1d, Graph, Node, NodeId, Op};
use ndarray::{Array2, ArrayD, IxDyn};
use onnx_protobuf::{Message, ModelProto, NodeProto};

use crate::error::{ImportError, UnsupportedNode};
use crate::tensor::{decode, Constant};
use builder::Builder;

use registry::{conversion, OUTPUT_ACTIVATIONS};

pub use registry::supported_operators;

/// Inputs of Hugging Face exports that hold the same value at every position of one document
/// read without padding: the attention mask (1) and the segment ids (0). They are constants of
/// the graph, so a masked mean pooling is a product with a constant mask.
const KNOWN_INPUTS: &[(&str, i64)] = &[("attention_mask", 1), ("token_type_ids", 0)];

/// A decoded ONNX model, checked to hold only supported operators.
pub struct OnnxModel {
    nodes: Vec<NodeProto>,
    initialisers: Arc<HashMap<String, Constant>>,
    input: String,
    /// `attention_mask` and `token_type_ids` where the model reads them, with their value.
    known_inputs: Vec<(String, i64)>,
    /// The explained output: the first graph output, before a final softmax or sigmoid.
    output: String,
    /// The final activation left out, if any.
    activation: Option<String>,
    embedding: Option<Array2<f32>>,
    /// 1-D convolutions as converted for an earlier input, by [`Builder::conv1d_key`]: a graph
    /// per input length copies them instead of converting the weights again.
    convolutions: Arc<Mutex<HashMap<String, Conv1d>>>,
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
    /// Reads and checks `path` (weights stored beside it read from its folder).
    pub fn read(path: &Path) -> Result<Self, ImportError> {
        let bytes = std::fs::read(path)
            .map_err(|source| ImportError::Read { path: path.to_path_buf(), source })?;
        Self::from_bytes_in(&bytes, path.parent())
    }

    /// Decodes and checks a model's bytes (a model whose weights are all inside it).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ImportError> {
        Self::from_bytes_in(bytes, None)
    }

    /// Decodes and checks a model's bytes, its external weights read from `folder`.
    pub fn from_bytes_in(bytes: &[u8], folder: Option<&Path>) -> Result<Self, ImportError> {
        let model =
            ModelProto::parse_from_bytes(bytes).map_err(|e| ImportError::Parse(e.to_string()))?;
        let graph = model
            .graph
            .into_option()
            .ok_or_else(|| ImportError::Parse("the model has no graph".into()))?;
        let initialisers: HashMap<String, Constant> = graph
            .initializer
            .iter()
            .map(|t| Ok((t.name.clone(), decode(t, folder)?)))
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
            _ => (first_output.clone(), None),
        };
        let is_final_activation =
            |n: &NodeProto| activation.is_some() && n.output.first() == Some(&first_output);
        let unsupported: Vec<UnsupportedNode> = graph
            .node
            .iter()
            .filter(|n| !is_final_activation(n) && conversion(&n.op_type).is_none())
            .map(|n| UnsupportedNode { name: n.name.clone(), op: n.op_type.clone() })
            .collect();
        if !unsupported.is_empty() {
            return Err(ImportError::Unsupported {
                nodes: unsupported,
                supported: supported_operators().collect(),
            });
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
        // The node that only computes the final activation is not converted.
        let nodes = graph.node.iter().filter(|n| !is_final_activation(n)).cloned().collect();
        Ok(OnnxModel {
            nodes,
            initialisers: Arc::new(initialisers),
            input: input.to_string(),
            known_inputs,
            output,
            activation,
            embedding,
            convolutions: Arc::default(),
        })
    }

    /// How many numbers the model's weights hold (a graph built from it copies them).
    pub fn parameters(&self) -> usize {
        self.initialisers.values().map(|c| c.shape().iter().product::<usize>()).sum()
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
            initialisers: Arc::clone(&self.initialisers),
            values: HashMap::new(),
            notes: Vec::new(),
            readers: HashMap::new(),
            channels_last: HashMap::new(),
            input_shape: Vec::new(),
            convolutions: Arc::clone(&self.convolutions),
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
        let mut graph = Graph::new(b.nodes, output)?;
        // Only the nodes the output depends on: the conversion leaves copies in another layout
        // that nothing reads, and a layer read by one of them would not fold.
        graph.remove_unreachable();
        for name in graph.fold_affine() {
            b.notes.push(format!("BatchNormalization `{name}` folded into the layer before it"));
        }
        graph.fuse_steps();
        graph.slice_early(shape)?;
        Ok(ImportedGraph { graph, notes: b.notes })
    }
}
