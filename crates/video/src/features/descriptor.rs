//! Local motion descriptors on the block grid, in the spirit of Kantorov & Laptev (2014):
//! histograms of the motion field (HOF, with a zero-motion bin) and of its spatial
//! derivatives (MBHx, MBHy) over dense spatio-temporal cuboids. Every descriptor carries its
//! receptive field: the frames and blocks it was computed from.
//!
//! Per block and frame, a vector adds its magnitude to the orientation bin it falls in
//! (shared linearly between the two nearest bins), or 1 to the zero-motion bin when it is
//! shorter than `zero_motion`; MBH does the same with the gradient of the `dx` (MBHx) or `dy`
//! (MBHy) field, by central differences between neighbouring blocks (one-sided at the edges).
//! A cuboid's cell sums its blocks' histograms; the cells are concatenated and each channel
//! is L2-normalised.

use std::collections::VecDeque;

use ndarray::{Array3, Axis};
use serde::{Deserialize, Serialize};

use super::descriptor_batch::{Descriptor, DescriptorBatch};
use super::squared_norm::squared_norm;
use crate::decode::MotionField;

/// The cuboid layout and histogram settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DescriptorOptions {
    /// Cuboid side in blocks (2 blocks of 16 pixels: 32×32 pixels).
    pub cuboid_blocks: usize,
    /// Cuboid length in frames.
    pub frames: usize,
    /// Cells per cuboid: across, down, in time.
    pub cells: (usize, usize, usize),
    /// Orientation bins.
    pub bins: usize,
    /// Displacements shorter than this (pixels per frame) count as no motion.
    pub zero_motion: f32,
    /// Frames between the starts of consecutive cuboids.
    pub time_stride: usize,
}

impl Default for DescriptorOptions {
    fn default() -> Self {
        DescriptorOptions {
            cuboid_blocks: 2,
            frames: 5,
            cells: (2, 2, 3),
            bins: 8,
            zero_motion: 0.25,
            time_stride: 2,
        }
    }
}

impl DescriptorOptions {
    fn cell_count(&self) -> usize {
        self.cells.0 * self.cells.1 * self.cells.2
    }

    /// Length of a HOF descriptor (orientation bins and the zero bin, per cell).
    pub fn hof_len(&self) -> usize {
        (self.bins + 1) * self.cell_count()
    }

    /// Length of an MBHx or MBHy descriptor.
    pub fn mbh_len(&self) -> usize {
        self.bins * self.cell_count()
    }

    /// Lengths of the three descriptor types: HOF, MBHx, MBHy.
    pub fn lengths(&self) -> [usize; 3] {
        [self.hof_len(), self.mbh_len(), self.mbh_len()]
    }

    /// Checks the layout: bins, frames, stride and cells at least 1, and cells that fit the cuboid.
    pub fn check(&self) -> Result<(), String> {
        let (cx, cy, ct) = self.cells;
        if self.bins == 0
            || self.frames == 0
            || self.time_stride == 0
            || cx == 0
            || cy == 0
            || ct == 0
        {
            return Err("descriptor bins, frames, stride and cells must be at least 1".into());
        }
        if cx > self.cuboid_blocks || cy > self.cuboid_blocks || ct > self.frames {
            return Err(format!(
                "{cx}×{cy}×{ct} cells do not fit a cuboid of {0}×{0} blocks × {1} frames",
                self.cuboid_blocks, self.frames
            ));
        }
        Ok(())
    }
}

/// Per-block histograms of one frame: `[rows, cols, bins]` each.
pub(crate) struct FrameHistograms {
    index: usize,
    hof: Array3<f32>,
    mbhx: Array3<f32>,
    mbhy: Array3<f32>,
}

impl FrameHistograms {
    /// The histograms of frame `index`'s field.
    pub(crate) fn of(index: usize, field: &MotionField, o: &DescriptorOptions) -> Self {
        FrameHistograms {
            index,
            hof: flow_histograms(field, o.bins, o.zero_motion),
            mbhx: gradient_histograms(&field.dx, o.bins),
            mbhy: gradient_histograms(&field.dy, o.bins),
        }
    }
}

/// Turns a stream of motion fields into descriptors, keeping only one cuboid's worth of frames.
pub struct DescriptorExtractor {
    options: DescriptorOptions,
    window: VecDeque<FrameHistograms>,
    since_last: usize,
}

impl DescriptorExtractor {
    pub fn new(options: DescriptorOptions) -> Result<Self, crate::error::VideoError> {
        options.check().map_err(crate::error::VideoError::Invalid)?;
        Ok(DescriptorExtractor { options, window: VecDeque::new(), since_last: 0 })
    }

