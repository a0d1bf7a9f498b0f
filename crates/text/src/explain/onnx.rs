//! Explanations of a classifier exported to ONNX, through the LRP core's graph, with every
//! method and rule of the native model and the same kind of explanation: the words after the
//! window shown unread, special tokens and padding reported apart.

use lrp::{
    position_norms, position_sums, smooth_grad, Attribute, Composite, Graph, GraphTrace,
    Quadrature, SmoothGradSettings, Target,
};
use ndarray::{ArrayD, Axis};
use pipeline::conservation::LayerSum;
use pipeline::metrics::argmax;

use crate::error::TextError;
use crate::explain::attribution::{ig_relevance, occlusion_by_forward, Attribution};
use crate::explain::{
    words_of, Baseline, Conservation, Method, OcclusionWindow, SpecialToken, TextExplanation,
    WordTotals, Words,
};
use crate::model::{softmax, Encoded, OnnxTextClassifier};

/// The graph's pass over one document `ids` whose worded tokens sit at `words`, explained for
/// `class`; relevance per position with the graph's batch axis dropped.
struct GraphPass<'g> {
    model: &'g OnnxTextClassifier,
    graph: &'g Graph,
    trace: &'g GraphTrace<'g>,
    ids: &'g [u32],
    words: &'g [usize],
    class: usize,
}

impl GraphPass<'_> {
    fn target(&self) -> Target {
        Target::Output(self.class)
    }

    fn input(&self) -> ArrayD<f32> {
        self.trace.input().to_owned()
    }
}

/// Per position of the batch's only document.
fn first_document(per_position: ArrayD<f32>) -> Vec<f32> {
    per_position.index_axis(Axis(0), 0).iter().copied().collect()
}

impl Attribute<Words> for GraphPass<'_> {
    type Output = Attribution;
    type Error = TextError;

    /// The words and padding are split when the positions become words.
    fn lrp(&self, composite: &Composite) -> Result<Attribution, TextError> {
        let e = self.trace.lrp(&self.target(), composite)?;
        let layers = e.layers.iter().map(LayerSum::from).collect();
        let input = WordTotals { words: 0.0, padding: 0.0, special: 0.0 };
        Ok(Attribution {
            relevance: first_document(position_sums(e.relevance.view())),
            conservation: Some(Conservation::new(e.explained, input, layers)),
            completeness: None,
        })
    }

    fn sensitivity(&self) -> Result<Attribution, TextError> {
        let gradient = self.trace.gradient(&self.target())?;
        Ok(Attribution::plain(first_document(position_norms(gradient.view()))))
    }

    fn gradient_x_input(&self) -> Result<Attribution, TextError> {
        let gxi = self.trace.gradient_x_input(&self.target())?;
        Ok(Attribution::plain(first_document(position_sums(gxi.view()))))
    }

    fn integrated_gradients(
        &self,
        steps: usize,
        quadrature: Quadrature,
        baseline: &Baseline,
    ) -> Result<Attribution, TextError> {
        let x = self.input();
        let start = match baseline {
            Baseline::Zero => ArrayD::zeros(x.raw_dim()),
            Baseline::Pad => {
                let mut padded = self.ids.to_vec();
                self.words.iter().for_each(|&p| padded[p] = self.model.pad_id);
                self.model.embedded(&padded)?
            }
        };
        let (relevance, completeness) =
            ig_relevance(self.graph, &x, &start, self.class, (steps, quadrature), *baseline)?;
        Ok(Attribution {
            relevance: first_document(relevance),
            conservation: None,
            completeness: Some(completeness),
        })
    }

    fn smooth_grad(&self, settings: &SmoothGradSettings) -> Result<Attribution, TextError> {
        let mean = smooth_grad(self.graph, &self.input(), self.class, settings)?;
        Ok(Attribution::plain(first_document(position_norms(mean.view()))))
    }

    fn occlusion(
        &self,
        &OcclusionWindow(window): &OcclusionWindow,
    ) -> Result<Attribution, TextError> {
        let x = self.input();
        let relevance =
            occlusion_by_forward(self.graph, &x, Axis(1), self.words, window, self.class)?;
        Ok(Attribution::plain(relevance))
    }
}

/// Relevance per input position for `class` on the document `ids` whose worded tokens sit at
/// `words`; `trace` is `graph`'s pass over it.
pub(crate) fn graph_relevance(
    model: &OnnxTextClassifier,
    graph: &Graph,
    trace: &GraphTrace<'_>,
    (ids, words): (&[u32], &[usize]),
    class: usize,
    method: &Method,
) -> Result<Attribution, TextError> {
    method.attribute(&GraphPass { model, graph, trace, ids, words, class })
}

/// Explains `class` (default: the predicted one) on `text`, word by word.
pub(crate) fn explain_text(
    model: &OnnxTextClassifier,
    text: &str,
    class: Option<usize>,
    method: &Method,
) -> Result<TextExplanation, TextError> {
    let encoded = model.tokens(text)?;
    let known_words = model.known_words(&encoded);
    let Encoded { text, tokens, ids, positions, padding, unread_bytes } = encoded;
    let x = model.embedded(&ids)?;
    let imported = model.graph(&x)?;
    let trace = imported.graph.forward(x)?;
    let scores: Vec<f32> = trace.output().iter().copied().collect();
    let predicted = argmax(&scores);
    let class = class.unwrap_or(predicted);
    if class >= scores.len() {
        return Err(TextError::Explain(format!(
            "class {class} out of range: the model has {} classes",
            scores.len()
        )));
    }
    let Attribution { relevance: per_position, conservation, completeness } =
        graph_relevance(model, &imported.graph, &trace, (&ids, &positions), class, method)?;
    // Relevance of the worded tokens, in their order.
    let relevance: Vec<f32> = positions.iter().map(|&t| per_position[t]).collect();
    let words = words_of(&text, &tokens, &relevance, usize::MAX, method.is_signed(), |id| {
        model.tokenizer.id_to_token(id).unwrap_or_default()
    });
    // The tokens the tokenizer added around the words: neither words nor padding.
    let special_tokens: Vec<SpecialToken> = (0..padding.start)
        .filter(|t| !positions.contains(t))
        .map(|t| SpecialToken {
            token: model.tokenizer.id_to_token(ids[t]).unwrap_or_default(),
            position: t,
            relevance: per_position[t],
        })
        .collect();
    let conservation = conservation.map(|c| {
        c.with_input(WordTotals {
            words: words.iter().map(|w| f64::from(w.relevance)).sum(),
            padding: per_position[padding].iter().map(|&r| f64::from(r)).sum(),
            special: special_tokens.iter().map(|s| f64::from(s.relevance)).sum(),
        })
    });
    Ok(TextExplanation {
        method: method.to_string(),
        class,
        class_name: model.classes[class].clone(),
        score: scores[class],
        predicted,
        predicted_name: model.classes[predicted].clone(),
        probabilities: softmax(&ndarray::Array1::from(scores.clone())).to_vec(),
        scores,
        text,
        words,
        special_tokens,
        signed: method.is_signed(),
        conservation,
        completeness,
        unread_bytes,
        known_words,
    })
}
