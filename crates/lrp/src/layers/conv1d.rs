//! 1-D convolution over a sequence of vectors (stride 1, no padding):
//! `z[t, f] = Σ_k Σ_d x[t + k, d] · w[k, d, f] + b_f` for `t = 0 … T − width`.
//!
//! Grouped (as PyTorch's `groups`): the channels and the filters are cut into `G` equal
//! groups, and the filters of group `g` read only the channels of group `g`:
//! `z[t, f] = Σ_k Σ_{d ∈ g(f)} x[t + k, d] · w[k, d − g(f)·C/G, f] + b_f`. An ensemble of `G`
//! networks side by side is one grouped layer that costs what its members cost; as one
//! ungrouped layer it would multiply every zero between the members too.

use std::sync::{Arc, Mutex};

use ndarray::linalg::general_mat_mul;
use ndarray::{
    s, Array1, Array2, Array3, ArrayD, ArrayView1, ArrayView2, ArrayViewD, Axis, Ix2, ShapeBuilder,
};

use crate::error::LrpError;
use crate::linear::{LinearMap, WeightMod};

/// The transposed map goes sparse when at most one in this many output values is non-zero.
const SPARSE_FRACTION: usize = 16;

/// A convolution whose windows span `width` consecutive positions of a `(T, channels)` sequence,
/// with any number of filters, in `groups` groups; output `(T − width + 1, filters)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv1d {
    /// Filters `w[k, d, f]`, shape `(width, channels / groups, filters)`: filter `f` of group
    /// `g` reads channels `g·C/G + d`.
    pub weight: Array3<f32>,
    /// Bias per filter, shape `(filters)`.
    pub bias: Option<Array1<f32>>,
    groups: usize,
    filter_major: FilterMajorCache,
}

/// The filters laid out filter-major ([`filter_major`]) with the weights they were made from:
/// the sparse transposed map reads each filter's weights of a tap as one run, and laying them
/// out costs more than the sums (one strided pass over every weight per explanation). `weight`
/// is a public field that training and the randomisation test change in place, so the copy is
/// used only while the weights equal those it was made from (compared value by value, a
/// contiguous pass).
#[derive(Default)]
struct FilterMajorCache(Mutex<Option<Arc<FilterMajor>>>);

/// Filters laid out filter-major, and the weights they were laid out from.
struct FilterMajor {
    from: Array3<f32>,
    filters: Array3<f32>,
}

impl FilterMajorCache {
    /// `weight` filter-major, from the copy when it was made from these weights.
    fn get(&self, weight: &Array3<f32>) -> Arc<FilterMajor> {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        match kept {
            Some(kept) if kept.from == weight => kept,
            _ => {
                let made =
                    Arc::new(FilterMajor { from: weight.clone(), filters: filter_major(weight) });
                *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&made));
                made
            }
        }
    }
}

impl Clone for FilterMajorCache {
    fn clone(&self) -> Self {
        FilterMajorCache(Mutex::new(self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()))
    }
}

impl PartialEq for FilterMajorCache {
    /// A cache says nothing about the layer.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for FilterMajorCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FilterMajorCache")
    }
}

impl Conv1d {
    /// A convolution from filters `(width, channels, filters)` and an optional bias `(filters)`.
    pub fn new(weight: Array3<f32>, bias: Option<Array1<f32>>) -> Result<Self, LrpError> {
        Self::grouped(weight, bias, 1)
    }

    /// A grouped convolution from filters `(width, channels / groups, filters)`.
    pub fn grouped(
        weight: Array3<f32>,
        bias: Option<Array1<f32>>,
        groups: usize,
    ) -> Result<Self, LrpError> {
        let (width, _, filters) = weight.dim();
        if width == 0 {
            return Err(LrpError::InvalidLayer("conv1d window width must be at least 1".into()));
        }
        if groups == 0 || filters % groups != 0 {
            return Err(LrpError::InvalidLayer(format!(
                "conv1d with {filters} filters cannot be cut into {groups} groups"
            )));
        }
        if let Some(b) = &bias {
            if b.len() != filters {
                return Err(LrpError::InvalidLayer(format!(
                    "conv1d bias has {} values for {filters} filters",
                    b.len()
                )));
            }
        }
        Ok(Conv1d { weight, bias, groups, filter_major: FilterMajorCache::default() })
    }

