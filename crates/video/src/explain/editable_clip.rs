//! A clip whose motion is edited a few cells at a time — deletion and insertion curves,
//! occlusion — and scored without computing the whole clip again. A descriptor changes only
//! when its cuboid covers a changed cell or one of the cell's four neighbours (MBH's central
//! differences read them), so only those descriptors are pooled again, and their Fisher terms
//! are swapped in the raw sums: `Φ' = Φ − Σ_{i∈A} φ(y_i) + Σ_{i∈A} φ(y'_i)`, with the count `N`
//! unchanged (edits keep the grid and the frames).

use std::ops::Range;

use ndarray::{s, Array1, Array2, Axis};

use crate::decode::FrameKind;
use crate::decode::MotionField;
use crate::error::VideoError;
use crate::explain::ClipMotion;
use crate::features::ClipDescriptors;
use crate::features::CHUNK;
use crate::features::{window_cuboids, Descriptor, DescriptorBatch, FrameHistograms};
use crate::model::VideoClassifier;

/// New fields for some frames: `(frame index, field)`; frames not named keep theirs.
pub type Edits = [(usize, MotionField)];

/// A clip's motion with its descriptors (projected) and raw Fisher sums, kept up to date
/// under edits.
#[derive(Clone)]
pub struct EditableClip<'m> {
    model: &'m VideoClassifier,
    frames: Vec<(FrameKind, MotionField)>,
    /// Receptive fields, in the extractor's order.
    fields: Vec<Descriptor>,
    /// The descriptors after PCA, `[N, d]` per type.
    projected: [Array2<f32>; 3],
    /// `Σ_i φ(y_i)` per type, in f64.
    raw: [Array1<f64>; 3],
    /// Each window's first frame and its descriptors' range in `fields`.
    windows: Vec<(usize, Range<usize>)>,
}

/// Descriptors an edit changes, by index, and their new values after PCA, per type.
struct Changed {
    indices: Vec<usize>,
    projected: [Array2<f32>; 3],
}

impl<'m> EditableClip<'m> {
    /// The clip as read, its descriptors reused.
    pub fn new(model: &'m VideoClassifier, clip: &ClipMotion) -> Self {
        Self::from_descriptors(model, clip.frames.clone(), &clip.descriptors)
    }

    /// Any fields of a `size` clip (the motionless clip insertion starts from, say).
    pub fn from_frames(
        model: &'m VideoClassifier,
        frames: Vec<(FrameKind, MotionField)>,
        size: (usize, usize),
    ) -> Result<Self, VideoError> {
        let descriptors = ClipDescriptors::from_fields(
            frames.iter().map(|(k, f)| Ok((*k, f))),
            size,
            model.config.options.descriptor,
        )?;
        Ok(Self::from_descriptors(model, frames, &descriptors))
    }

    fn from_descriptors(
        model: &'m VideoClassifier,
        frames: Vec<(FrameKind, MotionField)>,
        d: &ClipDescriptors,
    ) -> Self {
        let n = d.fields.len();
        let projected: [Array2<f32>; 3] =
            std::array::from_fn(|c| model.encoders[c].projection.apply(d.channels[c].view()));
        // The chunks `FisherEncoder::raw` sums, so that the unedited clip scores bit for bit as
        // `VideoClassifier::fisher_vector` does.
        let raw = std::array::from_fn(|c| {
            let mut sum = Array1::<f64>::zeros(model.encoders[c].fisher_len());
            for start in (0..n).step_by(CHUNK) {
                sum += &model.encoders[c].projected_term_sum(
                    projected[c].slice(s![start..(start + CHUNK).min(n), ..]),
                    n,
                );
            }
            sum
        });
        let mut windows: Vec<(usize, Range<usize>)> = Vec::new();
        for (i, field) in d.fields.iter().enumerate() {
            match windows.last_mut() {
                Some((start, range)) if *start == field.frames.start => range.end = i + 1,
                _ => windows.push((field.frames.start, i..i + 1)),
            }
        }
        let fields = d.fields.clone();
        EditableClip { model, frames, fields, projected, raw, windows }
    }

    pub fn frames(&self) -> &[(FrameKind, MotionField)] {
        &self.frames
    }

    /// Every class's score of the clip as it stands.
    pub fn scores(&self) -> Array1<f32> {
        self.scores_of(&self.raw)
    }

    /// Every class's score with `edits` made, the clip left as it is.
    pub fn scores_with(&self, edits: &Edits) -> Result<Array1<f32>, VideoError> {
        let changed = self.changed(edits)?;
        Ok(self.scores_of(&self.raw_after(&changed)))
    }

    /// Makes `edits` and gives the scores after them.
    pub fn apply(&mut self, edits: Vec<(usize, MotionField)>) -> Result<Array1<f32>, VideoError> {
        let changed = self.changed(&edits)?;
        self.raw = self.raw_after(&changed);
        for (c, rows) in changed.projected.iter().enumerate() {
            for (row, &i) in rows.outer_iter().zip(&changed.indices) {
                self.projected[c].row_mut(i).assign(&row);
            }
        }
        for (t, field) in edits {
            self.frames[t].1 = field;
        }
        Ok(self.scores())
    }

