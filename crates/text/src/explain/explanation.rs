//! Word-level explanations of the CNN's decisions by any [`Method`]. A word's relevance is the
//! sum over its embedding dimensions and over its tokens; SA's and SmoothGrad's score is the
//! gradient's Euclidean norm over the same elements (unsigned, as in Arras et al.).

use std::ops::Range;

use lrp::{
    integrated_gradients, occlusion, position_norms, position_sums, smooth_grad, Differentiable,
    Quadrature, Target,
};
use ndarray::{Array1, Array2, ArrayD, Axis, Ix1};
use pipeline::conservation::Completeness;
use pipeline::conservation::LayerSum;
use pipeline::metrics::argmax;
use serde::{Deserialize, Serialize};

use crate::error::TextError;
use crate::evaluate::{Deletion, Slot};
use crate::explain::{Baseline, Method};
use crate::model::TextClassifier;
use crate::model::{softmax, TextCnn};
use crate::tokenize::{KnownWords, Tokens};

/// The rule the explanations use unless told otherwise: ε with a small ε, as in the seed.
pub const DEFAULT_RULE: &str = "epsilon=0.01";

/// Where the explained score went: the words, the padding, and what biases and ε absorbed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conservation {
    /// The explained class score `f_c`, the relevance at the top.
    pub explained: f64,
    /// The sum of all word relevances.
    pub words: f64,
    /// The relevance on the padding a short document is filled up with (rules such as flat
    /// and w² give it some, as they do not look at the input).
    #[serde(default)]
    pub padding: f64,
    /// `explained − words − padding`: taken by biases and ε (and zero denominators; for
    /// models with special tokens such as `[CLS]`, by those too).
    pub absorbed: f64,
    /// Per layer, from the output back to the embedding.
    pub layers: Vec<LayerSum>,
}

/// Relevance per input position of the network, for one class.
#[derive(Clone, Debug, PartialEq)]
pub struct PositionRelevance {
    /// The class scores of the forward pass.
    pub scores: Array1<f32>,
    /// The explained class.
    pub class: usize,
    /// One value per position (signed sums, or SA's norms).
    pub relevance: Vec<f32>,
    /// For LRP only.
    pub conservation: Option<Conservation>,
    /// For Integrated Gradients only.
    pub completeness: Option<Completeness>,
}

/// Explains class `class` (default: the predicted one) on an embedded document `x` of shape
/// `(positions, embedding_dim)`. Positions whose embedding is zero (padding) are not occluded.
pub fn explain_positions(
    cnn: &TextCnn,
    x: Array2<f32>,
    class: Option<usize>,
    method: &Method,
) -> Result<PositionRelevance, TextError> {
    if let Some(class) = class.filter(|&c| c >= cnn.arch.classes) {
        return Err(TextError::Explain(format!(
            "class {class} out of range: the model has {} classes",
            cnn.arch.classes
        )));
    }
    let trace = cnn.network().forward(x.clone().into_dyn())?;
    let scores: Array1<f32> =
        trace.output().to_owned().into_dimensionality::<Ix1>().expect("dense output is 1-d");
    let class = class.unwrap_or_else(|| argmax(&scores));
    let target = Target::Output(class);
    let (mut conservation, mut completeness) = (None, None);
    let relevance: ArrayD<f32> = match method {
        Method::Lrp(composite) => {
            let e = trace.lrp(&target, composite)?;
            let layers = e.layers.iter().map(LayerSum::from).collect();
            let words = e.input_sum();
            conservation = Some(Conservation {
                explained: e.explained,
                words,
                padding: 0.0,
                absorbed: e.explained - words,
                layers,
            });
            e.position_sums()
        }
        Method::Sensitivity => position_norms(trace.gradient(&target)?.view()),
        Method::GradientXInput => position_sums(trace.gradient_x_input(&target)?.view()),
        Method::Occlusion { window } => {
            let start = Deletion::new(cnn, x.clone());
            let words: Vec<usize> = x
                .rows()
                .into_iter()
                .enumerate()
                .filter(|(_, r)| r.iter().any(|&v| v != 0.0))
                .map(|(p, _)| p)
                .collect();
            let mut work = start.clone();
            // Deleting a window and putting its words back leaves the state as it was, bit for
            // bit, at the cost of the windows touched rather than a copy of all.
            let drops = occlusion(
                words.len(),
                *window,
                start.scores()[class],
                |w| -> Result<f32, TextError> {
                    words[w.clone()].iter().for_each(|&p| work.delete(p));
                    let score = work.scores()[class];
                    words[w].iter().for_each(|&p| work.set(p, Slot::Word));
                    Ok(score)
                },
            )?;
            let mut relevance = ArrayD::zeros(vec![x.nrows()]);
            words.iter().zip(drops).for_each(|(&p, d)| relevance[p] = d as f32);
            relevance
        }
        Method::IntegratedGradients { steps, baseline, quadrature } => {
            // The CNN's padding embedding is zero, so both baselines are the zero document.
            let zero = ArrayD::zeros(trace.input().raw_dim());
            let (relevance, complete) = ig_relevance(
                cnn.network(),
                &x.into_dyn(),
                &zero,
                class,
                (*steps, *quadrature),
                *baseline,
            )?;
            completeness = Some(complete);
            relevance
        }
        Method::SmoothGrad(settings) => {
            position_norms(smooth_grad(cnn.network(), &x.into_dyn(), class, settings)?.view())
        }
    };
    Ok(PositionRelevance {
        scores,
        class,
        relevance: relevance.iter().copied().collect(),
        conservation,
        completeness,
    })
}