    /// The same convolution as `weight` `(width, channels, filters)`, grouped as finely as its
    /// zeros allow: the most groups `G` for which every filter of group `g` has zero weight
    /// outside the channels of group `g` (1 when there is no such structure). The outputs are
    /// those of the ungrouped layer; only the zeros are no longer multiplied.
    pub fn from_block_diagonal(
        weight: Array3<f32>,
        bias: Option<Array1<f32>>,
    ) -> Result<Self, LrpError> {
        let (_, channels, filters) = weight.dim();
        let fits = |g: usize| {
            let (cg, fg) = (channels / g, filters / g);
            weight.indexed_iter().all(|((_, d, f), &w)| w == 0.0 || d / cg == f / fg)
        };
        let groups = (2..=channels.min(filters))
            .rev()
            .filter(|g| channels % g == 0 && filters % g == 0)
            .find(|&g| fits(g))
            .unwrap_or(1);
        if groups == 1 {
            return Self::new(weight, bias);
        }
        let (cg, fg) = (channels / groups, filters / groups);
        let mut grouped = Array3::zeros((weight.dim().0, cg, filters));
        for g in 0..groups {
            grouped.slice_mut(s![.., .., g * fg..(g + 1) * fg]).assign(&weight.slice(s![
                ..,
                g * cg..(g + 1) * cg,
                g * fg..(g + 1) * fg
            ]));
        }
        Self::grouped(grouped, bias, groups)
    }

    /// The filters as one ungrouped `(width, channels, filters)` tensor, zero between groups.
    pub fn full_weight(&self) -> Array3<f32> {
        if self.groups == 1 {
            return self.weight.clone();
        }
        let (width, cg, filters) = self.weight.dim();
        let fg = filters / self.groups;
        let mut full = Array3::zeros((width, cg * self.groups, filters));
        for g in 0..self.groups {
            full.slice_mut(s![.., g * cg..(g + 1) * cg, g * fg..(g + 1) * fg])
                .assign(&self.weight.slice(s![.., .., g * fg..(g + 1) * fg]));
        }
        full
    }

    /// Each tap's contribution at every position, `c_k[p, f] = Σ_d x[p, d] · w[k, d, f]` over
    /// the channels filter `f` reads, one `(positions, filters)` matrix per tap: window `t`'s
    /// pre-activation is `b + Σ_k c_k[t + k]`. For updating windows when one position changes.
    pub fn tap_contributions(&self, x: ArrayView2<f32>) -> Vec<Array2<f32>> {
        let (width, cg, filters) = self.weight.dim();
        let fg = filters / self.groups;
        (0..width)
            .map(|k| {
                let mut c = Array2::<f32>::zeros((x.nrows(), filters));
                for g in 0..self.groups {
                    let (xg, wg) = (
                        x.slice(s![.., g * cg..(g + 1) * cg]),
                        self.weight.slice(s![k, .., g * fg..(g + 1) * fg]),
                    );
                    general_mat_mul(
                        1.0,
                        &xg,
                        &wg,
                        0.0,
                        &mut c.slice_mut(s![.., g * fg..(g + 1) * fg]),
                    );
                }
                c
            })
            .collect()
    }

