//! Layer normalisation as one operation: what an exporter writes out as ten steps (mean,
//! negation, sum, square, mean, sum with ε, square root, quotient, scale, summand) computed
//! in one pass per row. The arithmetic is the steps' own, in their order, so values, gradients
//! and relevance equal the steps' bit for bit; rows along the last axis run over slices, any
//! other layout through the steps' array operations.

use ndarray::{ArrayD, ArrayView1, ArrayViewD, IxDyn};

use super::tensor_ops::{
    broadcast_shape, mean, mean_gradient, reduce_to, scaled, sum_broadcast, zip_broadcast,
};

/// `z = (x − μ) / √(σ² + ε) ⊙ γ + β`, with `μ` and `σ²` the mean and variance along `axis`
/// (kept), `γ` and `β` constants broadcast to `x`'s shape (absent: 1 and 0).
#[derive(Clone, Debug, PartialEq)]
pub struct LayerNorm {
    pub axis: usize,
    pub epsilon: f32,
    pub gamma: Option<ArrayD<f32>>,
    pub beta: Option<ArrayD<f32>>,
}

/// `x`'s values as rows of the normalised axis, with `γ` and `β` per position in a row.
struct Rows<'a> {
    values: &'a [f32],
    n: usize,
    gamma: Option<&'a [f32]>,
    beta: Option<&'a [f32]>,
}

/// Buffers for one row at a time: its centred values `c = x − μ` and their squares.
struct RowBuffers {
    c: Vec<f32>,
    squares: Vec<f32>,
}

impl RowBuffers {
    fn new(n: usize) -> Self {
        RowBuffers { c: vec![0.0; n], squares: vec![0.0; n] }
    }
}

