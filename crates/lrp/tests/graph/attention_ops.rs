//! The operations of attention and normalisation (matrix and element-wise products of computed
//! tensors, softmax, means, slices, quotients, element-wise functions, gates) against f64 loops
//! written here: their forward values, the gradient through a small attention block against
//! central differences, and AttnLRP's and CP-LRP's rules connection by connection.

use lrp::{Composite, Elementwise, Explanation, Graph, Layer, LayerKind, Node, Op, Rule, Target};
use ndarray::{ArrayD, IxDyn};

use crate::common::{dense, relative_error, rng, to_f64, uniform};

/// erf by its Maclaurin series `2/√π Σₙ (−1)ⁿ x^{2n+1} / (n! (2n+1))`, in f64 (|x| ≤ 3).
fn erf(x: f64) -> f64 {
    assert!(x.abs() <= 3.0, "the series is only summed here for |x| ≤ 3, got {x}");
    let (mut term, mut total) = (x, x);
    for n in 1..100 {
        term *= -x * x / n as f64;
        total += term / (2 * n + 1) as f64;
    }
    total * 2.0 / std::f64::consts::PI.sqrt()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// GELU in its exact form, `x Φ(x)`.
fn gelu(x: f64) -> f64 {
    0.5 * x * (1.0 + erf(x / std::f64::consts::SQRT_2))
}

/// lxt's stabiliser of the identity rule, in f64.
const IDENTITY_EPSILON: f64 = 1e-10;

fn constant(shape: &[usize], seed: u64, low: f32, high: f32) -> Op {
    Op::Constant(uniform(&mut rng(seed), shape, low, high))
}

/// `x` in f64, same shape.
fn f64s(x: &ArrayD<f32>) -> ArrayD<f64> {
    x.mapv(f64::from)
}

/// The position `p` with its coordinate on `axis` set to `t`.
fn along(p: &IxDyn, axis: usize, t: usize) -> IxDyn {
    let mut q = p.clone();
    q[axis] = t;
    q
}

/// The relevance of an explanation within `tolerance` of a reference (relative to its largest
/// value).
fn assert_close(e: &Explanation, reference: &[f64], tolerance: f64, what: &str) {
    let error = relative_error(&e.relevance, reference);
    assert!(error < tolerance, "{what}: relative error {error}");
}

/// The first input drawn from the seeds `seed, seed + 1, …` whose explained values `outputs`
/// (computed in f64) are all at least 0.05 from zero, so that `R / z` is well conditioned in
/// f32 and the comparison measures the rule, not rounding.
fn well_conditioned(
    seed: u64,
    shape: &[usize],
    outputs: impl Fn(&ArrayD<f64>) -> Vec<f64>,
) -> ArrayD<f32> {
    (seed..seed + 1000)
        .map(|s| uniform(&mut rng(s), shape, -1.0, 1.0))
        .find(|x| outputs(&f64s(x)).iter().all(|z| z.abs() >= 0.05))
        .expect("a well-conditioned example among 1000 seeds")
}

/// The reference's own erf against tabulated values (Abramowitz & Stegun, table 7.1), so that
/// the tests below do not measure the crate's erf against itself.
#[test]
fn the_erf_series_of_these_tests_matches_tabulated_values() {
    for (x, value) in [
        (0.5, 0.520_499_877_813_046_5),
        (1.0, 0.842_700_792_949_714_9),
        (2.0, 0.995_322_265_018_952_7),
        (-1.5, -0.966_105_146_475_310_7),
    ] {
        assert!((erf(x) - value).abs() < 1e-13, "erf({x}) = {} not {value}", erf(x));
    }
}

/// `a [1,2,3,4] · b [1,2,4,3]` over the last two axes, a leading batch and head axis.
#[test]
fn a_matrix_product_over_leading_axes_is_the_sum_over_the_shared_axis() {
    let graph = Graph::new(
        vec![
            Node::new("a", Op::Input, vec![]),
            Node::new("b", constant(&[1, 2, 4, 3], 2, -1.0, 1.0), vec![]),
            Node::new("ab", Op::MatMul, vec![0, 1]),
        ],
        2,
    )
    .unwrap();
    let a = uniform(&mut rng(1), &[1, 2, 3, 4], -1.0, 1.0);
    let trace = graph.forward(a.clone()).unwrap();
    let (a, b) = (f64s(&a), f64s(&trace.values()[1]));
    assert_eq!(trace.output().shape(), &[1, 2, 3, 3]);
    let mut reference = Vec::new();
    for h in 0..2 {
        for i in 0..3 {
            for j in 0..3 {
                reference.push((0..4).map(|k| a[[0, h, i, k]] * b[[0, h, k, j]]).sum::<f64>());
            }
        }
    }
    assert!(relative_error(&trace.output().to_owned(), &reference) < 1e-6);
}

/// Softmax along the last and a middle axis, a mean that keeps its axis, a slice: each value
/// from its definition, one position at a time.
#[test]
fn softmax_mean_and_slice_compute_their_definitions_along_their_axis() {
    let x = uniform(&mut rng(3), &[2, 3, 5], -2.0, 2.0);
    let x64 = f64s(&x);
    for (op, shape) in [
        (Op::Softmax { axis: 2 }, vec![2, 3, 5]),
        (Op::Softmax { axis: 1 }, vec![2, 3, 5]),
        (Op::Mean { axis: 2 }, vec![2, 3, 1]),
        (Op::Mean { axis: 0 }, vec![1, 3, 5]),
        (Op::Slice { axis: 2, start: 1, end: 4 }, vec![2, 3, 3]),
        (Op::Slice { axis: 1, start: 2, end: 3 }, vec![2, 1, 5]),
    ] {
        let name = format!("{op:?}");
        let reference: Vec<f64> = ndarray::indices(shape.as_slice())
            .into_iter()
            .map(|p| match op {
                Op::Softmax { axis } => {
                    let total: f64 =
                        (0..x.shape()[axis]).map(|t| x64[along(&p, axis, t)].exp()).sum();
                    x64[&p].exp() / total
                }
                Op::Mean { axis } => {
                    let n = x.shape()[axis];
                    (0..n).map(|t| x64[along(&p, axis, t)]).sum::<f64>() / n as f64
                }
                Op::Slice { axis, start, .. } => x64[along(&p, axis, p[axis] + start)],
                _ => unreachable!(),
            })
            .collect();
        let graph =
            Graph::new(vec![Node::new("x", Op::Input, vec![]), Node::new("op", op, vec![0])], 1)
                .unwrap();
        let trace = graph.forward(x.clone()).unwrap();
        assert_eq!(trace.output().shape(), shape.as_slice(), "{name}");
        let error = relative_error(&trace.output().to_owned(), &reference);
        assert!(error < 1e-6, "{name}: relative error {error}");
    }
}

/// `x [3,1] ⊙ c [2,1,4]` broadcast to `[2,3,4]` (the input on either side), and `x [2,3] / c
/// [2,1]`.
#[test]
fn products_and_quotients_broadcast_as_numpy() {
    let x = uniform(&mut rng(5), &[3, 1], -1.0, 1.0);
    let c = uniform(&mut rng(6), &[2, 1, 4], -1.0, 1.0);
    let (x64, c64) = (f64s(&x), f64s(&c));
    let mut reference = Vec::new();
    for i in 0..2 {
        for j in 0..3 {
            for k in 0..4 {
                reference.push(x64[[j, 0]] * c64[[i, 0, k]]);
            }
        }
    }
    for inputs in [vec![0, 1], vec![1, 0]] {
        let graph = Graph::new(
            vec![
                Node::new("x", Op::Input, vec![]),
                Node::new("c", Op::Constant(c.clone()), vec![]),
                Node::new("product", Op::Product, inputs),
            ],
            2,
        )
        .unwrap();
        let trace = graph.forward(x.clone()).unwrap();
        assert_eq!(trace.output().shape(), &[2, 3, 4]);
        assert!(relative_error(&trace.output().to_owned(), &reference) < 1e-6);
    }
    let x = uniform(&mut rng(7), &[2, 3], -1.0, 1.0);
    let graph = Graph::new(
        vec![
            Node::new("x", Op::Input, vec![]),
            Node::new("c", constant(&[2, 1], 8, 0.5, 2.0), vec![]),
            Node::new("quotient", Op::Quotient, vec![0, 1]),
        ],
        2,
    )
    .unwrap();
    let trace = graph.forward(x.clone()).unwrap();
    let (x64, c64) = (f64s(&x), f64s(&trace.values()[1]));
    let reference: Vec<f64> = (0..6).map(|p| x64[[p / 3, p % 3]] / c64[[p / 3, 0]]).collect();
    assert_eq!(trace.output().shape(), &[2, 3]);
    assert!(relative_error(&trace.output().to_owned(), &reference) < 1e-6);
}

/// Every element-wise function against its f64 value (erf by its series, GELU in its exact
/// form, not the tanh approximation), and the gate `x ⊙ σ(x)`.
#[test]
fn elementwise_functions_and_the_gate_compute_their_f64_values() {
    let mixed = uniform(&mut rng(9), &[24], -2.5, 2.5);
    let positive = uniform(&mut rng(10), &[24], 0.05, 3.0);
    type Case<'a> = (Elementwise, &'a ArrayD<f32>, fn(f64) -> f64);
    let cases: [Case; 11] = [
        (Elementwise::Erf, &mixed, erf),
        (Elementwise::Tanh, &mixed, f64::tanh),
        (Elementwise::Sqrt, &positive, f64::sqrt),
        (Elementwise::Power(2.0), &mixed, |x| x * x),
        (Elementwise::Power(3.0), &mixed, |x| x * x * x),
        (Elementwise::Power(1.5), &positive, |x| x * x.sqrt()),
        (Elementwise::Power(-0.5), &positive, |x| 1.0 / x.sqrt()),
        (Elementwise::Sigmoid, &mixed, sigmoid),
        (Elementwise::Exp, &mixed, f64::exp),
        (Elementwise::Reciprocal, &positive, |x| 1.0 / x),
        (Elementwise::Gelu, &mixed, gelu),
    ];
    for (f, x, reference) in cases {
        let graph = Graph::new(
            vec![Node::new("x", Op::Input, vec![]), Node::new("f", Op::Elementwise(f), vec![0])],
            1,
        )
        .unwrap();
        let trace = graph.forward(x.clone()).unwrap();
        let expected: Vec<f64> = to_f64(x).into_iter().map(reference).collect();
        // Element by element, relative to each value (1/x and x^−½ span two decades).
        for (p, (&got, want)) in trace.output().iter().zip(&expected).enumerate() {
            let error = (f64::from(got) - want).abs() / want.abs().max(1.0);
            assert!(error < 1e-6, "{f} at {}: {got} vs {want}", x[p]);
        }
    }
    let graph = Graph::new(
        vec![
            Node::new("x", Op::Input, vec![]),
            Node::new("sigmoid", Op::Elementwise(Elementwise::Sigmoid), vec![0]),
            Node::new("silu", Op::Gate, vec![0, 1]),
        ],
        2,
    )
    .unwrap();
    let trace = graph.forward(mixed.clone()).unwrap();
    let expected: Vec<f64> = to_f64(&mixed).into_iter().map(|x| x * sigmoid(x)).collect();
    assert!(relative_error(&trace.output().to_owned(), &expected) < 1e-6);
}

