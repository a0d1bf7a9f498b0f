//! Explanations of relvis's CNN: every method on an embedded document through the network's
//! trace (occlusion on an [`EditableDocument`], which recomputes only the windows a deletion
//! touches), and a document's words from its positions.

use lrp::{
    position_norms, position_sums, smooth_grad, Attribute, Composite, Quadrature,
    SmoothGradSettings, Target, Trace,
};
use ndarray::{Array1, Array2, ArrayD, Ix1};
use pipeline::conservation::LayerSum;
use pipeline::metrics::argmax;

use crate::error::TextError;
use crate::explain::attribution::{ig_relevance, Attribution};
use crate::explain::{
    words_of, Baseline, Conservation, Method, OcclusionWindow, TextExplanation, WordTotals, Words,
};
use crate::model::{softmax, EditableDocument, Slot, TextClassifier, TextCnn};

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
    pub completeness: Option<pipeline::conservation::Completeness>,
}

/// The CNN's pass over one embedded document `(positions, embedding_dim)`, explained for `class`.
struct CnnPass<'m> {
    cnn: &'m TextCnn,
    trace: Trace<'m>,
    x: Array2<f32>,
    class: usize,
    /// The document as an [`EditableDocument`] already, where the caller has one.
    document: Option<&'m EditableDocument<'m>>,
}

impl CnnPass<'_> {
    fn target(&self) -> Target {
        Target::Output(self.class)
    }
}

impl Attribute<Words> for CnnPass<'_> {
    type Output = Attribution;
    type Error = TextError;

    fn lrp(&self, composite: &Composite) -> Result<Attribution, TextError> {
        let e = self.trace.lrp(&self.target(), composite)?;
        let layers = e.layers.iter().map(LayerSum::from).collect();
        let input = WordTotals { words: e.input_sum(), padding: 0.0, special: 0.0 };
        Ok(Attribution {
            relevance: e.position_sums().iter().copied().collect(),
            conservation: Some(Conservation::new(e.explained, input, layers)),
            completeness: None,
        })
    }

    fn sensitivity(&self) -> Result<Attribution, TextError> {
        Ok(Attribution::plain(
            position_norms(self.trace.gradient(&self.target())?.view()).iter().copied().collect(),
        ))
    }

    fn gradient_x_input(&self) -> Result<Attribution, TextError> {
        Ok(Attribution::plain(
            position_sums(self.trace.gradient_x_input(&self.target())?.view())
                .iter()
                .copied()
                .collect(),
        ))
    }

    /// The CNN's padding embedding is zero, so both baselines are the zero document.
    fn integrated_gradients(
        &self,
        steps: usize,
        quadrature: Quadrature,
        baseline: &Baseline,
    ) -> Result<Attribution, TextError> {
        let zero = ArrayD::zeros(self.trace.input().raw_dim());
        let x = self.x.clone().into_dyn();
        let (relevance, completeness) = ig_relevance(
            self.cnn.network(),
            &x,
            &zero,
            self.class,
            (steps, quadrature),
            *baseline,
        )?;
        Ok(Attribution {
            relevance: relevance.iter().copied().collect(),
            conservation: None,
            completeness: Some(completeness),
        })
    }

    fn smooth_grad(&self, settings: &SmoothGradSettings) -> Result<Attribution, TextError> {
        let mean =
            smooth_grad(self.cnn.network(), &self.x.clone().into_dyn(), self.class, settings)?;
        Ok(Attribution::plain(position_norms(mean.view()).iter().copied().collect()))
    }

    /// Positions whose embedding is zero (padding) are not occluded.
    fn occlusion(
        &self,
        &OcclusionWindow(window): &OcclusionWindow,
    ) -> Result<Attribution, TextError> {
        let mut work = match self.document {
            Some(document) => document.clone(),
            None => EditableDocument::new(self.cnn, self.x.clone()),
        };
        let words: Vec<usize> = self
            .x
            .rows()
            .into_iter()
            .enumerate()
            .filter(|(_, r)| r.iter().any(|&v| v != 0.0))
            .map(|(p, _)| p)
            .collect();
        let class = self.class;
        let unoccluded = work.scores()[class];
        // Deleting a window and putting its words back leaves the state as it was, bit for
        // bit, at the cost of the windows touched rather than a copy of all.
        let drops =
            lrp::occlusion(words.len(), window, unoccluded, |w| -> Result<f32, TextError> {
                words[w.clone()].iter().for_each(|&p| work.delete(p));
                let score = work.scores()[class];
                words[w].iter().for_each(|&p| work.set(p, Slot::Word));
                Ok(score)
            })?;
        let mut relevance = vec![0.0; self.x.nrows()];
        words.iter().zip(drops).for_each(|(&p, d)| relevance[p] = d as f32);
        Ok(Attribution::plain(relevance))
    }
}

