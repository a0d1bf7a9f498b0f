//! The arithmetic of the operations between computed tensors (attention, normalisation):
//! forward values and plain gradients, and the broadcasting they share with `Add`.

use ndarray::{
    linalg::general_mat_mul, ArrayD, ArrayView1, ArrayViewD, Axis, CowArray, Ix3, IxDyn, Slice, Zip,
};

/// The shape inputs of `shapes` broadcast to, as in NumPy (trailing axes aligned).
pub(super) fn broadcast_shape<'a>(
    shapes: impl IntoIterator<Item = &'a [usize]>,
) -> Option<Vec<usize>> {
    let mut out: Vec<usize> = Vec::new();
    for shape in shapes {
        let n = out.len().max(shape.len());
        let mut next = vec![1; n];
        for k in 0..n {
            let a = if k + out.len() >= n { out[k + out.len() - n] } else { 1 };
            let b = if k + shape.len() >= n { shape[k + shape.len() - n] } else { 1 };
            next[k] = match (a, b) {
                (a, b) if a == b => a,
                (1, b) => b,
                (a, 1) => a,
                _ => return None,
            };
        }
        out = next;
    }
    Some(out)
}

/// `Σ_k x_k` of `inputs` broadcast to `shape` (checked by the caller), added in input order
/// from 0.
pub(super) fn sum_broadcast(inputs: &[ArrayViewD<f32>], shape: &[usize]) -> ArrayD<f32> {
    if let [a, b] = inputs {
        if let (true, Some(a), Some(b)) = (a.shape() == b.shape(), a.as_slice(), b.as_slice()) {
            // Two summands of one shape (a residual): one pass over slices, the same sums.
            let sums = a.iter().zip(b).map(|(&a, &b)| (0.0 + a) + b).collect();
            return ArrayD::from_shape_vec(IxDyn(shape), sums).expect("as many sums as values");
        }
    }
    let mut z = ArrayD::<f32>::zeros(IxDyn(shape));
    for x in inputs {
        z += &x.broadcast(IxDyn(shape)).expect("broadcast checked");
    }
    z
}

/// A signal of a broadcast result summed back to the `shape` of an input that was broadcast.
pub(super) fn reduce_to(mut s: ArrayD<f32>, shape: &[usize]) -> ArrayD<f32> {
    while s.ndim() > shape.len() {
        s = s.sum_axis(Axis(0));
    }
    for (axis, &len) in shape.iter().enumerate() {
        if len == 1 && s.shape()[axis] != 1 {
            s = s.sum_axis(Axis(axis)).insert_axis(Axis(axis));
        }
    }
    s
}

/// `f(a_i, b_i)` over the broadcast shape of `a` and `b` (checked by the caller).
pub(super) fn zip_broadcast(
    a: &ArrayViewD<f32>,
    b: &ArrayViewD<f32>,
    f: impl Fn(f32, f32) -> f32,
) -> ArrayD<f32> {
    let shape = broadcast_shape([a.shape(), b.shape()]).expect("shapes checked forward");
    let a = a.broadcast(IxDyn(&shape)).expect("broadcast");
    let b = b.broadcast(IxDyn(&shape)).expect("broadcast");
    Zip::from(&a).and(&b).map_collect(|&a, &b| f(a, b))
}

/// Whether `a · b` over the last two axes fits: equal leading axes, `a`'s columns `b`'s rows.
pub(super) fn matmul_fits(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len()
        && a.len() >= 2
        && a[..a.len() - 2] == b[..b.len() - 2]
        && a[a.len() - 1] == b[b.len() - 2]
}

