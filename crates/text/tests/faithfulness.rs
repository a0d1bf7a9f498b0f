//! The faithfulness evaluation against a brute-force computation: every curve point,
//! comprehensiveness, sufficiency, the leave-one-out correlation and the cue localisation of
//! one document recomputed from full forward passes of the network over the edited texts.

use ndarray::{Array1, Array2, Axis};
use pipeline::correlation::kendall_tau_b;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use text::explain_positions;
use text::{evaluate_faithfulness, EvaluatedDocument, FaithfulnessConfig};
use text::{rank_positions, DeletionDocument};
use text::{Architecture, Method, TextCnn};

fn random_cnn(seed: u64) -> TextCnn {
    let arch = Architecture {
        vocab: 40,
        embedding_dim: 6,
        width: 3,
        filters: 16,
        classes: 4,
        max_len: 60,
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let mut cnn = TextCnn::new(arch, &mut rng);
    text::TextCnn::from_parts(
        cnn.arch.clone(),
        std::mem::take(&mut cnn.embedding),
        lrp::Conv1d::new(
            cnn.conv().weight.clone(),
            Some(Array1::from_shape_fn(16, |_| rng.gen_range(-0.3..0.3))),
        )
        .unwrap(),
        lrp::Dense::new(
            cnn.dense().weight.clone(),
            Some(Array1::from_shape_fn(4, |_| rng.gen_range(-0.3..0.3))),
        )
        .unwrap(),
    )
    .unwrap()
}

/// The class's softmax probability from a full forward pass over `rows`.
fn probability(cnn: &TextCnn, rows: &[Array1<f32>], class: usize) -> f64 {
    let x = ndarray::stack(Axis(0), &rows.iter().map(|r| r.view()).collect::<Vec<_>>()).unwrap();
    let scores: Vec<f64> = cnn
        .network()
        .forward(x.into_dyn())
        .unwrap()
        .output()
        .iter()
        .map(|&s| f64::from(s))
        .collect();
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = scores.iter().map(|s| (s - max).exp()).sum();
    (scores[class] - max).exp() / sum
}

#[test]
fn every_number_of_one_document_equals_full_passes_over_the_edited_text() {
    let cnn = random_cnn(11);
    let mut rng = StdRng::seed_from_u64(12);
    let ids: Vec<u32> = (0..24).map(|_| rng.gen_range(2..40)).collect();
    let words: Vec<usize> = (0..ids.len()).collect();
    let cue = vec![5, 17];
    let replacement = 3u32;
    let (steps, shares) = (10, vec![0.2, 0.5]);
    let config = FaithfulnessConfig {
        methods: vec![Method::GradientXInput],
        steps,
        shares: shares.clone(),
        replacement,
        seed: 0,
    };
    let doc = EvaluatedDocument {
        document: DeletionDocument { ids: ids.clone(), label: 0, deletable: words.clone() },
        cue: cue.clone(),
    };
    let scores = evaluate_faithfulness(&cnn, &[doc], &config, &|_, _| {}).unwrap();
    assert_eq!(scores.iter().map(|s| s.method.as_str()).collect::<Vec<_>>(), ["gxi", "random"]);
    let gxi = &scores[0];

    let x: Array2<f32> = cnn.embed(&ids);
    let rows: Vec<Array1<f32>> = x.rows().into_iter().map(|r| r.to_owned()).collect();
    let zero = Array1::zeros(x.ncols());
    let neutral = cnn.embed(&[replacement]).row(0).to_owned();
    let class = pipeline::metrics::argmax(&cnn.scores(&ids));
    let relevance =
        explain_positions(&cnn, x.clone(), Some(class), &Method::GradientXInput).unwrap().relevance;
    let order = rank_positions(&relevance, words.clone(), true);
    let p0 = probability(&cnn, &rows, class);
    let close =
        |a: f64, b: f64, what: &str| assert!((a - b).abs() < 1e-5, "{what}: {a} against {b}");
    for k in 0..=steps {
        let gone = &order[..k];
        let zeroed: Vec<_> = rows
            .iter()
            .enumerate()
            .map(|(p, r)| if gone.contains(&p) { zero.clone() } else { r.clone() })
            .collect();
        let replaced: Vec<_> = rows
            .iter()
            .enumerate()
            .map(|(p, r)| if gone.contains(&p) { neutral.clone() } else { r.clone() })
            .collect();
        let removed: Vec<_> = rows
            .iter()
            .enumerate()
            .filter(|(p, _)| !gone.contains(p))
            .map(|(_, r)| r.clone())
            .collect();
        let inserted: Vec<_> = rows
            .iter()
            .enumerate()
            .map(|(p, r)| if gone.contains(&p) { r.clone() } else { zero.clone() })
            .collect();
        close(
            gxi.deletion[k],
            probability(&cnn, &zeroed, class),
            &format!("deletion by zeroing, k = {k}"),
        );
        close(
            gxi.deletion_replaced[k],
            probability(&cnn, &replaced, class),
            &format!("deletion by replacing, k = {k}"),
        );
        close(
            gxi.deletion_removed[k],
            probability(&cnn, &removed, class),
            &format!("deletion by removing, k = {k}"),
        );
        close(
            gxi.insertion[k],
            probability(&cnn, &inserted, class),
            &format!("insertion, k = {k}"),
        );
    }
    close(
        gxi.aopc[0],
        gxi.deletion.iter().map(|p| p0 - p).sum::<f64>() / (steps + 1) as f64,
        "AOPC",
    );
    for (i, q) in shares.iter().enumerate() {
        let k = (q * words.len() as f64).ceil() as usize;
        let top = &order[..k];
        let without: Vec<_> = rows
            .iter()
            .enumerate()
            .map(|(p, r)| if top.contains(&p) { zero.clone() } else { r.clone() })
            .collect();
        let only: Vec<_> = rows
            .iter()
            .enumerate()
            .map(|(p, r)| if top.contains(&p) { r.clone() } else { zero.clone() })
            .collect();
        close(
            gxi.comprehensiveness[i],
            p0 - probability(&cnn, &without, class),
            &format!("comprehensiveness at {q}"),
        );
        close(
            gxi.sufficiency[i],
            p0 - probability(&cnn, &only, class),
            &format!("sufficiency at {q}"),
        );
    }
    // Leave-one-out drops of the class score.
    let score = |rows: &[Array1<f32>]| -> f64 {
        let x =
            ndarray::stack(Axis(0), &rows.iter().map(|r| r.view()).collect::<Vec<_>>()).unwrap();
        f64::from(cnn.network().forward(x.into_dyn()).unwrap().output()[class])
    };
    let drops: Vec<f64> = words
        .iter()
        .map(|&p| {
            score(&rows)
                - score(
                    &rows
                        .iter()
                        .enumerate()
                        .map(|(q, r)| if q == p { zero.clone() } else { r.clone() })
                        .collect::<Vec<_>>(),
                )
        })
        .collect();
    let tau = kendall_tau_b(&relevance.iter().map(|&r| f64::from(r)).collect::<Vec<_>>(), &drops)
        .unwrap();
    close(gxi.faithfulness_tau, tau, "faithfulness correlation");
    // The cue: relevance mass on positions 5 and 17, of all.
    let c = gxi.cue.as_ref().expect("the document holds the cue");
    let total: f64 = relevance.iter().map(|&r| f64::from(r)).sum();
    close(c.mass_accuracy, f64::from(relevance[5] + relevance[17]) / total, "mass accuracy");
    let top2 = &order[..2];
    close(
        c.rank_accuracy,
        top2.iter().filter(|p| cue.contains(p)).count() as f64 / 2.0,
        "rank accuracy",
    );
    close(c.pointing_game, if cue.contains(&order[0]) { 1.0 } else { 0.0 }, "pointing game");
}

#[test]
fn a_faithful_ranking_beats_chance_and_settings_are_checked() {
    let cnn = random_cnn(5);
    let mut rng = StdRng::seed_from_u64(6);
    let docs: Vec<EvaluatedDocument> = (0..30)
        .map(|_| {
            let ids: Vec<u32> = (0..20).map(|_| rng.gen_range(2..40)).collect();
            EvaluatedDocument {
                document: DeletionDocument { deletable: (0..ids.len()).collect(), ids, label: 0 },
                cue: vec![],
            }
        })
        .collect();
    let config = FaithfulnessConfig {
        methods: vec![Method::Occlusion(text::OcclusionWindow(1))],
        steps: 5,
        shares: vec![0.1],
        replacement: 3,
        seed: 1,
    };
    let scores = evaluate_faithfulness(&cnn, &docs, &config, &|_, _| {}).unwrap();
    let (occlusion, random) = (&scores[0], &scores[1]);
    assert_eq!((occlusion.documents, random.documents), (30, 30));
    assert!(
        occlusion.aopc[0] > random.aopc[0],
        "leave-one-out ranks what matters first: {} against {}",
        occlusion.aopc[0],
        random.aopc[0]
    );
    assert!(
        occlusion.faithfulness_tau > 0.99,
        "occlusion of one word is the leave-one-out drop: τ {}",
        occlusion.faithfulness_tau
    );
    assert!(random.faithfulness_tau.abs() < 0.2);
    assert!(occlusion.cue.is_none());
    for bad in [
        FaithfulnessConfig { steps: 0, ..config.clone() },
        FaithfulnessConfig { shares: vec![1.5], ..config.clone() },
    ] {
        assert!(evaluate_faithfulness(&cnn, &docs, &bad, &|_, _| {}).is_err());
    }
}

#[test]
fn randomisation_redraws_the_layers_from_the_top_at_their_own_scale() {
    use pipeline::randomisation::FLAG_RHO;
    use text::{randomisation_test, CASCADE};
    let cnn = random_cnn(21);
    let sd = |v: &[f32]| {
        let m = v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64;
        (v.iter().map(|&x| (f64::from(x) - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
    };
    let same = text::randomised_cnn(&cnn, 0, 1).unwrap();
    assert_eq!(same.scores(&[2, 3, 4, 5]), cnn.scores(&[2, 3, 4, 5]));
    let top = text::randomised_cnn(&cnn, 1, 1).unwrap();
    assert_eq!((&top.embedding, &top.conv().weight), (&cnn.embedding, &cnn.conv().weight));
    assert_ne!(top.dense().weight, cnn.dense().weight);
    let (a, b) =
        (sd(cnn.dense().weight.as_slice().unwrap()), sd(top.dense().weight.as_slice().unwrap()));
    assert!((b / a - 1.0).abs() < 0.25, "the re-drawn weights keep their scale: σ {b} against {a}");
    let all = text::randomised_cnn(&cnn, 3, 1).unwrap();
    assert_ne!(all.conv().weight, cnn.conv().weight);
    assert_ne!(all.embedding, cnn.embedding);
    assert!(all.embedding.row(0).iter().all(|&v| v == 0.0), "padding stays zero");

    // The curves are the mean ρ of each document's words, step by step.
    let mut rng = StdRng::seed_from_u64(22);
    let docs: Vec<DeletionDocument> = (0..6)
        .map(|_| {
            let ids: Vec<u32> = (0..15).map(|_| rng.gen_range(2..40)).collect();
            DeletionDocument { deletable: (0..ids.len()).collect(), ids, label: 0 }
        })
        .collect();
    let methods = [Method::GradientXInput, Method::parse("lrp", "epsilon=0.01").unwrap()];
    let curves = randomisation_test(&cnn, &docs, &methods, 9, &|_, _| {}).unwrap();
    assert_eq!(curves.len(), 2);
    for (curve, method) in curves.iter().zip(&methods) {
        assert_eq!(curve.steps.iter().map(|s| s.randomised.len()).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(curve.steps[2].randomised, CASCADE.map(String::from));
        for (s, step) in curve.steps.iter().enumerate() {
            let model = text::randomised_cnn(&cnn, s + 1, 9).unwrap();
            let rho: Vec<f64> = docs
                .iter()
                .filter_map(|d| {
                    let class = pipeline::metrics::argmax(&cnn.scores(&d.ids));
                    let r = |m: &TextCnn| {
                        explain_positions(m, m.embed(&d.ids), Some(class), method)
                            .unwrap()
                            .relevance
                            .iter()
                            .map(|&v| f64::from(v))
                            .collect::<Vec<_>>()
                    };
                    pipeline::correlation::spearman(&r(&cnn), &r(&model))
                })
                .collect();
            let mean = rho.iter().sum::<f64>() / rho.len() as f64;
            assert!(
                (step.spearman - mean).abs() < 1e-12,
                "{}: step {s}: {} against {mean}",
                curve.method,
                step.spearman
            );
        }
        let last = &curve.steps[2];
        assert_eq!(curve.flagged, last.spearman >= FLAG_RHO || last.spearman_abs >= FLAG_RHO);
        assert!(
            last.spearman < 0.9,
            "{}: a random model's explanations are not the trained one's",
            curve.method
        );
    }
}

#[test]
fn the_randomisation_test_takes_the_trained_relevance_the_faithfulness_measures_kept() {
    use text::{evaluate_faithfulness_keeping, randomisation_test, randomisation_test_from};
    let cnn = random_cnn(31);
    let mut rng = StdRng::seed_from_u64(32);
    let docs: Vec<EvaluatedDocument> = (0..9)
        .map(|_| {
            let ids: Vec<u32> = (0..18).map(|_| rng.gen_range(2..40)).collect();
            EvaluatedDocument {
                document: DeletionDocument { deletable: (1..ids.len()).collect(), ids, label: 0 },
                cue: vec![],
            }
        })
        .collect();
    let methods = vec![
        Method::parse("lrp", "epsilon=0.01").unwrap(),
        Method::GradientXInput,
        Method::Occlusion(text::OcclusionWindow(1)),
    ];
    let config = FaithfulnessConfig {
        methods: methods.clone(),
        steps: 4,
        shares: vec![0.2],
        replacement: 3,
        seed: 1,
    };
    let keep = [7, 1, 4];
    let (scores, trained) =
        evaluate_faithfulness_keeping(&cnn, &docs, &config, &keep, &|_, _| {}).unwrap();
    let untimed = |s: Vec<text::MethodScores>| -> Vec<text::MethodScores> {
        s.into_iter().map(|s| text::MethodScores { relevance_seconds: 0.0, ..s }).collect()
    };
    let alone = evaluate_faithfulness(&cnn, &docs, &config, &|_, _| {}).unwrap();
    assert_eq!(untimed(scores), untimed(alone));
    // Kept in the order asked, each the document's relevance over its words for the class
    // the model predicts, by each method (the sums of a window's taps round apart from the
    // convolution's product in the last bits).
    assert_eq!(trained.len(), keep.len());
    for (&k, kept) in keep.iter().zip(&trained) {
        let d = &docs[k].document;
        assert_eq!(kept.class, pipeline::metrics::argmax(&cnn.scores(&d.ids)));
        for (method, relevance) in methods.iter().zip(&kept.relevance) {
            let full =
                explain_positions(&cnn, cnn.embed(&d.ids), Some(kept.class), method).unwrap();
            let expected: Vec<f64> =
                d.deletable.iter().map(|&p| f64::from(full.relevance[p])).collect();
            let scale = expected.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (a, b) in relevance.iter().zip(&expected) {
                assert!((a - b).abs() <= 1e-5 * scale, "document {k}, {method}: {a} against {b}");
            }
        }
    }
    let sample: Vec<DeletionDocument> = keep.iter().map(|&k| docs[k].document.clone()).collect();
    let from = randomisation_test_from(&cnn, &sample, &trained, &methods, 5, &|_, _| {}).unwrap();
    let again = randomisation_test(&cnn, &sample, &methods, 5, &|_, _| {}).unwrap();
    assert_eq!(from, again, "the same correlations as with the trained model explained again");
}
