//! Integrated Gradients, SmoothGrad and occlusion against brute-force sums in f64: the
//! gradients along the path or at the noisy inputs taken by central differences of an
//! independent f64 forward pass.

mod common;

use common::*;
use lrp::{
    integrated_gradients, occlusion, smooth_grad, smooth_grad_inputs, Differentiable, Layer,
    LrpError, MaxPool, Network, Quadrature, Samples, SmoothGradSettings,
};
use ndarray::ArrayD;

/// `∂f_c/∂x` at `x` by central differences of the f64 reference forward pass.
fn finite_gradient(net: &Network, x: &[f64], shape: &[usize], class: usize) -> Vec<f64> {
    let h = 1e-6;
    (0..x.len())
        .map(|i| {
            let (mut up, mut down) = (x.to_vec(), x.to_vec());
            up[i] += h;
            down[i] -= h;
            (reference_forward(net, &up, shape)[class]
                - reference_forward(net, &down, shape)[class])
                / (2.0 * h)
        })
        .collect()
}

#[test]
fn integrated_gradients_equal_the_quadrature_sum_in_f64() {
    let net = text_like_stack(3, true);
    let mut rng = rng(30);
    let x = uniform(&mut rng, &[12, FEATURES], -1.0, 1.0);
    let baseline = uniform(&mut rng, &[12, FEATURES], -0.2, 0.2);
    let (x64, b64) = (to_f64(&x), to_f64(&baseline));
    let steps = 12;
    for (class, quadrature) in [
        (0, Quadrature::Midpoint),
        (2, Quadrature::Midpoint),
        (1, Quadrature::GaussLegendre),
        (1, Quadrature::Graded),
    ] {
        let ig = integrated_gradients(&net, &x, &baseline, class, steps, quadrature).unwrap();
        // The nodes written out here, not taken from `Quadrature`: midpoints, or the Legendre
        // roots found by bisection (each root in its own sign change of P_12 on a fine grid).
        let nodes: Vec<(f64, f64)> = match quadrature {
            Quadrature::Midpoint => {
                (0..steps).map(|k| ((k as f64 + 0.5) / steps as f64, 1.0 / steps as f64)).collect()
            }
            Quadrature::GaussLegendre => legendre_nodes_by_bisection(steps),
            // ∫₀¹ g(α) dα = ∫₀¹ g(t²) 2t dt, by midpoints in t.
            Quadrature::Graded => (0..steps)
                .map(|k| (k as f64 + 0.5) / steps as f64)
                .map(|t| (t * t, 2.0 * t / steps as f64))
                .collect(),
        };
        let mut reference = vec![0.0; x64.len()];
        for (alpha, weight) in nodes {
            let point: Vec<f64> = b64.iter().zip(&x64).map(|(b, x)| b + alpha * (x - b)).collect();
            for (r, g) in reference.iter_mut().zip(finite_gradient(&net, &point, x.shape(), class))
            {
                *r += weight * g;
            }
        }
        reference.iter_mut().zip(x64.iter().zip(&b64)).for_each(|(r, (x, b))| *r *= x - b);
        let err = relative_error(&ig.attribution, &reference);
        assert!(err < 1e-4, "class {class}, {quadrature}: IG differs from the f64 sum by {err:e}");
        let f = reference_forward(&net, &x64, x.shape())[class];
        let f0 = reference_forward(&net, &b64, x.shape())[class];
        assert!((ig.score - f).abs() < 1e-5 && (ig.baseline_score - f0).abs() < 1e-5);
        let sum: f64 = reference.iter().sum();
        assert!(
            (ig.completeness_error - (sum - (f - f0))).abs() < 1e-4,
            "completeness error {} against {}",
            ig.completeness_error,
            sum - (f - f0)
        );
    }
}

/// `P_m` at `z` from its explicit sum `2⁻ᵐ Σ_k (−1)ᵏ C(m,k) C(2m−2k,m) z^{m−2k}`.
fn legendre_by_sum(m: usize, z: f64) -> f64 {
    let choose = |n: usize, k: usize| (0..k).fold(1.0, |c, i| c * (n - i) as f64 / (i + 1) as f64);
    (0..=m / 2)
        .map(|k| {
            (-1f64).powi(k as i32)
                * choose(m, k)
                * choose(2 * m - 2 * k, m)
                * z.powi((m - 2 * k) as i32)
        })
        .sum::<f64>()
        / 2f64.powi(m as i32)
}

