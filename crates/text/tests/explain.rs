//! Word-level explanations: closed-form conservation on the embedded default model, zeroed
//! words, rendering (ANSI snapshots, HTML escaping, JSON), and the deletion evaluation's
//! incremental updates against full recomputation.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use text::Example;
use text::TextModel;
use text::{count_deletion, DeletionCounts, Shard};
use text::{
    deletion_run, evaluate_deletion, rank, DeletionConfig, DeletionDocument, DeletionModel,
    EditableDocument, Ranking, Slot,
};
use text::{escape_html, explanation_html, heat_colour, write_terminal, ColorWhen, Palette};
use text::{explain_positions, Conservation, Method, TextExplanation, WordRelevance};
use text::{Architecture, TextCnn};

fn demo_posts() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/demo");
    let mut posts: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    posts.sort();
    assert!(posts.len() >= 5);
    posts
}

/// The class score and, per filter active after max-pooling, `(z_f, b_f, w_fc)`, written out
/// from the model's weights in f64. LRP-ε's word relevance follows: at the dense
/// layer `R_f = h_f w_fc f_c / (f_c + ε sign f_c)`, and the convolution passes the share
/// `(z_f − b_f) / (z_f + ε)` of each winning window's relevance to its words (ReLU and
/// max-pool pass relevance unchanged). ε = 0 is LRP-0.
fn closed_form(
    model: &text::TextClassifier,
    text: &str,
    class: usize,
) -> (f64, Vec<(f64, f64, f64)>) {
    let ids = model.cnn.input_ids(&model.prepare(text).unwrap().tokens.ids);
    let x = model.cnn.embed(&ids);
    let conv = model.cnn.conv();
    let (b_conv, dense) = (conv.bias.as_ref().unwrap(), model.cnn.dense());
    let weight = conv.full_weight();
    let windows = x.nrows() + 1 - weight.shape()[0];
    let mut score = f64::from(dense.bias.as_ref().unwrap()[class]);
    let mut terms = Vec::new();
    for f in 0..weight.shape()[2] {
        let z = (0..windows)
            .map(|t| {
                let mut z = f64::from(b_conv[f]);
                for k in 0..weight.shape()[0] {
                    for d in 0..x.ncols() {
                        z += f64::from(x[[t + k, d]]) * f64::from(weight[[k, d, f]]);
                    }
                }
                z
            })
            .fold(f64::NEG_INFINITY, f64::max);
        if z > 0.0 {
            score += z * f64::from(dense.weight[[f, class]]);
            terms.push((z, f64::from(b_conv[f]), f64::from(dense.weight[[f, class]])));
        }
    }
    (score, terms)
}

/// The words' total relevance under LRP-ε from [`closed_form`]'s score and active filters
/// `(z_f, b_f, w_fc)`.
fn word_sum(score: f64, terms: &[(f64, f64, f64)], eps: f64) -> f64 {
    let top = score / (score + eps * if score >= 0.0 { 1.0 } else { -1.0 });
    terms.iter().map(|&(z, b, w)| z * w * top * (z - b) / (z + eps)).sum()
}

/// The demo posts, and 20 documents spread over the 20 Newsgroups test split when the data
/// set is beside the project (as in CI).
fn documents() -> Vec<String> {
    let mut docs = demo_posts();
    // `$RELVIS_DATA`, or `../shared/data` beside the project (tests run in the crate's folder).
    let data = match std::env::var_os("RELVIS_DATA") {
        Some(_) => text::default_newsgroups_path(),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/20news-bydate.tar.gz"),
    };
    if data.exists() {
        let corpus = text::load_newsgroups(&data).unwrap();
        let stride = corpus.test.len() / 20;
        docs.extend(corpus.test.iter().step_by(stride).take(20).map(|d| d.text.clone()));
    } else {
        eprintln!("{} not found: conservation checked on the demo posts only", data.display());
    }
    docs
}

