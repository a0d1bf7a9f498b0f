//! Arithmetic: sums, differences, products and quotients (of constants, folded; with a
//! constant, a bias or a scale; of two computed tensors) and element-wise functions.

use lrp::{Elementwise, Layer, NodeId, Op};
use ndarray::{ArrayD, IxDyn};
use onnx_protobuf::NodeProto;

use super::builder::{attribute, Builder};
use super::Value;
use crate::error::ImportError;
use crate::tensor::{broadcast_shape as broadcast, Constant};

impl Builder {
    pub(super) fn arithmetic(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let op = node.op_type.as_str();
        let (a, b) = (self.value(node, 0)?, self.value(node, 1)?);
        match (a, b) {
            (Value::Constant(x), Value::Constant(y)) => {
                let z = x.binary(&y, op).ok_or_else(|| {
                    Self::fail(
                        node,
                        format!("constants {:?} and {:?} do not broadcast", x.shape(), y.shape()),
                    )
                })?;
                self.set(node, Value::Constant(z));
            }
            (Value::Node { id, shape }, Value::Constant(c)) => {
                self.with_constant(node, id, shape, c.to_float(), false)?
            }
            (Value::Constant(c), Value::Node { id, shape }) => {
                self.with_constant(node, id, shape, c.to_float(), true)?
            }
            (Value::Node { id: x, shape: sx }, Value::Node { id: y, shape: sy }) => {
                let shape = broadcast(&sx, &sy).ok_or_else(|| {
                    Self::fail(node, format!("computed values {sx:?} and {sy:?} do not broadcast"))
                })?;
                let name = node.name.as_str();
                let id = match op {
                    "Add" => self.add(name, Op::Add, vec![x, y]),
                    "Sub" => {
                        let minus = ArrayD::from_elem(IxDyn(&[]), -1.0);
                        let y = self.add(&format!("{name}/negate"), Op::Scale(minus), vec![y]);
                        self.add(name, Op::Add, vec![x, y])
                    }
                    "Mul" => match self.gate_value(x, y) {
                        Some((value, gate)) => self.add(name, Op::Gate, vec![value, gate]),
                        None => self.add(name, Op::Product, vec![x, y]),
                    },
                    _ => self.add(name, Op::Quotient, vec![x, y]),
                };
                self.set(node, Value::Node { id, shape });
            }
            _ => return Err(Self::fail(node, "arithmetic on token ids")),
        }
        Ok(())
    }

    /// A computed value `x` and a constant `c`: `x + c` a bias (folded into the dense layer
    /// before it where it can be) or a constant summand, `x · c` and `x / c` a scale, `c − x`
    /// a negation and a constant summand; `c / x` a reciprocal and a scale.
    fn with_constant(
        &mut self,
        node: &NodeProto,
        id: NodeId,
        shape: Vec<usize>,
        c: ArrayD<f32>,
        constant_first: bool,
    ) -> Result<(), ImportError> {
        let name = node.name.as_str();
        let input_shape = shape;
        let shape = broadcast(&input_shape, c.shape()).ok_or_else(|| {
            Self::fail(node, format!("a constant {:?} for an input {input_shape:?}", c.shape()))
        })?;
        let (id, c) = match (node.op_type.as_str(), constant_first) {
            ("Add", _) | ("Sub", false) => {
                let c = if node.op_type == "Sub" { -c } else { c };
                if c.iter().all(|&v| v == 0.0) && input_shape == shape {
                    // Adding zeros (the attention mask of an unpadded document) is the
                    // identity: no node, nothing to pass back (only a negative zero keeps
                    // its sign, which `−0 + 0` would drop).
                    self.set(node, Value::Node { id, shape });
                    return Ok(());
                }
                if self.fold_bias(node, id, &c) {
                    self.set(node, Value::Node { id, shape });
                    return Ok(());
                }
                let k = self.constant_node(&format!("{name}/constant"), c);
                let s = self.add(name, Op::Add, vec![id, k]);
                self.set(node, Value::Node { id: s, shape });
                return Ok(());
            }
            ("Sub", true) => {
                let minus = ArrayD::from_elem(IxDyn(&[]), -1.0);
                let n = self.add(&format!("{name}/negate"), Op::Scale(minus), vec![id]);
                let k = self.constant_node(&format!("{name}/constant"), c);
                let s = self.add(name, Op::Add, vec![n, k]);
                self.set(node, Value::Node { id: s, shape });
                return Ok(());
            }
            ("Div", true) => {
                let r = self.add(
                    &format!("{name}/reciprocal"),
                    Op::Elementwise(Elementwise::Reciprocal),
                    vec![id],
                );
                (r, c)
            }
            ("Div", false) => (id, c.mapv(|v| 1.0 / v)),
            _ => (id, c),
        };
        let s = self.add(name, Op::Scale(c), vec![id]);
        self.set(node, Value::Node { id: s, shape });
        Ok(())
    }