const TOKENS: usize = 3;
const DIMS: usize = 4;

/// One attention block on `x [1, TOKENS, DIMS]` using every new operation: `q`, `k` the two
/// halves of `x` (slices), `softmax(q · kᵀ) · tanh(x)`, divided by its root mean square
/// (`√(mean(c²) + 0.1)`), GELU, times the token mean of the gate `x ⊙ σ(x)` (a broadcast
/// product), then `1 / exp(erf(·))`, times a constant per dimension and the mean over
/// tokens: output `[1, 1, DIMS]`.
fn attention_block() -> Graph {
    use Elementwise::*;
    let f = |name: &str, op: Elementwise, input: usize| {
        Node::new(name, Op::Elementwise(op), vec![input])
    };
    Graph::new(
        vec![
            Node::new("x", Op::Input, vec![]),
            Node::new("q", Op::Slice { axis: 2, start: 0, end: 2 }, vec![0]),
            Node::new("k", Op::Slice { axis: 2, start: 2, end: 4 }, vec![0]),
            Node::new("kt", Op::Transpose(vec![0, 2, 1]), vec![2]),
            Node::new("scores", Op::MatMul, vec![1, 3]),
            Node::new("attention", Op::Softmax { axis: 2 }, vec![4]),
            f("v", Tanh, 0),
            Node::new("context", Op::MatMul, vec![5, 6]),
            f("squared", Power(2.0), 7),
            Node::new("mean_square", Op::Mean { axis: 2 }, vec![8]),
            Node::new("epsilon", Op::Constant(ArrayD::from_elem(IxDyn(&[1]), 0.1)), vec![]),
            Node::new("variance", Op::Add, vec![9, 10]),
            f("deviation", Sqrt, 11),
            Node::new("normalised", Op::Quotient, vec![7, 12]),
            f("gelu", Gelu, 13),
            f("sigmoid", Sigmoid, 0),
            Node::new("silu", Op::Gate, vec![0, 15]),
            Node::new("silu_mean", Op::Mean { axis: 1 }, vec![16]),
            Node::new("product", Op::Product, vec![14, 17]),
            f("erf", Erf, 18),
            f("exp", Exp, 19),
            f("reciprocal", Reciprocal, 20),
            Node::new("weights", constant(&[DIMS], 31, -1.0, 1.0), vec![]),
            Node::new("weighted", Op::Product, vec![21, 22]),
            Node::new("pooled", Op::Mean { axis: 1 }, vec![23]),
        ],
        24,
    )
    .unwrap()
}

