//! Training a WordPiece vocabulary (BERT's `vocab.txt`) on a corpus, reproducibly.
//!
//! Written by hand because `tokenizers`' `WordPieceTrainer` is not reproducible: it walks
//! its word counts in the order of a randomly seeded hash map, so pieces with equal pair
//! counts are merged in a different order in every process and the same seed gives a
//! different vocabulary (and model). This trainer is the same byte-pair procedure as that
//! one (characters, `##` continuations, then the most frequent adjacent pair merged until
//! the vocabulary is full), with ties broken by the pieces' ids (given in order of
//! first appearance in the sorted word list), which depend on the texts alone. Words are split exactly as the `BertTokenizer` that reads
//! the vocabulary splits them (lower-cased, accents stripped, punctuation apart).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::path::Path;

use rust_tokenizers::tokenizer::{BaseTokenizer, Tokenizer as _};
use rust_tokenizers::vocab::BaseVocab;

use crate::error::TextError;

/// Prefix of a piece that continues a word.
const CONTINUATION: &str = "##";

/// Trains a vocabulary of `vocab_size` entries or fewer (but never fewer than the specials
/// and every character seen) and writes it to `path`, one piece a line: `specials` first, in
/// their order, then single characters and their `##` continuations, then merged pieces in
/// the order they were made. Returns the vocabulary.
pub fn train_vocab_file<'a>(
    texts: impl Iterator<Item = &'a str>,
    vocab_size: usize,
    specials: &[&str],
    path: &Path,
) -> Result<Vec<String>, TextError> {
    let splitter = word_splitter(specials, path)?;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for text in texts {
        for word in splitter.tokenize(text) {
            *counts.entry(word).or_default() += 1;
        }
    }
    let mut pieces = Pieces::new(specials);
    let mut words: Vec<Word> = counts
        .into_iter()
        .filter(|(word, _)| !specials.contains(&word.as_str()))
        .map(|(word, count)| {
            let symbols = word
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    pieces.id(&if i == 0 { c.to_string() } else { format!("{CONTINUATION}{c}") })
                })
                .collect();
            Word { symbols, count }
        })
        .collect();
    let mut pairs = PairCounts::default();
    for (w, word) in words.iter().enumerate() {
        pairs.add(w, word, 1);
    }
    let mut queue: BinaryHeap<(u64, Reverse<Pair>)> =
        pairs.counts.iter().map(|(&pair, &count)| (count, Reverse(pair))).collect();
    while pieces.names.len() < vocab_size {
        let Some((count, Reverse(pair))) = queue.pop() else { break };
        let current = pairs.counts.get(&pair).copied().unwrap_or(0);
        if current != count {
            // Stale: the pair lost occurrences to earlier merges.
            if current > 0 {
                queue.push((current, Reverse(pair)));
            }
            continue;
        }
        let merged = pieces.merged(pair);
        let mut touched: Vec<usize> =
            pairs.words.remove(&pair).unwrap_or_default().into_iter().collect();
        touched.sort_unstable();
        let mut fresh: HashSet<Pair> = HashSet::new();
        for w in touched {
            pairs.add(w, &words[w], -1);
            if words[w].merge(pair, merged) {
                fresh.extend(words[w].pairs().filter(|p| p.0 == merged || p.1 == merged));
            }
            pairs.add(w, &words[w], 1);
        }
        pairs.counts.remove(&pair);
        let mut fresh: Vec<Pair> = fresh.into_iter().collect();
        fresh.sort_unstable();
        queue.extend(fresh.into_iter().map(|p| (pairs.counts[&p], Reverse(p))));
    }
    write_lines(path, &pieces.names)?;
    Ok(pieces.names)
}

fn write_lines(path: &Path, lines: &[impl AsRef<str>]) -> Result<(), TextError> {
    let text: String = lines.iter().map(|line| format!("{}\n", line.as_ref())).collect();
    std::fs::write(path, text).map_err(|e| TextError::write(path, e))
}

/// The `BertTokenizer`'s split of a text into words, without the WordPiece step.
/// `rust_tokenizers` makes this splitter only from a vocabulary file, so the specials are
/// written to `path` first.
fn word_splitter(specials: &[&str], path: &Path) -> Result<BaseTokenizer<BaseVocab>, TextError> {
    write_lines(path, specials)?;
    BaseTokenizer::from_file(path, true, true).map_err(|e| {
        TextError::Tokenizer(format!("WordPiece word splitter from {}: {e}", path.display()))
    })
}

/// Ids of two adjacent pieces.
type Pair = (u32, u32);

/// Piece names by id, in the order they were made.
struct Pieces {
    names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Pieces {
    fn new(specials: &[&str]) -> Self {
        let mut pieces = Pieces { names: Vec::new(), ids: HashMap::new() };
        for special in specials {
            pieces.id(special);
        }
        pieces
    }

    /// The id of `name`, made if new.
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^32 pieces");
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// The id of the piece that joins `pair` (the right one loses its `##`).
    fn merged(&mut self, (left, right): Pair) -> u32 {
        let right = self.names[right as usize]
            .strip_prefix(CONTINUATION)
            .unwrap_or(&self.names[right as usize]);
        let name = format!("{}{right}", self.names[left as usize]);
        self.id(&name)
    }
}

/// A distinct word of the corpus as a sequence of pieces, and how often it occurs.
struct Word {
    symbols: Vec<u32>,
    count: u64,
}

impl Word {
    fn pairs(&self) -> impl Iterator<Item = Pair> + '_ {
        self.symbols.windows(2).map(|w| (w[0], w[1]))
    }

