//! Degenerate inputs: zeros, zero denominators, ties, empty and short sequences, bad values.
//! None may panic or produce NaN or infinity.

mod common;

use common::*;
use lrp::{Composite, Conv1d, Dense, Layer, LrpError, MaxPool, Network, Rule, Target};
use ndarray::{arr1, arr2, Array2, Array3, ArrayD};

#[test]
fn all_zero_input_gives_finite_relevance_and_no_relevance_from_inputs() {
    let net = text_like_stack(1, false);
    let trace = net.forward(ArrayD::zeros(vec![12, FEATURES])).unwrap();
    for rule in ALL_RULES {
        let e = trace.lrp(&Target::Output(0), &Composite::uniform(rule)).unwrap();
        assert!(all_finite(&e.relevance), "{rule}");
        // A bias-free network scores 0 on a zero input: there is nothing to distribute.
        assert_eq!(e.explained, 0.0);
        assert!(e.relevance.iter().all(|&r| r == 0.0), "{rule}");
    }
    assert!(all_finite(&trace.gradient(&Target::Output(0)).unwrap()));
    assert!(all_finite(&trace.sensitivity(&Target::Output(0)).unwrap()));
}

#[test]
fn zero_denominators_pass_nothing_and_stay_finite() {
    // All-zero weights: every denominator of every rule except flat is 0.
    let layer = Dense::new(Array2::zeros((3, 2)), None).unwrap();
    let x = arr1(&[1.0f32, -2.0, 0.5]).into_dyn();
    let r = arr1(&[1.0f32, 2.0]).into_dyn();
    for rule in ALL_RULES {
        let r_in = lrp::relevance_through(&layer, x.view(), r.view(), &rule).unwrap();
        assert!(all_finite(&r_in), "{rule}");
        if rule == Rule::Flat {
            // Flat ignores the weights: each input gets a third of every output's relevance.
            assert!(r_in.iter().all(|&v| (v - 1.0).abs() < 1e-6), "{r_in}");
        } else {
            assert!(r_in.iter().all(|&v| v == 0.0), "{rule}: {r_in}");
        }
    }
}

#[test]
fn tied_maxima_share_relevance_and_gradient_evenly() {
    let net = Network::new(vec![
        Layer::MaxPool(MaxPool::Global),
        Layer::Dense(Dense::new(arr2(&[[1.0], [1.0]]), None).unwrap()),
    ]);
    let x = arr2(&[[2.0f32, 1.0], [2.0, 3.0], [0.0, 3.0], [2.0, -1.0]]).into_dyn();
    let trace = net.forward(x).unwrap();
    let e = trace.lrp(&Target::Output(0), &Composite::uniform(Rule::Zero)).unwrap();
    let expected =
        arr2(&[[2.0 / 3.0, 0.0], [2.0 / 3.0, 1.5], [0.0, 1.5], [2.0 / 3.0, 0.0]]).into_dyn();
    assert!(
        e.relevance.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-6),
        "{}",
        e.relevance
    );
    let g = trace.gradient(&Target::Output(0)).unwrap();
    let expected =
        arr2(&[[1.0 / 3.0, 0.0], [1.0 / 3.0, 0.5], [0.0, 0.5], [1.0 / 3.0, 0.0]]).into_dyn();
    assert!(g.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-6), "{g}");
}

#[test]
fn windowed_pooling_sums_relevance_where_windows_overlap() {
    let pool = MaxPool::Windowed { size: 2, stride: 1 };
    let x = arr2(&[[1.0f32], [5.0], [2.0]]).into_dyn();
    assert_eq!(pool.output_shape(x.shape(), 0).unwrap(), vec![2, 1]);
    assert_eq!(pool.forward(x.view()).iter().copied().collect::<Vec<_>>(), vec![5.0, 5.0]);
    let back = pool.route(x.view(), arr2(&[[1.0f32], [2.0]]).into_dyn().view());
    assert_eq!(back.iter().copied().collect::<Vec<_>>(), vec![0.0, 3.0, 0.0]);
}

#[test]
fn empty_and_short_sequences_are_errors_not_panics() {
    let net = text_like_stack(1, true);
    assert!(matches!(
        net.forward(ArrayD::zeros(vec![0, FEATURES])),
        Err(LrpError::EmptySequence { layer: 0, .. })
    ));
    let err = net.forward(ArrayD::zeros(vec![2, FEATURES])).unwrap_err();
    assert!(matches!(err, LrpError::SequenceTooShort { layer: 1, len: 2, window: 3, .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "layer 1 (conv1d): sequence of length 2 is shorter than the window of 3"
    );
    let pool = Network::new(vec![Layer::MaxPool(MaxPool::Global)]);
    assert!(matches!(pool.forward(ArrayD::zeros(vec![0, 3])), Err(LrpError::EmptySequence { .. })));
}

#[test]
fn wrong_shapes_values_and_targets_are_errors() {
    let net = text_like_stack(1, true);
    let err = net.forward(ArrayD::zeros(vec![12, FEATURES + 1])).unwrap_err();
    assert!(matches!(err, LrpError::ShapeMismatch { layer: 0, .. }), "{err}");
    let mut x = ArrayD::<f32>::zeros(vec![12, FEATURES]);
    x[[3, 1]] = f32::NAN;
    assert_eq!(net.forward(x).unwrap_err(), LrpError::NonFiniteInput { index: 3 * FEATURES + 1 });
    let trace = net.forward(ArrayD::zeros(vec![12, FEATURES])).unwrap();
    let composite = Composite::uniform(Rule::Zero);
    assert_eq!(
        trace.lrp(&Target::Output(4), &composite).unwrap_err(),
        LrpError::TargetOutOfRange { index: 4, len: 4 }
    );
    assert!(matches!(
        trace.gradient(&Target::Relevance(ArrayD::zeros(vec![3]))),
        Err(LrpError::TargetShape { .. })
    ));
    let bad = Composite::uniform(Rule::AlphaBeta { alpha: 3.0, beta: 1.0 });
    assert!(matches!(trace.lrp(&Target::Output(0), &bad), Err(LrpError::InvalidRule(_))));
}

#[test]
fn layers_reject_inconsistent_parts() {
    assert!(Dense::new(Array2::zeros((3, 2)), Some(arr1(&[0.0]))).is_err());
    assert!(Conv1d::new(Array3::zeros((2, 3, 4)), Some(arr1(&[0.0; 3]))).is_err());
    assert!(Conv1d::new(Array3::zeros((0, 3, 4)), None).is_err());
    let pool = MaxPool::Windowed { size: 0, stride: 1 };
    assert!(pool.output_shape(&[4, 2], 0).is_err());
}

#[test]
fn no_rule_produces_nan_on_random_sparse_inputs() {
    // Inputs with many exact zeros and repeated values hit zero denominators and ties.
    for seed in 0..20 {
        let net = deep_stack(seed, seed % 2 == 0);
        let x = uniform(&mut rng(seed + 1000), &[12, FEATURES], -1.0, 1.0).mapv(|v| {
            if v.abs() < 0.5 {
                0.0
            } else {
                v.signum()
            }
        });
        let trace = net.forward(x).unwrap();
        for rule in ALL_RULES {
            for class in 0..3 {
                let e = trace.lrp(&Target::Output(class), &Composite::uniform(rule)).unwrap();
                assert!(
                    all_finite(&e.relevance) && e.input_sum().is_finite(),
                    "{rule}, seed {seed}"
                );
            }
        }
    }
}