/// [`attention_block`] in f64 with plain loops, `x` flattened row-major, `w` its constant.
fn attention_block_reference(x: &[f64], w: &[f64]) -> Vec<f64> {
    let at = |t: usize, d: usize| x[t * DIMS + d];
    let mut context = [[0.0; DIMS]; TOKENS];
    for (i, row) in context.iter_mut().enumerate() {
        let scores: Vec<f64> =
            (0..TOKENS).map(|j| (0..2).map(|d| at(i, d) * at(j, 2 + d)).sum()).collect();
        let total: f64 = scores.iter().map(|s| s.exp()).sum();
        for (d, c) in row.iter_mut().enumerate() {
            *c = (0..TOKENS).map(|j| scores[j].exp() / total * at(j, d).tanh()).sum();
        }
    }
    let silu_mean: Vec<f64> = (0..DIMS)
        .map(|d| (0..TOKENS).map(|t| at(t, d) * sigmoid(at(t, d))).sum::<f64>() / TOKENS as f64)
        .collect();
    let mut out = vec![0.0; DIMS];
    for row in &context {
        let deviation = (row.iter().map(|c| c * c).sum::<f64>() / DIMS as f64 + 0.1).sqrt();
        for d in 0..DIMS {
            let p = gelu(row[d] / deviation) * silu_mean[d];
            out[d] += 1.0 / erf(p).exp() * w[d] / TOKENS as f64;
        }
    }
    out
}

