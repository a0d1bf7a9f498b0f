//! Tokenisers, with every token's byte span in the original text (the explanation colours
//! the original words) and the word it belongs to (a word's relevance sums its pieces).
//!
//! Two kinds: a word-level model trained on the training split with HuggingFace
//! `tokenizers` (saved as `tokenizer.json`), and BERT-style WordPiece from a `vocab.txt`
//! through `rust_tokenizers`' `BertTokenizer` (sub-word tokens). Both give padding id 0.

use std::ops::Range;
use std::path::Path;

use pipeline::bounded_read;
use rust_tokenizers::tokenizer::{BertTokenizer, Tokenizer as _};
use rust_tokenizers::vocab::Vocab as _;
use serde::{Deserialize, Serialize};
use tokenizers::models::wordlevel::{WordLevel, WordLevelTrainer};
use tokenizers::normalizers::{Lowercase, Sequence, NFKC};
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::{
    AddedToken, DecoderWrapper, Normalizer, NormalizerWrapper, OffsetReferential, OffsetType,
    PostProcessorWrapper, PreTokenizedString, PreTokenizer, PreTokenizerWrapper, TokenizerBuilder,
    TokenizerImpl,
};

use crate::error::TextError;

/// Padding and unknown tokens, in id order.
pub const SPECIAL_TOKENS: [&str; 2] = ["[PAD]", "[UNK]"];
/// The word-level tokenizer's file beside a model.
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// The WordPiece vocabulary's file beside a model.
pub const VOCAB_FILE: &str = "vocab.txt";

/// Which tokenizer a model uses (recorded in its config).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenizerKind {
    /// Whole words, `tokenizer.json`.
    WordLevel,
    /// BERT WordPiece sub-words, `vocab.txt`.
    WordPiece,
}

/// A document's tokens.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tokens {
    pub ids: Vec<u32>,
    /// Byte range of each token in the original text.
    pub spans: Vec<Range<usize>>,
    /// Index of the word each token belongs to (pieces of one word share it).
    pub words: Vec<usize>,
}

impl Tokens {
    /// Number of words.
    pub fn word_count(&self) -> usize {
        self.words.last().map_or(0, |w| w + 1)
    }

    /// Byte range of each word: from its first piece's start to its last piece's end.
    pub fn word_spans(&self) -> Vec<Range<usize>> {
        let mut spans: Vec<Range<usize>> = Vec::with_capacity(self.word_count());
        for (span, &word) in self.spans.iter().zip(&self.words) {
            if word < spans.len() {
                spans[word].end = span.end;
            } else {
                spans.push(span.clone());
            }
        }
        spans
    }
}

impl TokenizerKind {
    /// The file it is saved in beside a model.
    pub fn file(self) -> &'static str {
        match self {
            TokenizerKind::WordLevel => TOKENIZER_FILE,
            TokenizerKind::WordPiece => VOCAB_FILE,
        }
    }
}

/// How many words of a document the model read, and how many of them are in its vocabulary (a
/// word is unknown when every token of it is the unknown token).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownWords {
    pub known: usize,
    pub read: usize,
}

impl Tokens {
    /// [`KnownWords`] over the first `window` tokens, `unknown` being the unknown token's id.
    pub fn known_words(&self, window: usize, unknown: Option<u32>) -> KnownWords {
        // Word indices grow along the tokens, so a word's pieces are neighbours.
        let mut counts = KnownWords::default();
        let mut last: Option<(usize, bool)> = None;
        for (&id, &word) in self.ids.iter().zip(&self.words).take(window) {
            let known = Some(id) != unknown;
            match &mut last {
                Some((w, k)) if *w == word => *k |= known,
                _ => {
                    counts.known += usize::from(last.is_some_and(|(_, k)| k));
                    counts.read += 1;
                    last = Some((word, known));
                }
            }
        }
        counts.known += usize::from(last.is_some_and(|(_, k)| k));
        counts
    }
}

/// A trained or loaded tokenizer.
#[allow(clippy::large_enum_variant)] // one per model, never in bulk
pub enum TextTokenizer {
    WordLevel(tokenizers::Tokenizer),
    WordPiece(BertTokenizer),
}

type WordLevelImpl = TokenizerImpl<
    WordLevel,
    NormalizerWrapper,
    PreTokenizerWrapper,
    PostProcessorWrapper,
    DecoderWrapper,