/// `z[…] = a[…] · b[…]` over the last two axes (`transpose_a`/`transpose_b` take `aᵀ`/`bᵀ`).
pub(super) fn matmul(
    a: &ArrayViewD<f32>,
    b: &ArrayViewD<f32>,
    transpose_a: bool,
    transpose_b: bool,
) -> ArrayD<f32> {
    let n = a.ndim();
    let last2 = |x: &ArrayViewD<f32>, t: bool| {
        let (r, c) = (x.shape()[n - 2], x.shape()[n - 1]);
        if t {
            (c, r)
        } else {
            (r, c)
        }
    };
    let (rows, _) = last2(a, transpose_a);
    let (_, cols) = last2(b, transpose_b);
    let mut shape = a.shape()[..n - 2].to_vec();
    shape.extend([rows, cols]);
    let mut z = ArrayD::<f32>::zeros(IxDyn(&shape));
    let lead: usize = shape[..n - 2].iter().product();
    let (a3, b3) = (leading_flattened(a, lead), leading_flattened(b, lead));
    let mut z3 = z.view_mut().into_shape_with_order((lead, rows, cols)).expect("standard layout");
    for i in 0..lead {
        let ai = a3.index_axis(Axis(0), i);
        let bi = b3.index_axis(Axis(0), i);
        let ai = if transpose_a { ai.reversed_axes() } else { ai };
        let bi = if transpose_b { bi.reversed_axes() } else { bi };
        let mut zi = z3.index_axis_mut(Axis(0), i);
        general_mat_mul(1.0, &ai, &bi, 0.0, &mut zi);
    }
    z
}

/// `x` with its leading axes as one, a view where the layout allows (a standard array is not
/// copied).
fn leading_flattened<'a>(x: &'a ArrayViewD<'_, f32>, lead: usize) -> CowArray<'a, f32, Ix3> {
    let s = x.shape();
    let n = s.len();
    x.to_shape((lead, s[n - 2], s[n - 1])).expect("leading axes flattened")
}

/// The gradients of `z = a · b` for `g` at `z`: `g · bᵀ` and `aᵀ · g`.
pub(super) fn matmul_gradient(
    a: &ArrayViewD<f32>,
    b: &ArrayViewD<f32>,
    g: &ArrayD<f32>,
) -> (ArrayD<f32>, ArrayD<f32>) {
    (matmul(&g.view(), b, false, true), matmul(a, &g.view(), true, false))
}

/// `softmax(x)` along `axis`, shifted by the maximum for stability.
pub(super) fn softmax(x: &ArrayViewD<f32>, axis: usize) -> ArrayD<f32> {
    let mut z = standard(x.view());
    match last_axis_rows(&mut z, axis) {
        // Attention's softmax runs along the last axis: its rows as slices (a lane of a
        // dynamic-rank array costs more to set up than its 64 values).
        Some((rows, n)) => rows.chunks_exact_mut(n).for_each(softmax_row),
        None => z.lanes_mut(Axis(axis)).into_iter().for_each(|mut lane| {
            let mut row = lane.to_vec();
            softmax_row(&mut row);
            lane.assign(&ArrayView1::from(&row[..]));
        }),
    }
    z
}

/// `exp(v − max) / Σ exp(v − max)` in place.
fn softmax_row(row: &mut [f32]) {
    let max = row_max(row);
    exp_shifted(row, max);
    let total = ArrayView1::from(&*row).sum();
    row.iter_mut().for_each(|v| *v /= total);
}

/// The largest value of `row` (NaN passed over), in eight running maxima: a fold of `max` in
/// order waits on each comparison, eight lanes of compare-and-select vectorise.
fn row_max(row: &[f32]) -> f32 {
    let larger = |m: f32, v: f32| if v > m { v } else { m };
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = row.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (m, &v) in lanes.iter_mut().zip(chunk) {
            *m = larger(*m, v);
        }
    }
    lanes.iter().chain(rest).fold(f32::NEG_INFINITY, |m, &v| larger(m, v))
}

