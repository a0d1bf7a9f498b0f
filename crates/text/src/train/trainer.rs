//! Training the CNN: mini-batch Adam on the cross-entropy loss, dropout before the dense
//! layer, a validation split carved from the training data, early stopping, `rayon` over
//! each batch. A fixed seed gives the same model twice: per-document gradients are summed
//! in document order, whatever the threads did.

use ndarray::{Array1, Array2, Zip};
use pipeline::metrics::argmax;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use crate::model::{softmax, EpochReport, TextCnn, TrainConfig, TrainReport, PAD};
use crate::tokenize::Example;
use crate::train::{accumulate_gradient, Gradient};

/// Adam's moment estimates for one parameter array.
#[derive(Clone, Debug)]
struct Moments<D: ndarray::Dimension> {
    m: ndarray::Array<f32, D>,
    v: ndarray::Array<f32, D>,
}

const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
const ADAM_EPS: f32 = 1e-8;

impl<D: ndarray::Dimension> Moments<D> {
    fn new(shape: D) -> Self {
        Moments { m: ndarray::Array::zeros(shape.clone()), v: ndarray::Array::zeros(shape) }
    }

    /// One Adam step on `param` with gradient `g` at step `t` (from 1).
    fn step(
        &mut self,
        param: &mut ndarray::Array<f32, D>,
        g: &ndarray::Array<f32, D>,
        lr: f32,
        t: i32,
    ) {
        let (c1, c2) = (1.0 - BETA1.powi(t), 1.0 - BETA2.powi(t));
        Zip::from(param).and(&mut self.m).and(&mut self.v).and(g).for_each(|p, m, v, &g| {
            *m = BETA1 * *m + (1.0 - BETA1) * g;
            *v = BETA2 * *v + (1.0 - BETA2) * g * g;
            *p -= lr * (*m / c1) / ((*v / c2).sqrt() + ADAM_EPS);
        });
    }
}

/// Adam over all parameters; embedding rows are updated only when a batch touches them
/// ("lazy" Adam), which keeps a step independent of the vocabulary size.
struct Adam {
    embedding: Moments<ndarray::Ix2>,
    row_steps: Vec<i32>,
    conv_weight: Moments<ndarray::Ix3>,
    conv_bias: Moments<ndarray::Ix1>,
    dense_weight: Moments<ndarray::Ix2>,
    dense_bias: Moments<ndarray::Ix1>,
    step: i32,
}

impl Adam {
    fn new(model: &TextCnn) -> Self {
        Adam {
            embedding: Moments::new(model.embedding.raw_dim()),
            row_steps: vec![0; model.arch.vocab],
            conv_weight: Moments::new(model.conv().weight.raw_dim()),
            conv_bias: Moments::new(ndarray::Ix1(model.arch.filters)),
            dense_weight: Moments::new(model.dense().weight.raw_dim()),
            dense_bias: Moments::new(ndarray::Ix1(model.arch.classes)),
            step: 0,
        }
    }