impl LayerNorm {
    /// `z` for `x`.
    pub(super) fn forward(&self, x: &ArrayViewD<f32>) -> ArrayD<f32> {
        let Some(Rows { values: rows, n, gamma, beta }) = self.rows(x) else {
            let (c, d) = self.centred_and_deviation(x);
            let q = zip_broadcast(&c.view(), &d.view(), |c, d| c / d);
            return self.affine(q);
        };
        let mut out = vec![0.0f32; rows.len()];
        let mut buffers = RowBuffers::new(n);
        for (row, z) in rows.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
            let d = self.centre(row, &mut buffers);
            for (i, (z, &c)) in z.iter_mut().zip(&buffers.c).enumerate() {
                let q = c / d;
                let s = gamma.map_or(q, |g| g[i] * q);
                *z = beta.map_or(s, |b| (0.0 + s) + b[i]);
            }
        }
        ArrayD::from_shape_vec(x.raw_dim(), out).expect("as many values as x")
    }

    /// The gradient for `g` at `z`, the deviation held constant (lxt's layer normalisation,
    /// AttnLRP's and CP-LRP's rule): `g_c = γ ⊙ g / d`, `g_x = g_c − mean_axis g_c`.
    pub(super) fn held_gradient(&self, x: &ArrayViewD<f32>, g: &ArrayD<f32>) -> ArrayD<f32> {
        let (Some(Rows { values: rows, n, gamma, .. }), Some(g_rows)) =
            (self.rows(x), standard_slice(g, x))
        else {
            let (_, d) = self.centred_and_deviation(x);
            let g_c = zip_broadcast(&self.gamma_gradient(g).view(), &d.view(), |g, d| g / d);
            return self.centring_gradient(x.shape(), g_c);
        };
        let mut out = vec![0.0f32; rows.len()];
        let mut buffers = RowBuffers::new(n);
        let rows = rows.chunks_exact(n).zip(g_rows.chunks_exact(n));
        for ((row, g_row), g_x) in rows.zip(out.chunks_exact_mut(n)) {
            let d = self.centre(row, &mut buffers);
            for (i, (gc, &g)) in g_x.iter_mut().zip(g_row).enumerate() {
                *gc = gamma.map_or(g, |gamma| gamma[i] * g) / d;
            }
            centre_gradient(g_x);
        }
        ArrayD::from_shape_vec(x.raw_dim(), out).expect("as many values as x")
    }

    /// The gradient for `g` at `z`: with `g_q = γ ⊙ g`, `q = c / d`,
    /// `g_c = g_q / d + c · (Σ_axis −g_q q / d) · ½ / d · 2 / n`, `g_x = g_c − mean_axis g_c`.
    pub(super) fn gradient(&self, x: &ArrayViewD<f32>, g: &ArrayD<f32>) -> ArrayD<f32> {
        let (Some(Rows { values: rows, n, gamma, .. }), Some(g_rows)) =
            (self.rows(x), standard_slice(g, x))
        else {
            return self.steps_gradient(x, g);
        };
        let nf = n as f32;
        let mut out = vec![0.0f32; rows.len()];
        let mut buffers = RowBuffers::new(n);
        let mut g_d = vec![0.0f32; n];
        let rows = rows.chunks_exact(n).zip(g_rows.chunks_exact(n));
        for ((row, g_row), g_x) in rows.zip(out.chunks_exact_mut(n)) {
            let d = self.centre(row, &mut buffers);
            // `g_q` first, in the output row.
            for (i, (gq, &g)) in g_x.iter_mut().zip(g_row).enumerate() {
                *gq = gamma.map_or(g, |gamma| gamma[i] * g);
            }
            // The quotient's divisor: `−g_q · q / d`, summed along the row.
            for ((gd, &gq), &c) in g_d.iter_mut().zip(&*g_x).zip(&buffers.c) {
                *gd = -(gq * (c / d)) / d;
            }
            let g_deviation = row_sum(&g_d);
            // Through the square root and the variance's mean and square, back to `c`.
            let g_square = (g_deviation * (0.5 / d)) / nf;
            for (gq, &c) in g_x.iter_mut().zip(&buffers.c) {
                *gq = *gq / d + g_square * (2.0 * c);
            }
            centre_gradient(g_x);
        }
        ArrayD::from_shape_vec(x.raw_dim(), out).expect("as many values as x")
    }

    /// `x` as [`Rows`] where `x` is in standard layout, the axis is its last and `γ`, `β` run
    /// along it alone.
    fn rows<'a>(&'a self, x: &'a ArrayViewD<f32>) -> Option<Rows<'a>> {
        let n = *x.shape().last()?;
        let along_row = |p: &'a Option<ArrayD<f32>>| match p {
            None => Some(None),
            Some(p) if p.len() == n && p.shape().last() == Some(&n) && p.ndim() <= x.ndim() => {
                p.as_slice().map(Some)
            }
            Some(_) => None,
        };
        (self.axis + 1 == x.ndim() && n > 0).then_some(())?;
        let (gamma, beta) = (along_row(&self.gamma)?, along_row(&self.beta)?);
        Some(Rows { values: x.as_slice()?, n, gamma, beta })
    }

    /// One row's `c` (and `c²`) into `buffers` and its `d`, as the steps compute them:
    /// `μ = Σ x / n` (summed as `sum_axis` sums a contiguous axis), `c = (0 + x) + (−μ)`,
    /// `σ² = Σ c² / n`, `d = √((0 + σ²) + ε)`.
    fn centre(&self, row: &[f32], buffers: &mut RowBuffers) -> f32 {
        let nf = row.len() as f32;
        let negated = -(row_sum(row) / nf);
        for ((c, square), &x) in buffers.c.iter_mut().zip(&mut buffers.squares).zip(row) {
            *c = (0.0 + x) + negated;
            *square = *c * *c;
        }
        let variance = row_sum(&buffers.squares) / nf;
        ((0.0 + variance) + self.epsilon).sqrt()
    }

    /// `c` and `d` of the whole array by the steps' array operations.
    fn centred_and_deviation(&self, x: &ArrayViewD<f32>) -> (ArrayD<f32>, ArrayD<f32>) {
        let negated = scaled(&mean(x, self.axis).view(), &minus_one());
        let c = sum_broadcast(&[x.view(), negated.view()], x.shape());
        let variance = mean(&c.mapv(|c| c * c).view(), self.axis);
        let epsilon = ArrayD::from_elem(IxDyn(&[]), self.epsilon);
        let shifted = sum_broadcast(&[variance.view(), epsilon.view()], variance.shape());
        (c, shifted.mapv(f32::sqrt))
    }

    /// `γ ⊙ q + β` by the steps' array operations.
    fn affine(&self, q: ArrayD<f32>) -> ArrayD<f32> {
        let s = match &self.gamma {
            Some(gamma) => scaled(&q.view(), gamma),
            None => q,
        };
        match &self.beta {
            Some(beta) => {
                let shape =
                    broadcast_shape([s.shape(), beta.shape()]).expect("β broadcasts to the values");
                sum_broadcast(&[s.view(), beta.view()], &shape)
            }
            None => s,
        }
    }

    /// `γ ⊙ g` summed back to `q`'s shape.
    fn gamma_gradient(&self, g: &ArrayD<f32>) -> ArrayD<f32> {
        match &self.gamma {
            Some(gamma) => scaled(&g.view(), gamma),
            None => g.clone(),
        }
    }

    /// The centring's gradient: `g_x = g_c + (−Σ_axis g_c) / n`, by array operations.
    fn centring_gradient(&self, shape: &[usize], g_c: ArrayD<f32>) -> ArrayD<f32> {
        let mut reduced = shape.to_vec();
        reduced[self.axis] = 1;
        let g_c = reduce_to(g_c, shape);
        let negated = scaled(&reduce_to(g_c.clone(), &reduced).view(), &minus_one());
        g_c + &mean_gradient(shape, &negated, self.axis)
    }

    /// [`LayerNorm::gradient`] by the steps' array operations.
    fn steps_gradient(&self, x: &ArrayViewD<f32>, g: &ArrayD<f32>) -> ArrayD<f32> {
        let (c, d) = self.centred_and_deviation(x);
        let g_q = reduce_to(self.gamma_gradient(g), c.shape());
        let q = zip_broadcast(&c.view(), &d.view(), |c, d| c / d);
        let g_direct = zip_broadcast(&g_q.view(), &d.view(), |g, d| g / d);
        let g_qq = zip_broadcast(&g_q.view(), &q.view(), |g, q| g * q);
        let g_deviation =
            reduce_to(zip_broadcast(&g_qq.view(), &d.view(), |g, d| -g / d), d.shape());
        let g_variance = zip_broadcast(&g_deviation.view(), &d.view(), |g, d| g * (0.5 / d));
        let g_square = mean_gradient(c.shape(), &g_variance, self.axis);
        let g_c = g_direct + &zip_broadcast(&g_square.view(), &c.view(), |g, c| g * (2.0 * c));
        self.centring_gradient(x.shape(), g_c)
    }
}

/// `g_c ← g_c + (−Σ g_c) / n` in place, the row's sum as `sum_axis` takes it.
fn centre_gradient(g_c: &mut [f32]) {
    let spread = -row_sum(g_c) / g_c.len() as f32;
    g_c.iter_mut().for_each(|g| *g += spread);
}

/// `Σ x` in the order ndarray sums a contiguous lane (eight running sums).
fn row_sum(x: &[f32]) -> f32 {
    ArrayView1::from(x).sum()
}

/// `g`'s values when it is in standard layout with `x`'s shape.
fn standard_slice<'a>(g: &'a ArrayD<f32>, x: &ArrayViewD<f32>) -> Option<&'a [f32]> {
    (g.shape() == x.shape()).then(|| g.as_slice()).flatten()
}

fn minus_one() -> ArrayD<f32> {
    ArrayD::from_elem(IxDyn(&[]), -1.0)
}
