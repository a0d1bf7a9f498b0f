//! The models the deletion evaluation runs: relvis's CNN, whose documents are edited
//! incrementally, a classifier exported to ONNX, run again after each deletion, and a model
//! folder of either kind; and a data set's documents as each reads them.

use lrp::Graph;
use ndarray::{ArrayD, Axis, Ix2};
use pipeline::metrics::argmax;
use rayon::prelude::*;

use crate::data::Document;
use crate::error::TextError;
use crate::evaluate::{deletion_run, DeletionDocument, DeletionModel, Ranking};
use crate::explain::{explain_document_by, graph_relevance, Method, TextModel};
use crate::model::{
    AnyTextModel, EditableDocument, Encoded, OnnxTextClassifier, TextClassifier, TextCnn,
};
use crate::tokenize::encode;

impl DeletionModel for TextCnn {
    fn deletion_runs(
        &self,
        doc: &DeletionDocument,
        index: usize,
        rankings: &[Ranking],
        steps: usize,
    ) -> Result<(bool, Vec<Vec<bool>>), TextError> {
        let x = self.embed(&doc.ids);
        let start = EditableDocument::new(self, x.clone());
        let was_correct = start.predicts(doc.label);
        // Every method's relevance from one forward pass.
        let methods: Vec<Method> = rankings
            .iter()
            .filter_map(|r| if let Ranking::Method(m) = r { Some(m.clone()) } else { None })
            .collect();
        let relevance = explain_document_by(self, &start, x, Some(doc.label), &methods)?;
        let orders = rankings
            .iter()
            .map(|ranking| {
                ranking.order(doc.deletable.clone(), was_correct, index, |method| {
                    let k = methods.iter().position(|m| m == method).expect("listed above");
                    Ok(relevance[k].relevance.clone())
                })
            })
            .collect::<Result<Vec<_>, TextError>>()?;
        Ok((was_correct, incremental_runs(&start, &orders, steps, doc.label)))
    }
}

impl DeletionModel for OnnxTextClassifier {
    /// The rankings come from the graph's explanations. A model whose graph is relvis's text
    /// CNN ([`OnnxTextClassifier::text_cnn`]) then deletes incrementally, as the native model
    /// does, once its scores for the document equal the graph's (to 1e-4 of the largest; they
    /// differ in rounding); any other graph is run again after each deletion (a deleted
    /// position's embedding set to zero).
    fn deletion_runs(
        &self,
        example: &DeletionDocument,
        index: usize,
        rankings: &[Ranking],
        steps: usize,
    ) -> Result<(bool, Vec<Vec<bool>>), TextError> {
        let x = self.embedded(&example.ids)?;
        let imported = self.graph(&x)?;
        let trace = imported.graph.forward(x.clone())?;
        let scores: Vec<f32> = trace.output().iter().copied().collect();
        let was_correct = argmax(&scores) == example.label;
        let document = (example.ids.as_slice(), example.deletable.as_slice());
        let orders = rankings
            .iter()
            .map(|ranking| {
                ranking.order(example.deletable.clone(), was_correct, index, |method| {
                    let label = example.label;
                    Ok(graph_relevance(self, &imported.graph, &trace, document, label, method)?
                        .relevance)
                })
            })
            .collect::<Result<Vec<_>, TextError>>()?;
        let runs = match self.editable(&imported.graph, &x, &scores) {
            Some(start) => incremental_runs(&start, &orders, steps, example.label),
            None => graph_runs(&imported.graph, &x, &orders, steps, example.label, was_correct)?,
        };
        Ok((was_correct, runs))
    }
}

impl OnnxTextClassifier {
    /// The document `x` (`[1, T, D]`) as an editable document of the model's text CNN, if its
    /// graph is one and its scores equal the graph's `scores` (to 1e-4 of the largest; they
    /// differ in rounding).
    fn editable(
        &self,
        graph: &Graph,
        x: &ArrayD<f32>,
        scores: &[f32],
    ) -> Option<EditableDocument<'_>> {
        let cnn = self.text_cnn(graph)?;
        let words = x.index_axis(Axis(0), 0).into_dimensionality::<Ix2>().ok()?;
        let start = EditableDocument::new(cnn, words.to_owned());
        agree(&start.scores(), scores).then_some(start)
    }
}

/// Per order, whether `start` predicts `label` before and after each of the first `steps`
/// deletions, each recomputing the windows it touches.
fn incremental_runs(
    start: &EditableDocument<'_>,
    orders: &[Vec<usize>],
    steps: usize,
    label: usize,
) -> Vec<Vec<bool>> {
    let mut work = start.clone();
    orders
        .iter()
        .enumerate()
        .map(|(run, order)| {
            // The first run starts from the copy made above.
            if run > 0 {
                work.reset_to(start);
            }
            deletion_run(&mut work, order, steps, label)
        })
        .collect()
}

/// [`incremental_runs`] by running `graph` again after each deletion (the position's embedding
/// in `x` set to zero); `was_correct` is the prediction before any.
fn graph_runs(
    graph: &Graph,
    x: &ArrayD<f32>,
    orders: &[Vec<usize>],
    steps: usize,
    label: usize,
    was_correct: bool,
) -> Result<Vec<Vec<bool>>, TextError> {
    orders
        .iter()
        .map(|order| {
            let mut x = x.clone();
            let mut correct = Vec::with_capacity(steps + 1);
            correct.push(was_correct);
            for k in 0..steps {
                match order.get(k) {
                    Some(&p) => {
                        x.slice_mut(ndarray::s![0, p, ..]).fill(0.0);
                        let trace = graph.forward(x.clone())?;
                        let scores: Vec<f32> = trace.output().iter().copied().collect();
                        correct.push(argmax(&scores) == label);
                    }
                    None => correct.push(*correct.last().expect("one state at least")),
                }
            }
            Ok(correct)
        })
        .collect()
}