    /// `c_i = Σ_j w_ij s_j` for a signal `s` at the output that is zero but at `signals`
    /// (flat indices `t · filters + f` in increasing order, with their values), into `c`.
    /// Behind a global max-pool only one position per filter carries a signal: adding those
    /// filters' columns beats a dense product by a factor of about T.
    fn add_signals(&self, w: &Array3<f32>, signals: &[(usize, f32)], c: &mut Array2<f32>) {
        let (width, cg, filters) = w.dim();
        let fg = filters / self.groups;
        let kept;
        let made;
        let filter_major = if std::ptr::eq(w, &self.weight) {
            kept = self.filter_major.get(w);
            &kept.filters
        } else {
            made = filter_major(w);
            &made
        };
        // Rows of `c` and runs of the filters as slices: a few thousand signals of three taps
        // each are too short a sum for an array slice's set-up per run (it cost six times the
        // arithmetic). The same `c += v · w` per value as `scaled_add`.
        let columns = c.ncols();
        let c = c.as_slice_mut().expect("a new array, in standard layout");
        let filter_major = filter_major.as_slice().expect("laid out in standard layout");
        for &(i, v) in signals {
            let (t, f) = (i / filters, i % filters);
            let first = (f / fg) * cg;
            for k in 0..width {
                let row = &mut c[(t + k) * columns + first..][..cg];
                let taps = &filter_major[(k * filters + f) * cg..][..cg];
                row.iter_mut().zip(taps).for_each(|(c, &w)| *c += v * w);
            }
        }
    }

    /// The transposed map of a sparse signal, as [`LinearMap::transpose`] computes it when at
    /// most one in [`SPARSE_FRACTION`] of the values is non-zero; `None` when more are (the
    /// dense product then adds in another order).
    pub(crate) fn transpose_signals(
        &self,
        signals: &[(usize, f32)],
        input_shape: &[usize],
    ) -> Option<ArrayD<f32>> {
        let out_len = input_shape[0] + 1 - self.width();
        if signals.len() > out_len * self.filters() / SPARSE_FRACTION {
            return None;
        }
        let mut c = Array2::<f32>::zeros((input_shape[0], input_shape[1]));
        self.add_signals(&self.weight, signals, &mut c);
        Some(c.into_dyn())
    }

    /// Lays the filters out for the sparse transposed map now (it is otherwise done at the
    /// first explanation), so that copies of this layer share the layout instead of each
    /// making it: an importer's graph per input length.
    pub fn lay_out_filters(&self) {
        self.filter_major.get(&self.weight);
    }

    /// Groups of channels and filters.
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// Window width in positions.
    pub fn width(&self) -> usize {
        self.weight.dim().0
    }

    /// Input channels per position.
    pub fn channels(&self) -> usize {
        self.weight.dim().1 * self.groups
    }

    /// Number of filters (output channels).
    pub fn filters(&self) -> usize {
        self.weight.dim().2
    }
}

/// The filters `(width, channels / groups, filters)` as `(width, filters, channels / groups)`,
/// each filter's weights of a tap contiguous. Sixteen filters at a time: a run of sixteen
/// values of a channel is read and written to sixteen rows that stay in cache (an indexed walk
/// over the permuted view reads one value per cache line).
fn filter_major(w: &Array3<f32>) -> Array3<f32> {
    let (width, cg, filters) = w.dim();
    let w = w.as_standard_layout();
    let data = w.as_slice().expect("standard layout");
    let mut out = vec![0.0f32; width * filters * cg];
    for (w_k, out_k) in data.chunks_exact(cg * filters).zip(out.chunks_exact_mut(filters * cg)) {
        for first in (0..filters).step_by(16) {
            let end = (first + 16).min(filters);
            for (d, channel) in w_k.chunks_exact(filters).enumerate() {
                for (f, &v) in channel[first..end].iter().enumerate() {
                    out_k[(first + f) * cg + d] = v;
                }
            }
        }
    }
    Array3::from_shape_vec((width, filters, cg), out).expect("the shape of the values")
}

impl LinearMap for Conv1d {
    fn name(&self) -> &str {
        "conv1d"
    }

    fn output_shape(&self, shape: &[usize], layer: usize) -> Result<Vec<usize>, LrpError> {
        let kind = || "conv1d".to_string();
        match *shape {
            [len, d] if d == self.channels() => {
                if len == 0 {
                    Err(LrpError::EmptySequence { layer, kind: kind() })
                } else if len < self.width() {
                    Err(LrpError::SequenceTooShort {
                        layer,
                        kind: kind(),
                        len,
                        window: self.width(),
                    })
                } else {
                    Ok(vec![len - self.width() + 1, self.filters()])
                }
            }
            _ => Err(LrpError::ShapeMismatch {
                layer,
                kind: kind(),
                expected: format!("(T, {})", self.channels()),
                got: shape.to_vec(),
            }),
        }
    }

