//! Independent reference computations for the tests: layers as explicit lists of connections
//! evaluated in f64 with plain loops, so that nothing is shared with the crate's matrix code.

#![allow(dead_code)] // each test file uses a different part

use lrp::{Conv1d, Conv2d, Conv2dGeometry, Dense, Rule};
use ndarray::{Array1, Array2, Array3, Array4, ArrayD, IxDyn};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One term of a rule: its coefficient, `q(x, w)`, the bias's share `b ↦ …`, and ε.
type RuleTerm = (f64, Box<dyn Fn(f64, f64) -> f64>, Box<dyn Fn(f64) -> f64>, f64);

/// One of each rule.
pub const ALL_RULES: [Rule; 7] = [
    Rule::Zero,
    Rule::Epsilon(0.01),
    Rule::AlphaBeta { alpha: 2.0, beta: 1.0 },
    Rule::ZPLUS,
    Rule::WSquare,
    Rule::Flat,
    Rule::ZBox { low: -1.0, high: 1.0 },
];

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

pub fn uniform(rng: &mut StdRng, shape: &[usize], low: f32, high: f32) -> ArrayD<f32> {
    ArrayD::from_shape_simple_fn(IxDyn(shape), || rng.gen_range(low..high))
}

pub fn dense(rng: &mut StdRng, n_in: usize, n_out: usize, with_bias: bool) -> Dense {
    let w = Array2::from_shape_simple_fn((n_in, n_out), || rng.gen_range(-1.0..1.0));
    let b = with_bias.then(|| Array1::from_shape_simple_fn(n_out, || rng.gen_range(-0.5..0.5)));
    Dense::new(w, b).unwrap()
}

pub fn conv(
    rng: &mut StdRng,
    width: usize,
    channels: usize,
    filters: usize,
    with_bias: bool,
) -> Conv1d {
    let w = Array3::from_shape_simple_fn((width, channels, filters), || rng.gen_range(-1.0..1.0));
    let b = with_bias.then(|| Array1::from_shape_simple_fn(filters, || rng.gen_range(-0.5..0.5)));
    Conv1d::new(w, b).unwrap()
}

/// A linear layer as explicit connections `(input index, output index, weight)` over
/// flattened (row-major) inputs and outputs.
pub struct Edges {
    pub n_in: usize,
    pub n_out: usize,
    pub edges: Vec<(usize, usize, f64)>,
    pub bias: Vec<f64>,
}

/// A dense layer applied to each of `rows` positions of a `(rows, n_in)` input.
pub fn dense_edges(d: &Dense, rows: usize) -> Edges {
    let (n_in, n_out) = d.weight.dim();
    let mut edges = Vec::new();
    let mut bias = vec![0.0; rows * n_out];
    for r in 0..rows {
        for j in 0..n_out {
            for i in 0..n_in {
                edges.push((r * n_in + i, r * n_out + j, f64::from(d.weight[[i, j]])));
            }
            bias[r * n_out + j] = d.bias.as_ref().map_or(0.0, |b| f64::from(b[j]));
        }
    }
    Edges { n_in: rows * n_in, n_out: rows * n_out, edges, bias }
}

/// A convolution over a `(len, channels)` input (filter `f` of group `g` reading channels
/// `g·C/G + d`).
pub fn conv_edges(c: &Conv1d, len: usize) -> Edges {
    let (width, group_channels, filters) = c.weight.dim();
    let (channels, group_filters) = (c.channels(), filters / c.groups());
    let out_len = len - width + 1;
    let mut edges = Vec::new();
    let mut bias = vec![0.0; out_len * filters];
    for t in 0..out_len {
        for f in 0..filters {
            let first_channel = (f / group_filters) * group_channels;
            for k in 0..width {
                for d in 0..group_channels {
                    edges.push((
                        (t + k) * channels + first_channel + d,
                        t * filters + f,
                        f64::from(c.weight[[k, d, f]]),
                    ));
                }
            }
            bias[t * filters + f] = c.bias.as_ref().map_or(0.0, |b| f64::from(b[f]));
        }
    }
    Edges { n_in: len * channels, n_out: out_len * filters, edges, bias }
}

