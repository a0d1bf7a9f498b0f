//! A clip's score as its most relevant block cells lose their motion (deletion) or get it back
//! (insertion), a step at a time; removed motion is zero or filled in from the neighbours'.

use ndarray::{Array2, Array3};

use crate::decode::MotionField;
use crate::error::VideoError;
use crate::explain::{motionless, remove_motion, ClipMotion, EditableClip};
use crate::model::VideoClassifier;

/// How a deleted cell's motion is filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imputation {
    /// No motion.
    Zero,
    /// The harmonic fill of its frame's other cells: each deleted cell the mean of its four
    /// neighbours (deleted ones by their own fill), so the fill carries no trace of the order.
    Neighbours,
}

/// Fills the `removed` cells of `field` from `original`'s other cells by [`Imputation::Neighbours`]
/// (Gauss–Seidel sweeps until no fill moves by 10⁻⁴ pixels); a frame with every cell removed
/// stays motionless.
pub fn impute_from_neighbours(field: &mut MotionField, removed: &Array2<bool>) {
    let (rows, cols) = removed.dim();
    for (r, c) in removed.indexed_iter().filter(|(_, &m)| m).map(|(i, _)| i) {
        remove_motion(field, r, c);
    }
    if removed.iter().all(|&m| m) {
        return;
    }
    for _ in 0..500 {
        let mut moved = 0f32;
        for r in 0..rows {
            for c in 0..cols {
                if !removed[[r, c]] {
                    continue;
                }
                let neighbours: Vec<(usize, usize)> =
                    [(r.wrapping_sub(1), c), (r + 1, c), (r, c.wrapping_sub(1)), (r, c + 1)]
                        .into_iter()
                        .filter(|&(y, x)| y < rows && x < cols)
                        .collect();
                let n = neighbours.len() as f32;
                let (dx, dy) = neighbours.iter().fold((0.0, 0.0), |(a, b), &(y, x)| {
                    (a + field.dx[[y, x]], b + field.dy[[y, x]])
                });
                moved = moved
                    .max((dx / n - field.dx[[r, c]]).abs())
                    .max((dy / n - field.dy[[r, c]]).abs());
                field.dx[[r, c]] = dx / n;
                field.dy[[r, c]] = dy / n;
                field.has_vector[[r, c]] = true;
            }
        }
        if moved < 1e-4 {
            break;
        }
    }
}

/// Scores of `class` after each step of deleting `order`'s cells, `per_step` at a time. Each
/// step edits only the frames it deletes in (an [`EditableClip`]), and the imputed fill of a
/// frame is computed again from all its deleted cells.
pub fn deletion_curve(
    model: &VideoClassifier,
    clip: &ClipMotion,
    class: usize,
    order: &[(usize, usize, usize)],
    per_step: usize,
    steps: usize,
    imputation: Imputation,
) -> Result<Vec<f32>, VideoError> {
    let mut removed: Vec<Array2<bool>> =
        clip.frames.iter().map(|(_, f)| Array2::from_elem(f.dx.dim(), false)).collect();
    let mut editable = EditableClip::new(model, clip);
    let mut scores = vec![editable.scores()[class]];
    for step in 0..steps {
        let mut frames: Vec<usize> = Vec::new();
        for &(t, r, c) in order.iter().skip(step * per_step).take(per_step) {
            removed[t][[r, c]] = true;
            frames.push(t);
        }
        frames.sort_unstable();
        frames.dedup();
        let edits = frames
            .into_iter()
            .map(|t| {
                let (mut field, gone) = (clip.frames[t].1.clone(), &removed[t]);
                match imputation {
                    Imputation::Zero => gone
                        .indexed_iter()
                        .filter(|(_, &m)| m)
                        .for_each(|((r, c), _)| remove_motion(&mut field, r, c)),
                    Imputation::Neighbours => impute_from_neighbours(&mut field, gone),
                }
                (t, field)
            })
            .collect();
        scores.push(editable.apply(edits)?[class]);
    }
    Ok(scores)
}

/// Scores of `class` from the motionless clip, `order`'s cells getting their motion back
/// `per_step` at a time.
pub fn insertion_curve(
    model: &VideoClassifier,
    clip: &ClipMotion,
    class: usize,
    order: &[(usize, usize, usize)],
    per_step: usize,
    steps: usize,
) -> Result<Vec<f32>, VideoError> {
    let mut editable = EditableClip::from_frames(model, motionless(&clip.frames), clip.size)?;
    let mut scores = vec![editable.scores()[class]];
    for step in 0..steps {
        let mut edits: Vec<(usize, MotionField)> = Vec::new();
        for &(t, r, c) in order.iter().skip(step * per_step).take(per_step) {
            let i = match edits.iter().position(|(frame, _)| *frame == t) {
                Some(i) => i,
                None => {
                    edits.push((t, editable.frames()[t].1.clone()));
                    edits.len() - 1
                }
            };
            let (target, source) = (&mut edits[i].1, &clip.frames[t].1);
            target.dx[[r, c]] = source.dx[[r, c]];
            target.dy[[r, c]] = source.dy[[r, c]];
            target.has_vector[[r, c]] = source.has_vector[[r, c]];
        }
        scores.push(editable.apply(edits)?[class]);
    }
    Ok(scores)
}

/// The cells of a `[frames, rows, cols]` map by decreasing value (ties by position).
pub(crate) fn ranked(map: &Array3<f32>) -> Vec<(usize, usize, usize)> {
    let mut cells: Vec<(usize, usize, usize)> = map.indexed_iter().map(|(i, _)| i).collect();
    cells.sort_by(|a, b| map[[b.0, b.1, b.2]].total_cmp(&map[[a.0, a.1, a.2]]).then(a.cmp(b)));
    cells
}
