//! What can go wrong reading an ONNX model: every error names the file or the node.

use std::fmt;
use std::path::PathBuf;

/// A node whose operator the graph cannot express.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsupportedNode {
    pub name: String,
    pub op: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("not an ONNX model: {0}")]
    Parse(String),
    #[error("{}", Unsupported(nodes, supported))]
    Unsupported {
        nodes: Vec<UnsupportedNode>,
        /// The operators the importer reads, for the message.
        supported: Vec<&'static str>,
    },
    #[error("node `{node}` ({op}): {problem}")]
    Node { node: String, op: String, problem: String },
    #[error("{0}")]
    Invalid(String),
    #[error("the imported graph: {0}")]
    Lrp(#[from] lrp::LrpError),
}

/// The message for unsupported operators: each node, what its operator is where it has a
/// common name, and what is supported.
struct Unsupported<'a>(&'a [UnsupportedNode], &'a [&'static str]);

impl fmt::Display for Unsupported<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nodes: Vec<String> = self
            .0
            .iter()
            .map(|n| {
                let what = match n.op.as_str() {
                    "LSTM" | "GRU" | "RNN" => format!(" (a recurrent layer, {})", n.op),
                    "Attention" | "MultiHeadAttention" => " (an attention block)".to_string(),
                    _ => String::new(),
                };
                format!("`{}` ({}{what})", n.name, n.op)
            })
            .collect();
        write!(
            f,
            "unsupported operators: {}; relvis explains graphs of {}",
            nodes.join(", "),
            self.1.join(", ")
        )
    }
}
