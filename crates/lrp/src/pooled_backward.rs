//! The backward pass through a 1-D convolution, a ReLU and a global max-pool (a text CNN's
//! feature extractor) with the signal kept as the few values that carry it: behind the pool
//! only each filter's maxima do, so the pass touches those instead of arrays of the
//! convolution's whole output (routing, the ε-rule's quotient, the ReLU's mask and the search
//! for the non-zeros each walked all of them). The relevance, the gradient and the
//! conservation report's sums are those of the layer-by-layer pass, bit for bit.

use ndarray::{ArrayD, Zip};

use crate::composite::Composite;
use crate::explain::{sum, LayerRelevance};
use crate::layers::{shares_at_maxima, Conv1d, Layer, LayerKind, MaxPool};
use crate::network::Trace;
use crate::rule::Rule;

/// A signal at the convolution's output `(T, F)`: its non-zero values by flat index
/// `t · F + f`, in increasing index order.
type Signals = Vec<(usize, f32)>;

/// `signal` (one value per filter) routed to each filter's maxima in `x` (`(T, F)` in memory
/// order), split evenly between tied maxima, as [`MaxPool::route`] does; only the values at
/// flat indices `keep` accepts, and none of a filter whose maximum `skip` says `keep` rejects
/// at every one of its maxima (without reading them).
fn route(
    x: &[f32],
    filters: usize,
    signal: &[f32],
    keep: impl Fn(usize) -> bool,
    skip: impl Fn(f32) -> bool,
) -> Signals {
    let mut signals = Vec::new();
    shares_at_maxima(x, filters, signal.iter().copied(), skip, |t, f, share| {
        let i = t * filters + f;
        if share != 0.0 && keep(i) {
            signals.push((i, share));
        }
    });
    signals.sort_unstable_by_key(|&(i, _)| i);
    signals
}

/// [`sum`] of the `len` values that are `signals` and zero elsewhere, in the same order: lane
/// `k` adds the values at `i ≡ k mod 8` below the last `len mod 8`, which are added apart
/// (zeros leave a lane's sum as it is).
fn signal_sum(signals: &[(usize, f32)], len: usize) -> f64 {
    let tail = len - len % 8;
    let (mut lanes, mut rest) = ([0.0f64; 8], [0.0f32; 8]);
    for &(i, v) in signals {
        if i < tail {
            lanes[i % 8] += f64::from(v);
        } else {
            rest[i - tail] = v;
        }
    }
    lanes.iter().sum::<f64>() + rest[..len - tail].iter().map(|&v| f64::from(v)).sum::<f64>()
}

/// The values a pooled pass reads: the convolution's input `x` `(T, C)`, its output `z`
/// `(T − k + 1, F)` and the ReLU's output `a` (what the max-pool read).
pub(crate) struct PooledValues<'a> {
    pub(crate) x: &'a ArrayD<f32>,
    pub(crate) z: &'a ArrayD<f32>,
    pub(crate) a: &'a ArrayD<f32>,
}

/// What a pooled LRP pass gives: the relevance at the convolution's input and the sums of
/// the report, the relevance routed to the maxima (what passes the ReLU and reaches the
/// convolution) and the relevance at the convolution's input.
pub(crate) struct PooledRelevance {
    pub(crate) relevance: ArrayD<f32>,
    pub(crate) routed: f64,
    pub(crate) input: f64,
}

impl PooledRelevance {
    /// The reports of the max-pool, the ReLU and the convolution, at `indices` in that order,
    /// for relevance `relevance_out` at the pool's output.
    pub(crate) fn reports(
        &self,
        [pool, relu, conv]: [usize; 3],
        rule: Rule,
        relevance_out: f64,
    ) -> [LayerRelevance; 3] {
        let report = |index, kind, rule, relevance_out, relevance_in| LayerRelevance {
            index,
            kind,
            rule,
            relevance_out,
            relevance_in,
        };
        [
            report(pool, LayerKind::MaxPool, None, relevance_out, self.routed),
            report(relu, LayerKind::Relu, None, self.routed, self.routed),
            report(conv, LayerKind::Conv1d, Some(rule), self.routed, self.input),
        ]
    }
}

