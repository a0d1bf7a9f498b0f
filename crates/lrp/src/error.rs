//! Errors of the LRP core: every one names the layer or value at fault.

use thiserror::Error;

/// What went wrong in a forward or backward pass, or in a rule specification.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum LrpError {
    /// A sequence with no positions was given to a layer that needs at least one.
    #[error("layer {layer} ({kind}): the input sequence is empty")]
    EmptySequence { layer: usize, kind: String },
    /// A sequence is shorter than the convolution or pooling window.
    #[error(
        "layer {layer} ({kind}): sequence of length {len} is shorter than the window of {window}"
    )]
    SequenceTooShort { layer: usize, kind: String, len: usize, window: usize },
    /// The input's shape does not fit the layer.
    #[error("layer {layer} ({kind}): expected input shape {expected}, got {got:?}")]
    ShapeMismatch { layer: usize, kind: String, expected: String, got: Vec<usize> },
    /// A layer was built from parts whose shapes disagree.
    #[error("invalid layer: {0}")]
    InvalidLayer(String),
    /// The input holds NaN or infinity.
    #[error("the input holds a non-finite value at flat index {index}")]
    NonFiniteInput { index: usize },
    /// The explained output neuron does not exist.
    #[error("output index {index} is out of range for an output of {len} values")]
    TargetOutOfRange { index: usize, len: usize },
    /// A given top-level relevance or gradient has the wrong shape.
    #[error("the given output relevance has shape {got:?}, the network's output has {expected:?}")]
    TargetShape { expected: Vec<usize>, got: Vec<usize> },
    /// A rule's parameters are out of their domain, or its text does not parse.
    #[error("invalid rule: {0}")]
    InvalidRule(String),
    /// A many-pass method's settings are out of their domain (no steps, no samples, a baseline
    /// of another shape).
    #[error("invalid method settings: {0}")]
    InvalidMethod(String),
}
