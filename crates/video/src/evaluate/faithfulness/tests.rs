use ndarray::Array2;

use super::*;
use crate::decode::MotionField;
use crate::evaluate::impute_from_neighbours;

fn field(dx: &[&[f32]]) -> MotionField {
    let (rows, cols) = (dx.len(), dx[0].len());
    let dx = Array2::from_shape_fn((rows, cols), |(r, c)| dx[r][c]);
    MotionField {
        block: 16,
        dy: dx.mapv(|v| -2.0 * v),
        dx,
        has_vector: Array2::from_elem((rows, cols), true),
    }
}

#[test]
fn neighbours_fill_is_the_harmonic_interpolation() {
    // A row [a, ?, ?, d]: x₁ = (a + x₂)/2, x₂ = (x₁ + d)/2, so x₁ = (2a + d)/3, x₂ = (a + 2d)/3.
    let mut f = field(&[&[3.0, 100.0, -100.0, 9.0]]);
    let removed = Array2::from_shape_vec((1, 4), vec![false, true, true, false]).unwrap();
    impute_from_neighbours(&mut f, &removed);
    assert!((f.dx[[0, 1]] - 5.0).abs() < 1e-3 && (f.dx[[0, 2]] - 7.0).abs() < 1e-3, "{:?}", f.dx);
    assert!((f.dy[[0, 1]] + 10.0).abs() < 1e-3 && f.dx[[0, 0]] == 3.0 && f.dx[[0, 3]] == 9.0);
    // A 3×3 frame with its centre removed: the mean of its four neighbours (not the corners').
    let mut f = field(&[&[50.0, 1.0, 50.0], &[2.0, 0.0, 3.0], &[50.0, 4.0, 50.0]]);
    let mut removed = Array2::from_elem((3, 3), false);
    removed[[1, 1]] = true;
    impute_from_neighbours(&mut f, &removed);
    assert!((f.dx[[1, 1]] - 2.5).abs() < 1e-5);
    // Everything removed: no motion left to draw from.
    let mut f = field(&[&[1.0, 2.0]]);
    impute_from_neighbours(&mut f, &Array2::from_elem((1, 2), true));
    assert!(f.dx.iter().all(|&v| v == 0.0) && f.has_vector.iter().all(|&v| !v));
}

#[test]
fn a_block_is_on_the_mask_when_half_its_pixels_are() {
    // 4×2 pixels, blocks of 2: block (0, 0) has 2 of 4 pixels on, block (0, 1) one.
    let mask = vec![true, false, true, false, true, false, false, false];
    assert_eq!(block_mask(&[mask], (4, 2), 2, (1, 1, 2)), [true, false]);
    // A frame without a mask is off everywhere.
    assert_eq!(block_mask(&[], (4, 2), 2, (1, 1, 2)), [false, false]);
}

#[test]
fn means_and_areas_from_the_sums() {
    let row = |deletion: Vec<f64>, insertion: Vec<f64>| VideoMethodScores {
        method: "m".into(),
        clips: 1,
        deletion_imputed: deletion.clone(),
        deletion,
        insertion,
        aopc: [0.0; 2],
        insertion_area: 0.0,
        figure: Localisation::of(&[1.0, 0.0], &[true, false]),
        cue: None,
        completeness: Some([0.25, 1.0]),
        relevance_seconds: 1.0,
    };
    let (a, b) = (
        row(vec![4.0, 2.0, 0.0], vec![0.0, 1.0, 2.0]),
        row(vec![2.0, 2.0, 2.0], vec![0.0, 3.0, 4.0]),
    );
    let mut sum = zeroed(&a);
    sum.add(&a);
    sum.add(&b);
    let m = sum.finish();
    assert_eq!(m.deletion, [3.0, 2.0, 1.0]);
    assert_eq!(m.aopc, [(0.0 + 1.0 + 2.0) / 3.0; 2]);
    assert_eq!(m.insertion_area, (0.0 + 2.0 + 3.0) / 3.0);
    assert_eq!(m.figure.unwrap().pointing_game, 1.0);
    assert_eq!((m.completeness, m.relevance_seconds, m.clips), (Some([0.25, 1.0]), 2.0, 2));
}