    fn update(&mut self, model: &mut TextCnn, grad: &Gradient, lr: f32, batch: usize) {
        self.step += 1;
        let t = self.step;
        let mean = |a: &Array1<f32>| a / batch as f32;
        let (embedding, conv, dense) = model.parts_mut();
        self.conv_weight.step(&mut conv.weight, &(&grad.conv_weight / batch as f32), lr, t);
        self.conv_bias.step(conv.bias.as_mut().expect("bias"), &mean(&grad.conv_bias), lr, t);
        self.dense_weight.step(&mut dense.weight, &(&grad.dense_weight / batch as f32), lr, t);
        self.dense_bias.step(dense.bias.as_mut().expect("bias"), &mean(&grad.dense_bias), lr, t);
        for (&id, g) in &grad.embedding {
            let row = id as usize;
            self.row_steps[row] += 1;
            let step = self.row_steps[row];
            let (c1, c2) = (1.0 - BETA1.powi(step), 1.0 - BETA2.powi(step));
            let mut m = self.embedding.m.row_mut(row);
            let mut v = self.embedding.v.row_mut(row);
            Zip::from(embedding.row_mut(row)).and(&mut m).and(&mut v).and(g).for_each(
                |p, m, v, &g| {
                    let g = g / batch as f32;
                    *m = BETA1 * *m + (1.0 - BETA1) * g;
                    *v = BETA2 * *v + (1.0 - BETA2) * g * g;
                    *p -= lr * (*m / c1) / ((*v / c2).sqrt() + ADAM_EPS);
                },
            );
        }
    }
}

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
            if since_best % config.decay_after.max(1) == 0 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Architecture;
    use crate::train::gradient::gradient;
    use ndarray::Array3;

    fn tiny() -> (TextCnn, Vec<Example>) {
        let arch = Architecture {
            vocab: 12,
            embedding_dim: 4,
            width: 2,
            filters: 5,
            classes: 3,
            max_len: 9,
        };
        let mut rng = StdRng::seed_from_u64(3);
        let mut model = TextCnn::new(arch, &mut rng);
        // Non-zero biases, so that their gradients are checked at a generic point.
        let (_, conv, dense) = model.parts_mut();
        conv.bias.as_mut().unwrap().mapv_inplace(|_| rng.gen_range(-0.2..0.2));
        dense.bias.as_mut().unwrap().mapv_inplace(|_| rng.gen_range(-0.2..0.2));
        let examples = vec![
            Example { ids: vec![2, 3, 4, 5, 6, 1], label: 0 },
            Example { ids: vec![7, 8, 9, 10, 11, 2, 3, 4, 5, 6, 7], label: 2 }, // longer than max_len
            Example { ids: vec![4], label: 1 }, // shorter than a window
        ];
        (model, examples)
    }

    /// The model's parameters in f64, with a forward pass written out in loops: an
    /// independent reference for the loss.
    struct Reference {
        embedding: Array2<f64>,
        conv_weight: Array3<f64>,
        conv_bias: Array1<f64>,
        dense_weight: Array2<f64>,
        dense_bias: Array1<f64>,
    }

    impl Reference {
        fn of(model: &TextCnn) -> Self {
            Reference {
                embedding: model.embedding.mapv(f64::from),
                conv_weight: model.conv().weight.mapv(f64::from),
                conv_bias: model.conv().bias.as_ref().unwrap().mapv(f64::from),
                dense_weight: model.dense().weight.mapv(f64::from),
                dense_bias: model.dense().bias.as_ref().unwrap().mapv(f64::from),
            }
        }

        /// Σ cross-entropy over `examples`.
        fn loss(&self, model: &TextCnn, examples: &[Example]) -> f64 {
            let (width, dim, filters) = self.conv_weight.dim();
            let mut total = 0.0;
            for e in examples {
                let ids = model.input_ids(&e.ids);
                let mut pooled = vec![f64::NEG_INFINITY; filters];
                for t in 0..=ids.len() - width {
                    for (f, p) in pooled.iter_mut().enumerate() {
                        let mut z = self.conv_bias[f];
                        for k in 0..width {
                            for d in 0..dim {
                                z += self.embedding[[ids[t + k] as usize, d]]
                                    * self.conv_weight[[k, d, f]];
                            }
                        }
                        *p = p.max(z.max(0.0));
                    }
                }
                let scores: Vec<f64> = (0..self.dense_bias.len())
                    .map(|c| {
                        self.dense_bias[c]
                            + (0..filters)
                                .map(|f| pooled[f] * self.dense_weight[[f, c]])
                                .sum::<f64>()
                    })
                    .collect();
                let max = scores.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
                total += scores.iter().map(|v| (v - max).exp()).sum::<f64>().ln() + max
                    - scores[e.label];
            }
            total
        }
    }

    /// Central differences of the f64 reference loss with a step of 1e-6.
    fn check(
        name: &str,
        analytic: f32,
        model: &TextCnn,
        examples: &[Example],
        param: impl Fn(&mut Reference) -> &mut f64,
    ) {
        let mut reference = Reference::of(model);
        let h = 1e-6;
        let original = *param(&mut reference);
        *param(&mut reference) = original + h;
        let up = reference.loss(model, examples);
        *param(&mut reference) = original - h;
        let down = reference.loss(model, examples);
        let numeric = (up - down) / (2.0 * h);
        let err = (f64::from(analytic) - numeric).abs();
        assert!(
            err < 1e-5 + 1e-4 * numeric.abs(),
            "{name}: analytic {analytic}, numeric {numeric}"
        );
    }

    #[test]
    fn training_gradients_match_finite_differences() {
        let (model, examples) = tiny();
        let grad = gradient(&model, &examples);
        assert!((grad.loss - Reference::of(&model).loss(&model, &examples)).abs() < 1e-4);
        let (width, dim, filters) = model.conv().weight.dim();
        for k in 0..width {
            for d in 0..dim {
                for f in 0..filters {
                    check("conv.weight", grad.conv_weight[[k, d, f]], &model, &examples, |r| {
                        &mut r.conv_weight[[k, d, f]]
                    });
                }
            }
        }
        for f in 0..filters {
            check("conv.bias", grad.conv_bias[f], &model, &examples, |r| &mut r.conv_bias[f]);
            for c in 0..3 {
                check("dense.weight", grad.dense_weight[[f, c]], &model, &examples, |r| {
                    &mut r.dense_weight[[f, c]]
                });
            }
        }
        for c in 0..3 {
            check("dense.bias", grad.dense_bias[c], &model, &examples, |r| &mut r.dense_bias[c]);
        }
        for id in 1..12usize {
            let g = grad.embedding.get(&(id as u32)).cloned().unwrap_or_else(|| Array1::zeros(dim));
            for d in 0..dim {
                check("embedding", g[d], &model, &examples, |r| &mut r.embedding[[id, d]]);
            }
        }
        assert!(!grad.embedding.contains_key(&PAD), "padding is never trained");
    }

    #[test]
    fn the_weight_average_follows_its_recurrence() {
        // One epoch of one batch: the average is d · initial + (1 − d) · trained.
        let config = TrainConfig {
            max_epochs: 1,
            batch_size: 8,
            validation_fraction: 0.0,
            dropout: 0.0,
            ..TrainConfig::default()
        };
        let (mut initial, examples) = tiny();
        let start = initial.conv().weight.clone();
        let mut last = tiny().0;
        train(&mut last, &examples, &config, &mut Silent);
        let trained = last.conv().weight.clone();
        assert_ne!(trained, start);
        train(
            &mut initial,
            &examples,
            &TrainConfig { weight_average: 0.75, ..config },
            &mut Silent,
        );
        let expected = &start * 0.75 + &trained * 0.25;
        for (a, e) in initial.conv().weight.iter().zip(&expected) {
            assert!((a - e).abs() < 1e-6, "{a} vs {e}");
        }
    }

    #[test]
    fn the_learning_rate_halves_after_epochs_without_improvement() {
        let config = TrainConfig {
            max_epochs: 12,
            batch_size: 1,
            validation_fraction: 0.25,
            patience: 12,
            lr_decay: 0.5,
            decay_after: 2,
            ..TrainConfig::default()
        };
        let (mut model, _) = tiny();
        // Random words and labels: four documents a class, one of them held out.
        let mut rng = StdRng::seed_from_u64(9);
        let examples: Vec<Example> = (0..12)
            .map(|i| Example { ids: (0..5).map(|_| rng.gen_range(1..12)).collect(), label: i % 3 })
            .collect();
        let report = train(&mut model, &examples, &config, &mut Silent);
        assert_eq!(report.validation_documents, 3);
        // The schedule recomputed from the report's own validation results.
        let (mut best, mut since, mut rate, mut decays) =
            ((f64::NEG_INFINITY, f64::INFINITY), 0, config.learning_rate, 0);
        for e in &report.epochs {
            assert_eq!(e.learning_rate, Some(rate), "epoch {}", e.epoch);
            if e.validation_accuracy > best.0
                || (e.validation_accuracy == best.0 && e.validation_loss < best.1)
            {
                (best, since) = ((e.validation_accuracy, e.validation_loss), 0);
            } else {
                since += 1;
                if since % 2 == 0 {
                    rate *= 0.5;
                    decays += 1;
                }
            }
        }
        assert_eq!(report.epochs.len(), 12);
        assert!(
            decays > 0,
            "a tiny validation split stops improving: {:?}",
            report.epochs.iter().map(|e| e.validation_loss).collect::<Vec<_>>()
        );
    }

    #[test]
    fn with_nothing_held_out_every_epoch_runs_and_the_last_is_kept() {
        let config = TrainConfig {
            max_epochs: 7,
            batch_size: 2,
            patience: 1,
            validation_fraction: 0.0,
            dropout: 0.0,
            ..TrainConfig::default()
        };
        let (mut model, examples) = tiny();
        let report = train(&mut model, &examples, &config, &mut Silent);
        assert_eq!(
            (report.epochs.len(), report.best_epoch, report.validation_documents),
            (7, 7, 0)
        );
        let (mut first, _) = tiny();
        train(&mut first, &examples, &TrainConfig { max_epochs: 1, ..config }, &mut Silent);
        assert_ne!(model.conv().weight, first.conv().weight);
        // Seven epochs fit the three examples better than one.
        assert!(gradient(&model, &examples).loss < gradient(&first, &examples).loss);
    }

    #[test]
    fn the_same_seed_gives_the_same_model() {
        let config = TrainConfig {
            max_epochs: 3,
            batch_size: 2,
            patience: 5,
            validation_fraction: 0.0,
            ..TrainConfig::default()
        };
        let run = || {
            let (mut model, examples) = tiny();
            let report = train(&mut model, &examples, &config, &mut Silent);
            (
                model.embedding.clone(),
                model.conv().weight.clone(),
                report.epochs.last().unwrap().train_loss,
            )
        };
        let (a, b) = (run(), run());
        assert_eq!(a.0, b.0);
        assert_eq!(a.1, b.1);
        assert_eq!(a.2, b.2);
    }
}