/// Whether `ours` equals the graph's `scores` to 1e-4 of their largest magnitude (at least 1).
fn agree(ours: &[f32], scores: &[f32]) -> bool {
    let scale = scores.iter().fold(1.0f32, |m, s| m.max(s.abs()));
    ours.len() == scores.len()
        && ours.iter().zip(scores).all(|(a, b)| (a - b).abs() <= 1e-4 * scale)
}

impl DeletionModel for AnyTextModel {
    fn deletion_runs(
        &self,
        document: &DeletionDocument,
        index: usize,
        rankings: &[Ranking],
        steps: usize,
    ) -> Result<(bool, Vec<Vec<bool>>), TextError> {
        match self {
            AnyTextModel::Native(model) => {
                model.cnn.deletion_runs(document, index, rankings, steps)
            }
            AnyTextModel::Onnx(model) => model.deletion_runs(document, index, rankings, steps),
        }
    }
}

/// The documents as the deletion evaluation reads them, each labelled with the model's index
/// of its class (`classes` are the data set's class names, which `docs` index).
pub fn deletion_documents(
    model: &AnyTextModel,
    docs: &[Document],
    classes: &[String],
) -> Result<Vec<DeletionDocument>, TextError> {
    match model {
        AnyTextModel::Native(model) => native_deletion_documents(model, docs, classes),
        AnyTextModel::Onnx(model) => {
            let labels = model_labels(model, docs, classes)?;
            docs.par_iter()
                .zip(labels)
                .map(|(d, label)| {
                    let Encoded { ids, positions, .. } = model.tokens(&d.text)?;
                    Ok(DeletionDocument { ids, label, deletable: positions })
                })
                .collect()
        }
    }
}

/// [`deletion_documents`] for relvis's CNN: the ids it reads, padding not deletable.
fn native_deletion_documents(
    model: &TextClassifier,
    docs: &[Document],
    classes: &[String],
) -> Result<Vec<DeletionDocument>, TextError> {
    let labels = model_labels(model, docs, classes)?;
    let examples = encode(docs, model.config.cleaning, &model.tokenizer)?;
    Ok(examples
        .into_iter()
        .zip(labels)
        .map(|(e, label)| DeletionDocument {
            label,
            ..DeletionDocument::of_example(&model.cnn, &e)
        })
        .collect())
}

/// The model's class index for each document's class, matched by name.
fn model_labels(
    model: &dyn TextModel,
    docs: &[Document],
    classes: &[String],
) -> Result<Vec<usize>, TextError> {
    // Only the classes the documents are of: a model may know a subset of the set's.
    let mut index: Vec<Option<usize>> = vec![None; classes.len()];
    docs.iter()
        .map(|d| match index[d.label] {
            Some(i) => Ok(i),
            None => {
                let i = model.class_index(&classes[d.label])?;
                index[d.label] = Some(i);
                Ok(i)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use onnx_import::ImportedGraph;

    use super::*;
    use crate::model::export_onnx;

    fn document(model: &OnnxTextClassifier, text: &str) -> (ArrayD<f32>, Arc<ImportedGraph>) {
        let x = model.embedded(&model.tokens(text).unwrap().ids).unwrap();
        let imported = model.graph(&x).unwrap();
        (x, imported)
    }

    /// The exported default model is recognised as a text CNN, and deleting incrementally gives
    /// what running its graph again after each deletion gives, for orders that delete every word
    /// and for the predicted and the runner-up class.
    #[test]
    fn an_exported_text_cnn_deletes_incrementally_as_its_graph_runs() {
        let dir = tempfile::tempdir().unwrap();
        export_onnx(&crate::default_model().unwrap(), &dir.path().join("onnx"), false).unwrap();
        let model = OnnxTextClassifier::load(&dir.path().join("onnx")).unwrap();
        let mut moved = 0;
        for text in [
            include_str!("../../../../assets/demo/space.txt"),
            include_str!("../../../../assets/demo/hockey.txt"),
        ] {
            let (x, imported) = document(&model, text);
            let scores: Vec<f32> =
                imported.graph.forward(x.clone()).unwrap().output().iter().copied().collect();
            let start = model.editable(&imported.graph, &x, &scores).expect("recognised");
            let n = x.shape()[1];
            let orders: Vec<Vec<usize>> =
                vec![(0..n).collect(), (0..n).rev().collect(), (0..n).map(|p| p * 7 % n).collect()];
            let mut ranked: Vec<usize> = (0..scores.len()).collect();
            ranked.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
            for label in [ranked[0], ranked[1]] {
                let ours = incremental_runs(&start, &orders, n, label);
                let graph =
                    graph_runs(&imported.graph, &x, &orders, n, label, label == ranked[0]).unwrap();
                assert_eq!(ours, graph, "label {label}");
                moved += ours.iter().flatten().filter(|&&c| c != (label == ranked[0])).count();
            }
        }
        assert!(
            moved > 0,
            "the deletions must change predictions for the comparison to mean anything"
        );
    }

    /// A transformer's graph is not taken for a text CNN: its deletions run the graph again.
    #[test]
    fn a_transformer_is_not_recognised_as_a_text_cnn() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../onnx-import/tests/fixtures/transformers/bert_sdpa");
        let model = OnnxTextClassifier::load(&folder).unwrap();
        let (_, imported) = document(&model, "the rocket reached orbit");
        assert!(model.text_cnn(&imported.graph).is_none());
    }
}
