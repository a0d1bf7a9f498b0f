//! One module per subcommand: its arguments and what it runs.

pub(crate) mod accuracy;
pub(crate) mod eval_deletion;
pub(crate) mod evaluate;
pub(crate) mod explain;
pub(crate) mod export;
pub(crate) mod plant_cue;
pub(crate) mod predict;
pub(crate) mod spray;
pub(crate) mod train;