/// Gauss–Legendre nodes on [0, 1]: the roots of `P_m` by bisection of its sign changes, the
/// weights from the degree-`m−1` moment equations `Σ w_k α_kʲ = 1/(j+1)` solved by elimination.
fn legendre_nodes_by_bisection(m: usize) -> Vec<(f64, f64)> {
    let grid = 20_000;
    let mut roots = Vec::new();
    for i in 0..grid {
        let (mut a, mut b) =
            (-1.0 + 2.0 * i as f64 / grid as f64, -1.0 + 2.0 * (i + 1) as f64 / grid as f64);
        if legendre_by_sum(m, a).signum() == legendre_by_sum(m, b).signum() {
            continue;
        }
        for _ in 0..60 {
            let c = (a + b) / 2.0;
            if legendre_by_sum(m, a).signum() == legendre_by_sum(m, c).signum() {
                a = c
            } else {
                b = c
            }
        }
        roots.push((1.0 + (a + b) / 2.0) / 2.0);
    }
    assert_eq!(roots.len(), m);
    // Vandermonde system for the weights.
    let mut rows: Vec<Vec<f64>> = (0..m)
        .map(|j| roots.iter().map(|a| a.powi(j as i32)).chain([1.0 / (j + 1) as f64]).collect())
        .collect();
    for c in 0..m {
        let pivot = (c..m).max_by(|&a, &b| rows[a][c].abs().total_cmp(&rows[b][c].abs())).unwrap();
        rows.swap(c, pivot);
        for r in 0..m {
            if r != c {
                let f = rows[r][c] / rows[c][c];
                let pivot_row = rows[c].clone();
                for (x, p) in rows[r][c..=m].iter_mut().zip(&pivot_row[c..=m]) {
                    *x -= f * p;
                }
            }
        }
    }
    roots.iter().enumerate().map(|(k, &a)| (a, rows[k][m] / rows[k][k])).collect()
}

#[test]
fn gauss_legendre_nodes_are_the_legendre_roots_and_integrate_polynomials_exactly() {
    let two = Quadrature::GaussLegendre.nodes(2);
    let d = 0.5 / 3f64.sqrt();
    assert!(
        (two[0].0 - (0.5 - d)).abs() < 1e-15
            && (two[1].0 - (0.5 + d)).abs() < 1e-15
            && (two[0].1 - 0.5).abs() < 1e-15,
        "{two:?}"
    );
    assert_eq!(Quadrature::GaussLegendre.nodes(1), vec![(0.5, 1.0)]);
    for m in [3, 7, 12, 32, 64] {
        let nodes = Quadrature::GaussLegendre.nodes(m);
        assert!(
            nodes.windows(2).all(|w| w[0].0 < w[1].0) && nodes[0].0 > 0.0 && nodes[m - 1].0 < 1.0
        );
        // ∫₀¹ tʲ dt = 1/(j+1), exactly for every degree below 2m.
        for j in 0..2 * m {
            let sum: f64 = nodes.iter().map(|(a, w)| w * a.powi(j as i32)).sum();
            assert!((sum - 1.0 / (j + 1) as f64).abs() < 1e-13, "m = {m}, degree {j}: {sum}");
        }
    }
    // Degree 2m is the first the rule misses, by its error term (m!)⁴ / ((2m + 1) ((2m)!)²) on [0, 1].
    for m in 1..=6 {
        let factorial = |n: usize| (1..=n).map(|k| k as f64).product::<f64>();
        let missed = factorial(m).powi(4) / ((2 * m + 1) as f64 * factorial(2 * m).powi(2));
        let sum: f64 =
            Quadrature::GaussLegendre.nodes(m).iter().map(|(a, w)| w * a.powi(2 * m as i32)).sum();
        let error = 1.0 / (2 * m + 1) as f64 - sum;
        assert!(
            (error - missed).abs() < 1e-6 * missed,
            "m = {m}: misses {error:e}, the error term says {missed:e}"
        );
    }
    for (ours, theirs) in
        Quadrature::GaussLegendre.nodes(12).iter().zip(legendre_nodes_by_bisection(12))
    {
        assert!(
            (ours.0 - theirs.0).abs() < 1e-12 && (ours.1 - theirs.1).abs() < 1e-10,
            "{ours:?} against {theirs:?}"
        );
    }
    assert_eq!("Gauss-Legendre".parse::<Quadrature>(), Ok(Quadrature::GaussLegendre));
    assert_eq!("graded".parse::<Quadrature>(), Ok(Quadrature::Graded));
    assert!("simpson".parse::<Quadrature>().unwrap_err().contains("quadrature `simpson`"));
}

