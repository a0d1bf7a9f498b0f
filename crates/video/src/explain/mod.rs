//! Stage 4, explanation: LRP through the chain onto blocks and frames, the other methods (SA,
//! G×I, IG, SmoothGrad, occlusion), and a clip scored again after edits of a few cells.

mod attribution;
mod chain_steps;
mod clip_motion;
mod editable_clip;
mod lrp_chain;
mod method;

pub use attribution::{block_relevance, gradient_times_input, BlockRelevance, DescriptorScores};
pub(crate) use chain_steps::{spread_over_fields, FisherTerms, ReceptiveFields};
pub(crate) use clip_motion::descriptors_of;
pub use clip_motion::{motionless, remove_motion, ClipMotion};
pub use editable_clip::{EditableClip, Edits};
pub use lrp_chain::{
    default_rules, explain_clip, explain_descriptors, BlockTotals, Conservation, ExplanationRecord,
    VideoExplanation,
};
pub use method::{Clips, Cuboid, Method, Motionless, DEFAULT_RULE};
