//! Training the CNN: mini-batch Adam on the cross-entropy loss, dropout before the dense
//! layer, a validation split carved from the training data, early stopping, `rayon` over
//! each batch. A fixed seed gives the same model twice: per-document gradients are summed
//! in document order, whatever the threads did.

mod adam;
#[cfg(test)]
mod tests;

use ndarray::Array2;
use pipeline::metrics::argmax;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use crate::model::{softmax, EpochReport, TextCnn, TrainConfig, TrainReport, PAD};
use crate::tokenize::Example;
use crate::train::{accumulate_gradient, Gradient};
use adam::Adam;

/// Accuracy and mean cross-entropy of `model` on `examples`, in parallel.
pub fn accuracy_and_loss(model: &TextCnn, examples: &[Example]) -> (f64, f64) {
    if examples.is_empty() {
        return (0.0, 0.0);
    }
    let (correct, loss) = examples
        .par_iter()
        .map(|e| {
            let scores = model.scores(&e.ids);
            let p = softmax(&scores)[e.label].max(1e-30);
            (usize::from(argmax(&scores) == e.label), -f64::from(p.ln()))
        })
        .reduce(|| (0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    let n = examples.len() as f64;
    (correct as f64 / n, loss / n)
}

/// Splits `examples` into training and validation parts with
/// [`pipeline::split::stratified`] (its seed derived from `seed`, so that it differs from
/// the test split's); both keep the input order.
pub fn validation_split(
    examples: &[Example],
    fraction: f32,
    seed: u64,
) -> (Vec<Example>, Vec<Example>) {
    let labels: Vec<usize> = examples.iter().map(|e| e.label).collect();
    let classes = labels.iter().map(|l| l + 1).max().unwrap_or(0);
    let held_out =
        pipeline::split::stratified(&labels, classes, f64::from(fraction), seed ^ 0x5eed_5b11);
    let (validation, train): (Vec<_>, Vec<_>) =
        examples.iter().cloned().zip(held_out).partition(|(_, h)| *h);
    (train.into_iter().map(|(e, _)| e).collect(), validation.into_iter().map(|(e, _)| e).collect())
}

/// What training reports while it works: stages, batches (counted as in
/// [`pipeline::progress::Progress`], with the loss so far) and finished epochs.
pub trait TrainingProgress {
    /// A step of the preparation is starting.
    fn stage(&mut self, _message: &str) {}
    /// A batch is done: epoch, batches done, batches per epoch, mean loss so far.
    fn batch(&mut self, _epoch: usize, _done: usize, _total: usize, _loss: f64) {}
    /// An epoch is done.
    fn epoch(&mut self, _report: &EpochReport) {}
}

/// Reports nothing.
pub struct Silent;
impl TrainingProgress for Silent {}

/// Trains `model` in place on `examples`; keeps the weights of the best validation epoch
/// (highest accuracy, then lowest loss), or of the last epoch when nothing is held out.
pub fn train(
    model: &mut TextCnn,
    examples: &[Example],
    config: &TrainConfig,
    progress: &mut dyn TrainingProgress,
) -> TrainReport {
    let start = std::time::Instant::now();
    let (train_set, validation) =
        validation_split(examples, config.validation_fraction, config.seed);
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut adam = Adam::new(model);
    let keep_prob = 1.0 - config.dropout;
    let batches = train_set.len().div_ceil(config.batch_size.max(1));
    let mut best: Option<(usize, (f64, f64), Snapshot)> = None;
    let mut epochs = Vec::new();
    let mut learning_rate = config.learning_rate;
    let mut average = (config.weight_average > 0.0).then(|| Snapshot::of(model));
    for epoch in 1..=config.max_epochs {
        let epoch_start = std::time::Instant::now();
        let mut order: Vec<usize> = (0..train_set.len()).collect();
        order.shuffle(&mut rng);
        let (mut loss, mut correct) = (0.0, 0);
        for (b, batch) in order.chunks(config.batch_size.max(1)).enumerate() {
            let masks: Vec<Vec<bool>> = batch
                .iter()
                .map(|_| (0..model.arch.filters).map(|_| rng.gen::<f32>() < keep_prob).collect())
                .collect();
            let docs: Vec<Example> = batch
                .iter()
                .map(|&d| {
                    let e = &train_set[d];
                    let ids = e
                        .ids
                        .iter()
                        .map(|&id| if rng.gen::<f32>() < config.word_dropout { PAD } else { id })
                        .collect();
                    Example { ids, label: e.label }
                })
                .collect();
            // Fixed chunks summed in order: the same sum whatever the number of threads.
            let chunk = batch.len().div_ceil(GRADIENT_CHUNKS);
            let model_ref = &*model;
            let parts: Vec<Gradient> = docs
                .par_chunks(chunk)
                .zip(masks.par_chunks(chunk))
                .map(|(docs, masks)| {
                    let mut grad = Gradient::zeros(model_ref);
                    for (doc, mask) in docs.iter().zip(masks) {
                        accumulate_gradient(
                            model_ref,
                            doc,
                            Some(mask),
                            keep_prob,
                            &mut grad,
                            !config.freeze_embeddings,
                        );
                    }
                    grad
                })
                .collect();
            let mut grad = Gradient::zeros(model);
            for part in parts {
                grad.add(part);
            }
            loss += grad.loss;
            correct += grad.correct;
            adam.update(model, &grad, learning_rate, batch.len());
            if let Some(average) = average.as_mut() {
                average.blend(model, config.weight_average);
            }
            progress.batch(
                epoch,
                b + 1,
                batches,
                loss / ((b * config.batch_size + batch.len()) as f64),
            );
        }
        let (validation_accuracy, validation_loss) = match &average {
            Some(average) => {
                let current = Snapshot::of(model);
                average.clone().restore(model);
                let measured = accuracy_and_loss(model, &validation);
                current.restore(model);
                measured
            }
            None => accuracy_and_loss(model, &validation),
        };
        let report = EpochReport {
            epoch,
            train_loss: loss / train_set.len() as f64,
            train_accuracy: correct as f64 / train_set.len() as f64,
            validation_accuracy,
            validation_loss,
            learning_rate: Some(learning_rate),
            seconds: epoch_start.elapsed().as_secs_f64(),
        };
        progress.epoch(&report);
        epochs.push(report);
        // Without validation documents every epoch is the best so far: training runs all
        // `max_epochs` and keeps the last weights.
        let better = |(acc, loss): (f64, f64)| {
            validation.is_empty()
                || validation_accuracy > acc
                || (validation_accuracy == acc && validation_loss < loss)
        };
        if best.as_ref().is_none_or(|(_, score, _)| better(*score)) {
            let weights = average.clone().unwrap_or_else(|| Snapshot::of(model));
            best = Some((epoch, (validation_accuracy, validation_loss), weights));
        } else {
            let since_best = epoch - best.as_ref().map_or(0, |b| b.0);
            if since_best >= config.patience {
                break;
            }
            if since_best.is_multiple_of(config.decay_after.max(1)) {
                learning_rate *= config.lr_decay;
            }
        }
    }
    let (best_epoch, (validation_accuracy, _), snapshot) = best.expect("at least one epoch");
    snapshot.restore(model);
    TrainReport {
        epochs,
        best_epoch,
        validation_accuracy,
        training_documents: train_set.len(),
        validation_documents: validation.len(),
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// Number of fixed parts a batch's gradient is computed in (in parallel).
const GRADIENT_CHUNKS: usize = 8;

/// A copy of the trainable weights.
#[derive(Clone)]
struct Snapshot {
    embedding: Array2<f32>,
    conv: lrp::Conv1d,
    dense: lrp::Dense,
}

impl Snapshot {
    fn of(model: &TextCnn) -> Self {
        Snapshot {
            embedding: model.embedding.clone(),
            conv: model.conv().clone(),
            dense: model.dense().clone(),
        }
    }

    /// Moves the copy towards `model`'s weights: `decay · copy + (1 − decay) · weights`.
    fn blend(&mut self, model: &TextCnn, decay: f32) {
        let mix = |a: &mut f32, &b: &f32| *a = decay * *a + (1.0 - decay) * b;
        self.embedding.zip_mut_with(&model.embedding, mix);
        self.conv.weight.zip_mut_with(&model.conv().weight, mix);
        self.dense.weight.zip_mut_with(&model.dense().weight, mix);
        for (a, b) in
            [(&mut self.conv.bias, &model.conv().bias), (&mut self.dense.bias, &model.dense().bias)]
        {
            if let (Some(a), Some(b)) = (a.as_mut(), b.as_ref()) {
                a.zip_mut_with(b, mix);
            }
        }
    }

    fn restore(self, model: &mut TextCnn) {
        let (embedding, conv, dense) = model.parts_mut();
        *embedding = self.embedding;
        *conv = self.conv;
        *dense = self.dense;
    }
}