/// LRP from the output of a global max-pool (relevance `r`) through its ReLU and convolution
/// `conv` under `rule`. `None` where the rule's denominator is not the convolution's output
/// (LRP-0 and LRP-ε are), a value is not in standard layout, or the signal is too dense for the
/// sparse transposed map: the layer-by-layer pass takes those.
///
/// `R_in = x ⊙ Wᵀ s` with `s_tf = r_tf / (z_tf + ε sign z_tf)` at each filter's maxima.
pub(crate) fn pooled_lrp(
    conv: &Conv1d,
    values: &PooledValues<'_>,
    r: &ArrayD<f32>,
    rule: Rule,
) -> Option<PooledRelevance> {
    let epsilon = match rule {
        Rule::Zero => 0.0,
        Rule::Epsilon(epsilon) => epsilon,
        _ => return None,
    };
    let (pooled, z_data) = (values.a, values.z.as_slice()?);
    let routed = route(pooled.as_slice()?, conv.filters(), r.as_slice()?, |_| true, |_| false);
    let routed_sum = signal_sum(&routed, pooled.len());
    // The ε-rule's quotient, as `linear::stabilised_quotient` computes it.
    let quotients: Signals = routed
        .iter()
        .map(|&(i, r)| {
            let z = z_data[i];
            let d = if z >= 0.0 { z + epsilon } else { z - epsilon };
            (i, if d == 0.0 { 0.0 } else { r / d })
        })
        .filter(|&(_, s)| s != 0.0)
        .collect();
    let x = values.x;
    let c = conv.transpose_signals(&quotients, x.shape())?;
    // `R_i = 0 + k · x_i · c_i` with the plain group's `k = 1`, as `linear::propagate`.
    let mut r_in = ArrayD::<f32>::zeros(x.raw_dim());
    Zip::from(&mut r_in).and(x).and(&c).for_each(|r, &x, &c| *r += 1.0 * x * c);
    let input = sum(r_in.view());
    Some(PooledRelevance { relevance: r_in, routed: routed_sum, input })
}

/// The gradient `g` at the output of a global max-pool taken back through its ReLU and
/// convolution `conv`: `Wᵀ (route(g) ⊙ [z > 0])`. `None` as for [`pooled_lrp`].
pub(crate) fn pooled_gradient(
    conv: &Conv1d,
    values: &PooledValues<'_>,
    g: &ArrayD<f32>,
) -> Option<ArrayD<f32>> {
    let (pooled, z_data) = (values.a, values.z.as_slice()?);
    // The ReLU's gradient, as `Layer::gradient` masks it, `z ≤ 0` out. A closed filter's
    // maxima are its ReLU's zeros, at every window where `z ≤ 0` or `z` is NaN: without a
    // NaN none passes, and its windows are not read one by one.
    let any_nan = std::cell::OnceCell::new();
    let any_nan = || *any_nan.get_or_init(|| z_data.iter().fold(false, |a, v| a | v.is_nan()));
    let keep = |i: usize| z_data[i] > 0.0 || z_data[i].is_nan();
    let routed = route(pooled.as_slice()?, conv.filters(), g.as_slice()?, keep, |max| {
        max == 0.0 && !any_nan()
    });
    conv.transpose_signals(&routed, values.x.shape())
}

