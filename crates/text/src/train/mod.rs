//! Stage 4, training: mini-batch Adam on the cross-entropy loss with its hand-written
//! gradient, and from a corpus to a saved, tested model.

mod fit;
mod gradient;
mod trainer;

pub use fit::{fingerprint, fit, FitOptions, TokenizerChoice};
pub use gradient::{accumulate_gradient, Gradient};
pub use trainer::{accuracy_and_loss, train, validation_split, Silent, TrainingProgress};
