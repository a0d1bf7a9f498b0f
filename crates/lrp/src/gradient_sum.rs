//! `Σ_k w_k ∇f_c(x_k)` over the many inputs Integrated Gradients and SmoothGrad average, on a
//! network whose first layer is affine (`z = Wx + b`, a text CNN's convolution), at far less
//! than a forward and a backward pass per input:
//!
//! - the first layer's gradient is the same transposed map for every input, so the inputs'
//!   gradients at its output are summed and sent back once, `Wᵀ Σ_k w_k g_k`;
//! - on a path `x' + α(x − x')` its outputs are affine in α, `z(α) = z(x') + α (z(x) − z(x'))`:
//!   two products for the whole path;
//! - behind it a ReLU and a global max-pool (Kim's CNN) are one pass over `z`:
//!   `max_t max(0, z_t) = max(0, max_t z_t)`, and the gradient reaches only the maxima, as
//!   the layers' own backward passes route it (split evenly between tied maxima, nothing where
//!   the maximum is not positive).

use ndarray::{Array1, ArrayD, ArrayView2, Ix2, Zip};

use crate::error::LrpError;
use crate::explain::Target;
use crate::layers::{Layer, MaxPool, TiedMaxima};
use crate::linear::WeightMod;
use crate::network::Network;

/// The inputs whose gradients Integrated Gradients and SmoothGrad average.
#[derive(Clone, Copy, Debug)]
pub enum Samples<'a> {
    /// The path `x' + α_k (x − x')` at the nodes `(α_k, w_k)`.
    Path { baseline: &'a ArrayD<f32>, x: &'a ArrayD<f32>, nodes: &'a [(f64, f64)] },
    /// Given inputs, each of weight 1.
    Inputs(&'a [ArrayD<f32>]),
}

impl Samples<'_> {
    /// `f(x_k, w_k)` for each sample in order, the inputs formed one at a time.
    pub(crate) fn try_for_each(
        &self,
        mut f: impl FnMut(ArrayD<f32>, f64) -> Result<(), LrpError>,
    ) -> Result<(), LrpError> {
        match *self {
            Samples::Path { baseline, x, nodes } => {
                let delta = x - baseline;
                nodes.iter().try_for_each(|&(alpha, w)| f(baseline + &(&delta * alpha as f32), w))
            }
            Samples::Inputs(inputs) => inputs.iter().try_for_each(|x| f(x.clone(), 1.0)),
        }
    }

    /// The inputs' shape (none for no inputs).
    pub(crate) fn shape(&self) -> Option<&[usize]> {
        match *self {
            Samples::Path { x, .. } => Some(x.shape()),
            Samples::Inputs(inputs) => inputs.first().map(|x| x.shape()),
        }
    }
}

