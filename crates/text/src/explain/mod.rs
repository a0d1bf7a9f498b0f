//! Stage 5, explanation: word-level explanations by any attribution method.

mod explanation;
mod method;

pub use explanation::{
    explain_positions, Conservation, PositionRelevance, TextExplanation, WordRelevance,
    DEFAULT_RULE,
};
pub(crate) use explanation::{ig_relevance, occlusion_by_forward, words_of};
pub use method::{Baseline, Method, IG_STEPS, SMOOTHGRAD};
