//! SpRAy on 5,000 relevance maps of 400 values (three planted strategies plus noise): the
//! whole analysis (k-NN graph, sparse eigensolver, eigengap, k-means). Target: ≤ 10 s on two
//! cores. With `--bench`, also one run on 20,000 maps (the sparse path must still run) and the
//! share of the time the k-NN graph takes.
//!
//! `cargo bench -p relvis-benches --bench spray`

use std::hint::black_box;
use std::time::Instant;

use criterion::Criterion;
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use spray::{analyse, knn_graph, SprayOptions, Weighting};

fn maps(n: usize, d: usize) -> Array2<f64> {
    let mut rng = StdRng::seed_from_u64(1);
    let protos: Vec<Vec<f64>> =
        (0..3).map(|_| (0..d).map(|_| rng.gen_range(-1.0..1.0)).collect()).collect();
    Array2::from_shape_fn((n, d), |(i, j)| protos[i % 3][j] + 0.8 * rng.gen_range(-1.0..1.0))
}

fn main() {
    let x = maps(5000, 400);
    let mut c = Criterion::default().without_plots().configure_from_args();
    let mut group = c.benchmark_group("spray");
    group.sample_size(10);
    group.bench_function("analyse_5000x400", |b| {
        b.iter(|| black_box(analyse(x.view(), &SprayOptions::default()).expect("analyses")))
    });
    group.finish();
    c.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        let t = Instant::now();
        let a = analyse(x.view(), &SprayOptions::default()).expect("analyses");
        let whole = t.elapsed().as_secs_f64();
        let t = Instant::now();
        black_box(knn_graph(x.view(), a.neighbours, Weighting::Binary).expect("graph"));
        let graph = t.elapsed().as_secs_f64();
        println!("\n5,000 × 400: {whole:.2} s (target ≤ 10 s), k-NN graph {:.0} % of it; {:?} solver, {} clusters proposed", 100.0 * graph / whole, a.solver, a.proposed_clusters);
        let big = maps(20_000, 400);
        let t = Instant::now();
        let a = analyse(big.view(), &SprayOptions::default()).expect("analyses");
        println!(
            "20,000 × 400: {:.2} s, {:?} solver, {} clusters proposed",
            t.elapsed().as_secs_f64(),
            a.solver,
            a.proposed_clusters
        );
    }
}