/// The gradient through every new operation against central differences of the f64 loops
/// (step 10⁻⁵), for a weighted sum of the outputs and for one output.
#[test]
fn the_gradient_through_an_attention_block_matches_central_differences() {
    let graph = attention_block();
    let x = uniform(&mut rng(32), &[1, TOKENS, DIMS], -1.0, 1.0);
    let trace = graph.forward(x.clone()).unwrap();
    let w = to_f64(&trace.values()[22]);
    let x64 = to_f64(&x);
    let error = relative_error(&trace.output().to_owned(), &attention_block_reference(&x64, &w));
    assert!(error < 1e-5, "forward: relative error {error}");
    let r = uniform(&mut rng(33), &[1, 1, DIMS], -1.0, 1.0);
    let mut one_hot = vec![0.0; DIMS];
    one_hot[2] = 1.0;
    for (target, weights) in
        [(Target::Relevance(r.clone()), to_f64(&r)), (Target::Output(2), one_hot)]
    {
        let h = 1e-5;
        let score = |x: &[f64]| -> f64 {
            attention_block_reference(x, &w).iter().zip(&weights).map(|(f, r)| f * r).sum()
        };
        let reference: Vec<f64> = (0..x64.len())
            .map(|i| {
                let (mut up, mut down) = (x64.clone(), x64.clone());
                up[i] += h;
                down[i] -= h;
                (score(&up) - score(&down)) / (2.0 * h)
            })
            .collect();
        let g = trace.gradient(&target).unwrap();
        assert_eq!(g.shape(), x.shape());
        let error = relative_error(&g, &reference);
        assert!(error < 1e-5, "{target:?}: relative error {error}");
    }
}

fn attnlrp() -> Composite {
    "attnlrp".parse().unwrap()
}

/// The composites under which the operations of attention take AttnLRP's rules: AttnLRP
/// itself (ε or not, which only dense layers see) and the classic ones.
fn attnlrp_composites() -> Vec<Composite> {
    vec![
        attnlrp(),
        "attnlrp:epsilon=0.1".parse().unwrap(),
        Composite::uniform(Rule::Zero),
        Composite::uniform(Rule::Epsilon(0.1)),
    ]
}

/// `x [2,3,5]` split by slices into `a [2,3,3]` and `b [2,3,2]`, `z = a · b`: each factor gets
/// half of LRP-0's relevance of the bilinear map, `R_a[i,k] = ½ Σ_j a_ik b_kj R_ij / z_ij`,
/// `R_b[k,j] = ½ Σ_i a_ik b_kj R_ij / z_ij`, and the input gets all of `R`.
#[test]
fn attnlrp_gives_each_factor_of_a_matrix_product_half_of_its_relevance() {
    let graph = Graph::new(
        vec![
            Node::new("x", Op::Input, vec![]),
            Node::new("a", Op::Slice { axis: 2, start: 0, end: 3 }, vec![0]),
            Node::new("b", Op::Slice { axis: 2, start: 3, end: 5 }, vec![0]),
            Node::new("ab", Op::MatMul, vec![1, 2]),
        ],
        3,
    )
    .unwrap();
    let products = |x: &ArrayD<f64>| -> Vec<f64> {
        ndarray::indices([2, 3, 2])
            .into_iter()
            .map(|(h, i, j)| (0..3).map(|k| x[[h, i, k]] * x[[h, k, 3 + j]]).sum())
            .collect()
    };
    let x = well_conditioned(41, &[2, 3, 5], products);
    let r = uniform(&mut rng(42), &[2, 3, 2], -1.0, 1.0);
    let (x64, r64) = (f64s(&x), f64s(&r));
    let a = |h: usize, i: usize, k: usize| x64[[h, i, k]];
    let b = |h: usize, k: usize, j: usize| x64[[h, k, 3 + j]];
    let mut reference = ArrayD::<f64>::zeros(IxDyn(&[2, 3, 5]));
    for h in 0..2 {
        for i in 0..3 {
            for j in 0..2 {
                let z: f64 = (0..3).map(|k| a(h, i, k) * b(h, k, j)).sum();
                for k in 0..3 {
                    let share = 0.5 * a(h, i, k) * b(h, k, j) * r64[[h, i, j]] / z;
                    reference[[h, i, k]] += share;
                    reference[[h, k, 3 + j]] += share;
                }
            }
        }
    }
    let reference: Vec<f64> = reference.into_iter().collect();
    let trace = graph.forward(x).unwrap();
    let total: f64 = r64.sum();
    for composite in attnlrp_composites() {
        let e = trace.lrp(&Target::Relevance(r.clone()), &composite).unwrap();
        assert_close(&e, &reference, 1e-5, &composite.to_string());
        assert!((e.explained - total).abs() < 1e-5, "{composite}: {}", e.explained);
        assert!((e.input_sum() - total).abs() < 1e-5, "{composite}: conservation");
        let product = e.layers.iter().find(|l| l.kind == LayerKind::MatMul).unwrap();
        assert!((product.relevance_out - total).abs() < 1e-5, "{composite}: {product:?}");
        assert!(product.absorbed().abs() < 1e-5, "{composite}: {product:?}");
    }
}

