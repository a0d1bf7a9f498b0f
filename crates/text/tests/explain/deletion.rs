//! The deletion evaluation: incremental edits against full passes, rankings, runs, curves and shards.

use super::*;

#[test]
fn incremental_deletion_equals_full_recomputation_exactly() {
    for seed in 0..4 {
        let cnn = random_cnn(seed);
        let mut rng = StdRng::seed_from_u64(100 + seed);
        let ids = cnn.input_ids(&random_ids(&mut rng, 50));
        let mut x = cnn.embed(&ids);
        let mut doc = EditableDocument::new(&cnn, x.clone());
        // The window kernel agrees with the lrp network's forward pass.
        let network: Vec<f32> = cnn.scores(&ids).to_vec();
        for (a, b) in doc.scores().iter().zip(&network) {
            assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
        }
        let start = doc.clone();
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.shuffle(&mut rng);
        for &p in &order[..40] {
            doc.delete(p);
            x.row_mut(p).fill(0.0);
            let full = EditableDocument::new(&cnn, x.clone());
            assert_eq!(doc.pooled(), full.pooled(), "seed {seed}, after deleting {p}");
            assert_eq!(doc.scores(), full.scores());
            // The scores kept in f64 decide the prediction as the f32 scores do.
            let predicted = pipeline::metrics::argmax(&doc.scores());
            for class in 0..cnn.arch.classes {
                assert_eq!(doc.predicts(class), class == predicted, "class {class}");
            }
            let mut other = EditableDocument::new(&cnn, cnn.embed(&cnn.input_ids(&[1, 2, 3])));
            other.reset_to(&doc);
            assert_eq!(other.pooled(), full.pooled(), "reset_to copies the state");
            let network: Vec<f32> = cnn
                .network()
                .forward(x.clone().into_dyn())
                .unwrap()
                .output()
                .iter()
                .copied()
                .collect();
            for (a, b) in doc.scores().iter().zip(&network) {
                assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
            }
        }
        doc.reset_to(&start);
        assert_eq!(
            doc.scores(),
            EditableDocument::new(&cnn, cnn.embed(&ids)).scores(),
            "back to the start"
        );
    }
}