    /// Takes the field of frame `index` (frames in order); appends the cuboids it completes to
    /// `batch`.
    pub fn push(&mut self, index: usize, field: &MotionField, batch: &mut DescriptorBatch) {
        let o = self.options;
        self.window.push_back(FrameHistograms::of(index, field, &o));
        if self.window.len() > o.frames {
            self.window.pop_front();
        }
        if self.window.len() < o.frames {
            return;
        }
        self.since_last += 1;
        if self.window.len() == o.frames && !(self.since_last - 1).is_multiple_of(o.time_stride) {
            return;
        }
        window_cuboids(&o, &self.window.iter().collect::<Vec<_>>(), |_, _| true, batch)
    }
}

/// Appends to `batch` the cuboids of one window of `options.frames` frames whose top-left block
/// `(r, c)` is `wanted`, in row-major order.
pub(crate) fn window_cuboids(
    o: &DescriptorOptions,
    window: &[&FrameHistograms],
    wanted: impl Fn(usize, usize) -> bool,
    batch: &mut DescriptorBatch,
) {
    let first = window[0];
    let (rows, cols) = (first.hof.len_of(Axis(0)), first.hof.len_of(Axis(1)));
    if rows < o.cuboid_blocks || cols < o.cuboid_blocks {
        return;
    }
    let cells = [
        time_cells(o, window, |f| &f.hof),
        time_cells(o, window, |f| &f.mbhx),
        time_cells(o, window, |f| &f.mbhy),
    ];
    let start = first.index;
    for r in 0..=rows - o.cuboid_blocks {
        for c in (0..=cols - o.cuboid_blocks).filter(|&c| wanted(r, c)) {
            let field = Descriptor {
                frames: start..start + o.frames,
                rows: r..r + o.cuboid_blocks,
                cols: c..c + o.cuboid_blocks,
                hof: Vec::new(),
                mbhx: Vec::new(),
                mbhy: Vec::new(),
            };
            for (out, cells) in batch.push_zeroed(field).into_iter().zip(&cells) {
                pool(o, cells, cols, r, c, out);
            }
        }
    }
}

/// Per temporal cell, the window's per-block histograms summed over the cell's frames:
/// `[cells in time][rows · cols · bins]`, shared by every cuboid of this window.
fn time_cells(
    o: &DescriptorOptions,
    window: &[&FrameHistograms],
    channel: impl Fn(&FrameHistograms) -> &Array3<f32>,
) -> (Vec<Vec<f32>>, usize) {
    let ct = o.cells.2;
    let bins = channel(window[0]).len_of(Axis(2));
    let mut cells = vec![vec![0.0f32; channel(window[0]).len()]; ct];
    for (t, frame) in window.iter().enumerate() {
        let h = channel(frame).as_slice().expect("histograms in standard layout");
        for (sum, v) in cells[t * ct / o.frames].iter_mut().zip(h) {
            *sum += v;
        }
    }
    (cells, bins)
}

/// Sums the per-block histograms into the cuboid's cells of `out` (zeros, `bins` per cell),
/// concatenated and L2-normalised.
fn pool(
    o: &DescriptorOptions,
    (time_cells, bins): &(Vec<Vec<f32>>, usize),
    cols: usize,
    r: usize,
    c: usize,
    out: &mut [f32],
) {
    let (cx, cy, _) = o.cells;
    let bins = *bins;
    for (cell_t, h) in time_cells.iter().enumerate() {
        for dr in 0..o.cuboid_blocks {
            let cell_y = dr * cy / o.cuboid_blocks;
            for dc in 0..o.cuboid_blocks {
                let cell_x = dc * cx / o.cuboid_blocks;
                let cell = (cell_t * cy + cell_y) * cx + cell_x;
                let block = ((r + dr) * cols + c + dc) * bins;
                for (slot, v) in
                    out[cell * bins..(cell + 1) * bins].iter_mut().zip(&h[block..block + bins])
                {
                    *slot += v;
                }
            }
        }
    }
    let norm = squared_norm::<f32, 8>(out).sqrt();
    if norm > 0.0 {
        out.iter_mut().for_each(|v| *v /= norm);
    }
}

/// Adds `weight` to the orientation bins around `angle` (radians), linearly shared.
fn add_oriented(hist: &mut [f32], bins: usize, angle: f32, weight: f32) {
    let position =
        (angle.rem_euclid(std::f32::consts::TAU) / std::f32::consts::TAU) * bins as f32 - 0.5;
    let lower = position.floor();
    let fraction = position - lower;
    let lower = (lower as i64).rem_euclid(bins as i64) as usize;
    hist[lower] += weight * (1.0 - fraction);
    hist[(lower + 1) % bins] += weight * fraction;
}

