//! One module per subcommand: its arguments and what it runs.

pub(crate) mod accuracy;
pub(crate) mod descriptors;
pub(crate) mod eval_relevance;
pub(crate) mod evaluate;
pub(crate) mod explain;
pub(crate) mod mv;
pub(crate) mod predict;
pub(crate) mod show_mv;
pub(crate) mod spray;
pub(crate) mod spray_frames;
pub(crate) mod synth;
pub(crate) mod train;