#[test]
fn replacing_restoring_and_removing_words_equal_a_full_pass_over_the_edited_text() {
    for seed in 0..4 {
        let cnn = random_cnn(seed);
        let mut rng = StdRng::seed_from_u64(200 + seed);
        let ids = cnn.input_ids(&random_ids(&mut rng, 30));
        let x = cnn.embed(&ids);
        let word = cnn.embed(&[7]).row(0).to_owned();
        let mut doc = EditableDocument::new(&cnn, x.clone()).with_replacement(word.clone());
        // What each position holds, `None` once removed.
        let mut held: Vec<Option<Slot>> = vec![Some(Slot::Word); ids.len()];
        for step in 0..60 {
            let p = rng.gen_range(0..ids.len());
            let edit = rng.gen_range(0..4);
            match edit {
                0 => doc.set(p, Slot::Zeroed),
                1 => doc.set(p, Slot::Replaced),
                2 => doc.set(p, Slot::Word),
                _ => doc.remove(p),
            }
            if held[p].is_some() {
                let left = held.iter().filter(|h| h.is_some()).count();
                held[p] = match edit {
                    0 => Some(Slot::Zeroed),
                    1 => Some(Slot::Replaced),
                    2 => Some(Slot::Word),
                    _ if left <= cnn.arch.width => Some(Slot::Zeroed),
                    _ => None,
                };
            }
            let rows: Vec<ndarray::Array1<f32>> = held
                .iter()
                .enumerate()
                .filter_map(|(q, h)| {
                    h.map(|slot| match slot {
                        Slot::Word => x.row(q).to_owned(),
                        Slot::Zeroed => ndarray::Array1::zeros(x.ncols()),
                        Slot::Replaced => word.clone(),
                    })
                })
                .collect();
            let edited = ndarray::stack(
                ndarray::Axis(0),
                &rows.iter().map(|r| r.view()).collect::<Vec<_>>(),
            )
            .unwrap();
            let network: Vec<f32> = cnn
                .network()
                .forward(edited.into_dyn())
                .unwrap()
                .output()
                .iter()
                .copied()
                .collect();
            for (a, b) in doc.scores().iter().zip(&network) {
                assert!(
                    (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
                    "seed {seed}, step {step} (edit {edit} at {p}): {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn ranking_skips_padding_and_orders_by_relevance() {
    let relevance = [0.5, -1.0, 2.0, 0.0, 0.5];
    let ids = [3, 4, 5, 0, 6];
    assert_eq!(rank(&relevance, &ids, true), vec![2, 0, 4, 1]);
    assert_eq!(rank(&relevance, &ids, false), vec![1, 0, 4, 2]);
}

#[test]
fn deletion_runs_and_curves_are_consistent() {
    let cnn = random_cnn(9);
    let mut rng = StdRng::seed_from_u64(10);
    let examples: Vec<Example> =
        (0..24).map(|i| Example { ids: random_ids(&mut rng, 5 + i), label: i % 4 }).collect();
    let names: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
    let config = DeletionConfig {
        steps: 12,
        rule: "epsilon=0.01".parse().unwrap(),
        random_seeds: 2,
        per_class: Some(names),
    };
    let documents: Vec<_> =
        examples.iter().map(|e| DeletionDocument::of_example(&cnn, e)).collect();
    let report = evaluate_deletion(&cnn, &documents, &config, &|_, _| {}).unwrap();
    assert_eq!(report.correct.documents + report.misclassified.documents, examples.len());
    assert!(report.correct.documents > 0 && report.misclassified.documents > 0);
    for (experiment, start) in [(&report.correct, 1.0), (&report.misclassified, 0.0)] {
        assert_eq!(
            experiment.curves.iter().map(|c| c.method.as_str()).collect::<Vec<_>>(),
            ["lrp", "sa", "random"]
        );
        for c in &experiment.curves {
            assert_eq!(c.accuracy.len(), 13);
            assert_eq!(c.accuracy[0], start);
            let area = c.accuracy.iter().map(|a| (a - start).abs()).sum::<f64>() / 13.0;
            assert!((c.area - area).abs() < 1e-12);
        }
    }
    // Per class, the documents add up and the curves average to the overall ones.
    assert_eq!(report.per_class.len(), 4);
    let per_class_docs: usize = report.per_class.iter().map(|c| c.correct.documents).sum();
    assert_eq!(per_class_docs, report.correct.documents);
    let weighted: f64 = report
        .per_class
        .iter()
        .map(|c| c.correct.documents as f64 * c.correct.curves[0].accuracy[12])
        .sum();
    assert!(
        (weighted / report.correct.documents as f64 - report.correct.curves[0].accuracy[12]).abs()
            < 1e-12
    );
    // A run past a document's length keeps its last state.
    let ids = cnn.input_ids(&[3, 4, 5]);
    let run = deletion_run(&mut EditableDocument::new(&cnn, cnn.embed(&ids)), &[0, 1, 2], 6, 1);
    assert_eq!(run.len(), 7);
    assert!(run[3..].iter().all(|&c| c == run[3]));
}

#[test]
fn deletion_curves_are_the_shares_tallied_from_each_documents_runs_and_shards_add_up() {
    // Pieces of the demo posts under the default model, labelled with the whole post's class:
    // some pieces start misclassified, and deletions move predictions both ways.
    let model = text::default_model().unwrap();
    let mut documents = Vec::new();
    for post in demo_posts() {
        let label = model.predict(&post).unwrap().class;
        let sentences: Vec<&str> = post.split_inclusive(". ").collect();
        for piece in sentences.chunks(2) {
            let ids = model.prepare(&piece.concat()).unwrap().tokens.ids;
            documents.push(DeletionDocument::of_example(
                &model.cnn,
                &Example { ids: model.cnn.input_ids(&ids), label },
            ));
        }
    }
    let steps = 8;
    let config = DeletionConfig {
        steps,
        rule: "epsilon=0.01".parse().unwrap(),
        random_seeds: 2,
        per_class: None,
    };
    let report = evaluate_deletion(&model.cnn, &documents, &config, &|_, _| {}).unwrap();
    let rankings = [
        Ranking::Method(Method::Lrp(config.rule.clone())),
        Ranking::Method(Method::Sensitivity),
        Ranking::Random(0),
        Ranking::Random(1),
    ];
    let runs: Vec<(bool, Vec<Vec<bool>>)> = documents
        .iter()
        .enumerate()
        .map(|(i, d)| model.cnn.deletion_runs(d, i, &rankings, steps).unwrap())
        .collect();
    let mut moved = 0;
    for (experiment, correct) in [(&report.correct, true), (&report.misclassified, false)] {
        let group: Vec<&Vec<Vec<bool>>> =
            runs.iter().filter(|(c, _)| *c == correct).map(|(_, r)| r).collect();
        assert!(
            !group.is_empty(),
            "no document is {}",
            if correct { "correct" } else { "misclassified" }
        );
        let share = |r: usize, k: usize| {
            group.iter().filter(|runs| runs[r][k]).count() as f64 / group.len() as f64
        };
        for k in 0..=steps {
            assert_eq!(experiment.curves[0].accuracy[k], share(0, k), "lrp, step {k}");
            assert_eq!(experiment.curves[1].accuracy[k], share(1, k), "sa, step {k}");
            assert!(
                (experiment.curves[2].accuracy[k] - (share(2, k) + share(3, k)) / 2.0).abs()
                    < 1e-12,
                "random, step {k}"
            );
            moved += usize::from(share(0, k) != share(0, 0));
        }
    }
    assert!(moved > 0, "the deletions must change some predictions for the tally to mean anything");
    let parts = (0..3)
        .map(|index| {
            count_deletion(&model.cnn, &documents, &config, Shard { index, count: 3 }, &|_, _| {})
                .unwrap()
        })
        .collect();
    assert_eq!(DeletionCounts::merge(parts).unwrap().report().unwrap(), report);
}