/// A 2-D convolution of `(kh, kw)` filters in `groups` groups, with a bias.
pub fn conv2d(
    rng: &mut StdRng,
    kernel: (usize, usize),
    channels: usize,
    filters: usize,
    groups: usize,
    geometry: Conv2dGeometry,
) -> Conv2d {
    let w = Array4::from_shape_simple_fn((kernel.0, kernel.1, channels / groups, filters), || {
        rng.gen_range(-1.0..1.0)
    });
    let b = Array1::from_shape_simple_fn(filters, || rng.gen_range(-0.5..0.5));
    Conv2d::new(w, Some(b), groups, geometry).unwrap()
}

/// A 2-D convolution over a `(rows, cols, channels)` grid, from the definition: output
/// `(i, j)` reads padded cell `(i·s + a·δ, j·s + b·δ)`, i.e. input cell `(… − top, … − left)`
/// when that lies inside the grid (padding cells are zeros and make no connection).
pub fn conv2d_edges(c: &Conv2d, rows: usize, cols: usize) -> Edges {
    let (kh, kw, group_channels, filters) = c.weight.dim();
    let g = c.geometry();
    let (channels, group_filters) = (c.channels(), filters / c.groups());
    let (top, left, bottom, right) = g.padding;
    let out_rows = (rows + top + bottom - (kh - 1) * g.dilations.0 - 1) / g.strides.0 + 1;
    let out_cols = (cols + left + right - (kw - 1) * g.dilations.1 - 1) / g.strides.1 + 1;
    let mut edges = Vec::new();
    let mut bias = vec![0.0; out_rows * out_cols * filters];
    for i in 0..out_rows {
        for j in 0..out_cols {
            for f in 0..filters {
                let out = (i * out_cols + j) * filters + f;
                for a in 0..kh {
                    for b in 0..kw {
                        let r = (i * g.strides.0 + a * g.dilations.0) as i64 - top as i64;
                        let k = (j * g.strides.1 + b * g.dilations.1) as i64 - left as i64;
                        if r < 0 || k < 0 || r >= rows as i64 || k >= cols as i64 {
                            continue;
                        }
                        for d in 0..group_channels {
                            let channel = (f / group_filters) * group_channels + d;
                            edges.push((
                                (r as usize * cols + k as usize) * channels + channel,
                                out,
                                f64::from(c.weight[[a, b, d, f]]),
                            ));
                        }
                    }
                }
                bias[out] = c.bias.as_ref().map_or(0.0, |b| f64::from(b[f]));
            }
        }
    }
    Edges { n_in: rows * cols * channels, n_out: out_rows * out_cols * filters, edges, bias }
}

/// A grouped convolution of `groups` groups with random filters.
pub fn grouped_conv(
    rng: &mut StdRng,
    width: usize,
    channels: usize,
    filters: usize,
    groups: usize,
) -> Conv1d {
    let w = Array3::from_shape_simple_fn((width, channels / groups, filters), || {
        rng.gen_range(-1.0..1.0)
    });
    let b = Array1::from_shape_simple_fn(filters, || rng.gen_range(-0.5..0.5));
    Conv1d::grouped(w, Some(b), groups).unwrap()
}

impl Edges {
    pub fn forward(&self, x: &[f64]) -> Vec<f64> {
        let mut z = self.bias.clone();
        for &(i, j, w) in &self.edges {
            z[j] += x[i] * w;
        }
        z
    }

