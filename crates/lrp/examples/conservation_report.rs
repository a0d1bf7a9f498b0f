//! Explains one output of a text-CNN-shaped network (embedding-like input → width-2
//! convolution → ReLU → max-pool over time → dense) with every rule, SA and Gradient×Input,
//! and prints the conservation report: relevance in at the top, out at the input, and what
//! each layer absorbed.
//!
//! `cargo run --release -p lrp --example conservation_report`

use lrp::{
    Composite, Conv1d, Dense, Explanation, Layer, LayerKind, MaxPool, Network, Rule, Target,
};
use ndarray::{ArrayD, Axis, IxDyn};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const POSITIONS: usize = 24;
const FEATURES: usize = 50;

fn network(rng: &mut StdRng) -> Network {
    let mut draw = |shape: &[usize], scale: f32| {
        ArrayD::from_shape_simple_fn(IxDyn(shape), || rng.gen_range(-scale..scale))
    };
    let conv = Conv1d::new(
        draw(&[2, FEATURES, 64], 0.2).into_dimensionality::<ndarray::Ix3>().expect("3-d"),
        Some(draw(&[64], 0.1).into_dimensionality().expect("1-d")),
    )
    .expect("shapes agree");
    let dense = Dense::new(
        draw(&[64, 5], 0.3).into_dimensionality::<ndarray::Ix2>().expect("2-d"),
        Some(draw(&[5], 0.1).into_dimensionality().expect("1-d")),
    )
    .expect("shapes agree");
    Network::new(vec![
        Layer::Conv1d(conv),
        Layer::Relu,
        Layer::MaxPool(MaxPool::Global),
        Layer::Dense(dense),
    ])
}

fn bar(value: f32, max: f32) -> String {
    let width = ((value.abs() / max) * 20.0).round() as usize;
    let glyph = if value >= 0.0 { '+' } else { '-' };
    std::iter::repeat_n(glyph, width).collect()
}

fn report(name: &str, e: &Explanation) {
    let absorbed_by_linear: f64 = e
        .layers
        .iter()
        .filter(|l| matches!(l.kind, LayerKind::Conv1d | LayerKind::Dense))
        .map(|l| l.absorbed())
        .sum();
    println!(
        "{name:<16} {:>10.5} {:>12.5} {:>11.5} {:>13.2e}",
        e.explained,
        e.input_sum(),
        e.absorbed(),
        e.absorbed() - absorbed_by_linear
    );
}

fn main() -> Result<(), lrp::LrpError> {
    let mut rng = StdRng::seed_from_u64(7);
    let net = network(&mut rng);
    let input =
        ArrayD::from_shape_simple_fn(IxDyn(&[POSITIONS, FEATURES]), || rng.gen_range(-1.0..1.0));
    let trace = net.forward(input)?;
    let class = trace
        .output()
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
        .expect("five outputs");
    println!("network: {:?}", net.layers());
    println!("explaining output {class} (the largest), score {:.5}\n", trace.output()[class]);
    println!(
        "{:<16} {:>10} {:>12} {:>11} {:>13}",
        "rule", "score", "Σ R input", "absorbed", "non-linear"
    );
    let rules = [
        Rule::Zero,
        Rule::Epsilon(0.01),
        Rule::Epsilon(0.25),
        Rule::AlphaBeta { alpha: 2.0, beta: 1.0 },
        Rule::ZPLUS,
        Rule::WSquare,
        Rule::Flat,
    ];
    let target = Target::Output(class);
    for rule in rules {
        report(&rule.to_string(), &trace.lrp(&target, &Composite::uniform(rule))?);
    }
    let composite = Composite::uniform(Rule::Epsilon(0.01))
        .with_kind(LayerKind::Conv1d, Rule::ZBox { low: -1.0, high: 1.0 });
    report("zb on conv1d", &trace.lrp(&target, &composite)?);
    println!("\n'absorbed' is what biases, ε and empty denominators took; ReLU and max-pooling take none (last column).\n");

    let lrp = trace.lrp(&target, &Composite::uniform(Rule::Epsilon(0.01)))?.position_sums();
    let gxi = lrp::position_sums(trace.gradient_x_input(&target)?.view());
    let sa = trace.sensitivity(&target)?;
    let max = |a: &ArrayD<f32>| a.iter().fold(1e-12f32, |m, v| m.max(v.abs()));
    let (ml, mg, ms) = (max(&lrp), max(&gxi), max(&sa));
    println!("relevance per position (sum over the {FEATURES} features; SA is the gradient norm):");
    println!(
        "{:>4} {:>9} {:<20} {:>9} {:<20} {:>8} {:<20}",
        "pos", "LRP-ε", "", "G×I", "", "SA", ""
    );
    for t in 0..POSITIONS {
        let (l, g, s) = (lrp.index_axis(Axis(0), t)[[]], gxi.index_axis(Axis(0), t)[[]], sa[t]);
        println!(
            "{t:>4} {l:>9.4} {:<20} {g:>9.4} {:<20} {s:>8.4} {:<20}",
            bar(l, ml),
            bar(g, mg),
            bar(s, ms)
        );
    }
    Ok(())
}