#[test]
fn the_graded_rule_integrates_a_square_root_start_exactly() {
    // f(α) = √α: f(1) − f(0) = 1 = ∫₀¹ 1/(2√α) dα, the derivative unbounded at the baseline.
    let integrate =
        |q: Quadrature, m: usize| q.nodes(m).iter().map(|(a, w)| w / (2.0 * a.sqrt())).sum::<f64>();
    for m in [1, 4, 32] {
        assert!((integrate(Quadrature::Graded, m) - 1.0).abs() < 1e-12, "graded, {m} nodes");
        let weights: f64 = Quadrature::Graded.nodes(m).iter().map(|(_, w)| w).sum();
        assert!((weights - 1.0).abs() < 1e-12);
    }
    // The midpoint rule misses by about (1 − √2) ζ(½) / (2√m) ≈ 0.30/√m (Hurwitz ζ(½, ½)).
    let errors: Vec<f64> =
        [4, 16, 64].iter().map(|&m| 1.0 - integrate(Quadrature::Midpoint, m)).collect();
    assert!(errors.iter().all(|&e| e > 0.01), "{errors:?}");
    assert!(
        errors.windows(2).all(|w| (w[0] / w[1] - 2.0).abs() < 0.05),
        "halving per four times the nodes: {errors:?}"
    );
}

#[test]
fn integrated_gradients_are_complete_for_a_linear_model_and_converge_otherwise() {
    let mut rng = rng(31);
    let linear = Network::new(vec![Layer::Dense(dense(&mut rng, FEATURES, 3, true))]);
    let x = uniform(&mut rng, &[FEATURES], -1.0, 1.0);
    let zero = ArrayD::zeros(x.raw_dim());
    let ig = integrated_gradients(&linear, &x, &zero, 1, 1, Quadrature::Midpoint).unwrap();
    assert!(
        ig.completeness_error.abs() < 1e-5,
        "one step is exact on a linear model: {}",
        ig.completeness_error
    );

    let net = text_like_stack(4, true);
    let x = uniform(&mut rng, &[12, FEATURES], -1.0, 1.0);
    let zero = ArrayD::zeros(x.raw_dim());
    let errors: Vec<f64> = [1, 4, 256]
        .iter()
        .map(|&m| {
            integrated_gradients(&net, &x, &zero, 0, m, Quadrature::Midpoint)
                .unwrap()
                .completeness_error
                .abs()
        })
        .collect();
    let gap =
        (net.outputs(x.clone()).unwrap()[0] - net.outputs(zero.clone()).unwrap()[0]).abs() as f64;
    assert!(errors[2] < 0.01 * gap.max(1e-3), "256 steps leave {:e} of a gap of {gap}", errors[2]);
    assert!(errors[2] < errors[0], "more steps must not be worse: {errors:?}");
}

#[test]
fn smooth_grad_is_the_mean_gradient_at_its_noisy_inputs() {
    let net = deep_stack(5, true);
    let mut rng = rng(32);
    let x = uniform(&mut rng, &[12, FEATURES], -1.0, 1.0);
    let settings = SmoothGradSettings { samples: 6, noise: 0.1, seed: 7 };
    let got = smooth_grad(&net, &x, 1, &settings).unwrap();
    let mut reference = vec![0.0; x.len()];
    for noisy in smooth_grad_inputs(&x, &settings).unwrap() {
        for (r, g) in reference.iter_mut().zip(finite_gradient(&net, &to_f64(&noisy), x.shape(), 1))
        {
            *r += g / settings.samples as f64;
        }
    }
    let err = relative_error(&got, &reference);
    assert!(err < 1e-4, "SmoothGrad differs from the mean finite-difference gradient by {err:e}");

    // Without noise it is the gradient itself (to rounding: the samples' gradients are summed
    // before the first layer's transpose).
    let still = smooth_grad(&net, &x, 1, &SmoothGradSettings { noise: 0.0, ..settings }).unwrap();
    let gradient = net.score_gradient(x.clone(), 1).unwrap().1;
    let err = relative_error(&still, &to_f64(&gradient));
    assert!(err < 1e-6, "SmoothGrad without noise differs from the gradient by {err:e}");
}