    /// The rule's formula, connection by connection:
    /// `R_i = Σ_j coeff · q_ij / (Σ_i' q_i'j + bias term) · R_j` for each of the rule's terms.
    pub fn relevance(&self, x: &[f64], r_out: &[f64], rule: &Rule) -> Vec<f64> {
        let q_terms: Vec<RuleTerm> = match *rule {
            Rule::Zero => vec![(1.0, Box::new(|x, w| x * w), Box::new(|b| b), 0.0)],
            Rule::Epsilon(eps) => {
                vec![(1.0, Box::new(|x, w| x * w), Box::new(|b| b), f64::from(eps))]
            }
            Rule::AlphaBeta { alpha, beta } => vec![
                (
                    f64::from(alpha),
                    Box::new(|x, w| (x * w).max(0.0)),
                    Box::new(|b: f64| b.max(0.0)),
                    0.0,
                ),
                (
                    -f64::from(beta),
                    Box::new(|x, w| (x * w).min(0.0)),
                    Box::new(|b: f64| b.min(0.0)),
                    0.0,
                ),
            ],
            Rule::WSquare => vec![(1.0, Box::new(|_, w| w * w), Box::new(|_| 0.0), 0.0)],
            Rule::Flat => vec![(1.0, Box::new(|_, _| 1.0), Box::new(|_| 0.0), 0.0)],
            Rule::ZBox { low, high } => {
                let (l, h) = (f64::from(low), f64::from(high));
                vec![(
                    1.0,
                    Box::new(move |x, w| x * w - l * w.max(0.0) - h * w.min(0.0)),
                    Box::new(|_| 0.0),
                    0.0,
                )]
            }
        };
        let mut r_in = vec![0.0; self.n_in];
        for (coeff, q, bias_term, eps) in &q_terms {
            let mut den: Vec<f64> = self.bias.iter().map(|&b| bias_term(b)).collect();
            for &(i, j, w) in &self.edges {
                den[j] += q(x[i], w);
            }
            for &(i, j, w) in &self.edges {
                let d = if den[j] >= 0.0 { den[j] + eps } else { den[j] - eps };
                if d != 0.0 {
                    r_in[i] += coeff * q(x[i], w) / d * r_out[j];
                }
            }
        }
        r_in
    }
}

pub fn to_f64(x: &ArrayD<f32>) -> Vec<f64> {
    x.iter().map(|&v| f64::from(v)).collect()
}

/// Largest absolute difference, relative to the largest reference magnitude.
pub fn relative_error(got: &ArrayD<f32>, reference: &[f64]) -> f64 {
    assert_eq!(got.len(), reference.len());
    let scale = reference.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-12);
    got.iter().zip(reference).map(|(&g, &r)| (f64::from(g) - r).abs()).fold(0.0, f64::max) / scale
}

pub fn all_finite(x: &ArrayD<f32>) -> bool {
    x.iter().all(|v| v.is_finite())
}

/// Input features per position of the test stacks. Wide enough that every neuron has both
/// positive and negative contributions, as in real text CNNs (αβ's conservation needs both).
pub const FEATURES: usize = 16;

/// dense → conv → ReLU → global max-pool → dense, on `(12, FEATURES)` inputs, 4 outputs.
pub fn text_like_stack(seed: u64, with_bias: bool) -> lrp::Network {
    use lrp::{Layer, MaxPool};
    let mut rng = rng(seed);
    lrp::Network::new(vec![
        Layer::Dense(dense(&mut rng, FEATURES, 6, with_bias)),
        Layer::Conv1d(conv(&mut rng, 3, 6, 12, with_bias)),
        Layer::Relu,
        Layer::MaxPool(MaxPool::Global),
        Layer::Dense(dense(&mut rng, 12, 4, with_bias)),
    ])
}

/// dense → conv → ReLU → windowed max-pool → conv → ReLU → global max-pool → dense,
/// on `(12, FEATURES)` inputs, 3 outputs.
pub fn deep_stack(seed: u64, with_bias: bool) -> lrp::Network {
    use lrp::{Layer, MaxPool};
    let mut rng = rng(seed);
    lrp::Network::new(vec![
        Layer::Dense(dense(&mut rng, FEATURES, 6, with_bias)),
        Layer::Conv1d(conv(&mut rng, 2, 6, 7, with_bias)),
        Layer::Relu,
        Layer::MaxPool(MaxPool::Windowed { size: 3, stride: 2 }),
        Layer::Conv1d(conv(&mut rng, 2, 7, 10, with_bias)),
        Layer::Relu,
        Layer::MaxPool(MaxPool::Global),
        Layer::Dense(dense(&mut rng, 10, 3, with_bias)),
    ])
}

