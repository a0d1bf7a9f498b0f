//! One step of the word-deletion evaluation on a document the size of one network's input
//! (1000 tokens, 50-d embeddings, width-2 convolution with 1500 filters, 20 classes):
//! the incremental update (recompute the windows that touch the deleted word, update the
//! max-pool) against naive recomputation (the whole forward pass again). Criterion times
//! both; interleaved rounds in the same process print the speed-up (target ≥ 100×).
//!
//! `cargo bench -p relvis-benches --bench word_deletion`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use ndarray::{Array1, Array2, Array3};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use text::EditableDocument;
use text::{Architecture, TextCnn};

const ARCH: Architecture = Architecture {
    vocab: 5000,
    embedding_dim: 50,
    width: 2,
    filters: 1500,
    classes: 20,
    max_len: 1000,
};

struct Workload {
    cnn: TextCnn,
    x: Array2<f32>,
    /// Positions deleted, one per step.
    order: Vec<usize>,
}

impl Workload {
    fn new() -> Self {
        let mut rng = StdRng::seed_from_u64(7);
        let mut u = |shape: (usize, usize)| {
            Array2::from_shape_simple_fn(shape, || rng.gen_range(-0.1f32..0.1))
        };
        let embedding = u((ARCH.vocab, ARCH.embedding_dim));
        let dense =
            lrp::Dense::new(u((ARCH.filters, ARCH.classes)), Some(Array1::zeros(ARCH.classes)))
                .expect("shapes agree");
        let mut rng = StdRng::seed_from_u64(8);
        let conv_w =
            Array3::from_shape_simple_fn((ARCH.width, ARCH.embedding_dim, ARCH.filters), || {
                rng.gen_range(-0.1f32..0.1)
            });
        let conv = lrp::Conv1d::new(
            conv_w,
            Some(Array1::from_shape_simple_fn(ARCH.filters, || rng.gen_range(-0.1f32..0.1))),
        )
        .expect("shapes agree");
        let cnn = TextCnn::from_parts(ARCH, embedding, conv, dense).expect("shapes agree");
        let ids: Vec<u32> =
            (0..ARCH.max_len).map(|_| rng.gen_range(2..ARCH.vocab as u32)).collect();
        let x = cnn.embed(&ids);
        let order = (0..50).map(|_| rng.gen_range(0..ARCH.max_len)).collect();
        Workload { cnn, x, order }
    }

    /// 50 deletions, each followed by the class scores, updating `doc` (reset to `start`)
    /// incrementally.
    fn incremental<'m>(&self, doc: &mut EditableDocument<'m>, start: &EditableDocument<'m>) -> f32 {
        doc.reset_to(start);
        let mut total = 0.0;
        for &p in &self.order {
            doc.delete(p);
            total += doc.scores()[0];
        }
        total
    }

    /// The same 50 deletions, each followed by a whole forward pass.
    fn naive(&self) -> f32 {
        let mut x = self.x.clone();
        let mut total = 0.0;
        for &p in &self.order {
            x.row_mut(p).fill(0.0);
            total +=
                self.cnn.network().forward(x.clone().into_dyn()).expect("valid input").output()[0];
        }
        total
    }
}

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64()
}

fn print_ratio<'m>(
    work: &'m Workload,
    doc: &mut EditableDocument<'m>,
    start: &EditableDocument<'m>,
) {
    let rounds = 9;
    let (mut naive, mut incremental) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..2 {
            black_box(work.naive());
        }
        naive.push(t.elapsed() / 2);
        let t = Instant::now();
        for _ in 0..20 {
            black_box(work.incremental(doc, start));
        }
        incremental.push(t.elapsed() / 20);
    }
    let (naive, incremental) = (median(naive), median(incremental));
    println!("\n50 deletions on 1000 tokens, medians of {rounds} interleaved rounds:");
    println!("  naive {:.2} ms, incremental {:.3} ms", naive * 1e3, incremental * 1e3);
    println!("  naive / incremental = {:.0}×   (target ≥ 100×)", naive / incremental);
}

fn main() {
    let work = Workload::new();
    let start = EditableDocument::new(&work.cnn, work.x.clone());
    let mut doc = start.clone();
    // No HTML plots: criterion's plotters would look for a font the workspace does not register.
    let mut c = Criterion::default().without_plots().configure_from_args();
    let mut group = c.benchmark_group("deletion_50_steps_1000x50_conv2x1500");
    group.sample_size(10);
    group.bench_function("incremental", |b| {
        b.iter(|| black_box(work.incremental(&mut doc, &start)))
    });
    group.bench_function("naive", |b| b.iter(|| black_box(work.naive())));
    group.finish();
    c.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        print_ratio(&work, &mut doc, &start);
    }
}