/// A network seen only through its scores and gradients: [`Differentiable::gradient_sum`] by
/// one forward and backward pass per sample, as any model has it.
struct PerSample<'n>(&'n Network);

impl Differentiable for PerSample<'_> {
    fn outputs(&self, x: ArrayD<f32>) -> Result<Vec<f32>, LrpError> {
        self.0.outputs(x)
    }

    fn score_gradient(&self, x: ArrayD<f32>, class: usize) -> Result<(f32, ArrayD<f32>), LrpError> {
        self.0.score_gradient(x, class)
    }
}

#[test]
fn a_network_sums_the_samples_gradients_before_its_first_layer_as_passes_per_sample_do() {
    let mut rng = rng(33);
    // Kim's CNN (convolution, ReLU, global max-pool, dense) has a one-pass pooled backward;
    // with a hidden layer after the pool its gradient depends on the pooled values.
    let kim = |seed, hidden: bool| {
        let mut rng = common::rng(seed);
        let mut layers = vec![
            Layer::Conv1d(conv(&mut rng, 3, FEATURES, 10, true)),
            Layer::Relu,
            Layer::MaxPool(MaxPool::Global),
        ];
        if hidden {
            layers.extend([Layer::Dense(dense(&mut rng, 10, 40, true)), Layer::Relu]);
        }
        layers.push(Layer::Dense(dense(&mut rng, if hidden { 40 } else { 10 }, 4, true)));
        Network::new(layers)
    };
    let nets = [kim(8, false), kim(9, true), text_like_stack(4, true), deep_stack(6, true)];
    for net in nets {
        let mut x = uniform(&mut rng, &[12, FEATURES], -1.0, 1.0);
        let mut baseline = uniform(&mut rng, &[12, FEATURES], -0.3, 0.3);
        // Positions 9..12 repeat 0..3, made large: the first and the last window are equal and
        // hold many filters' maxima, which tie along the whole path.
        for a in [&mut x, &mut baseline] {
            for p in 0..3 {
                let row = a.index_axis(ndarray::Axis(0), p).mapv(|v| 3.0 * v);
                a.index_axis_mut(ndarray::Axis(0), p).assign(&row);
                a.index_axis_mut(ndarray::Axis(0), p + 9).assign(&row);
            }
        }
        let nodes = Quadrature::Graded.nodes(9); // not symmetric about ½, as the other rules are
        let noisy: Vec<ArrayD<f32>> = (0..5)
            .map(|i| {
                smooth_grad_inputs(&x, &SmoothGradSettings { samples: 1, noise: 0.2, seed: i })
                    .unwrap()
                    .remove(0)
            })
            .collect();
        for class in 0..2 {
            for samples in [
                Samples::Path { baseline: &baseline, x: &x, nodes: &nodes },
                Samples::Inputs(&noisy),
            ] {
                let fast = net.gradient_sum(samples, class).unwrap().mapv(|v| v as f32);
                let passes = PerSample(&net).gradient_sum(samples, class).unwrap();
                let err = relative_error(&fast, &passes.iter().copied().collect::<Vec<_>>());
                assert!(err < 1e-5, "class {class}: the sums differ by {err:e} ({samples:?})");
            }
        }
    }
}

#[test]
fn smooth_grad_noise_has_the_asked_spread_and_follows_its_seed() {
    let mut rng = rng(33);
    let x = uniform(&mut rng, &[40, FEATURES], -2.0, 3.0);
    let range = x.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v))
        - x.iter().fold(f32::INFINITY, |m, &v| m.min(v));
    let settings = SmoothGradSettings { samples: 50, noise: 0.2, seed: 1 };
    let inputs = smooth_grad_inputs(&x, &settings).unwrap();
    let noise: Vec<f64> = inputs
        .iter()
        .flat_map(|n| (n - &x).into_iter().map(f64::from).collect::<Vec<_>>())
        .collect();
    let mean = noise.iter().sum::<f64>() / noise.len() as f64;
    let sd = (noise.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / noise.len() as f64).sqrt();
    let sigma = f64::from(0.2 * range);
    assert!(
        mean.abs() < 0.02 * sigma && (sd / sigma - 1.0).abs() < 0.02,
        "noise mean {mean}, sd {sd}, σ {sigma}"
    );
    assert_eq!(inputs, smooth_grad_inputs(&x, &settings).unwrap(), "the same seed, the same noise");
    assert_ne!(
        inputs,
        smooth_grad_inputs(&x, &SmoothGradSettings { seed: 2, ..settings }).unwrap()
    );
}

