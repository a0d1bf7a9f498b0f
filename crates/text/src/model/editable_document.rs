//! A document of the CNN edited word by word without running it again: what occlusion and the
//! deletion evaluation do to a document.

use std::sync::Arc;

use ndarray::{Array1, Array2, Axis};
use pipeline::metrics::argmax;

use crate::model::TextCnn;

/// A document under deletion, or any edit of its words. The convolution's pre-activation of
/// window `t` is `b + Σ_k c_k[q_{t+k}]` over the positions `q` still in the document, where
/// `c_k[p] = x_p · W_k` is position `p`'s contribution through filter tap `k`; the
/// contributions are computed once (two matrix products) and shared. A word can be deleted
/// (its embedding zero: no terms), replaced by another word (that word's terms `r_k = e · W_k`),
/// restored, or removed (the text closes up over it). Every window's pre-activation is kept per
/// filter for rescans, with each filter's maximum over time; an edit recomputes only the
/// windows that touch it.
#[derive(Clone, Debug)]
pub struct EditableDocument<'m> {
    cnn: &'m TextCnn,
    /// `c_k`, shape `(positions, filters)` for each tap `k`.
    contributions: Arc<Vec<Array2<f32>>>,
    /// `r_k` of the replacement word, one row of filters per tap.
    replacement: Option<Arc<Vec<Vec<f32>>>>,
    slots: Vec<Slot>,
    /// The positions not removed, in order: window `t` covers `present[t..t + width]`.
    present: Vec<usize>,
    /// Pre-activations, filter `f`'s windows at `z[f * capacity..][..windows]`, contiguous for
    /// rescans; removals shorten every row in place.
    z: Vec<f32>,
    capacity: usize,
    windows: usize,
    /// Per filter: the first window holding the maximum, and the maximum.
    best: Vec<(usize, f32)>,
}

/// What a position of a document holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Its own word.
    Word,
    /// Nothing: its embedding is zero.
    Zeroed,
    /// The replacement word.
    Replaced,
}

impl<'m> EditableDocument<'m> {
    /// Runs the convolution and max-pool on the embedded document `x` `(positions, dim)`,
    /// which must hold at least one window (see [`TextCnn::input_ids`]). Positions whose
    /// embedding is zero count as deleted.
    pub fn new(cnn: &'m TextCnn, x: Array2<f32>) -> Self {
        let (positions, width, filters) = (x.nrows(), cnn.arch.width, cnn.arch.filters);
        let contributions = cnn.conv().tap_contributions(x.view());
        let slots = x
            .rows()
            .into_iter()
            .map(|r| if r.iter().all(|&v| v == 0.0) { Slot::Zeroed } else { Slot::Word })
            .collect();
        let windows = positions + 1 - width;
        let mut doc = EditableDocument {
            cnn,
            contributions: Arc::new(contributions),
            replacement: None,
            slots,
            present: (0..positions).collect(),
            z: vec![0.0; filters * windows],
            capacity: windows,
            windows,
            best: Vec::new(),
        };
        let mut row = vec![0.0; filters];
        for t in 0..windows {
            doc.window(t, &mut row);
            row.iter().enumerate().for_each(|(f, &v)| doc.z[f * windows + t] = v);
        }
        doc.best = (0..filters).map(|f| first_max(doc.filter_row(f))).collect();
        doc
    }

    /// The same document with `word` (an embedding row) as the replacement word.
    pub fn with_replacement(mut self, word: Array1<f32>) -> Self {
        let taps = self.cnn.conv().tap_contributions(word.view().insert_axis(Axis(0)));
        self.replacement = Some(Arc::new(taps.into_iter().map(|c| c.row(0).to_vec()).collect()));
        self
    }

    fn filter_row(&self, f: usize) -> &[f32] {
        &self.z[f * self.capacity..f * self.capacity + self.windows]
    }

    /// Pre-activations of window `t` into `out`: the bias plus the terms of its positions, added
    /// in tap order (the same order, and so the same bits, however the state was reached).
    fn window(&self, t: usize, out: &mut [f32]) {
        let bias = self.cnn.conv().bias.as_ref().expect("text CNN convolutions have a bias");
        out.copy_from_slice(bias.as_slice().expect("contiguous"));
        for (k, c) in self.contributions.iter().enumerate() {
            let p = self.present[t + k];
            let terms = match self.slots[p] {
                Slot::Word => c.row(p).to_slice().expect("rows are contiguous"),
                Slot::Replaced => {
                    &self.replacement.as_ref().expect("a replacement word was given")[k]
                }
                Slot::Zeroed => continue,
            };
            out.iter_mut().zip(terms).for_each(|(o, &v)| *o += v);
        }
    }