/// `v ← exp(v − shift)` for `v ≤ shift` (a softmax's values less their maximum), within 2 ulp
/// of the exact value. Written out because a call to the C library's `expf` per value was the
/// largest cost of a small transformer's forward pass, and no crate the workspace uses
/// evaluates it over a slice: this form (Cephes' `expf`: `exp(r) · 2ⁿ` with `n = round(x /
/// ln 2)`, `r = x − n ln 2` in two parts, `exp(r)` by a degree-7 polynomial) has no branches
/// and vectorises. Below `ln(2⁻¹²⁶)` the result is 0 (`expf` gives the subnormals there); NaN
/// stays NaN.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn exp_shifted(values: &mut [f32], shift: f32) {
    const LOWEST: f32 = -87.336_54; // ln(2⁻¹²⁶): the smallest normal power of two
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    const SHIFTED_BIAS: f32 = 127.0 + 12_582_912.0;
    const LN2_HIGH: f32 = 0.693_359_4;
    const LN2_LOW: f32 = -2.121_944_4e-4;
    const P: [f32; 6] =
        [1.987_569_1e-4, 1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 0.166_666_65, 0.5];
    for v in values.iter_mut() {
        let x = *v - shift;
        // NaN fails the comparison and stays NaN.
        let clamped = if x < LOWEST { LOWEST } else { x };
        let n = (clamped * LOG2_E + 0.5).floor();
        let r = clamped - n * LN2_HIGH - n * LN2_LOW;
        let p = P.iter().fold(0.0, |p, &c| p * r + c);
        let exp_r = p * r * r + r + 1.0;
        // 2ⁿ from the bits: `n + 127 + 1.5 · 2²³` holds the biased exponent in its lowest
        // mantissa bits, which the shift moves into the exponent (a float-to-integer cast
        // saturates, which does not vectorise).
        let scale = f32::from_bits((n + SHIFTED_BIAS).to_bits() << 23);
        *v = if x < LOWEST { 0.0 } else { exp_r * scale };
    }
}

/// The values of `x` as rows of its last axis, and that axis' length, when `axis` is the last
/// and `x` is in standard layout.
fn last_axis_rows(x: &mut ArrayD<f32>, axis: usize) -> Option<(&mut [f32], usize)> {
    let n = *x.shape().last()?;
    (axis + 1 == x.ndim() && n > 0).then_some(())?;
    Some((x.as_slice_mut()?, n))
}

/// The gradient of `s = softmax(x)` for `g` at `s`: `s ⊙ (g − Σ_axis s ⊙ g)`. Read as
/// relevance (`R_s = s ⊙ g`), `x ⊙` this is AttnLRP's `R_x = x ⊙ (R_s − s Σ R_s)`.
pub(super) fn softmax_gradient(s: &ArrayViewD<f32>, g: &ArrayD<f32>, axis: usize) -> ArrayD<f32> {
    let n = s.shape()[axis];
    let (Some(s_rows), Some(g_rows), true) =
        (s.as_slice(), g.as_slice(), axis + 1 == s.ndim() && n > 0 && s.shape() == g.shape())
    else {
        let weighted = (s * g).sum_axis(Axis(axis)).insert_axis(Axis(axis));
        return s * &(g - &weighted);
    };
    // Row by row, the same arithmetic as the array expression above: the products, their sum
    // as `sum_axis` takes it along a contiguous axis, then `s · (g − Σ)`.
    let mut out = Vec::with_capacity(s_rows.len());
    let mut products = vec![0.0f32; n];
    for (s_row, g_row) in s_rows.chunks_exact(n).zip(g_rows.chunks_exact(n)) {
        products.iter_mut().zip(s_row.iter().zip(g_row)).for_each(|(p, (&s, &g))| *p = s * g);
        let weighted = ArrayView1::from(&products[..]).sum();
        out.extend(s_row.iter().zip(g_row).map(|(&s, &g)| s * (g - weighted)));
    }
    ArrayD::from_shape_vec(s.raw_dim(), out).expect("as many values as s")
}

/// `x` copied in standard layout. An assignment walks the last axis as a strided run, where
/// `as_standard_layout` of a dynamic-rank view steps a multi-index value by value.
pub(super) fn standard(x: ArrayViewD<f32>) -> ArrayD<f32> {
    if x.is_standard_layout() {
        return x.to_owned();
    }
    let mut out = ArrayD::<f32>::zeros(x.raw_dim());
    out.assign(&x);
    out
}

