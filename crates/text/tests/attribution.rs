//! The many-pass methods on the default model: occlusion against full forward passes with the
//! words zeroed, Integrated Gradients' completeness, SmoothGrad without noise against SA.

use ndarray::Array2;
use text::{explain_positions, Method, OcclusionWindow};

fn demo_post(name: &str) -> String {
    std::fs::read_to_string(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/demo/").to_string() + name,
    )
    .unwrap()
}

/// The embedded document the model reads for `text`.
fn embedded(model: &text::TextClassifier, text: &str) -> Array2<f32> {
    let prepared = model.prepare(text).unwrap();
    model.cnn.embed(&model.cnn.input_ids(&prepared.tokens.ids))
}

fn score(model: &text::TextClassifier, x: Array2<f32>, class: usize) -> f64 {
    f64::from(model.cnn.network().forward(x.into_dyn()).unwrap().output()[class])
}

#[test]
fn occlusion_is_the_mean_score_drop_of_full_passes_with_the_window_zeroed() {
    let model = text::default_model().unwrap();
    let x = embedded(&model, &demo_post("space.txt"));
    let class = 14;
    let full = score(&model, x.clone(), class);
    let words: Vec<usize> =
        (0..x.nrows()).filter(|&p| x.row(p).iter().any(|&v| v != 0.0)).collect();
    for window in [1, 3] {
        let got = explain_positions(
            &model.cnn,
            x.clone(),
            Some(class),
            &Method::Occlusion(OcclusionWindow(window)),
        )
        .unwrap()
        .relevance;
        let mut expected = vec![0.0f64; x.nrows()];
        for (i, &p) in words.iter().enumerate() {
            let starts = i.saturating_sub(window - 1)..=i.min(words.len() - window);
            let drops: Vec<f64> = starts
                .map(|s| {
                    let mut occluded = x.clone();
                    words[s..s + window].iter().for_each(|&q| occluded.row_mut(q).fill(0.0));
                    full - score(&model, occluded, class)
                })
                .collect();
            expected[p] = drops.iter().sum::<f64>() / drops.len() as f64;
        }
        for (p, (&g, &e)) in got.iter().zip(&expected).enumerate() {
            assert!(
                (f64::from(g) - e).abs() < 1e-4 * full.abs().max(1.0),
                "window {window}, position {p}: {g} against {e}"
            );
        }
        assert!(got.iter().any(|&g| g != 0.0));
    }
}

#[test]
fn integrated_gradients_close_the_score_gap_on_the_demo_posts() {
    let model = text::default_model().unwrap();
    for name in ["space.txt", "medicine.txt", "hockey.txt"] {
        let x = embedded(&model, &demo_post(name));
        let e = explain_positions(&model.cnn, x.clone(), None, &Method::parse("ig", "").unwrap())
            .unwrap();
        let c = e.completeness.expect("IG reports its completeness");
        let gap = c.score - c.baseline_score;
        assert!((c.score - f64::from(e.scores[e.class])).abs() < 1e-4);
        assert!(
            (c.baseline_score - score(&model, Array2::zeros(x.raw_dim()), e.class)).abs() < 1e-4
        );
        let sum: f64 = e.relevance.iter().map(|&r| f64::from(r)).sum();
        assert!(
            (sum - gap - c.error).abs() < 1e-3 * gap.abs().max(1.0),
            "{name}: the error is the sum's distance from the gap"
        );
        assert!(
            c.error.abs() < 0.01 * gap.abs(),
            "{name}: 50 steps leave {} of a gap of {gap}",
            c.error
        );
    }
}

#[test]
fn smooth_grad_without_noise_is_sensitivity_analysis() {
    let model = text::default_model().unwrap();
    let x = embedded(&model, &demo_post("medicine.txt"));
    let sa =
        explain_positions(&model.cnn, x.clone(), Some(3), &Method::Sensitivity).unwrap().relevance;
    let still = explain_positions(
        &model.cnn,
        x.clone(),
        Some(3),
        &Method::parse("smoothgrad:noise=0,samples=2", "").unwrap(),
    )
    .unwrap()
    .relevance;
    assert_eq!(sa, still);
    let noisy = explain_positions(
        &model.cnn,
        x,
        Some(3),
        &Method::parse("smoothgrad:samples=4", "").unwrap(),
    )
    .unwrap()
    .relevance;
    assert_ne!(sa, noisy);
    assert!(noisy.iter().all(|r| r.is_finite() && *r >= 0.0));
}
