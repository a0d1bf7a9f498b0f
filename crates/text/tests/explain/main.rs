//! Word-level explanations: closed-form conservation on the embedded default model, zeroed
//! words, rendering (ANSI snapshots, HTML escaping, JSON), and the deletion evaluation's
//! incremental updates against full recomputation.

mod deletion;
mod rendering;

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
