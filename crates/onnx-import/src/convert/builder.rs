//! The state of a conversion and what every operator's conversion uses: ONNX attributes and
//! axes, input values (computed, or constants folded), new graph nodes, channels-last copies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use lrp::{Conv1d, Node, NodeId, Op};
use ndarray::ArrayD;
use onnx_protobuf::NodeProto;

use super::Value;
use crate::error::ImportError;
use crate::tensor::Constant;

/// The state of one conversion: the graph's nodes so far and the value of every ONNX name.
pub(super) struct Builder {
    pub(super) nodes: Vec<Node>,
    /// The model's weights, read (and copied) only by the nodes that use them.
    pub(super) initialisers: Arc<HashMap<String, Constant>>,
    /// The values computed so far.
    pub(super) values: HashMap<String, Value>,
    pub(super) notes: Vec<String>,
    /// How many nodes read each value (a bias folds only into a product read once).
    pub(super) readers: HashMap<String, usize>,
    /// For a channels-first `[1, C, spatial…]` value made by a convolution or a transpose, the
    /// node holding it as `[spatial…, C]`: convolutions, pooling and normalisation work there
    /// without transposing back and forth.
    pub(super) channels_last: HashMap<NodeId, NodeId>,
    pub(super) input_shape: Vec<usize>,
    /// The model's 1-D convolutions converted so far, shared by the graphs built from it.
    pub(super) convolutions: Arc<Mutex<HashMap<String, Conv1d>>>,
}

pub(super) fn attribute<'a>(
    node: &'a NodeProto,
    name: &str,
) -> Option<&'a onnx_protobuf::AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

pub(super) fn int_attribute(node: &NodeProto, name: &str, default: i64) -> i64 {
    attribute(node, name).map_or(default, |a| a.i)
}

pub(super) fn ints_attribute(node: &NodeProto, name: &str) -> Option<Vec<i64>> {
    attribute(node, name).map(|a| a.ints.clone())
}

/// An axis in `0..rank` from ONNX's possibly negative one.
pub(super) fn axis(a: i64, rank: usize) -> usize {
    if a < 0 {
        (rank as i64 + a).max(0) as usize
    } else {
        a as usize
    }
}

impl Builder {
    pub(super) fn fail(node: &NodeProto, problem: impl Into<String>) -> ImportError {
        ImportError::Node {
            node: node.name.clone(),
            op: node.op_type.clone(),
            problem: problem.into(),
        }
    }

    pub(super) fn value(&self, node: &NodeProto, index: usize) -> Result<Value, ImportError> {
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

    pub(super) fn constant(&self, node: &NodeProto, index: usize) -> Result<Constant, ImportError> {
        match self.value(node, index)? {
            Value::Constant(c) => Ok(c),
            _ => Err(Self::fail(
                node,
                format!("input {index} must be a constant (a weight or a shape)"),
            )),
        }
    }

    pub(super) fn add(&mut self, name: &str, op: Op, inputs: Vec<NodeId>) -> NodeId {
        self.nodes.push(Node::new(name, op, inputs));
        self.nodes.len() - 1
    }

    pub(super) fn set(&mut self, node: &NodeProto, value: Value) {
        self.values.insert(node.output[0].clone(), value);
    }

    pub(super) fn constant_node(&mut self, name: &str, c: ArrayD<f32>) -> NodeId {
        self.add(name, Op::Constant(c), vec![])
    }

    /// A value as a graph node (constants become `Constant` nodes).
    pub(super) fn as_node(
        &mut self,
        node: &NodeProto,
        v: Value,
    ) -> Result<(NodeId, Vec<usize>), ImportError> {
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

    pub(super) fn reshape(&mut self, name: &str, id: NodeId, shape: Vec<usize>) -> NodeId {
        self.add(name, Op::Reshape(shape), vec![id])
    }

    /// The channels-last node `[spatial…, C]` of a channels-first `[1, C, spatial…]` value.
    pub(super) fn channels_last_of(&mut self, name: &str, id: NodeId, shape: &[usize]) -> NodeId {
        if let Some(&last) = self.channels_last.get(&id) {
            return last;
        }
        let flat = self.reshape(&format!("{name}/drop_batch"), id, shape[1..].to_vec());
        let perm: Vec<usize> = (1..shape.len() - 1).chain([0]).collect();
        self.add(&format!("{name}/channels_last"), Op::Transpose(perm), vec![flat])
    }

    /// A channels-last node `[spatial…, C]` back as the channels-first value `[1, C, spatial…]`.
    pub(super) fn channels_first_of(
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

    /// The node input 0 is, refusing constants and token ids.
    pub(super) fn node_input(
        &mut self,
        node: &NodeProto,
    ) -> Result<(NodeId, Vec<usize>), ImportError> {
        match self.value(node, 0)? {
            Value::Node { id, shape } => Ok((id, shape)),
            _ => Err(Self::fail(node, "input 0 must depend on the model's input")),
        }
    }
}

pub(super) fn shape_of(v: &Value) -> Option<Vec<usize>> {
    match v {
        Value::Constant(c) => Some(c.shape().to_vec()),
        Value::Node { shape, .. } => Some(shape.clone()),
        Value::TokenIds => None,
    }
}