>;

fn tokenizer_error(what: &str, e: impl std::fmt::Display) -> TextError {
    TextError::Tokenizer(format!("{what}: {e}"))
}

fn special_tokens() -> Vec<AddedToken> {
    SPECIAL_TOKENS.iter().map(|t| AddedToken::from(*t, true)).collect()
}

/// Whether `word` comes out of `t`'s normaliser and pre-tokenizer as itself, in one piece.
fn is_whole_token(t: &tokenizers::Tokenizer, word: &str) -> bool {
    let mut split = PreTokenizedString::from(word);
    let normalised = t.get_normalizer().is_none_or(|n| split.normalize(|s| n.normalize(s)).is_ok());
    let pre_tokenized = t.get_pre_tokenizer().is_none_or(|p| p.pre_tokenize(&mut split).is_ok());
    let pieces = split.get_splits(OffsetReferential::Normalized, OffsetType::Byte);
    normalised && pre_tokenized && pieces.len() == 1 && pieces[0].0 == word
}

/// A word-level tokenizer (NFKC, lower case, BERT's whitespace and punctuation split) around
/// the model `builder` describes, with `[UNK]` for words outside its vocabulary.
fn word_level(
    builder: tokenizers::models::wordlevel::WordLevelBuilder,
) -> Result<WordLevelImpl, TextError> {
    let model = builder
        .unk_token(SPECIAL_TOKENS[1].to_string())
        .build()
        .map_err(|e| tokenizer_error("word-level model", e))?;
    TokenizerBuilder::new()
        .with_model(model)
        .with_normalizer(Some(normalizer()))
        .with_pre_tokenizer(Some(BertPreTokenizer.into()))
        .with_post_processor(None)
        .with_decoder(None)
        .build()
        .map_err(|e| tokenizer_error("word-level tokenizer", e))
}

fn normalizer() -> NormalizerWrapper {
    Sequence::new(vec![NFKC.into(), Lowercase.into()]).into()
}