/// Explains class `class` (default: the predicted one) on an embedded document `x` of shape
/// `(positions, embedding_dim)`. Positions whose embedding is zero (padding) are not occluded.
pub fn explain_positions(
    cnn: &TextCnn,
    x: Array2<f32>,
    class: Option<usize>,
    method: &Method,
) -> Result<PositionRelevance, TextError> {
    let mut all = explain_positions_by(cnn, x, class, std::slice::from_ref(method))?;
    Ok(all.remove(0))
}

/// [`explain_positions`] by each of `methods`, from one forward pass.
pub fn explain_positions_by(
    cnn: &TextCnn,
    x: Array2<f32>,
    class: Option<usize>,
    methods: &[Method],
) -> Result<Vec<PositionRelevance>, TextError> {
    check_class(cnn, class)?;
    let trace = cnn.network().forward(x.clone().into_dyn())?;
    explain_trace(cnn, trace, x, class, methods, None)
}

/// [`explain_positions_by`] on `document`, an [`EditableDocument`] of `x` not yet edited: the
/// convolution's output is taken from it, not computed again. Its window sums round apart
/// from the convolution's one product in the last bits, so the relevance may differ from
/// [`explain_positions_by`]'s as much (a few units in the last place of the pre-activations).
pub fn explain_document_by(
    cnn: &TextCnn,
    document: &EditableDocument,
    x: Array2<f32>,
    class: Option<usize>,
    methods: &[Method],
) -> Result<Vec<PositionRelevance>, TextError> {
    check_class(cnn, class)?;
    let z = document.pre_activations().into_dyn();
    let trace = cnn.network().forward_from_first(x.clone().into_dyn(), z)?;
    explain_trace(cnn, trace, x, class, methods, Some(document))
}

/// Refuses a class the model does not have.
fn check_class(cnn: &TextCnn, class: Option<usize>) -> Result<(), TextError> {
    match class.filter(|&c| c >= cnn.arch.classes) {
        Some(class) => Err(TextError::Explain(format!(
            "class {class} out of range: the model has {} classes",
            cnn.arch.classes
        ))),
        None => Ok(()),
    }
}

/// Every method on the forward pass `trace` of `x` (and `document`, `x` as an
/// [`EditableDocument`], where there is one).
fn explain_trace<'m>(
    cnn: &'m TextCnn,
    trace: Trace<'m>,
    x: Array2<f32>,
    class: Option<usize>,
    methods: &[Method],
    document: Option<&'m EditableDocument<'m>>,
) -> Result<Vec<PositionRelevance>, TextError> {
    let scores: Array1<f32> =
        trace.output().to_owned().into_dimensionality::<Ix1>().expect("dense output is 1-d");
    let class = class.unwrap_or_else(|| argmax(&scores));
    let pass = CnnPass { cnn, trace, x, class, document };
    methods
        .iter()
        .map(|method| {
            let Attribution { relevance, conservation, completeness } = method.attribute(&pass)?;
            Ok(PositionRelevance {
                scores: scores.clone(),
                class,
                relevance,
                conservation,
                completeness,
            })
        })
        .collect()
}

/// Explains `class` (default: the predicted one) on `text`, word by word.
pub(crate) fn explain_text(
    model: &TextClassifier,
    text: &str,
    class: Option<usize>,
    method: &Method,
) -> Result<TextExplanation, TextError> {
    let prepared = model.prepare(text)?;
    let ids = model.cnn.input_ids(&prepared.tokens.ids);
    let x = model.cnn.embed(&ids);
    let positions = explain_positions(&model.cnn, x, class, method)?;
    let (class, predicted) = (positions.class, argmax(&positions.scores));
    let window = model.cnn.arch.max_len;
    let words = words_of(
        &prepared.text,
        &prepared.tokens,
        &positions.relevance,
        window,
        method.is_signed(),
        |id| model.tokenizer.token(id),
    );
    // Positions past the document's tokens are padding (see `TextCnn::input_ids`).
    let padding = &positions.relevance[prepared.tokens.ids.len().min(window)..];
    let conservation = positions.conservation.map(|c| {
        c.with_input(WordTotals {
            words: words.iter().map(|w| f64::from(w.relevance)).sum(),
            padding: padding.iter().map(|&r| f64::from(r)).sum(),
            special: 0.0,
        })
    });
    Ok(TextExplanation {
        method: method.to_string(),
        class,
        class_name: model.config.classes[class].clone(),
        score: positions.scores[class],
        predicted,
        predicted_name: model.config.classes[predicted].clone(),
        probabilities: softmax(&positions.scores).to_vec(),
        scores: positions.scores.to_vec(),
        text: prepared.text,
        words,
        special_tokens: Vec::new(),
        signed: method.is_signed(),
        conservation,
        completeness: positions.completeness,
        unread_bytes: prepared.unread_bytes,
        known_words: model.known_words(&prepared.tokens),
    })
}