impl Trace<'_> {
    /// The convolution of layers `pool − 2`, `pool − 1`, `pool` when they are a convolution, a
    /// ReLU and a global max-pool, with the values the pooled passes read.
    fn pooled_convolution(&self, pool: usize) -> Option<(&Conv1d, PooledValues<'_>)> {
        let layers = self.network.layers();
        match layers.get(pool.checked_sub(2)?..=pool)? {
            [Layer::Conv1d(conv), Layer::Relu, Layer::MaxPool(MaxPool::Global)] => {
                let values = &self.values;
                Some((
                    conv,
                    PooledValues { x: &values[pool - 2], z: &values[pool - 1], a: &values[pool] },
                ))
            }
            _ => None,
        }
    }

    /// [`pooled_lrp`] from layer `pool` (relevance `r`, of sum `relevance_out`): the relevance
    /// at the convolution's input and the three layers' reports.
    pub(crate) fn pooled_lrp(
        &self,
        pool: usize,
        r: &ArrayD<f32>,
        composite: &Composite,
        relevance_out: f64,
    ) -> Option<(ArrayD<f32>, [LayerRelevance; 3])> {
        let (conv, values) = self.pooled_convolution(pool)?;
        let rule = composite.rule_for(pool - 2, LayerKind::Conv1d);
        let pooled = pooled_lrp(conv, &values, r, rule)?;
        let reports = pooled.reports([pool, pool - 1, pool - 2], rule, relevance_out);
        Some((pooled.relevance, reports))
    }

    /// [`pooled_gradient`] from layer `pool`.
    pub(crate) fn pooled_gradient(&self, pool: usize, g: &ArrayD<f32>) -> Option<ArrayD<f32>> {
        let (conv, values) = self.pooled_convolution(pool)?;
        pooled_gradient(conv, &values, g)
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2, Array3};
    use rand::{Rng, SeedableRng};

    use crate::composite::Composite;
    use crate::explain::Target;
    use crate::layers::{Conv1d, Dense, Layer, MaxPool};
    use crate::linear::propagate;
    use crate::network::Network;
    use crate::rule::Rule;

    /// The input and every layer's output, layer by layer.
    fn layer_values(net: &Network, x: ndarray::ArrayD<f32>) -> Vec<ndarray::ArrayD<f32>> {
        let mut values = vec![x];
        for layer in net.layers() {
            let next = layer.forward(values.last().unwrap().view());
            values.push(next);
        }
        values
    }

    /// A text CNN of `groups` groups.
    fn network(rng: &mut rand::rngs::StdRng, groups: usize) -> Network {
        let (width, cg, filters, classes) = (3, 4, 40 * groups, 3);
        let weight = Array3::from_shape_fn((width, cg, filters), |_| rng.gen_range(-1.0..1.0));
        // Filter 0 is closed: all its windows tie at the ReLU's zero.
        let bias =
            Array1::from_shape_fn(
                filters,
                |f| if f == 0 { -100.0 } else { rng.gen_range(-0.5..0.5) },
            );
        let dense = Array2::from_shape_fn((filters, classes), |_| rng.gen_range(-1.0..1.0));
        Network::new(vec![
            Layer::Conv1d(Conv1d::grouped(weight, Some(bias), groups).unwrap()),
            Layer::Relu,
            Layer::MaxPool(MaxPool::Global),
            Layer::Dense(Dense::new(dense, Some(Array1::zeros(classes))).unwrap()),
        ])
    }

    #[test]
    fn the_pooled_pass_equals_the_layer_by_layer_pass_bit_for_bit() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for case in 0..60 {
            let groups = 1 + case % 2;
            let net = network(&mut rng, groups);
            // Mostly long enough for the sparse pass (a signal per filter in at most one in
            // sixteen values), a few too short for it.
            let len = if case % 10 == 9 { rng.gen_range(3..12) } else { rng.gen_range(24..60) };
            let mut x = Array2::from_shape_fn((len, 4 * groups), |_| rng.gen_range(-1.0f32..1.0));
            // Every third case repeats its first window further on, so that maxima tie.
            if case % 3 == 0 && len >= 12 {
                for t in 0..3 {
                    let row = x.row(t).to_owned();
                    x.row_mut(len - 3 + t).assign(&row);
                }
            }
            let x = x.into_dyn();
            let trace = net.forward(x.clone()).unwrap();
            let class = case % 3;
            let layers = net.layers();
            let values = layer_values(&net, x.clone());
            for rule in [Rule::Zero, Rule::Epsilon(0.01), Rule::Epsilon(0.5)] {
                let composite = Composite::uniform(rule);
                let e = trace.lrp(&Target::Output(class), &composite).unwrap();
                // The layer-by-layer pass, written out: dense, route, ReLU, convolution.
                let Layer::Dense(dense) = &layers[3] else { unreachable!() };
                let mut top = ndarray::ArrayD::<f32>::zeros(values[4].raw_dim());
                top[[class]] = values[4][[class]];
                let r3 =
                    propagate(dense, values[3].view(), Some(values[4].view()), top.view(), &rule);
                let r2 = layers[2].pass_relevance(values[2].view(), r3.clone()).unwrap();
                let Layer::Conv1d(conv) = &layers[0] else { unreachable!() };
                let r0 =
                    propagate(conv, values[0].view(), Some(values[1].view()), r2.view(), &rule);
                assert_eq!(e.relevance, r0, "case {case}, {rule:?}");
                let sums: Vec<f64> = e.layers.iter().map(|l| l.relevance_in).collect();
                let expected = [
                    crate::explain::sum(r3.view()),
                    crate::explain::sum(r2.view()),
                    crate::explain::sum(r2.view()),
                    crate::explain::sum(r0.view()),
                ];
                assert_eq!(sums, expected, "case {case}, {rule:?}: the report's sums");
            }
            let g = trace.gradient(&Target::Output(class)).unwrap();
            let mut expected = ndarray::ArrayD::<f32>::zeros(values[4].raw_dim());
            expected[[class]] = 1.0;
            for (index, layer) in layers.iter().enumerate().rev() {
                expected = layer.gradient(values[index].view(), expected);
            }
            assert_eq!(g, expected, "case {case}: the gradient");
        }
    }

    #[test]
    fn weights_changed_in_place_are_read_again() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(12);
        let mut net = network(&mut rng, 2);
        let x = Array2::from_shape_fn((40, 8), |_| rng.gen_range(-1.0f32..1.0)).into_dyn();
        let composite = Composite::uniform(Rule::Epsilon(0.01));
        let before = net.forward(x.clone()).unwrap().lrp(&Target::Output(1), &composite).unwrap();
        let Layer::Conv1d(conv) = &mut net.layers_mut()[0] else { unreachable!() };
        conv.weight.mapv_inplace(|w| -w);
        let trace = net.forward(x.clone()).unwrap();
        let after = trace.lrp(&Target::Output(1), &composite).unwrap();
        assert_ne!(before.relevance, after.relevance);
        // As the layer-by-layer pass computes it with the new weights.
        let layers = net.layers();
        let values = layer_values(&net, x);
        let Layer::Dense(dense) = &layers[3] else { unreachable!() };
        let mut top = ndarray::ArrayD::<f32>::zeros(values[4].raw_dim());
        top[[1]] = values[4][[1]];
        let rule = Rule::Epsilon(0.01);
        let r3 = propagate(dense, values[3].view(), Some(values[4].view()), top.view(), &rule);
        let r2 = layers[2].pass_relevance(values[2].view(), r3).unwrap();
        // A layer made afresh from the new weights, which has laid out nothing yet.
        let Layer::Conv1d(conv) = &layers[0] else { unreachable!() };
        let fresh = Conv1d::grouped(conv.weight.clone(), conv.bias.clone(), 2).unwrap();
        let r0 = propagate(&fresh, values[0].view(), Some(values[1].view()), r2.view(), &rule);
        assert_eq!(after.relevance, r0);
    }

    #[test]
    fn a_closed_filter_passes_the_gradient_at_nan_windows_as_the_layer_by_layer_pass() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(13);
        let net = network(&mut rng, 1);
        let x = Array2::from_shape_fn((40, 4), |_| rng.gen_range(-1.0f32..1.0)).into_dyn();
        // The network refuses a NaN input; an overflow (`∞ − ∞`) can still make one in the
        // convolution's output, here at window 20 of every filter.
        let mut values = vec![x];
        for (index, layer) in net.layers().iter().enumerate() {
            let mut next = layer.forward(values.last().unwrap().view());
            if index == 0 {
                next.index_axis_mut(ndarray::Axis(0), 20).fill(f32::NAN);
            }
            values.push(next);
        }
        let trace = crate::network::Trace { network: &net, values: values.clone() };
        let g = trace.gradient(&Target::Output(0)).unwrap();
        let mut expected = ndarray::ArrayD::<f32>::zeros(values[4].raw_dim());
        expected[[0]] = 1.0;
        for (index, layer) in net.layers().iter().enumerate().rev() {
            expected = layer.gradient(values[index].view(), expected);
        }
        let bits = |a: &ndarray::ArrayD<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&g), bits(&expected));
    }
}