    /// Joins every occurrence of `pair`, left to right; whether there was one.
    fn merge(&mut self, pair: Pair, merged: u32) -> bool {
        let mut out = Vec::with_capacity(self.symbols.len());
        let mut i = 0;
        while i < self.symbols.len() {
            if i + 1 < self.symbols.len() && (self.symbols[i], self.symbols[i + 1]) == pair {
                out.push(merged);
                i += 2;
            } else {
                out.push(self.symbols[i]);
                i += 1;
            }
        }
        let changed = out.len() != self.symbols.len();
        self.symbols = out;
        changed
    }
}

/// Occurrences of each adjacent pair over the corpus, and the words that hold it.
#[derive(Default)]
struct PairCounts {
    counts: HashMap<Pair, u64>,
    words: HashMap<Pair, HashSet<usize>>,
}

impl PairCounts {
    /// Adds (`sign` 1) or removes (`sign` -1) the pairs of word `w`.
    fn add(&mut self, w: usize, word: &Word, sign: i8) {
        for pair in word.pairs() {
            let count = self.counts.entry(pair).or_default();
            if sign > 0 {
                *count += word.count;
                self.words.entry(pair).or_default().insert(w);
            } else {
                *count -= word.count;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECIALS: [&str; 2] = ["[PAD]", "[UNK]"];

    fn train_vocab<'a>(
        texts: impl Iterator<Item = &'a str>,
        vocab_size: usize,
        specials: &[&str],
    ) -> Result<Vec<String>, TextError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vocab.txt");
        let vocab = train_vocab_file(texts, vocab_size, specials, &path)?;
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().collect::<Vec<_>>(), vocab);
        Ok(vocab)
    }

    #[test]
    fn the_most_frequent_pair_is_merged_first() {
        // a+##b occurs 3 times (once in "abab", twice as "ab"), ##b+##a and ##a+##b once.
        let vocab = train_vocab(["abab ab ab"].into_iter(), 6, &SPECIALS).unwrap();
        assert_eq!(vocab, ["[PAD]", "[UNK]", "a", "##b", "##a", "ab"]);
    }

    #[test]
    fn words_are_split_like_the_bert_tokenizer() {
        let vocab = train_vocab(["Café, CAFÉ!"].into_iter(), 100, &SPECIALS).unwrap();
        // Lower-cased, accents stripped, punctuation apart; merged to the whole word.
        assert!(vocab.contains(&"cafe".to_string()), "{vocab:?}");
        assert!(vocab.contains(&",".to_string()) && vocab.contains(&"!".to_string()), "{vocab:?}");
        assert!(!vocab.iter().any(|p| p.contains('é') || p.contains('C')), "{vocab:?}");
    }

    #[test]
    fn counts_follow_a_brute_force_recount() {
        // After each merge the incremental pair counts equal a recount from scratch.
        let text = "the theme of these three thin threads then thickened there";
        for size in 20..45 {
            let vocab = train_vocab([text].into_iter(), size, &SPECIALS).unwrap();
            assert!(vocab.len() <= size);
            // Brute force: replay the merges greedily and check each was a most frequent pair.
            let mut words: Vec<Vec<String>> = text
                .split(' ')
                .map(|w| {
                    w.chars()
                        .enumerate()
                        .map(|(i, c)| if i == 0 { c.to_string() } else { format!("##{c}") })
                        .collect()
                })
                .collect();
            let alphabet = 2 + words.iter().flatten().collect::<HashSet<_>>().len();
            for merged in &vocab[alphabet..] {
                let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
                for w in &words {
                    for p in w.windows(2) {
                        *counts.entry((p[0].clone(), p[1].clone())).or_default() += 1;
                    }
                }
                let best = counts.values().max().copied().unwrap();
                let joins = |(l, r): &(String, String)| {
                    format!("{l}{}", r.trim_start_matches("##")) == *merged
                };
                let Some((pair, _)) = counts.iter().find(|(p, &c)| joins(p) && c == best) else {
                    panic!("{merged} is not a join of a most frequent pair ({best} occurrences): {counts:?}");
                };
                for w in &mut words {
                    let mut i = 0;
                    while i + 1 < w.len() {
                        if (w[i].as_str(), w[i + 1].as_str()) == (pair.0.as_str(), pair.1.as_str())
                        {
                            w[i] = merged.clone();
                            w.remove(i + 1);
                        }
                        i += 1;
                    }
                }
            }
        }
    }

    #[test]
    fn the_same_texts_give_the_same_vocabulary() {
        let texts =
            ["a probe landed on the moon", "the engine of the truck", "orbit of the planet"];
        let first = train_vocab(texts.into_iter(), 50, &SPECIALS).unwrap();
        for _ in 0..5 {
            assert_eq!(train_vocab(texts.into_iter(), 50, &SPECIALS).unwrap(), first);
        }
    }
}
