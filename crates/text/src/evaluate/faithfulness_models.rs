//! The models the faithfulness measures run on: relvis's CNN, whose documents are edited
//! incrementally, and a classifier exported to ONNX (a transformer among them), whose graph
//! runs again on each edited document.

use ndarray::s;

use crate::error::TextError;
use crate::evaluate::faithfulness::{EditedDocument, FaithfulnessModel};
use crate::explain::{explain_document_by, graph_relevance, Method};
use crate::model::{EditableDocument, OnnxTextClassifier, Slot, TextCnn};

impl FaithfulnessModel for TextCnn {
    type Document<'m> = EditableDocument<'m>;

    fn start(&self, ids: &[u32], replacement: u32) -> Result<EditableDocument<'_>, TextError> {
        Ok(EditableDocument::new(self, self.embed(ids))
            .with_replacement(self.embed(&[replacement]).row(0).to_owned()))
    }

    /// From the convolution's output as `start` keeps it (not computed again per method).
    fn relevance(
        &self,
        start: &EditableDocument<'_>,
        ids: &[u32],
        _words: &[usize],
        class: usize,
        method: &Method,
    ) -> Result<Vec<f32>, TextError> {
        let methods = std::slice::from_ref(method);
        let mut all = explain_document_by(self, start, self.embed(ids), Some(class), methods)?;
        Ok(all.remove(0).relevance)
    }
}

impl EditedDocument for EditableDocument<'_> {
    fn scores(&self) -> Result<Vec<f32>, TextError> {
        Ok(EditableDocument::scores(self))
    }

    fn set(&mut self, p: usize, slot: Slot) {
        EditableDocument::set(self, p, slot);
    }

    fn remove(&mut self, p: usize) {
        EditableDocument::remove(self, p);
    }

    fn reset_to(&mut self, other: &Self) {
        EditableDocument::reset_to(self, other);
    }
}

/// A document of an imported model under edits: each position's slot, or removed.
#[derive(Clone)]
pub struct GraphDocument<'m> {
    model: &'m OnnxTextClassifier,
    ids: Vec<u32>,
    replacement: u32,
    slots: Vec<Slot>,
    removed: Vec<bool>,
}

impl FaithfulnessModel for OnnxTextClassifier {
    type Document<'m> = GraphDocument<'m>;

    fn start(&self, ids: &[u32], replacement: u32) -> Result<GraphDocument<'_>, TextError> {
        Ok(GraphDocument {
            model: self,
            ids: ids.to_vec(),
            replacement,
            slots: vec![Slot::Word; ids.len()],
            removed: vec![false; ids.len()],
        })
    }

    fn relevance(
        &self,
        _start: &GraphDocument<'_>,
        ids: &[u32],
        words: &[usize],
        class: usize,
        method: &Method,
    ) -> Result<Vec<f32>, TextError> {
        let x = self.embedded(ids)?;
        let imported = self.graph(&x)?;
        let trace = imported.graph.forward(x)?;
        Ok(graph_relevance(self, &imported.graph, &trace, (ids, words), class, method)?.relevance)
    }
}

impl EditedDocument for GraphDocument<'_> {
    /// The graph of the edited document's length run on its embeddings (a zeroed word's row
    /// zero, a replaced word's the replacement's, removed words left out).
    fn scores(&self) -> Result<Vec<f32>, TextError> {
        let kept: Vec<usize> = (0..self.ids.len()).filter(|&p| !self.removed[p]).collect();
        let ids: Vec<u32> = kept
            .iter()
            .map(|&p| if self.slots[p] == Slot::Replaced { self.replacement } else { self.ids[p] })
            .collect();
        let mut x = self.model.embedded(&ids)?;
        for (t, &p) in kept.iter().enumerate() {
            if self.slots[p] == Slot::Zeroed {
                x.slice_mut(s![0, t, ..]).fill(0.0);
            }
        }
        let imported = self.model.graph(&x)?;
        let trace = imported.graph.forward(x)?;
        Ok(trace.output().iter().copied().collect())
    }

    fn set(&mut self, p: usize, slot: Slot) {
        self.slots[p] = slot;
    }

    fn remove(&mut self, p: usize) {
        self.removed[p] = true;
    }

    fn reset_to(&mut self, other: &Self) {
        self.slots.clone_from(&other.slots);
        self.removed.clone_from(&other.removed);
    }
}
