//! A document explained word by word: each word's relevance, the scores, and where the
//! explained score went. A word's relevance is the sum over its tokens of their relevance;
//! for the unsigned methods (SA, SmoothGrad) the root of the sum of squares.

use std::ops::Range;

use pipeline::conservation::{Completeness, InputRelevance};
use serde::{Deserialize, Serialize};

use crate::tokenize::{KnownWords, Tokens};

/// What of an explained score reached the words and the padding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WordTotals {
    /// The sum of all word relevances.
    pub words: f64,
    /// The relevance on the padding a short document is filled up with (rules such as flat
    /// and w² give it some, as they do not look at the input).
    #[serde(default)]
    pub padding: f64,
    /// The relevance on the tokens a tokenizer adds around the words (`[CLS]`, `[SEP]`, `<s>`).
    #[serde(default)]
    pub special: f64,
}

/// `explained − words − padding − special`: taken by biases and ε (and zero denominators), by
/// position and segment embeddings, and by the softmax rule inside attention.
impl InputRelevance for WordTotals {
    fn absorbed(&self, explained: f64) -> f64 {
        explained - self.words - self.padding - self.special
    }
}

/// A token the tokenizer adds around the words, with its relevance (often large: a
/// transformer's `[CLS]` gathers what the classifier reads).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpecialToken {
    pub token: String,
    /// Its position among the token ids the model read.
    pub position: usize,
    pub relevance: f32,
}

/// Where the explained score went: the words, the padding, and what biases and ε absorbed,
/// with each layer's sums from the output back to the embedding.
pub type Conservation = pipeline::conservation::Conservation<WordTotals>;

/// One word of the explained text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WordRelevance {
    /// The word as written.
    pub word: String,
    /// Its byte range in [`TextExplanation::text`].
    pub span: Range<usize>,
    /// The tokens the model saw for it.
    pub tokens: Vec<String>,
    pub relevance: f32,
    /// False when the document was cut before this word (its relevance is then 0).
    pub seen: bool,
}

/// A document explained word by word for one class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextExplanation {
    /// `lrp RULES`, `sa` or `gxi`.
    pub method: String,
    /// The explained class.
    pub class: usize,
    pub class_name: String,
    /// Its score (logit).
    pub score: f32,
    pub predicted: usize,
    pub predicted_name: String,
    /// Softmax probabilities per class, in class order.
    pub probabilities: Vec<f32>,
    /// Scores per class.
    pub scores: Vec<f32>,
    /// The text the model read (after the model's cleaning).
    pub text: String,
    pub words: Vec<WordRelevance>,
    /// The tokens the tokenizer added around the words, with their relevance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub special_tokens: Vec<SpecialToken>,
    /// Whether relevances are signed (SA's are not).
    pub signed: bool,
    /// For LRP: where the score went.
    pub conservation: Option<Conservation>,
    /// For Integrated Gradients: how complete the sum is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completeness: Option<Completeness>,
    /// Bytes of a long document after `text`, far past the model's window, left out.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unread_bytes: usize,
    /// How many of the words read the model knows; a document of unknown words is decided by
    /// the biases alone.
    #[serde(default)]
    pub known_words: KnownWords,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl TextExplanation {
    /// The largest `|R|` over the words (0 when all are 0).
    pub fn max_abs(&self) -> f32 {
        self.words.iter().fold(0.0, |m, w| m.max(w.relevance.abs()))
    }

    /// Up to `n` words with the largest positive (or, with `positive` false, most negative)
    /// relevance, strongest first.
    pub fn top(&self, n: usize, positive: bool) -> Vec<&WordRelevance> {
        let sign = if positive { 1.0 } else { -1.0 };
        let mut words: Vec<&WordRelevance> =
            self.words.iter().filter(|w| sign * w.relevance > 0.0).collect();
        words.sort_by(|a, b| (sign * b.relevance).total_cmp(&(sign * a.relevance)));
        words.truncate(n);
        words
    }
}

/// Relevance per token gathered into the words of `text`: a word's tokens summed (for SA,
/// their squares summed and rooted), over the first `window` tokens (the words after it are
/// `seen: false`). Tokens of no word (special tokens) are left out.
pub(crate) fn words_of(
    text: &str,
    tokens: &Tokens,
    relevance: &[f32],
    window: usize,
    signed: bool,
    token_name: impl Fn(u32) -> String,
) -> Vec<WordRelevance> {
    let mut words: Vec<WordRelevance> = tokens
        .word_spans()
        .into_iter()
        .map(|span| WordRelevance {
            word: text[span.clone()].to_string(),
            span,
            tokens: Vec::new(),
            relevance: 0.0,
            seen: false,
        })
        .collect();
    let mut acc = vec![0.0f64; words.len()];
    for (t, (&id, &word)) in tokens.ids.iter().zip(&tokens.words).enumerate() {
        words[word].tokens.push(token_name(id));
        if let Some(&r) = relevance.get(t).filter(|_| t < window) {
            words[word].seen = true;
            acc[word] += if signed { f64::from(r) } else { f64::from(r) * f64::from(r) };
        }
    }
    for (w, a) in words.iter_mut().zip(acc) {
        w.relevance = if signed { a as f32 } else { a.sqrt() as f32 };
    }
    words
}