#[test]
fn occlusion_averages_the_score_drops_of_the_covering_windows() {
    // An additive score: occluding a window removes its units' terms.
    let terms = [1.0f32, 2.0, 4.0, -3.0];
    let score: f32 = terms.iter().sum();
    let occluded =
        |w: std::ops::Range<usize>| -> Result<f32, ()> { Ok(score - terms[w].iter().sum::<f32>()) };
    assert_eq!(occlusion(4, 1, score, occluded).unwrap(), vec![1.0, 2.0, 4.0, -3.0]);
    // Windows [0,1] → 3, [1,2] → 6, [2,3] → 1: each unit the mean of those that cover it.
    assert_eq!(occlusion(4, 2, score, occluded).unwrap(), vec![3.0, 4.5, 3.5, 1.0]);
    // A window wider than the input is the whole input.
    assert_eq!(occlusion(4, 9, score, occluded).unwrap(), vec![4.0; 4]);
    assert!(occlusion(0, 3, score, occluded).unwrap().is_empty());
}

#[test]
fn bad_settings_are_refused() {
    let net = text_like_stack(3, true);
    let x = ArrayD::zeros(vec![12, FEATURES]);
    assert!(matches!(
        integrated_gradients(&net, &x, &x, 0, 0, Quadrature::Midpoint),
        Err(LrpError::InvalidMethod(_))
    ));
    assert!(matches!(
        integrated_gradients(
            &net,
            &x,
            &ArrayD::zeros(vec![11, FEATURES]),
            0,
            4,
            Quadrature::Midpoint
        ),
        Err(LrpError::InvalidMethod(_))
    ));
    assert!(matches!(
        integrated_gradients(&net, &x, &x, 9, 4, Quadrature::Midpoint),
        Err(LrpError::TargetOutOfRange { .. })
    ));
    for (samples, noise) in [(0, 0.1), (4, -1.0), (4, f32::NAN)] {
        assert!(matches!(
            smooth_grad(&net, &x, 0, &SmoothGradSettings { samples, noise, seed: 0 }),
            Err(LrpError::InvalidMethod(_))
        ));
    }
}

#[test]
fn a_trace_from_a_given_first_output_runs_the_rest_as_forward_does() {
    let mut rng = common::rng(41);
    let net = Network::new(vec![
        Layer::Conv1d(conv(&mut rng, 3, FEATURES, 6, true)),
        Layer::Relu,
        Layer::MaxPool(MaxPool::Global),
        Layer::Dense(dense(&mut rng, 6, 3, true)),
    ]);
    let x = uniform(&mut rng, &[9, FEATURES], -1.0, 1.0);
    let full = net.forward(x.clone()).unwrap();
    let first = full.layer_input(1).to_owned();
    let given = net.forward_from_first(x.clone(), first.clone()).unwrap();
    assert_eq!(given.output(), full.output());
    let target = lrp::Target::Output(1);
    assert_eq!(given.gradient(&target).unwrap(), full.gradient(&target).unwrap());
    // Another first output is taken as given: the rest runs on it.
    let raised = first.mapv(|v| v + 1.0);
    let pooled = raised.fold_axis(ndarray::Axis(0), f32::NEG_INFINITY, |m, &v| m.max(v));
    let given = net.forward_from_first(x.clone(), raised).unwrap();
    assert_eq!(given.layer_input(3), pooled.mapv(|v| v.max(0.0)).into_dyn());
    // A first output of the wrong shape is refused, as a bad input is.
    assert!(net
        .forward_from_first(x.clone(), first.slice_move(ndarray::s![..3, ..]).into_dyn())
        .is_err());
    let mut bad = x;
    bad[[0, 0]] = f32::NAN;
    assert!(net.forward_from_first(bad, full.layer_input(1).to_owned()).is_err());
}
