//! The graph of operations against brute-force computations in f64: a Kim-style CNN (three
//! convolution widths, pooled and concatenated), a residual sum, a constant scale, and a
//! transpose with a reshape, under every rule; the gradient against finite differences; a
//! chain written as a graph against the same chain as a network; the operations of attention
//! and normalisation (forward, gradient, AttnLRP and CP-LRP) against the same; the pooled
//! step through a convolution, ReLU and global max-pool against the node-by-node passes.

mod attention_ops;
mod early_slices;
mod fused_steps;
mod kim_cnn;
mod normalisation;
mod operations;
mod pooled_chain;

#[path = "../common/mod.rs"]
mod common;

use lrp::{Graph, Layer, Op, Rule};

fn rules() -> Vec<Rule> {
    vec![
        Rule::Zero,
        Rule::Epsilon(0.1),
        Rule::AlphaBeta { alpha: 2.0, beta: 1.0 },
        Rule::ZPLUS,
        Rule::WSquare,
        Rule::Flat,
        Rule::ZBox { low: -1.0, high: 1.0 },
    ]
}

fn linear(graph: &Graph, node: usize) -> &Layer {
    match &graph.nodes()[node].op {
        Op::Layer(layer) => layer,
        other => panic!("node {node} is {other:?}"),
    }
}

/// Global max over positions of a row-major `[positions, channels]` map.
fn global_max(a: &[f64], channels: usize) -> Vec<f64> {
    (0..channels)
        .map(|c| a.iter().skip(c).step_by(channels).copied().fold(f64::NEG_INFINITY, f64::max))
        .collect()
}

/// The pooled signal `r` sent back to the maxima of `a`, split evenly between ties.
fn route_to_maxima(a: &[f64], channels: usize, r: &[f64]) -> Vec<f64> {
    let maxima = global_max(a, channels);
    let mut out = vec![0.0; a.len()];
    for c in 0..channels {
        let ties: Vec<usize> =
            (c..a.len()).step_by(channels).filter(|&i| a[i] == maxima[c]).collect();
        for &i in &ties {
            out[i] = r[c] / ties.len() as f64;
        }
    }
    out
}
