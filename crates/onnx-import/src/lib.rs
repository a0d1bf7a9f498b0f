//! ONNX models read into the LRP core's [`lrp::Graph`], so that a classifier trained and
//! exported elsewhere (PyTorch, Keras, scikit-learn) is explained with the same rules as
//! relvis's own models.
//!
//! [`OnnxModel::read`] decodes the file and refuses, before any work, a model with an operator
//! the graph cannot express, naming every such node. [`OnnxModel::graph`] then builds the graph
//! for one input length: exporters write the shape arithmetic of dynamic axes (`Shape`,
//! `Gather`, `Concat`, `Reshape` on integers) into the model, and with the length known all of
//! it folds to constants. A model whose input is token ids starts with a `Gather` from an
//! embedding table; the graph's input is then the gathered vectors `[1, T, D]`
//! ([`OnnxModel::embedding`] gives the table), so relevance lands on words' dimensions.
//!
//! Layouts: values keep ONNX's shapes, batch axis (of size 1) included. Convolutions and
//! pooling over a channels-first `[1, C, L]` (or `[1, C, H, W]`) value run on its `[L, C]`
//! (`[H, W, C]`) transpose, the layout of [`lrp::Conv1d`] ([`lrp::Conv2d`]); the transposes
//! move relevance back exactly. BatchNormalization is
//! folded into the layer before it where that layer feeds nothing else, Softmax, LogSoftmax
//! and Sigmoid at the output are left out (the logit is explained); [`ImportedGraph::notes`]
//! says what was changed.
//!
//! [`OnnxWriter`] writes the other way: relvis's own layers as an ONNX model, read back by the
//! same importer.

mod convert;
mod error;
mod external_data;
mod pooling;
mod tensor;
mod writer;

pub use convert::{supported_operators, ImportedGraph, OnnxModel};
pub use error::{ImportError, UnsupportedNode};
pub use writer::{Attribute, OnnxWriter, OPSET};
