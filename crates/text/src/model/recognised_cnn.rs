//! An imported graph recognised as relvis's own text CNN — embedding, one 1-D convolution over
//! word windows, ReLU, the maximum over time, one dense layer (what `xai-text export --onnx`
//! writes, and Kim's CNN exported from PyTorch) — so that a deletion recomputes only the
//! windows it touches ([`super::EditableDocument`]) instead of running the graph again.

use lrp::{Graph, Layer, MaxPool, Op};
use ndarray::Array2;

use super::{Architecture, TextCnn};

/// `graph` (built for one document) as a [`TextCnn`] with the embedding `table` and documents
/// cut to `window` tokens, if its nodes from the input to the output are exactly: reshapes,
/// the convolution, ReLU, the global max-pool, reshapes, the dense layer. `None` for any other
/// graph.
pub(super) fn recognised_cnn(graph: &Graph, table: &Array2<f32>, window: usize) -> Option<TextCnn> {
    let nodes = graph.nodes();
    let mut layers = Vec::new();
    let mut id = graph.output();
    while id != 0 {
        let node = &nodes[id];
        let [input] = node.inputs[..] else { return None };
        match &node.op {
            Op::Reshape(_) => {}
            Op::Layer(layer) => layers.push(layer),
            _ => return None,
        }
        id = input;
    }
    let [Layer::Dense(dense), Layer::MaxPool(MaxPool::Global), Layer::Relu, Layer::Conv1d(conv)] =
        layers[..]
    else {
        return None;
    };
    let arch = Architecture {
        vocab: table.nrows(),
        embedding_dim: table.ncols(),
        width: conv.width(),
        filters: conv.filters(),
        classes: dense.outputs(),
        max_len: window,
    };
    TextCnn::from_parts(arch, table.clone(), conv.clone(), dense.clone()).ok()
}
