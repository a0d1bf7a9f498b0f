//! Stage 5, explanation: word-level explanations by any attribution method, of relvis's CNN
//! and of classifiers exported to ONNX, behind one interface.

mod attribution;
mod cnn;
mod explanation;
mod method;
mod onnx;
mod text_model;

pub use attribution::Attribution;
pub use cnn::{explain_document_by, explain_positions, explain_positions_by, PositionRelevance};
pub(crate) use explanation::words_of;
pub use explanation::{Conservation, SpecialToken, TextExplanation, WordRelevance, WordTotals};
pub use method::{Baseline, Method, OcclusionWindow, Words, DEFAULT_RULE};
pub(crate) use onnx::graph_relevance;
pub use text_model::{TextModel, ATTENTION_RULE};