impl TextTokenizer {
    /// A word-level tokenizer trained on `texts`: lower-cased (NFKC), split at whitespace and
    /// punctuation, words seen at least `min_count` times, at most `max_vocab` tokens.
    pub fn train_word_level<'a>(
        texts: impl Iterator<Item = &'a str> + Send,
        min_count: u64,
        max_vocab: Option<usize>,
    ) -> Result<Self, TextError> {
        let mut tokenizer = word_level(WordLevel::builder())?;
        let mut trainer = WordLevelTrainer::builder()
            .min_frequency(min_count)
            .vocab_size(max_vocab.unwrap_or(usize::MAX))
            .show_progress(false)
            .special_tokens(special_tokens())
            .build()
            .map_err(|e| tokenizer_error("word-level trainer", e))?;
        tokenizer
            .train(&mut trainer, texts)
            .map_err(|e| tokenizer_error("training the word-level tokenizer", e))?;
        Ok(TextTokenizer::WordLevel(tokenizer.into()))
    }

    /// Adds `words` to a word-level vocabulary, after its own tokens and in sorted order (so
    /// the ids do not depend on the order given); words it has already, and words its
    /// normaliser or pre-tokenizer would change or split (they could never be looked up), are
    /// left out. Returns how many were added; a WordPiece vocabulary is refused.
    pub fn add_words<'a>(
        &mut self,
        words: impl IntoIterator<Item = &'a str>,
    ) -> Result<usize, TextError> {
        let TextTokenizer::WordLevel(t) = self else {
            return Err(TextError::Tokenizer(
                "only a word-level vocabulary can take whole words".into(),
            ));
        };
        let mut vocab = t.get_vocab(false);
        let mut words: Vec<&str> =
            words.into_iter().filter(|w| !vocab.contains_key(*w) && is_whole_token(t, w)).collect();
        words.sort_unstable();
        words.dedup();
        let first = t.get_vocab_size(true) as u32;
        vocab.extend(words.iter().zip(first..).map(|(w, id)| (w.to_string(), id)));
        let mut extended = word_level(
            WordLevel::builder().vocab(vocab.into_iter().collect::<ahash::AHashMap<_, _>>()),
        )?;
        extended
            .add_special_tokens(special_tokens())
            .map_err(|e| tokenizer_error("special tokens", e))?;
        *t = extended.into();
        Ok(words.len())
    }

    /// A WordPiece vocabulary of about `vocab_size` pieces trained on `texts` (reproducibly,
    /// see [`crate::tokenize`]), written to `dir/vocab.txt` and loaded as a BERT tokenizer.
    pub fn train_wordpiece<'a>(
        texts: impl Iterator<Item = &'a str>,
        vocab_size: usize,
        dir: &Path,
    ) -> Result<Self, TextError> {
        // BertTokenizer needs these three in the vocabulary, after padding and unknown.
        let specials = [SPECIAL_TOKENS[0], SPECIAL_TOKENS[1], "[CLS]", "[SEP]", "[MASK]"];
        let path = dir.join(VOCAB_FILE);
        crate::tokenize::train_vocab_file(texts, vocab_size, &specials, &path)?;
        Self::from_wordpiece_vocab(&path)
    }

    /// A BERT WordPiece tokenizer (lower-casing, accents stripped) from a `vocab.txt` whose
    /// first entry is `[PAD]`.
    pub fn from_wordpiece_vocab(path: &Path) -> Result<Self, TextError> {
        bounded_read::check_file(path, bounded_read::TOKENIZER)
            .map_err(|e| TextError::read(path, e))?;
        let tokenizer = BertTokenizer::from_file(path, true, true)
            .map_err(|e| tokenizer_error(&path.display().to_string(), e))?;
        let pad = tokenizer.vocab().token_to_id(SPECIAL_TOKENS[0]);
        let first = bounded_read::read_text_file(path, bounded_read::TOKENIZER)
            .map_err(|e| TextError::read(path, e))?
            .lines()
            .next()
            .map(str::to_owned);
        if pad != 0 || first.as_deref() != Some(SPECIAL_TOKENS[0]) {
            return Err(TextError::Tokenizer(format!(
                "{}: the first entry must be [PAD] (padding id 0)",
                path.display()
            )));
        }
        Ok(TextTokenizer::WordPiece(tokenizer))
    }

    /// A word-level tokenizer from the contents of a `tokenizer.json`.
    pub fn word_level_from_json(json: &[u8]) -> Result<Self, TextError> {
        let tokenizer = tokenizers::Tokenizer::from_bytes(json)
            .map_err(|e| tokenizer_error(TOKENIZER_FILE, e))?;
        if tokenizer.token_to_id(SPECIAL_TOKENS[0]) != Some(0) {
            return Err(TextError::Tokenizer(format!("{TOKENIZER_FILE}: [PAD] must have id 0")));
        }
        Ok(TextTokenizer::WordLevel(tokenizer))
    }

    /// Loads the tokenizer of `kind` saved in `dir`.
    pub fn load(dir: &Path, kind: TokenizerKind) -> Result<Self, TextError> {
        match kind {
            TokenizerKind::WordLevel => {
                let path = dir.join(TOKENIZER_FILE);
                let json = bounded_read::read_file(&path, bounded_read::TOKENIZER)
                    .map_err(|e| TextError::Tokenizer(format!("{}: {e}", path.display())))?;
                Self::word_level_from_json(&json)
            }
            TokenizerKind::WordPiece => Self::from_wordpiece_vocab(&dir.join(VOCAB_FILE)),
        }
    }

    /// Saves into `dir` (`tokenizer.json` or `vocab.txt`).
    pub fn save(&self, dir: &Path) -> Result<(), TextError> {
        match self {
            TextTokenizer::WordLevel(t) => {
                let path = dir.join(TOKENIZER_FILE);
                t.save(&path, false)
                    .map_err(|e| TextError::write(&path, std::io::Error::other(e.to_string())))
            }
            TextTokenizer::WordPiece(t) => {
                let path = dir.join(VOCAB_FILE);
                let vocab = t.vocab().indices();
                let mut tokens: Vec<(&i64, &String)> = vocab.iter().collect();
                tokens.sort();
                let text: String =
                    tokens.into_iter().map(|(_, token)| format!("{token}\n")).collect();
                std::fs::write(&path, text).map_err(|e| TextError::write(&path, e))
            }
        }
    }

    /// The kind, for the model config.
    pub fn kind(&self) -> TokenizerKind {
        match self {
            TextTokenizer::WordLevel(_) => TokenizerKind::WordLevel,
            TextTokenizer::WordPiece(_) => TokenizerKind::WordPiece,
        }
    }

    /// Number of token ids.
    pub fn vocab_size(&self) -> usize {
        match self {
            TextTokenizer::WordLevel(t) => t.get_vocab_size(true),
            TextTokenizer::WordPiece(t) => t.vocab().values().len(),
        }
    }

    /// The id of the unknown token `[UNK]`.
    pub fn unknown_id(&self) -> Option<u32> {
        match self {
            TextTokenizer::WordLevel(t) => t.token_to_id(SPECIAL_TOKENS[1]),
            TextTokenizer::WordPiece(t) => {
                u32::try_from(t.vocab().token_to_id(SPECIAL_TOKENS[1])).ok()
            }
        }
    }

    /// The token string of `id`, for reports.
    pub fn token(&self, id: u32) -> String {
        match self {
            TextTokenizer::WordLevel(t) => t.id_to_token(id),
            TextTokenizer::WordPiece(t) => Some(t.vocab().id_to_token(&i64::from(id))),
        }
        .unwrap_or_else(|| SPECIAL_TOKENS[1].to_string())
    }

    /// The first words of `text` that hold at least `tokens` tokens (all of it if shorter),
    /// with the number of bytes they cover. Growing prefixes are tokenized, so a 50 MB
    /// document costs about as much as the words kept; splitting is word-local, so the kept
    /// tokens are those [`TextTokenizer::encode`] gives for the whole text.
    pub fn encode_prefix(&self, text: &str, tokens: usize) -> Result<(Tokens, usize), TextError> {
        encode_prefix_with(text, tokens, |t| self.encode(t))
    }

    /// Tokens of `text` with their byte spans and words.
    pub fn encode(&self, text: &str) -> Result<Tokens, TextError> {
        match self {
            TextTokenizer::WordLevel(t) => {
                let encoding = t.encode(text, false).map_err(|e| tokenizer_error("encoding", e))?;
                let n = encoding.get_ids().len();
                Ok(Tokens {
                    ids: encoding.get_ids().to_vec(),
                    spans: encoding.get_offsets().iter().map(|&(s, e)| s..e).collect(),
                    words: (0..n).collect(),
                })
            }
            TextTokenizer::WordPiece(t) => {
                // rust_tokenizers gives character offsets; map them to bytes.
                let byte_at: Vec<usize> = text
                    .char_indices()
                    .map(|(b, _)| b)
                    .chain(std::iter::once(text.len()))
                    .collect();
                let pieces = t.tokenize_with_offsets(text);
                let ids = t.convert_tokens_to_ids(&pieces.tokens);
                let mut tokens = Tokens::default();
                for ((token, offset), id) in pieces.tokens.iter().zip(&pieces.offsets).zip(ids) {
                    let Some(offset) = offset else { continue };
                    let continues = token.starts_with("##") && !tokens.words.is_empty();
                    let word =
                        if continues { tokens.word_count() - 1 } else { tokens.word_count() };
                    tokens.ids.push(u32::try_from(id).unwrap_or(1));
                    tokens.spans.push(byte_at[offset.begin as usize]..byte_at[offset.end as usize]);
                    tokens.words.push(word);
                }
                Ok(tokens)
            }
        }
    }
}

/// [`TextTokenizer::encode_prefix`] for any tokenizer whose splitting is word-local: the first
/// words of `text` that hold at least `tokens` tokens, and the bytes they cover.
pub(crate) fn encode_prefix_with(
    text: &str,
    tokens: usize,
    encode: impl Fn(&str) -> Result<Tokens, TextError>,
) -> Result<(Tokens, usize), TextError> {
    let mut end = tokens.saturating_mul(64).max(4096);
    loop {
        if end >= text.len() {
            return Ok((encode(text)?, text.len()));
        }
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let mut prefix = encode(&text[..end])?;
        let words = prefix.word_count();
        // The last word may be cut by the prefix: only the words before it are kept.
        let complete = prefix.words.iter().position(|&w| w + 1 == words).unwrap_or(0);
        if complete >= tokens {
            let covered = prefix.spans[complete].start;
            prefix.ids.truncate(complete);
            prefix.spans.truncate(complete);
            prefix.words.truncate(complete);
            return Ok((prefix, covered));
        }
        end = end.saturating_mul(4);
    }
}