/// `x [3,4]` split into `a [3,3]` and `b [3,1]`, `z = a ⊙ b` broadcast along the columns:
/// `R_a = ½ a b R / z` at every position, `R_b[i] = ½ Σ_j a_ij b_i R_ij / z_ij` summed over
/// the positions it fed.
#[test]
fn attnlrp_gives_each_factor_of_a_broadcast_product_half_of_its_relevance() {
    let graph = Graph::new(
        vec![
            Node::new("x", Op::Input, vec![]),
            Node::new("a", Op::Slice { axis: 1, start: 0, end: 3 }, vec![0]),
            Node::new("b", Op::Slice { axis: 1, start: 3, end: 4 }, vec![0]),
            Node::new("ab", Op::Product, vec![1, 2]),
        ],
        3,
    )
    .unwrap();
    let x = uniform(&mut rng(43), &[3, 4], -1.0, 1.0);
    let r = uniform(&mut rng(44), &[3, 3], -1.0, 1.0);
    let (x64, r64) = (f64s(&x), f64s(&r));
    let mut reference = ArrayD::<f64>::zeros(IxDyn(&[3, 4]));
    for i in 0..3 {
        for j in 0..3 {
            let (a, b) = (x64[[i, j]], x64[[i, 3]]);
            let share = 0.5 * a * b * r64[[i, j]] / (a * b);
            reference[[i, j]] += share;
            reference[[i, 3]] += share;
        }
    }
    let reference: Vec<f64> = reference.into_iter().collect();
    let trace = graph.forward(x).unwrap();
    for composite in attnlrp_composites() {
        let e = trace.lrp(&Target::Relevance(r.clone()), &composite).unwrap();
        assert_close(&e, &reference, 1e-5, &composite.to_string());
        assert!((e.input_sum() - r64.sum()).abs() < 1e-5, "{composite}: conservation");
    }
}

/// `s = softmax(x)` along the last and a middle axis of `x [2,3,4]`: AttnLRP's
/// `R_x = x ⊙ (R_s − s Σ_axis R_s)`, lane by lane; CP-LRP passes nothing through a softmax.
#[test]
fn attnlrp_passes_softmax_relevance_as_x_times_r_minus_s_sum_r_and_cp_lrp_none() {
    let x = uniform(&mut rng(51), &[2, 3, 4], -2.0, 2.0);
    let r = uniform(&mut rng(52), &[2, 3, 4], -1.0, 1.0);
    let (x64, r64) = (f64s(&x), f64s(&r));
    for axis in [2, 1] {
        let graph = Graph::new(
            vec![Node::new("x", Op::Input, vec![]), Node::new("s", Op::Softmax { axis }, vec![0])],
            1,
        )
        .unwrap();
        let n = x.shape()[axis];
        let reference: Vec<f64> = ndarray::indices(x.shape())
            .into_iter()
            .map(|p| {
                let exps: Vec<f64> = (0..n).map(|t| x64[along(&p, axis, t)].exp()).collect();
                let s = exps[p[axis]] / exps.iter().sum::<f64>();
                let lane_sum: f64 = (0..n).map(|t| r64[along(&p, axis, t)]).sum();
                x64[&p] * (r64[&p] - s * lane_sum)
            })
            .collect();
        let trace = graph.forward(x.clone()).unwrap();
        for composite in attnlrp_composites() {
            let e = trace.lrp(&Target::Relevance(r.clone()), &composite).unwrap();
            assert_close(&e, &reference, 1e-5, &format!("axis {axis}, {composite}"));
        }
        let cp: Composite = "cp-lrp".parse().unwrap();
        let e = trace.lrp(&Target::Relevance(r.clone()), &cp).unwrap();
        assert!(e.relevance.iter().all(|&v| v == 0.0), "axis {axis}: {}", e.relevance);
    }
}

/// `z = a / b` with `a` a slice of `x [2,4]` and `b = √(mean x²)` computed from all of `x`:
/// `R_a = a ⊙ (R / z) / b`, i.e. `R`; the divisor is held constant, so the last column of
/// `x`, which only feeds `b`, gets nothing, and nothing is absorbed.
#[test]
fn a_quotient_gives_its_numerator_all_relevance_and_its_divisor_none() {
    let graph = Graph::new(
        vec![
            Node::new("x", Op::Input, vec![]),
            Node::new("a", Op::Slice { axis: 1, start: 0, end: 3 }, vec![0]),
            Node::new("squared", Op::Elementwise(Elementwise::Power(2.0)), vec![0]),
            Node::new("mean_square", Op::Mean { axis: 1 }, vec![2]),
            Node::new("deviation", Op::Elementwise(Elementwise::Sqrt), vec![3]),
            Node::new("quotient", Op::Quotient, vec![1, 4]),
        ],
        5,
    )
    .unwrap();
    let x = uniform(&mut rng(61), &[2, 4], -1.0, 1.0);
    let r = uniform(&mut rng(62), &[2, 3], -1.0, 1.0);
    let (x64, r64) = (f64s(&x), f64s(&r));
    let reference: Vec<f64> = ndarray::indices([2, 4])
        .into_iter()
        .map(|(row, col)| {
            if col == 3 {
                return 0.0;
            }
            let b = ((0..4).map(|c| x64[[row, c]].powi(2)).sum::<f64>() / 4.0).sqrt();
            let (a, z) = (x64[[row, col]], x64[[row, col]] / b);
            a * r64[[row, col]] / z / b
        })
        .collect();
    let trace = graph.forward(x).unwrap();
    for composite in attnlrp_composites().into_iter().chain(["cp-lrp".parse().unwrap()]) {
        let e = trace.lrp(&Target::Relevance(r.clone()), &composite).unwrap();
        assert_close(&e, &reference, 1e-5, &composite.to_string());
        let last_column = e.relevance.index_axis(ndarray::Axis(1), 3);
        assert!(last_column.iter().all(|&v| v == 0.0), "{composite}");
        assert!((e.input_sum() - r64.sum()).abs() < 1e-5, "{composite}: conservation");
    }
}