#[test]
fn lrp_conserves_the_score_up_to_what_biases_take_on_the_default_model() {
    let model = text::default_model().unwrap();
    for text in documents() {
        let prediction = model.predict(&text).unwrap();
        let (score, terms) = closed_form(&model, &text, prediction.class);
        for (rule, eps) in [("lrp0", 0.0), ("epsilon=0.01", 0.01), ("epsilon=0.5", 0.5)] {
            let e = model.explain(&text, None, &Method::parse("lrp", rule).unwrap()).unwrap();
            let words = word_sum(score, &terms, eps);
            let c = e.conservation.as_ref().unwrap();
            assert!(
                (c.explained - score).abs() <= 1e-4 * score.abs(),
                "score {} vs {score}",
                c.explained
            );
            assert!(
                (c.input.words - words).abs() <= 1e-4 * score.abs(),
                "{rule}: words sum to {} , closed form {words}",
                c.input.words
            );
            let listed: f64 = e.words.iter().map(|w| f64::from(w.relevance)).sum();
            assert!((listed - c.input.words).abs() <= 1e-4 * score.abs());
        }
    }
}

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
    // Biases off zero, so that windows and scores are generic.
    let biased = text::TextCnn::from_parts(
        cnn.arch.clone(),
        std::mem::take(&mut cnn.embedding),
        lrp::Conv1d::new(
            cnn.conv().weight.clone(),
            Some(ndarray::Array1::from_shape_fn(16, |_| rng.gen_range(-0.3..0.3))),
        )
        .unwrap(),
        lrp::Dense::new(
            cnn.dense().weight.clone(),
            Some(ndarray::Array1::from_shape_fn(4, |_| rng.gen_range(-0.3..0.3))),
        )
        .unwrap(),
    );
    biased.unwrap()
}

fn random_ids(rng: &mut StdRng, len: usize) -> Vec<u32> {
    (0..len).map(|_| rng.gen_range(1..40)).collect()
}

#[test]
fn a_zeroed_word_gets_no_lrp_relevance() {
    let cnn = random_cnn(5);
    let mut rng = StdRng::seed_from_u64(6);
    let ids = cnn.input_ids(&random_ids(&mut rng, 30));
    let mut x = cnn.embed(&ids);
    x.row_mut(7).fill(0.0);
    for rule in ["lrp0", "epsilon=0.01", "zplus", "alphabeta=2,1"] {
        let r = explain_positions(&cnn, x.clone(), Some(2), &Method::parse("lrp", rule).unwrap())
            .unwrap()
            .relevance;
        assert_eq!(r[7], 0.0, "{rule}");
        assert!(
            r.iter().enumerate().any(|(p, &v)| p != 7 && v != 0.0),
            "{rule}: other words carry relevance"
        );
    }
}

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

fn sample() -> TextExplanation {
    let text = "Orbit & <launch> \"fuel\" here\n".to_string();
    let word = |word: &str, relevance: f32, seen: bool| {
        let start = text.find(word).unwrap();
        WordRelevance {
            word: word.into(),
            span: start..start + word.len(),
            tokens: vec![word.to_lowercase()],
            relevance,
            seen,
        }
    };
    TextExplanation {
        method: "lrp epsilon=0.01".into(),
        class: 1,
        class_name: "sci.space".into(),
        score: 2.5,
        predicted: 1,
        predicted_name: "sci.space".into(),
        probabilities: vec![0.25, 0.75],
        scores: vec![1.4, 2.5],
        words: vec![
            word("Orbit", 2.0, true),
            word("&", 0.0, true),
            word("launch", 1.0, true),
            word("fuel", -0.5, true),
            word("here", 0.0, false),
        ],
        text,
        signed: true,
        conservation: Some(Conservation {
            explained: 2.5,
            input: text::WordTotals { words: 2.5, padding: 0.0 },
            absorbed: 0.0,
            layers: vec![],
        }),
        completeness: None,
        unread_bytes: 0,
        known_words: text::KnownWords { known: 4, read: 4 },
    }
}

#[test]
fn heat_runs_from_white_to_red_and_blue() {
    assert_eq!(heat_colour(2.0, 2.0), Some((255, 0, 0)));
    assert_eq!(heat_colour(-1.0, 2.0), Some((128, 128, 255)));
    assert_eq!(heat_colour(0.05, 2.0), None, "too faint to colour");
    assert_eq!(text::ansi256((255, 0, 0)), 196);
    assert_eq!(text::ansi256((128, 128, 255)), 147);
}

