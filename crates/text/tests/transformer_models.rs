//! Hugging Face transformer classifiers (BERT eager and SDPA, DistilBERT, RoBERTa; made by
//! `crates/onnx-import/scripts/transformer_fixtures.py`) read as model folders: their
//! tokenizers, windows and labels, and explanations word by word against lxt's AttnLRP and
//! autograd's Gradient × Input per token (sub-word pieces summed per word, special tokens
//! reported apart), within 1e-4 of each document's largest relevance.

use std::path::{Path, PathBuf};

use serde_json::Value;
use text::{load_model, Method, TextModel, ATTENTION_RULE};

const MODELS: &[&str] = &["bert_eager", "bert_sdpa", "distilbert", "roberta"];

fn folder(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../onnx-import/tests/fixtures/transformers")
        .join(name)
}

fn expected(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(folder(name).join("expected.json")).unwrap())
        .unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// Every document of every model explained by `method` (the model's default rule for LRP)
/// against the stored per-token `key`: words are the sums of their pieces, special tokens
/// keep their own.
fn check(method: &str, key: &str) {
    for name in MODELS {
        let model = load_model(&folder(name)).unwrap();
        assert_eq!(model.default_rule(), ATTENTION_RULE, "{name} has attention");
        let expected = expected(name);
        let labels: Vec<&str> =
            expected["labels"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
        assert_eq!(model.classes(), labels);
        let method = Method::parse(method, model.default_rule()).unwrap();
        for (n, doc) in expected["documents"].as_array().unwrap().iter().enumerate() {
            let target = doc["target"].as_u64().unwrap() as usize;
            let e = model.explain(doc["text"].as_str().unwrap(), Some(target), &method).unwrap();
            let logits = floats(&doc["logits"]);
            assert!((f64::from(e.score) - logits[target]).abs() < 1e-4, "{name} {n}: score");
            let tokens: Vec<&str> =
                doc["tokens"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
            let reference = floats(&doc[key]);
            let scale = reference.iter().fold(0.0f64, |m, r| m.max(r.abs()));
            let close = |ours: f32, theirs: f64, what: &str| {
                assert!(
                    (f64::from(ours) - theirs).abs() < 1e-4 * scale,
                    "{name} document {n}, {what}: {ours} against {theirs}"
                );
            };
            let specials: Vec<usize> = e.special_tokens.iter().map(|s| s.position).collect();
            for s in &e.special_tokens {
                assert_eq!(s.token, tokens[s.position]);
                close(s.relevance, reference[s.position], &s.token);
            }
            let mut pieces = (0..tokens.len()).filter(|t| !specials.contains(t));
            for w in &e.words {
                assert!(w.seen, "{name} document {n}: {} is read", w.word);
                let positions: Vec<usize> = pieces.by_ref().take(w.tokens.len()).collect();
                let names: Vec<&str> = positions.iter().map(|&t| tokens[t]).collect();
                assert_eq!(w.tokens, names, "{name} document {n}: the pieces of {}", w.word);
                close(w.relevance, positions.iter().map(|&t| reference[t]).sum(), &w.word);
            }
            assert_eq!(pieces.next(), None, "{name} document {n}: every token is a word's");
        }
    }
}

#[test]
fn transformers_explained_word_by_word_equal_lxt_attnlrp() {
    check("lrp", "attnlrp");
}

#[test]
fn transformers_explained_by_gradient_x_input_equal_autograd() {
    check("gxi", "gradient_x_input");
}

#[test]
fn the_embedded_special_tokens_and_conservation_are_reported() {
    let model = load_model(&folder("bert_eager")).unwrap();
    let e = model
        .explain("The goalie stopped every shot.", None, &Method::parse("lrp", "attnlrp").unwrap())
        .unwrap();
    let names: Vec<&str> = e.special_tokens.iter().map(|s| s.token.as_str()).collect();
    assert_eq!(names, ["[CLS]", "[SEP]"]);
    let c = e.conservation.unwrap();
    let special: f64 = e.special_tokens.iter().map(|s| f64::from(s.relevance)).sum();
    assert!((c.input.special - special).abs() < 1e-6);
    let words: f64 = e.words.iter().map(|w| f64::from(w.relevance)).sum();
    assert!((c.explained - words - special - c.absorbed).abs() < 1e-4);
}

/// The faithfulness measures' edits of a transformer's document: unedited it scores as the
/// model predicts; a word removed scores as the text written without it; a word zeroed or
/// replaced changes the scores, and putting it back restores them.
#[test]
fn a_transformer_document_under_edits_scores_as_the_texts_it_stands_for() {
    use text::{EditedDocument, FaithfulnessModel, Slot};
    let model = load_model(&folder("bert_eager")).unwrap();
    let text::AnyTextModel::Onnx(onnx) = &model else { panic!("an ONNX folder") };
    let full = "the goalie stopped every shot in the game";
    let docs = [text::Document { id: "d".into(), text: full.into(), label: 0 }];
    let classes = [model.classes()[0].clone()];
    let document = text::deletion_documents(&model, &docs, &classes).unwrap().remove(0);
    let replacement = model.known_word("the").unwrap().unwrap();
    let start = onnx.start(&document.ids, replacement).unwrap();
    let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5);
    assert!(close(&start.scores().unwrap(), &model.predict(full).unwrap().scores));
    // "every" is one token, after the pieces of the three words before it.
    let e = model.explain(full, None, &Method::parse("gxi", "").unwrap()).unwrap();
    let before: usize = e.words[..3].iter().map(|w| w.tokens.len()).sum();
    assert_eq!(e.words[3].tokens, ["every"]);
    let every = document.deletable[before];
    let mut edited = start.clone();
    edited.remove(every);
    let without = model.predict("the goalie stopped shot in the game").unwrap().scores;
    assert!(close(&edited.scores().unwrap(), &without));
    edited.reset_to(&start);
    edited.set(every, Slot::Replaced);
    let replaced = model.predict("the goalie stopped the shot in the game").unwrap().scores;
    assert!(close(&edited.scores().unwrap(), &replaced));
    edited.set(every, Slot::Zeroed);
    assert!(!close(&edited.scores().unwrap(), &start.scores().unwrap()));
    edited.set(every, Slot::Word);
    assert!(close(&edited.scores().unwrap(), &start.scores().unwrap()));
}

/// A document longer than the window is read as Hugging Face truncates it
/// (`truncation=True`): the whole text's tokens cut to the window less the special tokens,
/// which are added around them; the words after it are shown unread. The truncating
/// tokenizer's own encoding is the reference (RoBERTa's byte-level BPE reads the space before
/// the first unread word as a token of its own if the cut text is encoded again).
#[test]
fn a_document_longer_than_the_window_is_read_as_hugging_face_truncates_it() {
    for name in MODELS {
        let model = load_model(&folder(name)).unwrap();
        let text::AnyTextModel::Onnx(onnx) = &model else { panic!("an ONNX folder") };
        let stored = expected(name);
        let texts: Vec<&str> = stored["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["text"].as_str().unwrap())
            .collect();
        let mut tokenizer =
            tokenizers::Tokenizer::from_file(folder(name).join("tokenizer.json")).unwrap();
        tokenizer.with_truncation(None).unwrap();
        let mut long = texts.join(" ");
        while tokenizer.encode(long.as_str(), false).unwrap().get_ids().len() <= 2 * onnx.window {
            long = format!("{long} {long}");
        }
        let truncation =
            tokenizers::TruncationParams { max_length: onnx.window, ..Default::default() };
        tokenizer.with_truncation(Some(truncation)).unwrap();
        let reference = tokenizer.encode(long.as_str(), true).unwrap();

        let method = Method::parse("lrp", model.default_rule()).unwrap();
        let e = model.explain(&long, None, &method).unwrap();
        let mut read: Vec<String> = vec![String::new(); reference.get_ids().len()];
        for s in &e.special_tokens {
            read[s.position] = s.token.clone();
        }
        let mut free = (0..read.len()).filter(|&t| read[t].is_empty()).collect::<Vec<_>>();
        free.reverse();
        for w in e.words.iter().filter(|w| w.seen) {
            for piece in &w.tokens {
                read[free.pop().expect("no more tokens read than the window")] = piece.clone();
            }
        }
        assert!(free.is_empty(), "{name}: every position read is a word's piece or special");
        assert_eq!(read, reference.get_tokens(), "{name}: the tokens read");
        assert!(e.words.iter().any(|w| !w.seen), "{name}: the words after the window");
    }
}