/// [`crate::Differentiable::gradient_sum`] of `network` where its first layer is affine; `None`
/// where it is not (or there are no samples), for the caller to run the samples one by one.
pub(crate) fn affine_first_gradient_sum(
    network: &Network,
    samples: Samples<'_>,
    class: usize,
) -> Option<Result<ArrayD<f64>, LrpError>> {
    let (first, tail) = network.layers().split_first()?;
    let (map, shape) = (first.as_linear()?, samples.shape()?);
    let z_shape = first.output_shape(shape, 0).ok()?;
    // Behind a ReLU and a global max-pool the gradient at `z` has a few values per sample: they
    // are kept as (position, w·g) and summed at the end, not in a dense f64 array.
    let pooled = match tail {
        [Layer::Relu, Layer::MaxPool(MaxPool::Global), rest @ ..] if z_shape.len() == 2 => {
            Some(rest)
        }
        _ => None,
    };
    let (mut dense, mut entries) = (None::<ArrayD<f64>>, Vec::<(usize, f64)>::new());
    let mut add = |z: ArrayD<f32>, w: f64| -> Result<(), LrpError> {
        if let Some(rest) = pooled {
            let z = z.view().into_dimensionality::<Ix2>().expect("2-d");
            return add_pooled_relu(z, rest, class, w, &mut entries);
        }
        let g = tail_gradient(tail, z, class)?;
        let sum = dense.get_or_insert_with(|| ArrayD::zeros(g.raw_dim()));
        // Behind a max-pool most of `g` is zero: only its non-zeros touch the f64 sum.
        Zip::from(sum).and(&g).for_each(|s, &g| {
            if g != 0.0 {
                *s += w * f64::from(g);
            }
        });
        Ok(())
    };
    let added = match samples {
        Samples::Path { baseline, x, nodes } => (|| {
            let z0 = network.first_output(baseline)?;
            let d = network.first_output(x)? - &z0;
            nodes.iter().try_for_each(|&(alpha, w)| {
                let alpha = alpha as f32;
                add(Zip::from(&z0).and(&d).map_collect(|&z0, &d| z0 + alpha * d), w)
            })
        })(),
        Samples::Inputs(inputs) => {
            inputs.iter().try_for_each(|x| add(network.first_output(x)?, 1.0))
        }
    };
    Some(added.map(|()| {
        let sum = match dense {
            Some(sum) => sum.mapv(|s| s as f32),
            None => sum_entries(entries, &z_shape),
        };
        map.transpose(sum.view(), WeightMod::Identity, shape).mapv(f64::from)
    }))
}

/// The entries `(position, value)` summed per position in f64, in the order they were added
/// (as a dense f64 sum adds them), into an array of `shape`.
fn sum_entries(mut entries: Vec<(usize, f64)>, shape: &[usize]) -> ArrayD<f32> {
    let mut sum = ArrayD::<f32>::zeros(shape);
    let data = sum.as_slice_mut().expect("a fresh array is contiguous");
    entries.sort_by_key(|&(at, _)| at); // stable: each position's values keep their order
    for run in entries.chunk_by(|a, b| a.0 == b.0) {
        data[run[0].0] = run.iter().fold(0.0f64, |s, &(_, v)| s + v) as f32;
    }
    sum
}

/// Output `class`'s gradient at the input of `layers`, by their forward and backward passes.
fn tail_gradient(layers: &[Layer], z: ArrayD<f32>, class: usize) -> Result<ArrayD<f32>, LrpError> {
    let mut values = vec![z];
    for layer in layers {
        let next = layer.forward(values.last().expect("one value at least").view());
        values.push(next);
    }
    let mut g = Target::Output(class).top(values.last().expect("the output").view(), false)?;
    for (layer, x) in layers.iter().zip(&values).rev() {
        g = layer.gradient(x.view(), g);
    }
    Ok(g)
}

/// `w ∂f_c/∂z` (its non-zeros, as positions in `z` and values) through ReLU, a global max-pool over the rows of `z` `(windows,
/// filters)` and `rest`: the pooled values `max(0, max_t z_tf)`, their gradient `g_f` by
/// `rest`'s passes, and `g_f / n_f` at each of the `n_f` rows holding filter `f`'s maximum
/// where that maximum is positive: one pass over `z` in memory order, as the max-pool's.
fn add_pooled_relu(
    z: ArrayView2<f32>,
    rest: &[Layer],
    class: usize,
    w: f64,
    entries: &mut Vec<(usize, f64)>,
) -> Result<(), LrpError> {
    let z = z.as_standard_layout();
    let data = z.as_slice().expect("standard layout");
    let (max, maxima) = TiedMaxima::find(data, z.ncols());
    let pooled = Array1::from_iter(max.iter().map(|&m| m.max(0.0)));
    let g = tail_gradient(rest, pooled.into_dyn(), class)?;
    let g = g.as_slice().expect("a fresh gradient is contiguous");
    for (f, &g) in g.iter().enumerate() {
        if max[f] > 0.0 && g != 0.0 {
            let share = w * f64::from(g / maxima.ties[f] as f32);
            entries.extend(maxima.rows(data, &max, f).map(|t| (t * max.len() + f, share)));
        }
    }
    Ok(())
}
