//! The subcommands, by pipeline stage: motion as read (`mv`, `show-mv`, `descriptors`), the
//! synthetic set, training, prediction and explanation of clips, and their evaluations.

pub(crate) mod accuracy;
pub(crate) mod clips;
pub(crate) mod eval_relevance;
pub(crate) mod evaluate;
pub(crate) mod motion;
pub(crate) mod spray;
pub(crate) mod synth;
pub(crate) mod train;