#[test]
fn terminal_output_snapshots() {
    let e = sample();
    let mut ansi = termcolor::Ansi::new(Vec::new());
    write_terminal(&mut ansi, &e, Palette::TrueColor, 3).unwrap();
    let out = String::from_utf8(ansi.into_inner()).unwrap();
    let expected_text = "\u{1b}[0m\u{1b}[30m\u{1b}[48;2;255;0;0mOrbit\u{1b}[0m & <\u{1b}[0m\u{1b}[30m\u{1b}[48;2;255;128;128mlaunch\u{1b}[0m> \"\u{1b}[0m\u{1b}[30m\u{1b}[48;2;191;191;255mfuel\u{1b}[0m\" here\n";
    assert!(out.contains(expected_text), "{out:?}");
    assert!(out.starts_with("explaining sci.space (score +2.50, p = 0.750); predicted sci.space (p = 0.750); method lrp epsilon=0.01\n"));
    assert!(out.contains("(the model reads the first 4 words; the rest are not coloured)"));
    assert!(out.contains("for sci.space:     Orbit +2.00, launch +1.00\n"));
    assert!(out.contains("against sci.space: fuel -0.500\n"));

    let mut ansi = termcolor::Ansi::new(Vec::new());
    write_terminal(&mut ansi, &e, Palette::Ansi256, 3).unwrap();
    let out = String::from_utf8(ansi.into_inner()).unwrap();
    assert!(out.contains("\u{1b}[0m\u{1b}[30m\u{1b}[48;5;196mOrbit\u{1b}[0m"), "{out:?}");

    let mut plain = termcolor::NoColor::new(Vec::new());
    write_terminal(&mut plain, &e, Palette::Plain, 3).unwrap();
    let out = String::from_utf8(plain.into_inner()).unwrap();
    assert!(out.contains("Orbit[+2.00] & <launch[+1.00]> \"fuel[-0.500]\" here\n"), "{out:?}");
    assert!(!out.contains('\u{1b}'));
}

#[test]
fn colours_follow_the_flag_the_terminal_and_the_environment() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    };
    assert_eq!(
        Palette::choose(ColorWhen::Auto, true, env(&[("COLORTERM", "truecolor")])),
        Palette::TrueColor
    );
    assert_eq!(Palette::choose(ColorWhen::Auto, true, env(&[])), Palette::Ansi256);
    assert_eq!(
        Palette::choose(ColorWhen::Auto, false, env(&[("COLORTERM", "truecolor")])),
        Palette::Plain
    );
    assert_eq!(Palette::choose(ColorWhen::Auto, true, env(&[("NO_COLOR", "1")])), Palette::Plain);
    assert_eq!(Palette::choose(ColorWhen::Auto, true, env(&[("TERM", "dumb")])), Palette::Plain);
    assert_eq!(Palette::choose(ColorWhen::Always, false, env(&[])), Palette::Ansi256);
    assert_eq!(
        Palette::choose(ColorWhen::Never, true, env(&[("COLORTERM", "24bit")])),
        Palette::Plain
    );
    assert!("sometimes".parse::<ColorWhen>().is_err());
}

#[test]
fn html_escapes_markup_and_keeps_the_text() {
    let e = sample();
    let page = explanation_html(&e, &["alt.atheism".into(), "sci.space".into()]);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("Orbit</span> &amp; &lt;<span style=\"background: rgb(255,128,128)\" title=\"+1.00\">launch</span>&gt; &quot;"));
    assert!(!page.contains("<launch>") && !page.contains("\"fuel\""));
    assert_eq!(escape_html("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
    assert!(page.contains("<tr><td>sci.space</td>"));
}

#[test]
fn explanations_round_trip_through_json() {
    let model = text::default_model().unwrap();
    let text = &demo_posts()[0];
    for method in ["lrp", "sa", "gxi"] {
        let e =
            model.explain(text, Some(3), &Method::parse(method, "epsilon=0.01").unwrap()).unwrap();
        let json = serde_json::to_string(&e).unwrap();
        let back: TextExplanation = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        assert_eq!(e.class, 3);
        if method == "sa" {
            assert!(!e.signed && e.words.iter().all(|w| w.relevance >= 0.0));
        }
    }
    assert!(Method::parse("lime", "epsilon").is_err());
    assert!(
        Method::parse("lrp", "epsilon=-1").is_err() || Method::parse("lrp", "nonsense").is_err()
    );
    assert!(model.class_index("no.such.group").unwrap_err().to_string().contains("sci.space"));
}