/// `z = mean_axis x`, a linear map with every weight `1/n`: LRP-0's
/// `R_i = x_i (1/n) R / z`, i.e. `x_i / Σ x · R`, conserved.
#[test]
fn a_mean_passes_relevance_in_proportion_to_the_values() {
    let graph = Graph::new(
        vec![Node::new("x", Op::Input, vec![]), Node::new("mean", Op::Mean { axis: 1 }, vec![0])],
        1,
    )
    .unwrap();
    let x = uniform(&mut rng(63), &[3, 4], 0.1, 1.0);
    let r = uniform(&mut rng(64), &[3, 1], -1.0, 1.0);
    let (x64, r64) = (f64s(&x), f64s(&r));
    let reference: Vec<f64> = ndarray::indices([3, 4])
        .into_iter()
        .map(|(row, col)| {
            let z = (0..4).map(|c| x64[[row, c]]).sum::<f64>() / 4.0;
            x64[[row, col]] / 4.0 * r64[[row, 0]] / z
        })
        .collect();
    let trace = graph.forward(x).unwrap();
    for composite in attnlrp_composites() {
        let e = trace.lrp(&Target::Relevance(r.clone()), &composite).unwrap();
        assert_close(&e, &reference, 1e-5, &composite.to_string());
        assert!((e.input_sum() - r64.sum()).abs() < 1e-5, "{composite}: conservation");
    }
}

/// The identity rule, `R_x = x ⊙ (R / z) ⊙ f(x) / (x + 10⁻¹⁰) = R x / (x + 10⁻¹⁰)`: at ordinary
/// values the relevance passes unchanged, at `x = 10⁻¹²` the stabiliser keeps about 1 %, at
/// `x = 0` nothing (and nothing undefined). The gate `x ⊙ σ(x)` the same, nothing through `σ`.
#[test]
fn elementwise_functions_and_the_gate_pass_relevance_unchanged_up_to_the_stabiliser() {
    let special = [0.0, 1e-12, -0.7, 0.3, 1.9, -2.2, 0.05, -0.01];
    let positive = [1e-12, 0.3, 1.9, 2.2, 0.05, 0.01, 1.0, 0.6];
    let r = uniform(&mut rng(71), &[8], -1.0, 1.0);
    let r64 = to_f64(&r);
    let reference = |x: &[f64]| -> Vec<f64> {
        x.iter().zip(&r64).map(|(&x, r)| r * x / (x + IDENTITY_EPSILON)).collect()
    };
    use Elementwise::*;
    for f in [Erf, Tanh, Sqrt, Power(2.0), Power(3.0), Sigmoid, Exp, Reciprocal, Gelu] {
        let values = if matches!(f, Sqrt | Reciprocal) { positive } else { special };
        let x = ArrayD::from_shape_vec(IxDyn(&[8]), values.to_vec()).unwrap();
        let graph = Graph::new(
            vec![Node::new("x", Op::Input, vec![]), Node::new("f", Op::Elementwise(f), vec![0])],
            1,
        )
        .unwrap();
        let trace = graph.forward(x.clone()).unwrap();
        let expected = reference(&to_f64(&x));
        for composite in attnlrp_composites().into_iter().chain(["cp-lrp".parse().unwrap()]) {
            let e = trace.lrp(&Target::Relevance(r.clone()), &composite).unwrap();
            assert_close(&e, &expected, 1e-5, &format!("{f}, {composite}"));
        }
    }
    let graph = Graph::new(
        vec![
            Node::new("x", Op::Input, vec![]),
            Node::new("sigmoid", Op::Elementwise(Sigmoid), vec![0]),
            Node::new("silu", Op::Gate, vec![0, 1]),
        ],
        2,
    )
    .unwrap();
    let x = ArrayD::from_shape_vec(IxDyn(&[8]), special.to_vec()).unwrap();
    let trace = graph.forward(x.clone()).unwrap();
    let expected = reference(&to_f64(&x));
    for composite in attnlrp_composites().into_iter().chain(["cp-lrp".parse().unwrap()]) {
        let e = trace.lrp(&Target::Relevance(r.clone()), &composite).unwrap();
        assert_close(&e, &expected, 1e-5, &format!("gate, {composite}"));
        // The gate receives nothing, so the backward pass skips the sigmoid that computes it.
        let sigmoid = e.layers.iter().find(|l| l.index == 1);
        assert!(sigmoid.is_none(), "{composite}: {sigmoid:?}");
    }
}

