//! The default text model explained natively and after `export --onnx` and import (the same
//! network as a graph of operations read from `model.onnx`), on the demo documents and on one
//! document as long as the model's window. Criterion times each; interleaved rounds in the
//! same process give the ratio imported / native (target: ≤ 1.25).
//!
//! `cargo bench -p relvis-benches --bench onnx_text`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use text::{Method, OnnxTextClassifier, TextClassifier, TextModel};

const DEMO: [&str; 5] = [
    include_str!("../assets/demo/autos.txt"),
    include_str!("../assets/demo/graphics.txt"),
    include_str!("../assets/demo/hockey.txt"),
    include_str!("../assets/demo/medicine.txt"),
    include_str!("../assets/demo/space.txt"),
];

struct Models {
    native: TextClassifier,
    imported: OnnxTextClassifier,
    short: Vec<String>,
    long: String,
    method: Method,
    _folder: tempfile::TempDir,
}

impl Models {
    fn new() -> Self {
        let native = text::default_model().expect("the embedded model");
        let folder = tempfile::tempdir().expect("a temporary folder");
        let dir = folder.path().join("onnx");
        text::export_onnx(&native, &dir, false).expect("exports");
        let imported = OnnxTextClassifier::load(&dir).expect("reads back");
        // The demo documents one after another until the window is full.
        let long = DEMO.iter().cycle().take(12).copied().collect::<Vec<_>>().join("\n");
        Models {
            native,
            imported,
            short: DEMO.iter().map(|s| s.to_string()).collect(),
            long,
            method: Method::parse("lrp", "epsilon=0.01").expect("a rule"),
            _folder: folder,
        }
    }

    fn explain(&self, model: &dyn TextModel, documents: &[String]) -> f32 {
        documents
            .iter()
            .map(|d| model.explain(d, None, &self.method).expect("explains").score)
            .sum()
    }
}

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64()
}

fn print_ratio(m: &Models, what: &str, documents: &[String]) {
    let (rounds, block) = (9, 3);
    let (mut native, mut imported) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for (times, model) in [
            (&mut native, &m.native as &dyn TextModel),
            (&mut imported, &m.imported as &dyn TextModel),
        ] {
            let start = Instant::now();
            for _ in 0..block {
                black_box(m.explain(model, documents));
            }
            times.push(start.elapsed() / block);
        }
    }
    let (native, imported) = (median(native), median(imported));
    println!(
        "  {what}: imported / native = {:.2} ({:.1} ms against {:.1} ms; target ≤ 1.25)",
        imported / native,
        imported * 1e3,
        native * 1e3
    );
}

fn main() {
    let m = Models::new();
    let long = vec![m.long.clone()];
    // No HTML plots: criterion's plotters would look for a font the workspace does not register.
    let mut c = Criterion::default().without_plots().configure_from_args();
    let mut group = c.benchmark_group("explain_lrp_epsilon");
    group.sample_size(10);
    group.bench_function("native/demo", |b| b.iter(|| m.explain(&m.native, &m.short)));
    group.bench_function("imported/demo", |b| b.iter(|| m.explain(&m.imported, &m.short)));
    group.bench_function("native/window", |b| b.iter(|| m.explain(&m.native, &long)));
    group.bench_function("imported/window", |b| b.iter(|| m.explain(&m.imported, &long)));
    group.finish();
    c.final_summary();
    // Under `cargo test --benches` criterion runs each function once as a smoke test; the
    // ratios only mean something in a real `cargo bench` run.
    if std::env::args().any(|a| a == "--bench") {
        println!("\nratios over 9 interleaved rounds (medians):");
        print_ratio(&m, "five demo documents", &m.short);
        print_ratio(&m, "one document of the window's length", &long);
    }
}