/// The network's output computed in f64 from explicit connections and plain loops.
pub fn reference_forward(net: &lrp::Network, x: &[f64], shape: &[usize]) -> Vec<f64> {
    use lrp::{Layer, MaxPool};
    let mut x = x.to_vec();
    let mut shape = shape.to_vec();
    for layer in net.layers() {
        match layer {
            Layer::Dense(d) => {
                let rows = shape[..shape.len() - 1].iter().product();
                x = dense_edges(d, rows).forward(&x);
                *shape.last_mut().unwrap() = d.outputs();
            }
            Layer::Conv1d(c) => {
                x = conv_edges(c, shape[0]).forward(&x);
                shape = vec![shape[0] - c.width() + 1, c.filters()];
            }
            Layer::Relu => x.iter_mut().for_each(|v| *v = v.max(0.0)),
            Layer::LeakyRelu(slope) => {
                x.iter_mut().for_each(|v| *v = if *v > 0.0 { *v } else { f64::from(*slope) * *v })
            }
            Layer::MaxPool(p) => {
                let (len, channels) = (shape[0], shape[1]);
                let (size, stride) = match *p {
                    MaxPool::Global => (len, len),
                    MaxPool::Windowed { size, stride } => (size, stride),
                };
                let windows = (len - size) / stride + 1;
                let mut out = vec![f64::NEG_INFINITY; windows * channels];
                for w in 0..windows {
                    for t in w * stride..w * stride + size {
                        for c in 0..channels {
                            out[w * channels + c] = out[w * channels + c].max(x[t * channels + c]);
                        }
                    }
                }
                x = out;
                shape = match p {
                    MaxPool::Global => vec![channels],
                    MaxPool::Windowed { .. } => vec![windows, channels],
                };
            }
            Layer::PowerNorm(n) => {
                // s = sign(x)|x|^p, then s/‖s‖ per segment.
                let p = f64::from(n.power());
                let mut start = 0;
                for &len in n.segments() {
                    let part = &mut x[start..start + len];
                    part.iter_mut().for_each(|v| *v = v.signum() * v.abs().powf(p));
                    let norm = part.iter().map(|v| v * v).sum::<f64>().sqrt();
                    if norm > 0.0 {
                        part.iter_mut().for_each(|v| *v /= norm);
                    }
                    start += len;
                }
            }
            Layer::Conv2d(c) => {
                x = conv2d_edges(c, shape[0], shape[1]).forward(&x);
                shape = lrp::LinearMap::output_shape(c, &shape, 0).expect("the stack's shapes fit");
            }
            Layer::Linear(map) => {
                // Any linear map: its weights are its responses to the unit inputs, then
                // summed in f64 with the bias per output channel.
                let out_shape = map.output_shape(&shape, 0).expect("the stack's shapes fit");
                let mut out = vec![0.0; out_shape.iter().product()];
                for (i, &xi) in x.iter().enumerate().filter(|(_, &v)| v != 0.0) {
                    let mut unit = ArrayD::<f32>::zeros(IxDyn(&shape));
                    unit.as_slice_mut().expect("standard layout")[i] = 1.0;
                    let column = map.forward(unit.view(), lrp::WeightMod::Identity);
                    out.iter_mut().zip(column.iter()).for_each(|(o, &w)| *o += xi * f64::from(w));
                }
                if let Some(bias) = map.bias() {
                    out.iter_mut()
                        .enumerate()
                        .for_each(|(j, o)| *o += f64::from(bias[j % bias.len()]));
                }
                x = out;
                shape = out_shape;
            }
        }
    }
    x
}