/// `c ⊙ x` for a constant `c` broadcast to `x`'s shape (checked by the caller); a single
/// factor as one pass over `x` (a broadcast view has no contiguous run to zip along).
pub(super) fn scaled(x: &ArrayViewD<f32>, c: &ArrayD<f32>) -> ArrayD<f32> {
    match c.as_slice() {
        Some(&[factor]) => x.mapv(|v| factor * v),
        _ => &c.broadcast(x.raw_dim()).expect("checked forward") * x,
    }
}

/// `mean_axis x` with the axis kept.
pub(super) fn mean(x: &ArrayViewD<f32>, axis: usize) -> ArrayD<f32> {
    let n = x.shape()[axis] as f32;
    x.sum_axis(Axis(axis)).insert_axis(Axis(axis)) / n
}

/// The gradient of a mean along `axis` for `g`: `g / n` at every position of the axis.
pub(super) fn mean_gradient(x_shape: &[usize], g: &ArrayD<f32>, axis: usize) -> ArrayD<f32> {
    let n = x_shape[axis] as f32;
    // Divided before it is spread: the same quotients, and an assignment along the axis runs
    // as a fill instead of an indexed walk over the broadcast view.
    let mut out = ArrayD::<f32>::zeros(IxDyn(x_shape));
    out.assign(&g.mapv(|v| v / n).broadcast(IxDyn(x_shape)).expect("kept axis of length 1"));
    out
}

/// The gradient of a slice: `g` where the slice came from, zero elsewhere.
pub(super) fn slice_gradient(
    x_shape: &[usize],
    g: &ArrayD<f32>,
    axis: usize,
    start: usize,
    end: usize,
) -> ArrayD<f32> {
    let mut out = ArrayD::<f32>::zeros(IxDyn(x_shape));
    out.slice_axis_mut(Axis(axis), Slice::from(start..end)).assign(g);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The largest value wherever it stands (every lane, the rest after the last eight), NaN
    /// passed over; a softmax shifted by it stays finite for values whose `exp` overflows.
    #[test]
    fn row_max_finds_the_largest_value_in_every_position() {
        for len in 1..=20 {
            for at in 0..len {
                let mut row: Vec<f32> = (0..len).map(|i| -(i as f32) - 1.0).collect();
                row[at] = 200.0;
                if len > 1 {
                    row[(at + 1) % len] = f32::NAN;
                }
                assert_eq!(row_max(&row), 200.0, "length {len}, largest at {at}");
                let mut finite: Vec<f32> =
                    row.iter().map(|v| if v.is_nan() { 0.0 } else { *v }).collect();
                softmax_row(&mut finite);
                assert_eq!(finite[at], 1.0, "length {len}, largest at {at}");
            }
        }
    }

    /// Against `exp` in f64 over the whole range a softmax meets (every 1/64 from the lowest
    /// normal result up to 0, and random points between), the limits, and NaN.
    #[test]
    fn exp_shifted_is_within_two_ulp_of_exp_and_zero_below_the_normal_range() {
        let mut x: Vec<f32> = (0..=87 * 64).map(|k| -(k as f32) / 64.0).collect();
        let mut state = 0x9E37_79B9u32;
        x.extend((0..20_000).map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            -87.3 * (state as f32 / u32::MAX as f32)
        }));
        x.extend([-87.33, -1e-30, 0.0]);
        let shift = 0.75;
        let mut values: Vec<f32> = x.iter().map(|&v| v + shift).collect();
        exp_shifted(&mut values, shift);
        for (&xi, &got) in x.iter().zip(&values) {
            // The input as the function saw it: `(xi + shift) − shift`.
            let seen = f64::from((xi + shift) - shift);
            let exact = seen.exp();
            let ulp = f64::from(f32::EPSILON) * exact;
            assert!(
                (f64::from(got) - exact).abs() <= 2.0 * ulp,
                "exp({seen}) = {exact}, got {got}"
            );
        }
        let mut edges = [f32::NEG_INFINITY, -88.0, -1e4, f32::NAN, 0.0];
        exp_shifted(&mut edges, 0.0);
        assert_eq!(edges[..3], [0.0, 0.0, 0.0]);
        assert!(edges[3].is_nan());
        assert_eq!(edges[4], 1.0);
    }
}