/// One attention head per leading index of `x [2,3,6]`: `q`, `k`, `v` its three pairs of
/// columns, `out = softmax(q · kᵀ) · v`.
fn attention_head() -> Graph {
    Graph::new(
        vec![
            Node::new("x", Op::Input, vec![]),
            Node::new("q", Op::Slice { axis: 2, start: 0, end: 2 }, vec![0]),
            Node::new("k", Op::Slice { axis: 2, start: 2, end: 4 }, vec![0]),
            Node::new("kt", Op::Transpose(vec![0, 2, 1]), vec![2]),
            Node::new("scores", Op::MatMul, vec![1, 3]),
            Node::new("attention", Op::Softmax { axis: 2 }, vec![4]),
            Node::new("v", Op::Slice { axis: 2, start: 4, end: 6 }, vec![0]),
            Node::new("out", Op::MatMul, vec![5, 6]),
        ],
        7,
    )
    .unwrap()
}

/// The head's scores `S = q · kᵀ`, weights `A = softmax(S)` and output `O = A · v` in f64,
/// indexed `[h][i][j]`.
type Head = Vec<[[f64; 3]; 3]>;

fn head_reference(x: &ArrayD<f64>) -> (Head, Head, Vec<[[f64; 2]; 3]>) {
    let (mut s, mut a, mut o) =
        (vec![[[0.0; 3]; 3]; 2], vec![[[0.0; 3]; 3]; 2], vec![[[0.0; 2]; 3]; 2]);
    for h in 0..2 {
        for i in 0..3 {
            for k in 0..3 {
                s[h][i][k] = (0..2).map(|d| x[[h, i, d]] * x[[h, k, 2 + d]]).sum();
            }
            let total: f64 = s[h][i].iter().map(|v| v.exp()).sum();
            for k in 0..3 {
                a[h][i][k] = s[h][i][k].exp() / total;
            }
            for j in 0..2 {
                o[h][i][j] = (0..3).map(|k| a[h][i][k] * x[[h, k, 4 + j]]).sum();
            }
        }
    }
    (s, a, o)
}

/// CP-LRP on `softmax(q · kᵀ) · v`: the attention weights are held constant, so `out` is a
/// linear map of `v` and `v` gets its LRP-0 relevance `R_v[k,j] = Σ_i A_ik v_kj R_ij / O_ij`,
/// all of `R`; `q` and `k` get exactly nothing.
#[test]
fn cp_lrp_gives_all_relevance_of_an_attention_output_to_the_values() {
    let graph = attention_head();
    let outputs =
        |x: &ArrayD<f64>| head_reference(x).2.iter().flatten().flatten().copied().collect();
    let x = well_conditioned(81, &[2, 3, 6], outputs);
    let r = uniform(&mut rng(82), &[2, 3, 2], -1.0, 1.0);
    let (x64, r64) = (f64s(&x), f64s(&r));
    let (_, a, o) = head_reference(&x64);
    let mut reference = ArrayD::<f64>::zeros(IxDyn(&[2, 3, 6]));
    for h in 0..2 {
        for i in 0..3 {
            for j in 0..2 {
                for k in 0..3 {
                    reference[[h, k, 4 + j]] +=
                        a[h][i][k] * x64[[h, k, 4 + j]] * r64[[h, i, j]] / o[h][i][j];
                }
            }
        }
    }
    let reference: Vec<f64> = reference.into_iter().collect();
    let trace = graph.forward(x).unwrap();
    let cp: Composite = "cp-lrp".parse().unwrap();
    let e = trace.lrp(&Target::Relevance(r.clone()), &cp).unwrap();
    assert_close(&e, &reference, 1e-5, "cp-lrp");
    assert!(
        e.relevance.iter().enumerate().all(|(p, &v)| p % 6 >= 4 || v == 0.0),
        "{}",
        e.relevance
    );
    assert!((e.input_sum() - r64.sum()).abs() < 1e-5, "conservation onto v");
    // Nothing reaches the attention weights, so the softmax, `q · kᵀ`, `q` and `k` are
    // skipped: the report has the output product and `v` alone.
    let reported: Vec<usize> = e.layers.iter().map(|l| l.index).collect();
    assert_eq!(reported, [7, 6], "{:?}", e.layers);
}

