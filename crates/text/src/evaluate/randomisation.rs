//! The model parameter randomisation test of Adebayo et al. (2018): the CNN's layers are
//! re-drawn at random from the top down, one more at each step (the dense layer, then the
//! convolution, then the embedding), and each method's explanations of the randomised models
//! are compared with those of the trained one by Spearman's rank correlation over the words.
//! An explanation that stays alike while the model it explains is destroyed does not explain
//! the model; such a method is flagged.

use std::sync::atomic::{AtomicUsize, Ordering};

use pipeline::metrics::argmax;
use pipeline::progress::Progress;
use pipeline::randomisation::RandomisationCurve;
use pipeline::randomisation::{correlations, curves, redraw};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rayon::prelude::*;

use crate::error::TextError;
use crate::evaluate::{DeletionDocument, TrainedRelevance};
use crate::explain::explain_positions_by;
use crate::explain::Method;
use crate::model::{TextCnn, PAD};

/// Per step of the cascade: (ρ, ρ of |R|), when defined.
type StepCorrelations = Vec<(Option<f64>, Option<f64>)>;

/// The layers in the order they are randomised.
pub const CASCADE: [&str; 3] = ["dense", "conv1d", "embedding"];

/// A copy of `cnn` with the first `layers` of [`CASCADE`] re-drawn at random (seeded), weights and
/// biases each at their own scale; the padding embedding stays zero.
pub fn randomised_cnn(cnn: &TextCnn, layers: usize, seed: u64) -> Result<TextCnn, TextError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut embedding, mut conv, mut dense) =
        (cnn.embedding.clone(), cnn.conv().clone(), cnn.dense().clone());
    for layer in &CASCADE[..layers.min(CASCADE.len())] {
        match *layer {
            "dense" => {
                redraw(&mut dense.weight, &mut rng);
                dense.bias.iter_mut().for_each(|b| redraw(b, &mut rng));
            }
            "conv1d" => {
                redraw(&mut conv.weight, &mut rng);
                conv.bias.iter_mut().for_each(|b| redraw(b, &mut rng));
            }
            _ => {
                redraw(&mut embedding, &mut rng);
                embedding.row_mut(PAD as usize).fill(0.0);
            }
        }
    }
    TextCnn::from_parts(cnn.arch.clone(), embedding, conv, dense)
}

/// The test over `documents` for `methods`: per step, each document's relevance over its
/// words under the randomised model against the trained model's, for the class the trained
/// model predicts; in parallel over documents.
pub fn randomisation_test(
    cnn: &TextCnn,
    documents: &[DeletionDocument],
    methods: &[Method],
    seed: u64,
    progress: &Progress,
) -> Result<Vec<RandomisationCurve>, TextError> {
    randomisation_test_from(cnn, documents, &[], methods, seed, progress)
}

/// [`randomisation_test`] where the trained model's relevance of some documents is known
/// already: `trained[i]`, when there, is document `i`'s by each of `methods` (as the
/// faithfulness measures computed it). It is used where its class is the one the trained
/// model predicts here; other documents are explained again.
pub fn randomisation_test_from(
    cnn: &TextCnn,
    documents: &[DeletionDocument],
    trained: &[TrainedRelevance],
    methods: &[Method],
    seed: u64,
    progress: &Progress,
) -> Result<Vec<RandomisationCurve>, TextError> {
    let models: Vec<TextCnn> =
        (1..=CASCADE.len()).map(|k| randomised_cnn(cnn, k, seed)).collect::<Result<_, _>>()?;
    let done = AtomicUsize::new(0);
    // Per document, per method, per step: (ρ, ρ of |R|), when defined.
    let per_document: Vec<Vec<StepCorrelations>> = documents
        .par_iter()
        .enumerate()
        .map(|(index, doc)| {
            // Every method's relevance per model, from one forward pass of each.
            let relevance = |model: &TextCnn, class: usize| -> Result<Vec<Vec<f64>>, TextError> {
                let all = explain_positions_by(model, model.embed(&doc.ids), Some(class), methods)?;
                Ok(all
                    .iter()
                    .map(|r| doc.deletable.iter().map(|&p| f64::from(r.relevance[p])).collect())
                    .collect())
            };
            let class = argmax(&cnn.scores(&doc.ids));
            let trained = match trained.get(index) {
                Some(known) if known.class == class && known.relevance.len() == methods.len() => {
                    known.relevance.clone()
                }
                _ => relevance(cnn, class)?,
            };
            let randomised = models
                .iter()
                .map(|model| relevance(model, class))
                .collect::<Result<Vec<_>, _>>()?;
            let rows = trained
                .iter()
                .enumerate()
                .map(|(m, trained)| {
                    randomised.iter().map(|r| correlations(trained, &r[m])).collect::<Vec<_>>()
                })
                .collect::<Vec<_>>();
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, documents.len());
            Ok(rows)
        })
        .collect::<Result<_, TextError>>()?;
    let names: Vec<String> = methods.iter().map(Method::to_string).collect();
    Ok(curves(&names, &CASCADE, &per_document))
}
