//! Forward pass, sensitivity analysis (gradient) and LRP-ε on a text-CNN-sized stack:
//! 400 positions × 300-d input → width-2 convolution, 800 filters → ReLU → max-pool over
//! time → dense to 20 classes. Criterion times each; then interleaved rounds in the same
//! process give the ratios LRP/forward and LRP/SA (target: LRP ≤ 1.5 × SA).
//!
//! The default text model (an ensemble of four CNNs) explains a demo document through its
//! grouped convolution and, as the baseline, through the same filters as one ungrouped layer
//! with zeros between the members.
//!
//! `cargo bench -p relvis-benches --bench lrp_text_cnn`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use lrp::{Composite, Conv1d, Dense, Layer, MaxPool, Network, Rule, Target};
use ndarray::{Array1, Array2, Array3, ArrayD, IxDyn};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const POSITIONS: usize = 400;
const EMBEDDING: usize = 300;
const FILTERS: usize = 800;
const CLASSES: usize = 20;

fn text_cnn(rng: &mut StdRng) -> Network {
    let conv_w =
        Array3::from_shape_simple_fn((2, EMBEDDING, FILTERS), || rng.gen_range(-0.05..0.05));
    let conv_b = Array1::from_shape_simple_fn(FILTERS, || rng.gen_range(-0.05..0.05));
    let dense_w = Array2::from_shape_simple_fn((FILTERS, CLASSES), || rng.gen_range(-0.05..0.05));
    let dense_b = Array1::from_shape_simple_fn(CLASSES, || rng.gen_range(-0.05..0.05));
    Network::new(vec![
        Layer::Conv1d(Conv1d::new(conv_w, Some(conv_b)).expect("shapes agree")),
        Layer::Relu,
        Layer::MaxPool(MaxPool::Global),
        Layer::Dense(Dense::new(dense_w, Some(dense_b)).expect("shapes agree")),
    ])
}

struct Workload {
    network: Network,
    input: ArrayD<f32>,
    composite: Composite,
}

impl Workload {
    fn new() -> Self {
        let mut rng = StdRng::seed_from_u64(42);
        let network = text_cnn(&mut rng);
        let input = ArrayD::from_shape_simple_fn(IxDyn(&[POSITIONS, EMBEDDING]), || {
            rng.gen_range(-1.0..1.0)
        });
        Workload { network, input, composite: Composite::uniform(Rule::Epsilon(0.01)) }
    }

    fn forward(&self) -> f32 {
        self.network.forward(self.input.clone()).expect("valid input").output()[0]
    }

    fn sensitivity(&self) -> f32 {
        let trace = self.network.forward(self.input.clone()).expect("valid input");
        trace.sensitivity(&Target::Output(0)).expect("valid target")[0]
    }

    fn lrp(&self) -> f32 {
        let trace = self.network.forward(self.input.clone()).expect("valid input");
        trace.lrp(&Target::Output(0), &self.composite).expect("valid target").relevance[[0, 0]]
    }
}

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64()
}

/// Interleaves the three workloads round by round, each timed over a block of calls, so
/// that machine noise hits all alike.
fn print_ratios(work: &Workload) {
    let (rounds, block) = (15, 10);
    let (mut fwd, mut sa, mut lrp) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        for (times, f) in [
            (&mut fwd, Workload::forward as fn(&Workload) -> f32),
            (&mut sa, Workload::sensitivity),
            (&mut lrp, Workload::lrp),
        ] {
            let start = Instant::now();
            for _ in 0..block {
                black_box(f(work));
            }
            times.push(start.elapsed() / block);
        }
    }
    let (fwd, sa, lrp) = (median(fwd), median(sa), median(lrp));
    println!("\nratios over {rounds} interleaved rounds of {block} calls (medians; each includes its forward pass):");
    println!("  LRP-ε / forward = {:.2}", lrp / fwd);
    println!("  LRP-ε / SA      = {:.2}   (target ≤ 1.5)", lrp / sa);
    println!("  SA / forward    = {:.2}", sa / fwd);
}

/// The default model with its convolution grouped (as loaded) and ungrouped, and a document.
struct DefaultModel {
    grouped: text::TextCnn,
    ungrouped: text::TextCnn,
    x: Array2<f32>,
    method: text::Method,
}

impl DefaultModel {
    fn new() -> Self {
        let model = text::default_model().expect("the embedded model");
        let document = include_str!("../assets/demo/space.txt");
        let ids = model.cnn.input_ids(&model.prepare(document).expect("a document").tokens.ids);
        let x = model.cnn.embed(&ids);
        let cnn = &model.cnn;
        let conv =
            Conv1d::new(cnn.conv().full_weight(), cnn.conv().bias.clone()).expect("shapes agree");
        let ungrouped = text::TextCnn::from_parts(
            cnn.arch.clone(),
            cnn.embedding.clone(),
            conv,
            cnn.dense().clone(),
        )
        .expect("shapes agree");
        let grouped = text::TextCnn::from_parts(
            cnn.arch.clone(),
            cnn.embedding.clone(),
            cnn.conv().clone(),
            cnn.dense().clone(),
        )
        .expect("shapes agree");
        DefaultModel {
            grouped,
            ungrouped,
            x,
            method: text::Method::parse("lrp", "epsilon=0.01").expect("a rule"),
        }
    }

    fn explain(&self, cnn: &text::TextCnn) -> f32 {
        text::explain_positions(cnn, self.x.clone(), None, &self.method)
            .expect("explains")
            .relevance[0]
    }
}

fn print_grouped_ratio(model: &DefaultModel) {
    let (rounds, block) = (9, 5);
    let (mut grouped, mut ungrouped) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for (times, cnn) in [(&mut grouped, &model.grouped), (&mut ungrouped, &model.ungrouped)] {
            let start = Instant::now();
            for _ in 0..block {
                black_box(model.explain(cnn));
            }
            times.push(start.elapsed() / block);
        }
    }
    let (grouped, ungrouped) = (median(grouped), median(ungrouped));
    println!("  default model, LRP-ε of a demo document: ungrouped / grouped convolution = {:.2} ({:.1} ms against {:.1} ms)", ungrouped / grouped, ungrouped * 1e3, grouped * 1e3);
}

fn main() {
    let work = Workload::new();
    let default_model = DefaultModel::new();
    // No HTML plots: criterion's plotters would look for a font the workspace does not register.
    let mut c = Criterion::default().without_plots().configure_from_args();
    let mut group = c.benchmark_group("text_cnn_400x300_conv2x800");
    group.sample_size(20);
    group.bench_function("forward", |b| b.iter(|| black_box(work.forward())));
    group.bench_function("sensitivity", |b| b.iter(|| black_box(work.sensitivity())));
    group.bench_function("lrp_epsilon", |b| b.iter(|| black_box(work.lrp())));
    group.finish();
    let mut group = c.benchmark_group("default_text_model");
    group.sample_size(20);
    group.bench_function("explain_grouped", |b| {
        b.iter(|| black_box(default_model.explain(&default_model.grouped)))
    });
    group.bench_function("explain_ungrouped", |b| {
        b.iter(|| black_box(default_model.explain(&default_model.ungrouped)))
    });
    group.finish();
    c.final_summary();
    // Under `cargo test --benches` criterion runs each function once as a smoke test; the
    // ratios only mean something in a real `cargo bench` run.
    if std::env::args().any(|a| a == "--bench") {
        print_ratios(&work);
        print_grouped_ratio(&default_model);
    }
}
