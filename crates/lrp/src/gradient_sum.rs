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
    if let (Some(rest), Samples::Path { baseline, x, nodes }) = (pooled, samples) {
        let entries = (|| {
            let z0 = network.first_output(baseline)?;
            let d = network.first_output(x)? - &z0;
            pooled_path_entries(&z0, &d, nodes, rest, class)
        })();
        return Some(entries.map(|entries| {
            let sum = sum_entries(entries, &z_shape);
            map.transpose(sum.view(), WeightMod::Identity, shape).mapv(f64::from)
        }));
    }
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

/// The entries of [`add_pooled_relu`] along the path `z(α) = z0 + α d` (each `(windows, filters)`)
/// at `nodes`; where every row of `z0` is the same (a zero baseline: the bias alone), by
/// [`LevelPath`] at each `α > 0`.
fn pooled_path_entries(
    z0: &ArrayD<f32>,
    d: &ArrayD<f32>,
    nodes: &[(f64, f64)],
    rest: &[Layer],
    class: usize,
) -> Result<Vec<(usize, f64)>, LrpError> {
    let (z0, d) = (
        z0.view().into_dimensionality::<Ix2>().expect("2-d"),
        d.view().into_dimensionality::<Ix2>().expect("2-d"),
    );
    let level = LevelPath::new(z0, d);
    let mut entries = Vec::new();
    for &(alpha, w) in nodes {
        let alpha = alpha as f32;
        match &level {
            Some(level) if alpha > 0.0 => level.add(alpha, w, rest, class, &mut entries)?,
            _ => {
                let z = Zip::from(&z0).and(&d).map_collect(|&z0, &d| z0 + alpha * d);
                add_pooled_relu(z.view(), rest, class, w, &mut entries)?;
            }
        }
    }
    Ok(entries)
}

/// A path `z_t(α) = c + α d_t` whose start `c` is the same in every row `t` (per filter). For
/// `α > 0` each of its roundings, `α d` and then `c + ·`, rises with `d_t`, so a filter's maximum
/// over the rows lies at its largest `d` and the rows tied with it are those of the largest `d`,
/// unless the next largest rounds to the same value (the filter's rows are then compared one by
/// one). A step costs a few values per filter instead of a pass over every row: the same
/// maxima, ties and entries as [`add_pooled_relu`] on `z(α)` formed in full, bit for bit.
struct LevelPath<'a> {
    c: Vec<f32>,
    d: &'a [f32],
    /// Per filter: the largest `d`, its rows, and the largest `d` below it (−∞ if none).
    top: Vec<f32>,
    maxima: TiedMaxima,
    next: Vec<f32>,
}

impl<'a> LevelPath<'a> {
    /// `None` where the rows of `z0` differ (or are not in standard layout).
    fn new(z0: ArrayView2<f32>, d: ArrayView2<'a, f32>) -> Option<Self> {
        let columns = d.ncols();
        if z0.dim() != d.dim() || d.is_empty() {
            return None;
        }
        let (z0, d) = (z0.to_slice()?, d.to_slice()?);
        let c = &z0[..columns];
        let same = |r: &[f32]| r.iter().zip(c).all(|(a, b)| a.to_bits() == b.to_bits());
        if !z0.chunks_exact(columns).all(same) {
            return None;
        }
        let (top, maxima) = TiedMaxima::find(d, columns);
        let mut next = vec![f32::NEG_INFINITY; columns];
        for row in d.chunks_exact(columns) {
            below_top(&mut next, &top, row);
        }
        Some(LevelPath { c: c.to_vec(), d, top, maxima, next })
    }