/// Integrated Gradients' relevance per position (summed over the last axis) on any
/// differentiable model, from `baseline` (of kind `kind`) in `steps` nodes of `quadrature`.
pub(crate) fn ig_relevance(
    model: &dyn Differentiable,
    x: &ArrayD<f32>,
    baseline: &ArrayD<f32>,
    class: usize,
    (steps, quadrature): (usize, Quadrature),
    kind: Baseline,
) -> Result<(ArrayD<f32>, Completeness), TextError> {
    let ig = integrated_gradients(model, x, baseline, class, steps, quadrature)?;
    let completeness = Completeness {
        baseline: kind.to_string(),
        steps,
        quadrature: quadrature.to_string(),
        score: ig.score,
        baseline_score: ig.baseline_score,
        error: ig.completeness_error,
    };
    Ok((position_sums(ig.attribution.view()), completeness))
}

/// Occlusion through full forward passes: positions `words` of the embedded document `x` (axis
/// `axis` holds positions) zeroed a window at a time; relevance per position along `axis`.
pub(crate) fn occlusion_by_forward(
    model: &dyn Differentiable,
    x: &ArrayD<f32>,
    axis: Axis,
    words: &[usize],
    window: usize,
    class: usize,
) -> Result<Vec<f32>, TextError> {
    let score = model.outputs(x.clone())?[class];
    let drops = occlusion(words.len(), window, score, |w| -> Result<f32, TextError> {
        let mut occluded = x.clone();
        words[w].iter().for_each(|&p| occluded.index_axis_mut(axis, p).fill(0.0));
        Ok(model.outputs(occluded)?[class])
    })?;
    let mut relevance = vec![0.0; x.len_of(axis)];
    words.iter().zip(drops).for_each(|(&p, d)| relevance[p] = d as f32);
    Ok(relevance)
}

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

impl TextClassifier {
    /// The index of the class called `name`.
    pub fn class_index(&self, name: &str) -> Result<usize, TextError> {
        self.config.classes.iter().position(|c| c == name).ok_or_else(|| {
            TextError::Explain(format!(
                "no class `{name}`; the model's classes are {}",
                self.config.classes.join(", ")
            ))
        })
    }

    /// Explains `class` (default: the predicted one) on `text`, word by word.
    pub fn explain(
        &self,
        text: &str,
        class: Option<usize>,
        method: &Method,
    ) -> Result<TextExplanation, TextError> {
        let prepared = self.prepare(text)?;
        let ids = self.cnn.input_ids(&prepared.tokens.ids);
        let x = self.cnn.embed(&ids);
        let positions = explain_positions(&self.cnn, x, class, method)?;
        let (class, predicted) = (positions.class, argmax(&positions.scores));
        let window = self.cnn.arch.max_len;
        let words = words_of(
            &prepared.text,
            &prepared.tokens,
            &positions.relevance,
            window,
            method.is_signed(),
            |id| self.tokenizer.token(id),
        );
        // Positions past the document's tokens are padding (see `TextCnn::input_ids`).
        let padding = &positions.relevance[prepared.tokens.ids.len().min(window)..];
        let conservation = positions.conservation.map(|mut c| {
            c.words = words.iter().map(|w| f64::from(w.relevance)).sum();
            c.padding = padding.iter().map(|&r| f64::from(r)).sum();
            c.absorbed = c.explained - c.words - c.padding;
            c
        });
        Ok(TextExplanation {
            method: method.to_string(),
            class,
            class_name: self.config.classes[class].clone(),
            score: positions.scores[class],
            predicted,
            predicted_name: self.config.classes[predicted].clone(),
            probabilities: softmax(&positions.scores).to_vec(),
            scores: positions.scores.to_vec(),
            text: prepared.text,
            words,
            signed: method.is_signed(),
            conservation,
            completeness: positions.completeness,
            unread_bytes: prepared.unread_bytes,
            known_words: self.known_words(&prepared.tokens),
        })
    }
}
