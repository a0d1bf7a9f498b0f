//! The CNN's cross-entropy gradient, written out by hand for training: through the dense
//! layer, the max-pool's winning windows and the convolution, into the embeddings of the
//! words that were read. Per document, so that batches sum in document order.

use std::collections::HashMap;

use lrp::{LinearMap, WeightMod};
use ndarray::{s, Array1, Array2, Array3, Axis, Ix2, Zip};
use pipeline::metrics::argmax;

use crate::model::{softmax, TextCnn, PAD};
use crate::tokenize::Example;

/// The gradient of the summed loss over some documents.
#[derive(Clone, Debug)]
pub struct Gradient {
    pub embedding: HashMap<u32, Array1<f32>>,
    pub conv_weight: Array3<f32>,
    pub conv_bias: Array1<f32>,
    pub dense_weight: Array2<f32>,
    pub dense_bias: Array1<f32>,
    pub loss: f64,
    pub correct: usize,
}

impl Gradient {
    pub(crate) fn zeros(model: &TextCnn) -> Self {
        Gradient {
            embedding: HashMap::new(),
            conv_weight: Array3::zeros(model.conv().weight.raw_dim()),
            conv_bias: Array1::zeros(model.arch.filters),
            dense_weight: Array2::zeros(model.dense().weight.raw_dim()),
            dense_bias: Array1::zeros(model.arch.classes),
            loss: 0.0,
            correct: 0,
        }
    }

    pub(crate) fn add(&mut self, other: Gradient) {
        for (id, row) in other.embedding {
            match self.embedding.get_mut(&id) {
                Some(acc) => *acc += &row,
                None => {
                    self.embedding.insert(id, row);
                }
            }
        }
        self.conv_weight += &other.conv_weight;
        self.conv_bias += &other.conv_bias;
        self.dense_weight += &other.dense_weight;
        self.dense_bias += &other.dense_bias;
        self.loss += other.loss;
        self.correct += other.correct;
    }
}

/// Adds one document's loss gradient to `grad`. `keep` is the dropout mask over pooled
/// features (`None`: no dropout), `keep_prob` the probability of keeping one.
pub fn accumulate_gradient(
    model: &TextCnn,
    example: &Example,
    keep: Option<&[bool]>,
    keep_prob: f32,
    grad: &mut Gradient,
    embeddings: bool,
) {
    let ids = model.input_ids(&example.ids);
    let x = model.embed(&ids);
    let conv = model.conv();
    let mut z = conv
        .forward(x.view().into_dyn(), WeightMod::Identity)
        .into_dimensionality::<Ix2>()
        .expect("2-d");
    z += conv.bias.as_ref().expect("text CNN convolutions have a bias");
    // Max over time of ReLU(z) is ReLU of the max of z: keep the winning window per filter.
    // Row by row: z is row-major, so this reads it in memory order (column walks miss cache).
    let mut winners = vec![(0usize, f32::NEG_INFINITY); model.arch.filters];
    for (t, row) in z.axis_iter(Axis(0)).enumerate() {
        for (best, &v) in winners.iter_mut().zip(row) {
            if v > best.1 {
                *best = (t, v);
            }
        }
    }
    let scale: Array1<f32> = (0..model.arch.filters)
        .map(|f| match keep {
            Some(mask) if !mask[f] => 0.0,
            Some(_) => 1.0 / keep_prob,
            None => 1.0,
        })
        .collect();
    let h: Array1<f32> = winners.iter().zip(&scale).map(|(&(_, v), &s)| v.max(0.0) * s).collect();
    let dense = model.dense();
    let logits =
        h.dot(&dense.weight) + dense.bias.as_ref().expect("text CNN dense layers have a bias");
    let p = softmax(&logits);
    grad.loss -= f64::from(p[example.label].max(1e-30).ln());
    grad.correct += usize::from(argmax(&logits) == example.label);
    let mut d_logits = p;
    d_logits[example.label] -= 1.0;
    grad.dense_bias += &d_logits;
    Zip::from(grad.dense_weight.rows_mut())
        .and(&h)
        .for_each(|mut row, &hf| row.scaled_add(hf, &d_logits));
    let d_h = dense.weight.dot(&d_logits);
    let mut d_x = embeddings.then(|| Array2::<f32>::zeros(x.raw_dim()));
    for (f, (&(t, zmax), &s)) in winners.iter().zip(&scale).enumerate() {
        let d_z = if zmax > 0.0 { d_h[f] * s } else { 0.0 };
        if d_z == 0.0 {
            continue;
        }
        grad.conv_bias[f] += d_z;
        for k in 0..model.arch.width {
            grad.conv_weight.slice_mut(s![k, .., f]).scaled_add(d_z, &x.row(t + k));
            if let Some(d_x) = d_x.as_mut() {
                d_x.row_mut(t + k).scaled_add(d_z, &conv.weight.slice(s![k, .., f]));
            }
        }
    }
    if let Some(d_x) = d_x {
        for (position, row) in d_x.axis_iter(Axis(0)).enumerate() {
            let id = ids[position];
            if id == PAD || row.iter().all(|&v| v == 0.0) {
                continue;
            }
            match grad.embedding.get_mut(&id) {
                Some(acc) => *acc += &row,
                None => {
                    grad.embedding.insert(id, row.to_owned());
                }
            }
        }
    }
}

/// The summed gradient over `examples` without dropout (for evaluation and tests).
#[cfg(test)]
pub(crate) fn gradient(model: &TextCnn, examples: &[Example]) -> Gradient {
    let mut grad = Gradient::zeros(model);
    for example in examples {
        accumulate_gradient(model, example, None, 1.0, &mut grad, true);
    }
    grad
}