    /// [`add_pooled_relu`] at `z(α)`, `α > 0`.
    fn add(
        &self,
        alpha: f32,
        w: f64,
        rest: &[Layer],
        class: usize,
        entries: &mut Vec<(usize, f64)>,
    ) -> Result<(), LrpError> {
        let columns = self.c.len();
        let max: Vec<f32> = self.c.iter().zip(&self.top).map(|(&c, &d)| c + alpha * d).collect();
        let pooled = Array1::from_iter(max.iter().map(|&m| m.max(0.0)));
        let g = tail_gradient(rest, pooled.into_dyn(), class)?;
        let g = g.as_slice().expect("a fresh gradient is contiguous");
        for (f, &g) in g.iter().enumerate() {
            if !(max[f] > 0.0 && g != 0.0) {
                continue;
            }
            let c = self.c[f];
            if c + alpha * self.next[f] < max[f] {
                let share = w * f64::from(g / self.maxima.ties[f] as f32);
                let rows = self.maxima.rows(self.d, &self.top, f);
                entries.extend(rows.map(|t| (t * columns + f, share)));
            } else {
                let tied = |t: &usize| c + alpha * self.d[t * columns + f] == max[f];
                let rows = self.d.len() / columns;
                let ties = (0..rows).filter(tied).count();
                let share = w * f64::from(g / ties as f32);
                entries.extend((0..rows).filter(tied).map(|t| (t * columns + f, share)));
            }
        }
        Ok(())
    }
}

/// Each column's largest value of `row` below its `top`, into `next`, by selects.
fn below_top(next: &mut [f32], top: &[f32], row: &[f32]) {
    for ((n, &t), &v) in next.iter_mut().zip(top).zip(row) {
        *n = if v < t && v > *n { v } else { *n };
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Dense;
    use ndarray::Array2;

    /// [`add_pooled_relu`] on `z(α) = z0 + α d` formed in full at every node.
    fn formed_in_full(
        z0: &Array2<f32>,
        d: &Array2<f32>,
        nodes: &[(f64, f64)],
        rest: &[Layer],
        class: usize,
    ) -> Vec<(usize, f64)> {
        let mut entries = Vec::new();
        for &(alpha, w) in nodes {
            let z = Zip::from(z0).and(d).map_collect(|&z0, &d| z0 + alpha as f32 * d);
            add_pooled_relu(z.view(), rest, class, w, &mut entries).unwrap();
        }
        entries
    }

    #[test]
    fn a_level_path_finds_the_maxima_and_ties_of_the_path_formed_in_full() {
        let (rows, filters) = (7, 6);
        // Filter 0: distinct values; 1: rows 2 and 5 equal at the top; 2: the top two apart by
        // less than the rounding of `c + α d` at c = 1000 (tied at most α, apart at none);
        // 3: all negative (ReLU closes it); 4: every row equal; 5: the top three within rounding.
        let mut d = Array2::<f32>::from_shape_fn((rows, filters), |(t, f)| {
            ((t * 7 + f * 3) % 11) as f32 * 0.1 - 0.3
        });
        d.column_mut(1).assign(&ndarray::arr1(&[0.1, 0.2, 0.9, 0.3, -0.1, 0.9, 0.4]));
        d.column_mut(2).assign(&ndarray::arr1(&[0.5, 0.800_01, 0.1, 0.8, 0.2, 0.3, 0.0]));
        d.column_mut(3).fill(-2.0);
        d.column_mut(4).fill(0.25);
        d.column_mut(5).assign(&ndarray::arr1(&[0.7, 0.700_02, 0.1, 0.700_01, 0.2, 0.3, 0.0]));
        let c = ndarray::arr1(&[0.1f32, -0.2, 1000.0, 0.05, 0.3, 1000.0]);
        let z0 = Array2::from_shape_fn((rows, filters), |(_, f)| c[f]);
        let weight =
            Array2::from_shape_fn((filters, 3), |(f, k)| (f as f32 - 2.0 * k as f32) * 0.3);
        let rest = [Layer::Dense(Dense::new(weight, None).unwrap())];
        let nodes = [(0.0, 0.1), (0.03, 0.2), (0.25, 0.2), (0.5, 0.3), (1.0, 0.4), (-0.5, 0.1)];
        for class in 0..3 {
            let level = pooled_path_entries(
                &z0.clone().into_dyn(),
                &d.clone().into_dyn(),
                &nodes,
                &rest,
                class,
            )
            .unwrap();
            assert_eq!(level, formed_in_full(&z0, &d, &nodes, &rest, class), "class {class}");
        }
        // Rows that differ are formed in full (the level path does not apply).
        let mut uneven = z0.clone();
        uneven[[3, 0]] += 1.0;
        assert!(LevelPath::new(uneven.view(), d.view()).is_none());
        assert!(LevelPath::new(z0.view(), d.view()).is_some());
    }
}
