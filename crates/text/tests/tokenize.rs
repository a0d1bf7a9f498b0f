//! Tokenizers: spans into the original text, round trips through files, word grouping.

use text::{KnownWords, TextTokenizer, TokenizerKind, SPECIAL_TOKENS};

const TEXTS: [&str; 4] = [
    "The Shuttle reached orbit. The shuttle landed!",
    "Orbit of the MOON; the moon is far.",
    "unaffable people, unaffable places",
    "Ünïcode café: the café is open.",
];

fn slices<'a>(text: &'a str, tokens: &text::Tokens) -> Vec<&'a str> {
    tokens.spans.iter().map(|s| &text[s.clone()]).collect()
}

#[test]
fn word_level_spans_point_into_the_original_text() {
    let tokenizer = TextTokenizer::train_word_level(TEXTS.iter().copied(), 2, None).unwrap();
    assert_eq!(tokenizer.kind(), TokenizerKind::WordLevel);
    assert_eq!(tokenizer.token(0), SPECIAL_TOKENS[0]);
    assert_eq!(tokenizer.token(1), SPECIAL_TOKENS[1]);
    let text = "THE Shuttle, the Café and a zebra.";
    let tokens = tokenizer.encode(text).unwrap();
    assert_eq!(
        slices(text, &tokens),
        vec!["THE", "Shuttle", ",", "the", "Café", "and", "a", "zebra", "."]
    );
    // Words seen once ("and", "a", "zebra") are unknown; the rest are known.
    let unknown: Vec<bool> = tokens.ids.iter().map(|&id| id == 1).collect();
    assert_eq!(unknown, vec![false, false, true, false, false, true, true, true, false]);
    assert_eq!(tokens.words, (0..9).collect::<Vec<_>>());
    assert_eq!(tokens.word_spans(), tokens.spans);
}

#[test]
fn tokenizers_round_trip_through_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let word_level = TextTokenizer::train_word_level(TEXTS.iter().copied(), 1, Some(30)).unwrap();
    assert!(word_level.vocab_size() <= 30);
    word_level.save(dir.path()).unwrap();
    let loaded = TextTokenizer::load(dir.path(), TokenizerKind::WordLevel).unwrap();
    let wordpiece = TextTokenizer::train_wordpiece(TEXTS.iter().copied(), 60, dir.path()).unwrap();
    let reloaded = TextTokenizer::load(dir.path(), TokenizerKind::WordPiece).unwrap();
    for text in TEXTS.iter().chain(&["Unseen words: zebras, CAFÉS."]) {
        assert_eq!(word_level.encode(text).unwrap(), loaded.encode(text).unwrap());
        assert_eq!(wordpiece.encode(text).unwrap(), reloaded.encode(text).unwrap());
    }
}

#[test]
fn added_words_get_ids_after_the_trained_ones_and_survive_a_round_trip() {
    let mut tokenizer = TextTokenizer::train_word_level(TEXTS.iter().copied(), 2, None).unwrap();
    let trained = tokenizer.vocab_size();
    let known = tokenizer.encode("the moon").unwrap().ids;
    // "moon" is known; "e-mail" would be split and "Zebra" lower-cased, so neither could be
    // looked up; "ﬁsh" (with the ligature) becomes "fish" under NFKC.
    let candidates = ["zebra", "moon", "e-mail", "Zebra", "ﬁsh", "aardvark", "zebra", "1993"];
    assert_eq!(tokenizer.add_words(candidates).unwrap(), 3);
    assert_eq!(tokenizer.vocab_size(), trained + 3);
    assert_eq!(
        (tokenizer.token(0).as_str(), tokenizer.token(1).as_str()),
        (SPECIAL_TOKENS[0], SPECIAL_TOKENS[1])
    );
    // Sorted: "1993", "aardvark", "zebra".
    let ids = |t: &TextTokenizer, text: &str| t.encode(text).unwrap().ids;
    let first = trained as u32;
    assert_eq!(
        ids(&tokenizer, "1993 aardvark, Zebra fish"),
        vec![first, first + 1, 1, first + 2, 1]
    );
    assert_eq!(ids(&tokenizer, "the moon"), known);

    // The ids do not depend on the order the words come in.
    let mut reversed = TextTokenizer::train_word_level(TEXTS.iter().copied(), 2, None).unwrap();
    reversed.add_words(candidates.iter().rev().copied()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    reversed.save(dir.path()).unwrap();
    let loaded = TextTokenizer::load(dir.path(), TokenizerKind::WordLevel).unwrap();
    for text in TEXTS.iter().chain(&["1993 aardvark, Zebra fish", "the zebra's e-mail"]) {
        assert_eq!(loaded.encode(text).unwrap(), tokenizer.encode(text).unwrap());
    }

    let wordpiece = TextTokenizer::train_wordpiece(TEXTS.iter().copied(), 60, dir.path());
    assert!(wordpiece.unwrap().add_words(["zebra"]).is_err());
}

#[test]
fn wordpiece_groups_pieces_into_words() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("vocab.txt"),
        "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nun\n##aff\n##able\npeople\n,\ncafe\n",
    )
    .unwrap();
    let tokenizer = TextTokenizer::load(dir.path(), TokenizerKind::WordPiece).unwrap();
    let text = "Ünaffable people, Café xyz";
    let tokens = tokenizer.encode(text).unwrap();
    assert_eq!(slices(text, &tokens), vec!["Ün", "aff", "able", "people", ",", "Café", "xyz"]);
    assert_eq!(tokens.ids, vec![5, 6, 7, 8, 9, 10, 1]);
    assert_eq!(tokens.words, vec![0, 0, 0, 1, 2, 3, 4]);
    let words: Vec<&str> = tokens.word_spans().into_iter().map(|s| &text[s]).collect();
    assert_eq!(words, vec!["Ünaffable", "people", ",", "Café", "xyz"]);
    // `xyz` is the unknown token, 1; a window of 5 tokens reads the first 3 words.
    assert_eq!(tokenizer.unknown_id(), Some(1));
    assert_eq!(tokens.known_words(usize::MAX, Some(1)), KnownWords { known: 4, read: 5 });
    assert_eq!(tokens.known_words(5, Some(1)), KnownWords { known: 3, read: 3 });
    assert_eq!(tokens.known_words(2, Some(1)), KnownWords { known: 1, read: 1 });
}