    fn scores_of(&self, raw: &[Array1<f64>; 3]) -> Array1<f32> {
        let parts: Vec<Array1<f32>> = raw.iter().map(|r| r.mapv(|v| v as f32)).collect();
        self.model.scores(&self.model.normalised(&parts))
    }

    fn raw_after(&self, changed: &Changed) -> [Array1<f64>; 3] {
        let n = self.fields.len();
        std::array::from_fn(|c| {
            let encoder = &self.model.encoders[c];
            let old = self.projected[c].select(Axis(0), &changed.indices);
            &self.raw[c] - &encoder.projected_term_sum(old.view(), n)
                + &encoder.projected_term_sum(changed.projected[c].view(), n)
        })
    }

    /// The descriptors whose cuboid meets a cell `edits` change (or a neighbour of one), pooled
    /// again from the edited fields.
    fn changed(&self, edits: &Edits) -> Result<Changed, VideoError> {
        let t_count = self.frames.len();
        let mut edited: Vec<Option<&MotionField>> = vec![None; t_count];
        // `touched[t]`: the blocks of frame t whose histograms the edit changes.
        let mut touched: Vec<Option<Array2<bool>>> = vec![None; t_count];
        for (t, field) in edits {
            let old = &self
                .frames
                .get(*t)
                .ok_or_else(|| {
                    VideoError::Invalid(format!(
                        "an edit of frame {t} in a clip of {t_count} frames"
                    ))
                })?
                .1;
            if field.dx.dim() != old.dx.dim() || field.dy.dim() != old.dy.dim() {
                return Err(VideoError::Invalid(format!(
                    "an edit of frame {t} has a {:?} grid, the clip {:?}",
                    field.dx.dim(),
                    old.dx.dim()
                )));
            }
            edited[*t] = Some(field);
            touched[*t] = touched_blocks(old, field);
        }
        let o = self.model.config.options.descriptor;
        let mut histograms: Vec<Option<FrameHistograms>> = (0..t_count).map(|_| None).collect();
        let mut indices = Vec::new();
        let mut descriptors = DescriptorBatch::new(o.lengths());
        for (start, range) in &self.windows {
            let frames = *start..(start + o.frames).min(t_count);
            let Some(union) = frames
                .clone()
                .filter_map(|t| touched[t].as_ref())
                .fold(None, |u: Option<Array2<bool>>, m| {
                    Some(u.map_or_else(|| m.clone(), |u| &u | m))
                })
            else {
                continue;
            };
            let cb = o.cuboid_blocks;
            let wanted =
                |r: usize, c: usize| union.slice(s![r..r + cb, c..c + cb]).iter().any(|&m| m);
            for t in frames.clone() {
                if histograms[t].is_none() {
                    histograms[t] =
                        Some(FrameHistograms::of(t, edited[t].unwrap_or(&self.frames[t].1), &o));
                }
            }
            let window: Vec<&FrameHistograms> =
                frames.map(|t| histograms[t].as_ref().expect("computed above")).collect();
            let positions = union.ncols() + 1 - cb;
            let before = descriptors.len();
            window_cuboids(&o, &window, wanted, &mut descriptors);
            for d in &descriptors.fields()[before..] {
                let i = range.start + d.rows.start * positions + d.cols.start;
                debug_assert!(
                    i < range.end && self.fields[i].rows == d.rows && self.fields[i].cols == d.cols
                );
                indices.push(i);
            }
        }
        let projected = std::array::from_fn(|c| match descriptors.is_empty() {
            true => Array2::zeros((0, self.projected[c].ncols())),
            false => self.model.encoders[c].projection.apply(descriptors.channel(c)),
        });
        Ok(Changed { indices, projected })
    }
}

/// The blocks whose HOF or MBH histograms differ between two fields: the blocks whose motion
/// differs, and their four neighbours; `None` when none does.
fn touched_blocks(old: &MotionField, new: &MotionField) -> Option<Array2<bool>> {
    let (rows, cols) = old.dx.dim();
    let mut touched = Array2::from_elem((rows, cols), false);
    let mut any = false;
    for ((r, c), _) in old
        .dx
        .indexed_iter()
        .filter(|&((r, c), _)| old.dx[[r, c]] != new.dx[[r, c]] || old.dy[[r, c]] != new.dy[[r, c]])
    {
        any = true;
        touched[[r, c]] = true;
        touched[[r.saturating_sub(1), c]] = true;
        touched[[(r + 1).min(rows - 1), c]] = true;
        touched[[r, c.saturating_sub(1)]] = true;
        touched[[r, (c + 1).min(cols - 1)]] = true;
    }
    any.then_some(touched)
}