/// HOF per block: `bins` orientations of (dx, dy) weighted by length, and a zero-motion bin.
fn flow_histograms(field: &MotionField, bins: usize, zero_motion: f32) -> Array3<f32> {
    let (rows, cols) = (field.rows(), field.cols());
    let mut out = vec![0.0f32; rows * cols * (bins + 1)];
    for ((hist, &dx), &dy) in
        out.chunks_exact_mut(bins + 1).zip(field.dx.iter()).zip(field.dy.iter())
    {
        let magnitude = dx.hypot(dy);
        if magnitude < zero_motion {
            hist[bins] += 1.0;
        } else {
            add_oriented(&mut hist[..bins], bins, dy.atan2(dx), magnitude);
        }
    }
    Array3::from_shape_vec((rows, cols, bins + 1), out).expect("rows × cols × bins")
}

/// MBH per block: orientations of the spatial gradient of one field component.
fn gradient_histograms(component: &ndarray::Array2<f32>, bins: usize) -> Array3<f32> {
    let (rows, cols) = component.dim();
    let mut out = vec![0.0f32; rows * cols * bins];
    let at = |r: usize, c: usize| component[[r, c]];
    let derivative =
        |lo: f32, hi: f32, span: usize| if span == 0 { 0.0 } else { (hi - lo) / span as f32 };
    for r in 0..rows {
        let (up, down) = (r.saturating_sub(1), (r + 1).min(rows - 1));
        for c in 0..cols {
            let (left, right) = (c.saturating_sub(1), (c + 1).min(cols - 1));
            let gx = derivative(at(r, left), at(r, right), right - left);
            let gy = derivative(at(up, c), at(down, c), down - up);
            let magnitude = gx.hypot(gy);
            if magnitude > 0.0 {
                let block = (r * cols + c) * bins;
                add_oriented(&mut out[block..block + bins], bins, gy.atan2(gx), magnitude);
            }
        }
    }
    Array3::from_shape_vec((rows, cols, bins), out).expect("rows × cols × bins")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn field(dx: Array2<f32>, dy: Array2<f32>) -> MotionField {
        let has_vector = dx.mapv(|_| true);
        MotionField { block: 16, dx, dy, has_vector }
    }

    #[test]
    fn orientation_bins_share_linearly() {
        let mut h = vec![0.0; 8];
        // Bin centres at (k + 0.5) · 45°: 0° lies halfway between bins 7 and 0.
        add_oriented(&mut h, 8, 0.0, 2.0);
        assert_eq!(h, [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        let mut h = vec![0.0; 8];
        add_oriented(&mut h, 8, 67.5f32.to_radians(), 1.0); // the centre of bin 1
        assert!((h[1] - 1.0).abs() < 1e-5 && h.iter().sum::<f32>() - 1.0 < 1e-5);
    }

    #[test]
    fn hof_on_a_hand_made_field() {
        // Left column moves right by 2 (bins 7 and 0 share), right column is still (zero bin).
        let f = field(
            Array2::from_shape_vec((2, 2), vec![2.0, 0.0, 2.0, 0.1]).unwrap(),
            Array2::zeros((2, 2)),
        );
        let h = flow_histograms(&f, 8, 0.25);
        assert_eq!(
            h.slice(ndarray::s![0, 0, ..]).to_vec(),
            [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        );
        assert_eq!(
            h.slice(ndarray::s![1, 1, ..]).to_vec(),
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
        );
        // Downward motion (dy > 0, image rows grow down) lands between bins 1 and 2 (90°).
        let f = field(Array2::zeros((1, 1)), Array2::from_elem((1, 1), 4.0));
        let h = flow_histograms(&f, 8, 0.25);
        assert_eq!(
            h.slice(ndarray::s![0, 0, ..]).to_vec(),
            [0.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        );
    }

    #[test]
    fn mbh_sees_only_motion_boundaries() {
        // A uniform translation has no motion boundary: MBH is all zero, HOF is not.
        let uniform = field(Array2::from_elem((3, 4), 3.0), Array2::from_elem((3, 4), -1.0));
        assert!(gradient_histograms(&uniform.dx, 8).iter().all(|&v| v == 0.0));
        assert!(flow_histograms(&uniform, 8, 0.25).iter().any(|&v| v > 0.0));
        // dx grows by 1 per column: the x-derivative is 1 everywhere (central and one-sided).
        let ramp = Array2::from_shape_fn((3, 4), |(_, c)| c as f32);
        let h = gradient_histograms(&ramp, 8);
        for r in 0..3 {
            for c in 0..4 {
                assert_eq!(
                    h.slice(ndarray::s![r, c, ..]).to_vec(),
                    [0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5]
                );
            }
        }
    }

    /// The descriptors that frame `t`'s field completes, with their values.
    fn pushed(extractor: &mut DescriptorExtractor, t: usize, f: &MotionField) -> Vec<Descriptor> {
        let mut batch = DescriptorBatch::new(extractor.options.lengths());
        extractor.push(t, f, &mut batch);
        batch.descriptors().collect()
    }

    #[test]
    fn cuboids_cover_exactly_their_blocks_and_frames() {
        let options = DescriptorOptions { time_stride: 1, ..DescriptorOptions::default() };
        let mut extractor = DescriptorExtractor::new(options).unwrap();
        let (rows, cols) = (3, 4);
        let mut all = Vec::new();
        for t in 0..7 {
            // Motion only in block (1, 2) of frame 3: only the cuboids over it may see it.
            let mut dx = Array2::zeros((rows, cols));
            if t == 3 {
                dx[[1, 2]] = 5.0;
            }
            all.extend(pushed(&mut extractor, t, &field(dx, Array2::zeros((rows, cols)))));
        }
        // Frames 0..5, 1..6, 2..7; 2×3 cuboid positions each.
        assert_eq!(all.len(), 3 * 2 * 3);
        for d in &all {
            assert_eq!((d.frames.len(), d.rows.len(), d.cols.len()), (5, 2, 2));
            assert_eq!((d.hof.len(), d.mbhx.len()), (options.hof_len(), options.mbh_len()));
            let covers = d.frames.contains(&3) && d.rows.contains(&1) && d.cols.contains(&2);
            let moving: f32 = d.hof.chunks(9).map(|cell| cell[..8].iter().sum::<f32>()).sum();
            assert_eq!(moving > 0.0, covers, "{:?} {:?} {:?}", d.frames, d.rows, d.cols);
            // The boundary around the moving block shows in MBHx exactly where it is covered.
            assert_eq!(
                d.mbhx.iter().any(|&v| v > 0.0),
                d.frames.contains(&3) && d.rows.contains(&1) && (1..4).any(|c| d.cols.contains(&c))
            );
            let norm: f32 = d.hof.iter().map(|v| v * v).sum();
            assert!((norm - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn pooled_cells_equal_a_direct_sum_over_frames_and_blocks() {
        // Cells of 2 blocks × 2 blocks × 2 frames in a 4×4×5 cuboid (time cells {0,1}, {2,3}, {4}).
        let options = DescriptorOptions {
            cuboid_blocks: 4,
            frames: 5,
            cells: (2, 2, 3),
            time_stride: 1,
            ..DescriptorOptions::default()
        };
        let mut extractor = DescriptorExtractor::new(options).unwrap();
        let (rows, cols) = (5, 6);
        let fields: Vec<MotionField> = (0..6)
            .map(|t| {
                field(
                    Array2::from_shape_fn((rows, cols), |(r, c)| {
                        ((r * 7 + c * 3 + t * 5) % 9) as f32 - 4.0
                    }),
                    Array2::from_shape_fn((rows, cols), |(r, c)| {
                        ((r * 2 + c * 5 + t) % 7) as f32 - 3.0
                    }),
                )
            })
            .collect();
        let histograms: Vec<Array3<f32>> =
            fields.iter().map(|f| flow_histograms(f, 8, 0.25)).collect();
        let descriptors: Vec<Descriptor> =
            fields.iter().enumerate().flat_map(|(t, f)| pushed(&mut extractor, t, f)).collect();
        assert_eq!(descriptors.len(), 2 * 2 * 3);
        for d in &descriptors {
            let mut want = vec![0.0f64; 9 * 12];
            for t in d.frames.clone() {
                for r in d.rows.clone() {
                    for c in d.cols.clone() {
                        let cell = (((t - d.frames.start) * 3 / 5) * 2 + (r - d.rows.start) / 2)
                            * 2
                            + (c - d.cols.start) / 2;
                        for b in 0..9 {
                            want[cell * 9 + b] += f64::from(histograms[t][[r, c, b]]);
                        }
                    }
                }
            }
            let norm = want.iter().map(|v| v * v).sum::<f64>().sqrt();
            for (got, want) in d.hof.iter().zip(&want) {
                assert!(
                    (f64::from(*got) - want / norm).abs() < 1e-6,
                    "{:?} {:?} {:?}",
                    d.frames,
                    d.rows,
                    d.cols
                );
            }
        }
    }

    #[test]
    fn the_time_stride_skips_cuboid_starts() {
        let mut extractor = DescriptorExtractor::new(DescriptorOptions {
            time_stride: 2,
            ..DescriptorOptions::default()
        })
        .unwrap();
        let starts: Vec<usize> = (0..10)
            .flat_map(|t| {
                pushed(&mut extractor, t, &field(Array2::zeros((2, 2)), Array2::zeros((2, 2))))
            })
            .map(|d| d.frames.start)
            .collect();
        assert_eq!(starts, [0, 2, 4]);
    }
}
