use super::*;
use crate::model::Architecture;
use crate::train::gradient::gradient;
use ndarray::{Array1, Array3};

fn tiny() -> (TextCnn, Vec<Example>) {
    let arch =
        Architecture { vocab: 12, embedding_dim: 4, width: 2, filters: 5, classes: 3, max_len: 9 };
    let mut rng = StdRng::seed_from_u64(3);
    let mut model = TextCnn::new(arch, &mut rng);
    // Non-zero biases, so that their gradients are checked at a generic point.
    let (_, conv, dense) = model.parts_mut();
    conv.bias.as_mut().unwrap().mapv_inplace(|_| rng.gen_range(-0.2..0.2));
    dense.bias.as_mut().unwrap().mapv_inplace(|_| rng.gen_range(-0.2..0.2));
    let examples = vec![
        Example { ids: vec![2, 3, 4, 5, 6, 1], label: 0 },
        Example { ids: vec![7, 8, 9, 10, 11, 2, 3, 4, 5, 6, 7], label: 2 }, // longer than max_len
        Example { ids: vec![4], label: 1 },                                 // shorter than a window
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
                        + (0..filters).map(|f| pooled[f] * self.dense_weight[[f, c]]).sum::<f64>()
                })
                .collect();
            let max = scores.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
            total +=
                scores.iter().map(|v| (v - max).exp()).sum::<f64>().ln() + max - scores[e.label];
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
    assert!(err < 1e-5 + 1e-4 * numeric.abs(), "{name}: analytic {analytic}, numeric {numeric}");
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
    train(&mut initial, &examples, &TrainConfig { weight_average: 0.75, ..config }, &mut Silent);
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
    assert_eq!((report.epochs.len(), report.best_epoch, report.validation_documents), (7, 7, 0));
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