    /// Deletes position `p` (its embedding set to zero) and updates the windows that touch it.
    pub fn delete(&mut self, p: usize) {
        self.set(p, Slot::Zeroed);
    }

    /// What position `p` holds.
    pub fn slot(&self, p: usize) -> Slot {
        self.slots[p]
    }

    /// Puts `slot` at position `p` (not removed) and updates the windows that touch it.
    pub fn set(&mut self, p: usize, slot: Slot) {
        if self.slots[p] == slot {
            return;
        }
        self.slots[p] = slot;
        let Ok(i) = self.present.binary_search(&p) else { return };
        let first = i.saturating_sub(self.cnn.arch.width - 1);
        self.refresh(first..i.min(self.windows - 1) + 1, None);
    }

    /// Removes position `p` from the text, which closes up over it. Of the windows that covered
    /// it, the one starting at `p` goes (the later ones move one place down) and the others are
    /// recomputed across the gap. A text as short as one window keeps its length (the model pads
    /// it), so there the word is deleted instead.
    pub fn remove(&mut self, p: usize) {
        let width = self.cnn.arch.width;
        let Ok(i) = self.present.binary_search(&p) else { return };
        if self.present.len() <= width {
            return self.set(p, Slot::Zeroed);
        }
        self.present.remove(i);
        let gone = i.min(self.windows - 1);
        for f in 0..self.cnn.arch.filters {
            self.z[f * self.capacity..f * self.capacity + self.windows]
                .copy_within(gone + 1.., gone);
        }
        self.windows -= 1;
        self.refresh(i.saturating_sub(width - 1)..gone, Some(gone));
    }

    /// Recomputes the windows `changed` and each filter's maximum; `removed` is the window taken
    /// out (the later ones moved one place down), if any.
    fn refresh(&mut self, changed: std::ops::Range<usize>, removed: Option<usize>) {
        let filters = self.cnn.arch.filters;
        // The changed windows, one contiguous row of filters each.
        let mut fresh = vec![0.0; changed.len() * filters];
        for (t, row) in changed.clone().zip(fresh.chunks_exact_mut(filters)) {
            self.window(t, row);
            row.iter().enumerate().for_each(|(f, &v)| self.z[f * self.capacity + t] = v);
        }
        for f in 0..filters {
            let mut best = self.best[f];
            let stale = changed.contains(&best.0) || removed == Some(best.0);
            if removed.is_some_and(|gone| best.0 > gone) {
                best.0 -= 1;
            }
            if stale {
                // The maximum's window changed or went: look at the filter's whole row again.
                best = first_max(self.filter_row(f));
            } else {
                for (t, row) in changed.clone().zip(fresh.chunks_exact(filters)) {
                    let v = row[f];
                    if v > best.1 || (v == best.1 && t < best.0) {
                        best = (t, v);
                    }
                }
            }
            self.best[f] = best;
        }
    }

    /// Makes `self` a copy of `other` (a state of the same document), reusing its memory.
    pub fn reset_to(&mut self, other: &EditableDocument<'m>) {
        self.cnn = other.cnn;
        self.contributions = Arc::clone(&other.contributions);
        self.replacement.clone_from(&other.replacement);
        self.slots.clone_from(&other.slots);
        self.present.clone_from(&other.present);
        self.z.clone_from(&other.z);
        (self.capacity, self.windows) = (other.capacity, other.windows);
        self.best.clone_from(&other.best);
    }

    /// Each filter's maximum pre-activation over time.
    pub fn pooled(&self) -> Vec<f32> {
        self.best.iter().map(|b| b.1).collect()
    }

    /// The class scores: dense layer on the ReLU of the pooled maxima.
    pub fn scores(&self) -> Vec<f32> {
        let dense = self.cnn.dense();
        let mut scores = dense.bias.as_ref().expect("text CNN dense layers have a bias").to_vec();
        for (h, w) in self.best.iter().zip(dense.weight.rows()) {
            let h = h.1.max(0.0);
            if h > 0.0 {
                scores.iter_mut().zip(w).for_each(|(s, &w)| *s += h * w);
            }
        }
        scores
    }

    /// The predicted class.
    pub fn predicted(&self) -> usize {
        argmax(&self.scores())
    }
}

/// The first index of the maximum of `z`, and the maximum: the maximum by eight running
/// maxima (one running maximum with its index is a serial chain that does not vectorise; these
/// rescans are a large part of the deletion evaluation), then its first position.
fn first_max(z: &[f32]) -> (usize, f32) {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = z.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (m, &v) in lanes.iter_mut().zip(chunk) {
            *m = if v > *m { v } else { *m };
        }
    }
    let max = lanes.iter().chain(tail).fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
    (z.iter().position(|&v| v == max).unwrap_or(0), max)
}
