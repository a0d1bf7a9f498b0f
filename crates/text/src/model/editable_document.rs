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
/// windows that touch it. A window is kept at the place of its first position in the document
/// as it came: a removal leaves the later windows where they are (their positions are the same)
/// and empties the one it takes out.
#[derive(Clone, Debug)]
pub struct EditableDocument<'m> {
    cnn: &'m TextCnn,
    /// `c_k`, shape `(positions, filters)` for each tap `k`.
    contributions: Arc<Vec<Array2<f32>>>,
    /// `r_k` of the replacement word, one row of filters per tap.
    replacement: Option<Arc<Vec<Vec<f32>>>>,
    slots: Vec<Slot>,
    /// The positions not removed, in order: window `t` covers `present[t..t + width]` and is
    /// kept at place `present[t]`.
    present: Vec<usize>,
    /// Pre-activations, filter `f`'s windows at `z[f * capacity..][..capacity]` by place,
    /// contiguous for rescans; a place whose window was removed holds −∞.
    z: Vec<f32>,
    capacity: usize,
    windows: usize,
    /// Per filter: the place of the first window holding the maximum, and the maximum (apart,
    /// so that the updates after an edit run over all filters a vector at a time).
    best_window: Vec<u32>,
    best: Vec<f32>,
    /// Scratch of [`Self::refresh`], kept to reuse its memory: the changed windows'
    /// pre-activations (a row of filters each), which filters' maxima went stale (0 or 1), and
    /// the maxima before the edit.
    fresh: Vec<f32>,
    stale: Vec<u8>,
    old: Vec<f32>,
    /// Per class, the score in f64 and the sum of its terms' magnitudes (see [`ScoreBounds`]).
    bounds: ScoreBounds,
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
            best_window: Vec::new(),
            best: Vec::new(),
            fresh: Vec::new(),
            stale: Vec::new(),
            old: Vec::new(),
            bounds: ScoreBounds::default(),
        };
        // Windows are computed as rows of filters and stored filter-major: a block of them at a
        // time, so that each filter's part of the block is written as one run, not one value
        // per window at a stride of the whole row.
        let mut block = vec![0.0; TRANSPOSE_BLOCK * filters];
        for start in (0..windows).step_by(TRANSPOSE_BLOCK) {
            let count = TRANSPOSE_BLOCK.min(windows - start);
            for (j, row) in block.chunks_exact_mut(filters).take(count).enumerate() {
                doc.window(start + j, row);
            }
            for (f, z) in doc.z.chunks_exact_mut(windows).enumerate() {
                for (j, v) in z[start..start + count].iter_mut().enumerate() {
                    *v = block[j * filters + f];
                }
            }
        }
        (doc.best_window, doc.best) = (0..filters).map(|f| first_max(doc.filter_row(f))).unzip();
        doc.bounds = ScoreBounds::of(cnn, &doc.best);
        doc
    }

    /// The same document with `word` (an embedding row) as the replacement word.
    pub fn with_replacement(mut self, word: Array1<f32>) -> Self {
        let taps = self.cnn.conv().tap_contributions(word.view().insert_axis(Axis(0)));
        self.replacement = Some(Arc::new(taps.into_iter().map(|c| c.row(0).to_vec()).collect()));
        self
    }

    /// Filter `f`'s windows by place.
    fn filter_row(&self, f: usize) -> &[f32] {
        &self.z[f * self.capacity..(f + 1) * self.capacity]
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
            add_to(out, terms);
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
    /// it, the one starting at `p` goes (the last one where no window starts at `p`) and the
    /// others are recomputed across the gap; the later ones keep their positions and their place.
    /// A text as short as one window keeps its length (the model pads it), so there the word is
    /// deleted instead.
    pub fn remove(&mut self, p: usize) {
        let width = self.cnn.arch.width;
        let Ok(i) = self.present.binary_search(&p) else { return };
        if self.present.len() <= width {
            return self.set(p, Slot::Zeroed);
        }
        let gone = i.min(self.windows - 1);
        let place = self.present[gone];
        for f in 0..self.cnn.arch.filters {
            self.z[f * self.capacity + place] = f32::NEG_INFINITY;
        }
        self.present.remove(i);
        self.windows -= 1;
        self.refresh(i.saturating_sub(width - 1)..gone, Some(place));
    }

    /// Recomputes the windows `changed` and each filter's maximum; `removed` is the place of
    /// the window taken out, if any.
    fn refresh(&mut self, changed: std::ops::Range<usize>, removed: Option<usize>) {
        let filters = self.cnn.arch.filters;
        // The changed windows, one contiguous row of filters each.
        let mut fresh = std::mem::take(&mut self.fresh);
        fresh.resize(changed.len() * filters, 0.0);
        for (t, row) in changed.clone().zip(fresh.chunks_exact_mut(filters)) {
            self.window(t, row);
        }
        let old = self.old_best();
        let places = &self.present[changed.clone()];
        for (f, z) in self.z.chunks_exact_mut(self.capacity).enumerate() {
            for (j, &place) in places.iter().enumerate() {
                z[place] = fresh[j * filters + f];
            }
        }
        // Filters whose maximum's window changed or went. The changed windows' places are
        // consecutive positions but for removed ones between them, which hold no window.
        let (first, end) = match (places.first(), places.last()) {
            (Some(&a), Some(&b)) => (a as u32, b as u32 + 1),
            _ => (0, 0),
        };
        let gone = removed.map_or(u32::MAX, |g| g as u32);
        let mut stale = std::mem::take(&mut self.stale);
        stale.clear();
        stale.extend(
            self.best_window.iter().map(|&w| (w >= first && w < end) || w == gone).map(u8::from),
        );
        // The changed windows may beat the maximum; branch-free, so it runs over all filters a
        // vector at a time (the stale filters are searched again below in any case).
        for (row, &place) in fresh.chunks_exact(filters).zip(places) {
            keep_better(&mut self.best_window, &mut self.best, row, place as u32);
        }
        for f in (0..filters).filter(|&f| stale[f] != 0) {
            let (w, b) = first_max(&self.z[f * self.capacity..(f + 1) * self.capacity]);
            (self.best_window[f], self.best[f]) = (w, b);
        }
        let dense = self.cnn.dense();
        for (f, (&o, &b)) in old.iter().zip(&self.best).enumerate() {
            if o != b {
                self.bounds.change(dense, f, o, b);
            }
        }
        self.stale = stale;
        self.old = old;
        self.fresh = fresh;
    }

    /// The maxima as they are, in the scratch kept for them.
    fn old_best(&mut self) -> Vec<f32> {
        let mut old = std::mem::take(&mut self.old);
        old.clear();
        old.extend_from_slice(&self.best);
        old
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
        self.best_window.clone_from(&other.best_window);
        self.best.clone_from(&other.best);
        self.bounds.clone_from(&other.bounds);
    }

    /// The pre-activations as they stand, `(windows, filters)`: each window a row, as the
    /// convolution's output. Sixteen filters at a time: their rows are read in order side by
    /// side and each window's sixteen values written as one run (64 bytes) of its row.
    pub fn pre_activations(&self) -> Array2<f32> {
        let (filters, windows) = (self.cnn.arch.filters, self.windows);
        let places = &self.present[..windows];
        let mut out = Array2::<f32>::zeros((windows, filters));
        let data = out.as_slice_mut().expect("a fresh array is contiguous");
        let full = filters - filters % TRANSPOSE_BLOCK;
        for first in (0..full).step_by(TRANSPOSE_BLOCK) {
            let rows: [&[f32]; TRANSPOSE_BLOCK] =
                std::array::from_fn(|j| self.filter_row(first + j));
            for (run, &place) in data.chunks_exact_mut(filters).zip(places) {
                let run: &mut [f32; TRANSPOSE_BLOCK] =
                    (&mut run[first..first + TRANSPOSE_BLOCK]).try_into().expect("a block");
                for (v, row) in run.iter_mut().zip(&rows) {
                    *v = row[place];
                }
            }
        }
        for f in full..filters {
            let row = self.filter_row(f);
            for (t, &place) in places.iter().enumerate() {
                data[t * filters + f] = row[place];
            }
        }
        out
    }

    /// Each filter's maximum pre-activation over time.
    pub fn pooled(&self) -> Vec<f32> {
        self.best.clone()
    }

    /// The class scores: dense layer on the ReLU of the pooled maxima.
    pub fn scores(&self) -> Vec<f32> {
        let dense = self.cnn.dense();
        let mut scores = dense.bias.as_ref().expect("text CNN dense layers have a bias").to_vec();
        for (h, w) in self.best.iter().zip(dense.weight.rows()) {
            let h = h.max(0.0);
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

    /// Whether the predicted class is `class`: `predicted() == class`, decided from the scores
    /// kept in f64 where their rounding bound leaves no doubt, else by [`Self::scores`].
    pub fn predicts(&self, class: usize) -> bool {
        match self.bounds.decides(class) {
            Some(answer) => answer,
            None => self.predicted() == class,
        }
    }
}

/// The class scores kept up to date in f64 as the pooled maxima change, with a bound on how far
/// [`EditableDocument::scores`] (f32, summed in filter order) can lie from them. Recomputing
/// the scores after every edit (filters × classes products) was a tenth of the deletion
/// evaluation; a change of a few maxima updates these in a few products, and the scores are
/// computed only when two classes come within the bound.
///
/// `scores()` sums `b_c + Σ_f fl(h_f w_fc)` in order over at most `F + 1` terms, so it lies
/// within `γ_{F+2} (|b_c| + Σ_f |h_f w_fc|)` of the exact sum (Higham, *Accuracy and Stability
/// of Numerical Algorithms*, §4.2; `γ_n = n u / (1 − n u)`, `u = 2⁻²⁴`), and `sums` hold the
/// exact sum up to f64 rounding, far below that.
#[derive(Clone, Debug, Default)]
struct ScoreBounds {
    /// `b_c + Σ_f relu(h_f) w_fc` in f64.
    sums: Vec<f64>,
    /// `|b_c| + Σ_f relu(h_f) |w_fc|`.
    magnitudes: Vec<f64>,
    /// `γ_{F+2}`, with room for the f64 rounding of the running sums.
    gamma: f64,
}

impl ScoreBounds {
    fn of(cnn: &TextCnn, best: &[f32]) -> Self {
        let dense = cnn.dense();
        let bias = dense.bias.as_ref().expect("text CNN dense layers have a bias");
        let n = (best.len() + 2) as f64;
        let u = f64::from(f32::EPSILON) / 2.0;
        let mut bounds = ScoreBounds {
            sums: bias.iter().map(|&b| f64::from(b)).collect(),
            magnitudes: bias.iter().map(|&b| f64::from(b).abs()).collect(),
            gamma: n * u / (1.0 - n * u) + 1e-9,
        };
        for (f, &h) in best.iter().enumerate() {
            bounds.change(dense, f, 0.0, h);
        }
        bounds
    }

    /// Filter `f`'s maximum went from `old` to `new`.
    fn change(&mut self, dense: &lrp::Dense, f: usize, old: f32, new: f32) {
        let delta = f64::from(new.max(0.0)) - f64::from(old.max(0.0));
        if delta == 0.0 {
            return;
        }
        let weights = dense.weight.row(f);
        for ((s, m), &w) in self.sums.iter_mut().zip(&mut self.magnitudes).zip(weights) {
            *s += delta * f64::from(w);
            *m += delta * f64::from(w).abs();
        }
    }

    /// `Some(argmax(scores) == class)` when every other class's score is certainly below
    /// `class`'s, or one certainly above it; `None` when the bound allows either.
    fn decides(&self, class: usize) -> Option<bool> {
        let error = |c: usize| self.gamma * self.magnitudes[c];
        let (low, high) = (self.sums[class] - error(class), self.sums[class] + error(class));
        let mut below = true;
        for c in (0..self.sums.len()).filter(|&c| c != class) {
            if self.sums[c] - error(c) > high {
                return Some(false);
            }
            below &= self.sums[c] + error(c) < low;
        }
        below.then_some(true)
    }
}

/// Windows computed as rows before they are stored filter-major (see [`EditableDocument::new`]).
const TRANSPOSE_BLOCK: usize = 16;

/// `out += terms`, element by element.
///
/// These loops, with [`keep_better`] and [`first_max`], are most of a deletion's work and run
/// over all filters a vector at a time: compiled for AVX-512 and AVX2 as well and chosen at run
/// time (`multiversion`); element-wise adds, compares and selects round alike in every version.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn add_to(out: &mut [f32], terms: &[f32]) {
    out.iter_mut().zip(terms).for_each(|(o, &v)| *o += v);
}

/// Window `t`'s values `row` into each filter's maximum `best` and its window `best_window`
/// where they beat it (ties to the earlier window), branch-free.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn keep_better(best_window: &mut [u32], best: &mut [f32], row: &[f32], t: u32) {
    for ((w, b), &v) in best_window.iter_mut().zip(best.iter_mut()).zip(row) {
        let better = (v > *b) | ((v == *b) & (t < *w));
        *w = if better { t } else { *w };
        *b = if better { v } else { *b };
    }
}

