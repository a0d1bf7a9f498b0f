//! How a model was trained, as its folder records it: the training settings, checked, and what
//! each epoch measured.

use serde::{Deserialize, Serialize};

use crate::error::TextError;

/// How to train.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub max_epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f32,
    /// Probability of dropping each pooled feature before the dense layer.
    pub dropout: f32,
    /// Probability of replacing each token by padding during training (word dropout).
    #[serde(default)]
    pub word_dropout: f32,
    /// Share of the training documents held out for early stopping.
    pub validation_fraction: f32,
    /// Epochs without a better validation accuracy before stopping.
    pub patience: usize,
    /// Factor the learning rate is multiplied by after every `decay_after` epochs without a
    /// better validation accuracy (1 keeps it constant).
    #[serde(default = "no_decay")]
    pub lr_decay: f32,
    /// Epochs without improvement between two learning-rate decays.
    #[serde(default = "no_decay_epochs")]
    pub decay_after: usize,
    /// Validation and the saved model use an exponential moving average of the weights over
    /// the batches, with this decay per batch (0 keeps the last weights).
    #[serde(default)]
    pub weight_average: f32,
    /// Keep the embeddings as initialised.
    pub freeze_embeddings: bool,
    pub seed: u64,
    /// Networks trained independently (seeds `seed`, `seed + 1`, …) and saved as one whose
    /// scores are the mean of theirs.
    #[serde(default = "one_member")]
    pub members: usize,
}

impl TrainConfig {
    /// Checks the settings: at least one epoch, one document per batch, one member and one
    /// epoch before decay; a learning rate in (0, 10); dropout, word dropout, weight averaging
    /// and the validation share in [0, 1); the learning-rate decay in (0, 1].
    pub fn check(&self) -> Result<(), TextError> {
        let bad = |what: String| Err(TextError::Settings(what));
        let counts = [
            ("max_epochs", self.max_epochs),
            ("batch_size", self.batch_size),
            ("members", self.members),
            ("decay_after", self.decay_after),
        ];
        if let Some((name, _)) = counts.iter().find(|(_, n)| *n == 0) {
            return bad(format!("{name} must be at least 1"));
        }
        if !(self.learning_rate.is_finite()
            && self.learning_rate > 0.0
            && self.learning_rate < 10.0)
        {
            return bad(format!(
                "learning_rate {}: expected a number in (0, 10)",
                self.learning_rate
            ));
        }
        let shares = [
            ("dropout", self.dropout),
            ("word_dropout", self.word_dropout),
            ("weight_average", self.weight_average),
            ("validation_fraction", self.validation_fraction),
        ];
        if let Some((name, v)) = shares.iter().find(|(_, v)| !(0.0..1.0).contains(v)) {
            return bad(format!("{name} {v}: expected a share in [0, 1)"));
        }
        if !(self.lr_decay > 0.0 && self.lr_decay <= 1.0) {
            return bad(format!("lr_decay {}: expected a factor in (0, 1]", self.lr_decay));
        }
        Ok(())
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            max_epochs: 20,
            batch_size: 32,
            learning_rate: 1e-3,
            dropout: 0.5,
            word_dropout: 0.0,
            validation_fraction: 0.1,
            patience: 3,
            lr_decay: 1.0,
            decay_after: usize::MAX,
            weight_average: 0.0,
            freeze_embeddings: false,
            seed: 1,
            members: 1,
        }
    }
}

fn one_member() -> usize {
    1
}

fn no_decay() -> f32 {
    1.0
}

fn no_decay_epochs() -> usize {
    usize::MAX
}

/// One epoch's numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub validation_accuracy: f64,
    pub validation_loss: f64,
    /// The learning rate of this epoch (absent in reports written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learning_rate: Option<f32>,
    pub seconds: f64,
}

/// What training did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    pub epochs: Vec<EpochReport>,
    /// The epoch whose weights were kept (best validation accuracy).
    pub best_epoch: usize,
    pub validation_accuracy: f64,
    pub training_documents: usize,
    pub validation_documents: usize,
    pub seconds: f64,
}