#[test]
fn a_word_is_known_when_any_of_its_pieces_is() {
    let tokens =
        text::Tokens { ids: vec![1, 7, 1, 1, 9], spans: vec![0..1; 5], words: vec![0, 0, 1, 2, 2] };
    assert_eq!(tokens.known_words(usize::MAX, Some(1)), KnownWords { known: 2, read: 3 });
    assert_eq!(
        tokens.known_words(4, Some(1)),
        KnownWords { known: 1, read: 3 },
        "word 2's known piece is past the window"
    );
    assert_eq!(tokens.known_words(usize::MAX, None), KnownWords { known: 3, read: 3 });
    assert_eq!(text::Tokens::default().known_words(10, Some(1)), KnownWords::default());
    let word_level = TextTokenizer::train_word_level(TEXTS.iter().copied(), 2, None).unwrap();
    assert_eq!(word_level.unknown_id(), Some(1));
    let tokens = word_level.encode("the shuttle zzqx orbit").unwrap();
    assert_eq!(
        tokens.known_words(usize::MAX, word_level.unknown_id()),
        KnownWords { known: 3, read: 4 }
    );
}

#[test]
fn bad_vocabularies_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = TextTokenizer::load(dir.path(), TokenizerKind::WordLevel).err().unwrap().to_string();
    assert!(err.contains("tokenizer.json"), "{err}");
    std::fs::write(dir.path().join("vocab.txt"), "[UNK]\n[PAD]\n[CLS]\n[SEP]\n[MASK]\nword\n")
        .unwrap();
    let err = TextTokenizer::load(dir.path(), TokenizerKind::WordPiece).err().unwrap().to_string();
    assert!(err.contains("the first entry must be [PAD]"), "{err}");
    std::fs::write(dir.path().join("tokenizer.json"), "{ not json").unwrap();
    assert!(TextTokenizer::load(dir.path(), TokenizerKind::WordLevel).is_err());
}

#[test]
fn a_prefix_holds_the_same_tokens_as_the_whole_text() {
    let dir = tempfile::tempdir().unwrap();
    let word_level = TextTokenizer::train_word_level(TEXTS.iter().copied(), 1, None).unwrap();
    let wordpiece = TextTokenizer::train_wordpiece(TEXTS.iter().copied(), 60, dir.path()).unwrap();
    // Multi-byte characters and pieces at every position, so that prefixes cut words and
    // characters in all places.
    let long: String = (0..4000).map(|i| TEXTS[i % 4]).collect::<Vec<_>>().join(" ");
    for tokenizer in [&word_level, &wordpiece] {
        let whole = tokenizer.encode(&long).unwrap();
        for wanted in [1, 7, 999, 1000, 2000] {
            let (prefix, covered) = tokenizer.encode_prefix(&long, wanted).unwrap();
            assert!(prefix.ids.len() >= wanted, "{} tokens for {wanted}", prefix.ids.len());
            assert!(covered < long.len(), "a prefix, not the whole text");
            let n = prefix.ids.len();
            assert_eq!(prefix.ids, whole.ids[..n]);
            assert_eq!(prefix.spans, whole.spans[..n]);
            assert_eq!(prefix.words, whole.words[..n]);
            // Whole words only: the next token starts a new word at or after the cut.
            assert_ne!(whole.words[n], whole.words[n - 1]);
            assert!(whole.spans[n].start >= covered && prefix.spans[n - 1].end <= covered);
        }
        let (all, covered) = tokenizer.encode_prefix(TEXTS[3], 1000).unwrap();
        assert_eq!((all, covered), (tokenizer.encode(TEXTS[3]).unwrap(), TEXTS[3].len()));
    }
}