/// The first index of the maximum of `z`, and the maximum: the maximum by eight running
/// maxima (one running maximum with its index is a serial chain that does not vectorise; these
/// rescans are a large part of the deletion evaluation), then its first position.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn first_max(z: &[f32]) -> (u32, f32) {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = z.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (m, &v) in lanes.iter_mut().zip(chunk) {
            *m = if v > *m { v } else { *m };
        }
    }
    let max = lanes.iter().chain(tail).fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
    (z.iter().position(|&v| v == max).unwrap_or(0) as u32, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_activations_are_the_windows_as_they_stand_a_row_each() {
        use rand::{Rng, SeedableRng};
        let arch = crate::model::Architecture {
            vocab: 30,
            embedding_dim: 5,
            width: 3,
            filters: 37, // two blocks of sixteen and a rest
            classes: 3,
            max_len: 40,
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let cnn = TextCnn::new(arch, &mut rng);
        let ids: Vec<u32> = (0..21).map(|_| rng.gen_range(2..30)).collect();
        let x = cnn.embed(&ids);
        let mut doc = EditableDocument::new(&cnn, x.clone());
        let forward = cnn.network().layers()[0].forward(x.view().into_dyn());
        for edit in 0..3 {
            let z = doc.pre_activations();
            assert_eq!(z.dim(), (doc.windows, 37));
            let mut row = vec![0.0; 37];
            for t in 0..doc.windows {
                doc.window(t, &mut row);
                assert_eq!(z.row(t).to_vec(), row, "edit {edit}, window {t}");
                if edit == 0 {
                    for (a, b) in z.row(t).iter().zip(forward.index_axis(Axis(0), t)) {
                        assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} against {b}");
                    }
                }
            }
            let maxima = z.fold_axis(Axis(0), f32::NEG_INFINITY, |&m, &v| m.max(v));
            assert_eq!(doc.pooled(), maxima.to_vec(), "edit {edit}: the maxima of the windows");
            doc.remove(4 + edit);
            doc.remove(doc.present[doc.present.len() - 1]); // no window starts there
            doc.set(10, Slot::Zeroed);
        }
    }

    #[test]
    fn score_bounds_decide_only_outside_the_rounding_bound() {
        // Three classes, the first ahead by 0.5 with terms of magnitude 100: the bound
        // (about 2.4e-4 · 100 per class for 4,000 filters) leaves no doubt.
        let n = 4002.0;
        let u = f64::from(f32::EPSILON) / 2.0;
        let bounds = |sums: Vec<f64>| ScoreBounds {
            sums,
            magnitudes: vec![100.0; 3],
            gamma: n * u / (1.0 - n * u) + 1e-9,
        };
        let clear = bounds(vec![1.0, 0.5, -2.0]);
        assert_eq!(clear.decides(0), Some(true));
        assert_eq!(clear.decides(1), Some(false));
        assert_eq!(clear.decides(2), Some(false));
        // 0.04 apart, within twice the bound (0.048): either may be the f32 argmax.
        let close = bounds(vec![1.0, 0.96, -2.0]);
        assert_eq!(close.decides(0), None);
        assert_eq!(close.decides(1), None);
        assert_eq!(close.decides(2), Some(false));
        // 0.05 apart, just outside it.
        let apart = bounds(vec![1.0, 0.95, -2.0]);
        assert_eq!(apart.decides(0), Some(true));
        assert_eq!(apart.decides(1), Some(false));
    }
}
