//! The one list of the ONNX operators the importer reads and the conversion each goes through
//! (one file per family: `shapes`, `masks`, `arithmetic`, `layers`, `reductions`,
//! `normalisation`). Adding an operator is one line here; the refusal message and
//! [`crate::supported_operators`] read this list, so neither can drift from the code.

use onnx_protobuf::NodeProto;

use super::builder::Builder;
use crate::error::{ImportError, UnsupportedNode};

/// A conversion: reads the node's inputs from the builder and records its output.
type Convert = fn(&mut Builder, &NodeProto) -> Result<(), ImportError>;

/// Every supported operator and its conversion.
const OPERATORS: &[(&str, Convert)] = &[
    // Values moved, reshaped or folded (shapes.rs).
    ("Identity", Builder::pass_through),
    ("Dropout", Builder::pass_through),
    ("Cast", Builder::cast),
    ("Constant", Builder::constant_op),
    ("Shape", Builder::shape),
    ("Gather", Builder::gather),
    ("Unsqueeze", Builder::squeeze),
    ("Squeeze", Builder::squeeze),
    ("Flatten", Builder::flatten),
    ("Reshape", Builder::reshape_op),
    ("Transpose", Builder::transpose),
    ("Concat", Builder::concat),
    ("Slice", Builder::slice),
    ("Split", Builder::split),
    ("Expand", Builder::expand),
    // Masks and positions, folded to constants (masks.rs).
    ("ConstantOfShape", Builder::constant_of_shape),
    ("Equal", Builder::equal),
    ("Not", Builder::not),
    ("Where", Builder::where_op),
    ("Range", Builder::range),
    ("CumSum", Builder::cumsum),
    // Arithmetic and element-wise functions (arithmetic.rs).
    ("Add", Builder::arithmetic),
    ("Sub", Builder::arithmetic),
    ("Mul", Builder::arithmetic),
    ("Div", Builder::arithmetic),
    ("Pow", Builder::power),
    ("Neg", Builder::negate),
    ("Sqrt", Builder::elementwise),
    ("Reciprocal", Builder::elementwise),
    ("Erf", Builder::elementwise),
    ("Tanh", Builder::elementwise),
    ("Sigmoid", Builder::elementwise),
    ("Exp", Builder::elementwise),
    ("Gelu", Builder::elementwise),
    ("Relu", Builder::activation),
    ("LeakyRelu", Builder::activation),
    // Layers with weights (layers.rs).
    ("Conv", Builder::conv),
    ("Gemm", Builder::gemm),
    ("MatMul", Builder::matmul),
    ("BatchNormalization", Builder::batch_norm),
    // Pooling and reductions (reductions.rs).
    ("MaxPool", Builder::pool),
    ("GlobalMaxPool", Builder::pool),
    ("AveragePool", Builder::pool),
    ("GlobalAveragePool", Builder::pool),
    ("ReduceMax", Builder::reduce),
    ("ReduceMean", Builder::reduce),
    ("ReduceSum", Builder::reduce),
    // Normalisation and attention (normalisation.rs).
    ("LayerNormalization", Builder::layer_norm),
    ("Softmax", Builder::softmax),
];

/// Operators read only as the model's last step: the logit before them is explained.
pub(super) const OUTPUT_ACTIVATIONS: &[&str] = &["Softmax", "LogSoftmax", "Sigmoid"];

/// The conversion of `op`, if it is supported.
pub(super) fn conversion(op: &str) -> Option<Convert> {
    OPERATORS.iter().find(|(name, _)| *name == op).map(|(_, convert)| *convert)
}

/// The names of the supported operators (those at the output only included).
pub fn supported_operators() -> impl Iterator<Item = &'static str> {
    OPERATORS
        .iter()
        .map(|(name, _)| *name)
        .chain(OUTPUT_ACTIVATIONS.iter().copied().filter(|a| conversion(a).is_none()))
}

impl Builder {
    /// Converts one node by its operator's conversion.
    pub(super) fn convert(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let convert = conversion(&node.op_type).ok_or_else(|| ImportError::Unsupported {
            nodes: vec![UnsupportedNode { name: node.name.clone(), op: node.op_type.clone() }],
            supported: supported_operators().collect(),
        })?;
        convert(self, node)
    }
}