/// AttnLRP through the same head, rule by rule: `R_A = ½ Σ_j A_ik v_kj R_ij / O_ij` and
/// `R_v = ½ Σ_i …`; `R_S = S ⊙ (R_A − A Σ_k R_A)`; `R_q[i,d] = ½ Σ_k q_id k_kd R_S[i,k] / S_ik`
/// and `R_k[k,d] = ½ Σ_i q_id k_kd R_S[i,k] / S_ik`.
#[test]
fn attnlrp_through_an_attention_head_follows_the_rules_connection_by_connection() {
    let graph = attention_head();
    let outputs = |x: &ArrayD<f64>| {
        let (s, _, o) = head_reference(x);
        s.iter().flatten().flatten().chain(o.iter().flatten().flatten()).copied().collect()
    };
    let x = well_conditioned(83, &[2, 3, 6], outputs);
    let r = uniform(&mut rng(84), &[2, 3, 2], -1.0, 1.0);
    let (x64, r64) = (f64s(&x), f64s(&r));
    let (s, a, o) = head_reference(&x64);
    let mut reference = ArrayD::<f64>::zeros(IxDyn(&[2, 3, 6]));
    for h in 0..2 {
        let mut r_a = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..2 {
                for k in 0..3 {
                    let share = 0.5 * a[h][i][k] * x64[[h, k, 4 + j]] * r64[[h, i, j]] / o[h][i][j];
                    r_a[i][k] += share;
                    reference[[h, k, 4 + j]] += share;
                }
            }
        }
        for i in 0..3 {
            let lane: f64 = r_a[i].iter().sum();
            for k in 0..3 {
                let r_s = s[h][i][k] * (r_a[i][k] - a[h][i][k] * lane);
                for d in 0..2 {
                    let share = 0.5 * x64[[h, i, d]] * x64[[h, k, 2 + d]] * r_s / s[h][i][k];
                    reference[[h, i, d]] += share;
                    reference[[h, k, 2 + d]] += share;
                }
            }
        }
    }
    let reference: Vec<f64> = reference.into_iter().collect();
    let trace = graph.forward(x).unwrap();
    for composite in attnlrp_composites() {
        let e = trace.lrp(&Target::Relevance(r.clone()), &composite).unwrap();
        assert_close(&e, &reference, 1e-5, &composite.to_string());
    }
}

/// `x [3,4]` → dense (with a bias) → tanh under `attnlrp:epsilon=ε`: the identity rule at the
/// tanh, `R_h = R h / (h + 10⁻¹⁰)`, then ε at the dense layer,
/// `R_x[t,i] = Σ_j x_ti w_ij R_h[t,j] / (h_tj + ε sign h_tj)` (`sign 0 = +1`), bias and ε
/// absorbing the rest; plain `attnlrp` is ε = 0.
#[test]
fn attnlrp_epsilon_stabilises_dense_layers_as_the_epsilon_rule() {
    let layer = dense(&mut rng(91), 4, 5, true);
    let (w, b) =
        (f64s(&layer.weight.clone().into_dyn()), to_f64(&layer.bias.clone().unwrap().into_dyn()));
    let graph = Graph::new(
        vec![
            Node::new("x", Op::Input, vec![]),
            Node::new("dense", Op::Layer(Layer::Dense(layer)), vec![0]),
            Node::new("tanh", Op::Elementwise(Elementwise::Tanh), vec![1]),
        ],
        2,
    )
    .unwrap();
    let x = uniform(&mut rng(92), &[3, 4], -1.0, 1.0);
    let x64 = f64s(&x);
    let h = ndarray::Array2::from_shape_fn((3, 5), |(t, j)| {
        b[j] + (0..4).map(|i| x64[[t, i]] * w[[i, j]]).sum::<f64>()
    });
    assert!(
        h.iter().any(|&v| v < 0.0) && h.iter().any(|&v| v > 0.0),
        "both signs at the dense layer"
    );
    let reference = |r_top: &ndarray::Array2<f64>, eps: f64| -> Vec<f64> {
        let r_h = ndarray::Array2::from_shape_fn((3, 5), |(t, j)| {
            r_top[[t, j]] * h[[t, j]] / (h[[t, j]] + IDENTITY_EPSILON)
        });
        ndarray::indices([3, 4])
            .into_iter()
            .map(|(t, i)| {
                (0..5)
                    .map(|j| {
                        let sign = if h[[t, j]] < 0.0 { -1.0 } else { 1.0 };
                        x64[[t, i]] * w[[i, j]] * r_h[[t, j]] / (h[[t, j]] + eps * sign)
                    })
                    .sum()
            })
            .collect()
    };
    let trace = graph.forward(x).unwrap();
    let r = uniform(&mut rng(93), &[3, 5], -1.0, 1.0);
    let r64 = f64s(&r).into_dimensionality::<ndarray::Ix2>().unwrap();
    for (text, eps) in
        [("attnlrp:epsilon=0.1", 0.1), ("attnlrp:epsilon=0.5", 0.5), ("attnlrp", 0.0)]
    {
        let composite: Composite = text.parse().unwrap();
        let e = trace.lrp(&Target::Relevance(r.clone()), &composite).unwrap();
        let expected = reference(&r64, eps);
        assert_close(&e, &expected, 1e-5, text);
        let layer = e.layers.iter().find(|l| l.kind == LayerKind::Dense).unwrap();
        let rule = if eps == 0.0 { Rule::Zero } else { Rule::Epsilon(eps as f32) };
        assert_eq!(layer.rule, Some(rule), "{text}");
        assert!(
            (layer.relevance_in - expected.iter().sum::<f64>()).abs() < 1e-5,
            "{text}: {layer:?}"
        );
    }
    // One output by its flat index (row 1, column 2): `R` is that output's value there.
    let composite: Composite = "attnlrp:epsilon=0.1".parse().unwrap();
    let e = trace.lrp(&Target::Output(7), &composite).unwrap();
    let f = h[[1, 2]].tanh();
    let one_hot = ndarray::Array2::from_shape_fn((3, 5), |p| if p == (1, 2) { f } else { 0.0 });
    assert!((e.explained - f).abs() < 1e-6, "{} vs {f}", e.explained);
    assert_close(&e, &reference(&one_hot, 0.1), 1e-5, "Output(7)");
}
