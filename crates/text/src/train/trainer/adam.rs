//! Adam (Kingma and Ba, Algorithm 1) over the CNN's parameters, the embedding rows updated
//! lazily.

use ndarray::{Array1, Zip};

use crate::model::TextCnn;
use crate::train::Gradient;

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
pub(super) struct Adam {
    embedding: Moments<ndarray::Ix2>,
    row_steps: Vec<i32>,
    conv_weight: Moments<ndarray::Ix3>,
    conv_bias: Moments<ndarray::Ix1>,
    dense_weight: Moments<ndarray::Ix2>,
    dense_bias: Moments<ndarray::Ix1>,
    step: i32,
}

impl Adam {
    pub(super) fn new(model: &TextCnn) -> Self {
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

    pub(super) fn update(&mut self, model: &mut TextCnn, grad: &Gradient, lr: f32, batch: usize) {
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