    // One matrix product over all windows at once, without an im2col copy: in a row-major
    // `(T, channels)` sequence, window t is the contiguous run x[t..t + width] flattened, so the
    // `(T', width · channels)` window matrix is a view with row stride `channels` (rows overlap).
    // A group's channels are copied into a sequence of their own first, for the same view.
    fn forward(&self, x: ArrayViewD<f32>, weights: WeightMod) -> ArrayD<f32> {
        let x = x.into_dimensionality::<Ix2>().expect("checked by output_shape");
        let w = weights.weights(&self.weight);
        let (width, cg, filters) = w.dim();
        let fg = filters / self.groups;
        let out_len = x.nrows() + 1 - width;
        let mut z = Array2::<f32>::zeros((out_len, filters));
        for g in 0..self.groups {
            let xg = x.slice(s![.., g * cg..(g + 1) * cg]);
            let xg = xg.as_standard_layout();
            let flat = xg.as_slice().expect("standard layout");
            let windows = ArrayView2::from_shape((out_len, width * cg).strides((cg, 1)), flat)
                .expect("every window lies inside the sequence");
            let wg = w.slice(s![.., .., g * fg..(g + 1) * fg]);
            // `(width, C/G, F/G)` at strides `(C/G · F, F, 1)`: the first two axes merge into one
            // of stride `F`, a view of the filters rather than a copy of them per pass.
            let wg = wg.to_shape((width * cg, fg)).expect("the window and channel axes merge");
            general_mat_mul(
                1.0,
                &windows,
                &wg,
                0.0,
                &mut z.slice_mut(s![.., g * fg..(g + 1) * fg]),
            );
        }
        z.into_dyn()
    }

    fn transpose(
        &self,
        s: ArrayViewD<f32>,
        weights: WeightMod,
        input_shape: &[usize],
    ) -> ArrayD<f32> {
        let s = s.into_dimensionality::<Ix2>().expect("output of this layer");
        let w = weights.weights(&self.weight);
        let (_, cg, filters) = w.dim();
        let fg = filters / self.groups;
        let out_len = s.nrows();
        let mut c = Array2::<f32>::zeros((input_shape[0], input_shape[1]));
        // Read in memory order as a slice (an indexed walk over every value of `s` cost more
        // than the sums it finds), blocks of 16 values skipped when all are zero (an OR of the
        // bits without the sign, which vectorises where `any` does not). One pass finds the
        // non-zeros, stopping once there are too many for the sparse sum to pay.
        let s_rows = s.as_standard_layout();
        let s_data = s_rows.as_slice().expect("standard layout");
        let limit = s.len() / SPARSE_FRACTION;
        let signals: Vec<(usize, f32)> = s_data
            .chunks(16)
            .enumerate()
            .filter(|(_, b)| b.iter().fold(0, |a, v| a | (v.to_bits() << 1)) != 0)
            .flat_map(|(i, b)| (i * 16..).zip(b.iter().copied()))
            .filter(|&(_, v)| v != 0.0)
            .take(limit + 1)
            .collect();
        if signals.len() <= limit {
            self.add_signals(&w, &signals, &mut c);
        } else {
            for g in 0..self.groups {
                let (sg, channels) = (s.slice(s![.., g * fg..(g + 1) * fg]), g * cg..(g + 1) * cg);
                for (k, w_k) in w.axis_iter(Axis(0)).enumerate() {
                    let w_kg = w_k.slice(s![.., g * fg..(g + 1) * fg]);
                    general_mat_mul(
                        1.0,
                        &sg,
                        &w_kg.t(),
                        1.0,
                        &mut c.slice_mut(s![k..k + out_len, channels.clone()]),
                    );
                }
            }
        }
        c.into_dyn()
    }

    fn bias(&self) -> Option<ArrayView1<'_, f32>> {
        self.bias.as_ref().map(|b| b.view())
    }
}