    /// For a product `a · b` of two computed tensors that is an activation written as a
    /// product (GELU's `x · (1 + erf(x/√2))`, SiLU's `x · σ(x)`): both computed from one value
    /// by element-wise steps alone. Returns the factor nearer that value first.
    fn gate_value(&self, a: NodeId, b: NodeId) -> Option<(NodeId, NodeId)> {
        let (root_a, steps_a) = self.elementwise_root(a);
        let (root_b, steps_b) = self.elementwise_root(b);
        (root_a == root_b).then_some(if steps_a <= steps_b { (a, b) } else { (b, a) })
    }

    /// The value `id` is computed from by element-wise steps alone (functions, scales, constant
    /// summands), and how many steps there are.
    fn elementwise_root(&self, mut id: NodeId) -> (NodeId, usize) {
        let mut steps = 0;
        loop {
            let node = &self.nodes[id];
            let computed: Vec<NodeId> = node
                .inputs
                .iter()
                .copied()
                .filter(|&i| !matches!(self.nodes[i].op, Op::Constant(_)))
                .collect();
            match (&node.op, &computed[..]) {
                (Op::Elementwise(_) | Op::Scale(_) | Op::Add, [only]) => {
                    id = *only;
                    steps += 1;
                }
                _ => return (id, steps),
            }
        }
    }

    /// `Pow`: of constants, folded; of a computed value by a constant exponent, element-wise.
    pub(super) fn power(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let exponent = match self.value(node, 1)? {
            Value::Constant(c) if c.shape().iter().product::<usize>() == 1 => {
                c.to_float().iter().next().copied().expect("one value")
            }
            _ => return Err(Self::fail(node, "the exponent must be one constant number")),
        };
        self.unary(node, Elementwise::Power(exponent))
    }

    /// `Neg`: a scale by −1.
    pub(super) fn negate(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        match self.value(node, 0)? {
            Value::Constant(c) => {
                let z = match c {
                    Constant::Int(a) => Constant::Int(-a),
                    Constant::Float(a) => Constant::Float(-a),
                };
                self.set(node, Value::Constant(z));
            }
            _ => {
                let (id, shape) = self.node_input(node)?;
                let minus = ArrayD::from_elem(IxDyn(&[]), -1.0);
                let s = self.add(&node.name, Op::Scale(minus), vec![id]);
                self.set(node, Value::Node { id: s, shape });
            }
        }
        Ok(())
    }

    /// `Sqrt`, `Reciprocal`, `Erf`, `Tanh`, `Sigmoid`, `Exp`, `Gelu`.
    pub(super) fn elementwise(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let f = match node.op_type.as_str() {
            "Sqrt" => Elementwise::Sqrt,
            "Reciprocal" => Elementwise::Reciprocal,
            "Erf" => Elementwise::Erf,
            "Tanh" => Elementwise::Tanh,
            "Sigmoid" => Elementwise::Sigmoid,
            "Exp" => Elementwise::Exp,
            "Gelu" => {
                let approximate = attribute(node, "approximate").map(|a| a.s.clone());
                if approximate.is_some_and(|a| a != b"none") {
                    return Err(Self::fail(node, "only the exact (erf) GELU is supported"));
                }
                Elementwise::Gelu
            }
            other => unreachable!("the registry sends only element-wise functions, not {other}"),
        };
        self.unary(node, f)
    }

    /// `f` of a constant, folded; of a computed value, an element-wise node.
    fn unary(&mut self, node: &NodeProto, f: Elementwise) -> Result<(), ImportError> {
        match self.value(node, 0)? {
            Value::Constant(c) => {
                self.set(node, Value::Constant(Constant::Float(c.to_float().mapv(|v| f.value(v)))));
            }
            _ => {
                let (id, shape) = self.node_input(node)?;
                let e = self.add(&node.name, Op::Elementwise(f), vec![id]);
                self.set(node, Value::Node { id: e, shape });
            }
        }
        Ok(())
    }

    /// `Relu` and `LeakyRelu`.
    pub(super) fn activation(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let (op, name) = (node.op_type.as_str(), node.name.as_str());
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
            let r_last = self.add(&format!("{name}/channels_last"), Op::Layer(layer()), vec![last]);
            self.channels_last.insert(r, r_last);
        }
        self.set(node, Value::Node { id: r, shape });
        Ok(())
    }

    /// Folds a constant added to the output of a dense layer without bias (PyTorch's `Linear`
    /// on 3-D inputs exports as MatMul + Add) into its bias, when nothing else reads that output.
    pub(super) fn fold_bias(&mut self, node: &NodeProto, id: NodeId, c: &ArrayD<f32>) -> bool {
        let read_once = node.input.iter().any(|i| {
            matches!(self.values.get(i), Some(Value::Node { id: v, .. }) if *v == id)
                && self.readers.get(i) == Some(&1)
        });
        let Op::Layer(Layer::Dense(d)) = &mut self.nodes[id].op else { return false };
        let n_out = d.outputs();
        if d.bias.is_some() || !read_once || c.len() != n_out || c.shape().last() != Some(&n_out) {
            return false;
        }
        d.bias = Some(c.iter().copied().collect());
        self.notes.push(format!(
            "the constant added by `{}` is the bias of the product before it",
            node.name
        ));
        true
    }
}
