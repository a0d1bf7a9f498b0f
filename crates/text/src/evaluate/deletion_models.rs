//! The models the deletion evaluation runs: relvis's CNN, whose documents are edited
//! incrementally, a classifier exported to ONNX, run again after each deletion, and a model
//! folder of either kind; and a data set's documents as each reads them.

use ndarray::ArrayD;
use pipeline::metrics::argmax;
use rayon::prelude::*;

use crate::data::Document;
use crate::error::TextError;
use crate::evaluate::{deletion_run, DeletionDocument, DeletionModel, Ranking};
use crate::explain::{explain_positions_by, graph_relevance, Method, TextModel};
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
        let mut work = start.clone();
        let was_correct = start.predicts(doc.label);
        // Every method's relevance from one forward pass.
        let methods: Vec<Method> = rankings
            .iter()
            .filter_map(|r| if let Ranking::Method(m) = r { Some(m.clone()) } else { None })
            .collect();
        let relevance = explain_positions_by(self, x, Some(doc.label), &methods)?;
        let runs = rankings
            .iter()
            .enumerate()
            .map(|(run, ranking)| {
                let order = ranking.order(doc.deletable.clone(), was_correct, index, |method| {
                    let k = methods.iter().position(|m| m == method).expect("listed above");
                    Ok(relevance[k].relevance.clone())
                })?;
                // The first run starts from the copy made above.
                if run > 0 {
                    work.reset_to(&start);
                }
                Ok(deletion_run(&mut work, &order, steps, doc.label))
            })
            .collect::<Result<Vec<_>, TextError>>()?;
        Ok((was_correct, runs))
    }
}

impl DeletionModel for OnnxTextClassifier {
    /// The graph is built once per document and run again after each deletion (a deleted
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
        let predicts_label = |x: ArrayD<f32>| -> Result<bool, TextError> {
            Ok(argmax(&imported.graph.forward(x)?.output().iter().copied().collect::<Vec<f32>>())
                == example.label)
        };
        let trace = imported.graph.forward(x.clone())?;
        let was_correct =
            argmax(&trace.output().iter().copied().collect::<Vec<f32>>()) == example.label;
        let document = (example.ids.as_slice(), example.deletable.as_slice());
        let runs = rankings
            .iter()
            .map(|ranking| {
                let order =
                    ranking.order(example.deletable.clone(), was_correct, index, |method| {
                        let label = example.label;
                        Ok(graph_relevance(self, &imported.graph, &trace, document, label, method)?
                            .relevance)
                    })?;
                let mut x = x.clone();
                let mut correct = Vec::with_capacity(steps + 1);
                correct.push(was_correct);
                for k in 0..steps {
                    match order.get(k) {
                        Some(&p) => {
                            x.slice_mut(ndarray::s![0, p, ..]).fill(0.0);
                            correct.push(predicts_label(x.clone())?);
                        }
                        None => correct.push(*correct.last().expect("one state at least")),
                    }
                }
                Ok(correct)
            })
            .collect::<Result<Vec<_>, TextError>>()?;
        Ok((was_correct, runs))
    }
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
