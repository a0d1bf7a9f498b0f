//! What the text and video pipelines share, written once:
//! - [`metrics`]: the predicted class of a score vector (one tie rule) and the confusion
//!   matrix with the measures read from it;
//! - [`split`]: seeded, stratified hold-out splits;
//! - [`conservation`]: the per-step relevance sums of an explanation;
//! - [`localisation`], [`correlation`]: how explanations are judged — against masks of what
//!   matters, and against another scoring of the same elements by rank;
//! - [`randomisation`]: the model parameter randomisation test's curves and flag;
//! - [`figure`]: pictures as PNG or SVG by extension, with the embedded font;
//! - [`progress`]: how long work reports how far it has come;
//! - [`model_folder`]: model folders — format and version checks, tensors read with shape and
//!   weight-bound checks, saving through a staged folder;
//! - [`bounded_read`]: whole files read with a size bound, devices and endless streams refused;
//! - [`worker`]: the worker mode of the batch commands, JSON lines in and out in input order.

pub mod bounded_read;
pub mod conservation;
pub mod correlation;
pub mod figure;
pub mod localisation;
pub mod metrics;
pub mod model_folder;
pub mod progress;
pub mod randomisation;
pub mod split;
pub mod worker;
