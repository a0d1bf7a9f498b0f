//! The other methods against f64 references: IG, occlusion, SmoothGrad; deletion, insertion and
//! the edited clip.

use super::*;

/// The SVM score of class `class` at projected descriptors `y` (one row each, the three types
/// side by side), in f64 from the formulas: exact mixture posteriors, the Fisher terms, signed
/// square root and unit length per type, the hyperplane.
fn score_f64(m: &VideoClassifier, y: &ndarray::Array2<f64>, class: usize) -> f64 {
    let n = y.nrows() as f64;
    let (mut s, mut offset, mut column) = (f64::from(m.svm.bias.as_ref().unwrap()[class]), 0, 0);
    for e in &m.encoders {
        let (g, d) = (&e.gmm, e.gmm.dims());
        let k_count = g.components();
        let mut raw = vec![0.0f64; 2 * k_count * d];
        for row in y.outer_iter() {
            let x = row.slice(ndarray::s![column..column + d]);
            let log_p: Vec<f64> = (0..k_count)
                .map(|k| {
                    let w = f64::from(g.weights[k]).ln();
                    w - 0.5
                        * (0..d)
                            .map(|j| {
                                let v = f64::from(g.variances[[k, j]]);
                                (2.0 * std::f64::consts::PI * v).ln()
                                    + (x[j] - f64::from(g.means[[k, j]])).powi(2) / v
                            })
                            .sum::<f64>()
                })
                .collect();
            let max = log_p.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = log_p.iter().map(|l| (l - max).exp()).sum();
            for k in 0..k_count {
                let gamma = (log_p[k] - max).exp() / total;
                let w = f64::from(g.weights[k]);
                for j in 0..d {
                    let u =
                        (x[j] - f64::from(g.means[[k, j]])) / f64::from(g.variances[[k, j]]).sqrt();
                    raw[k * d + j] += gamma * u / (n * w.sqrt());
                    raw[(k_count + k) * d + j] += gamma * (u * u - 1.0) / (n * (2.0 * w).sqrt());
                }
            }
        }
        let signed: Vec<f64> = raw.iter().map(|v| v.signum() * v.abs().sqrt()).collect();
        let norm = signed.iter().map(|v| v * v).sum::<f64>().sqrt();
        s += signed
            .iter()
            .enumerate()
            .map(|(j, v)| v / norm * f64::from(m.svm.weight[[offset + j, class]]))
            .sum::<f64>();
        offset += raw.len();
        column += d;
    }
    s
}

#[test]
fn integrated_gradients_match_a_riemann_sum_of_f64_finite_differences() {
    use lrp::Differentiable;
    use video::{motionless, ClipMotion, DescriptorScores};
    let f = fixture();
    let m = &f.model;
    let clip = ClipMotion::read(m, &f.root.join("walk").join("walk_002.mp4"), None).unwrap();
    let base = ClipMotion::new(m, motionless(&clip.frames), clip.size).unwrap();
    let scores = DescriptorScores::new(m, clip.descriptors.fields.len());
    let (x, b) = (scores.input(&clip.descriptors), scores.input(&base.descriptors));
    let (class, steps) = (0, 8);
    let ig = lrp::integrated_gradients(
        &scores,
        &x.clone().into_dyn(),
        &b.clone().into_dyn(),
        class,
        steps,
        lrp::Quadrature::Midpoint,
    )
    .unwrap();
    let per_descriptor =
        ig.attribution.into_dimensionality::<ndarray::Ix2>().unwrap().sum_axis(Axis(1));
    let (x, b) = (x.mapv(f64::from), b.mapv(f64::from));
    assert!(
        (ig.score - score_f64(m, &x, class)).abs() < 1e-4
            && (ig.baseline_score - score_f64(m, &b, class)).abs() < 1e-4,
        "{} {}",
        ig.score,
        ig.baseline_score
    );
    assert!(
        (f64::from(scores.outputs(x.mapv(|v| v as f32).into_dyn()).unwrap()[class]) - ig.score)
            .abs()
            < 1e-9
    );
    // IG_i = (1/m) Σ_k d/dh f(b + α_k (x − b) + h (x_i − b_i)) at h = 0, by central differences.
    let h = 1e-4;
    let scale = per_descriptor.iter().fold(0f32, |a, v| a.max(v.abs()));
    for i in (0..x.nrows()).step_by(37) {
        let mut sum = 0.0;
        for k in 0..steps {
            let alpha = (k as f64 + 0.5) / steps as f64;
            let point = &b + &((&x - &b) * alpha);
            let shifted = |t: f64| {
                let mut p = point.clone();
                let delta = &x.row(i) - &b.row(i);
                p.row_mut(i).scaled_add(t, &delta);
                p
            };
            sum +=
                (score_f64(m, &shifted(h), class) - score_f64(m, &shifted(-h), class)) / (2.0 * h);
        }
        let want = sum / steps as f64;
        assert!(
            (f64::from(per_descriptor[i]) - want).abs() < 2e-3 * f64::from(scale),
            "descriptor {i}: {} vs {want}",
            per_descriptor[i]
        );
    }
    // Completeness: Σ IG_i misses f(x) − f(b) by exactly the midpoint rule's error on the path,
    // (1/m) Σ_k d/dα f(b + α_k (x − b)) against the gap, here with the derivative by central
    // differences in f64. That error is not checked to shrink with more steps: the signed square
    // root makes d/dα unbounded wherever a Fisher term crosses zero on the path, so the midpoint
    // rule converges unevenly (64 steps were 3× better than 8 on one machine and 11× worse on
    // another, whose trained fixture differed in the last bits).
    let along = |alpha: f64| score_f64(m, &(&b + &((&x - &b) * alpha)), class);
    // A finer step than above: the path bends sharply, and at h = 1e-4 this sum is 1.5 % of the gap off.
    let h = 1e-6;
    let midpoint: f64 = (0..steps)
        .map(|k| {
            let a = (k as f64 + 0.5) / steps as f64;
            (along(a + h) - along(a - h)) / (2.0 * h)
        })
        .sum::<f64>()
        / steps as f64;
    let gap = ig.score - ig.baseline_score;
    assert!(
        gap.abs() > 0.1,
        "the clip and its motionless baseline score alike ({gap}): the test would prove nothing"
    );
    assert!(
        (ig.completeness_error - (midpoint - gap)).abs() < 1e-3 * gap.abs(),
        "error {} vs the f64 midpoint rule's {}",
        ig.completeness_error,
        midpoint - gap
    );
}

#[test]
fn occlusion_gives_each_cuboid_the_score_drop_without_its_motion() {
    use video::{block_relevance, remove_motion, ClipMotion, Method};
    let f = fixture();
    let m = &f.model;
    let path = f.root.join("sit-up").join("sit-up_002.mp4");
    let clip = ClipMotion::read(m, &path, None).unwrap();
    let class = 1;
    let r = block_relevance(
        m,
        &clip,
        class,
        &Method::Occlusion(video::Cuboid { blocks: 3, frames: 7 }),
    )
    .unwrap()
    .blocks;
    let (frames, rows, cols) = r.dim();
    assert_eq!(frames, 30);
    let score = |frames: &[(video::FrameKind, video::MotionField)]| {
        let d = video::ClipDescriptors::from_fields(
            frames.iter().map(|(k, f)| Ok((*k, f))),
            clip.size,
            m.config.options.descriptor,
        )
        .unwrap();
        m.scores(&m.fisher_vector(&d))[class]
    };
    let whole = score(&clip.frames);
    // The first cuboid, and the last one (partial in time: frames 28–29, and at the grid's edge).
    for (t0, r0, c0) in [(0, 0, 0), (28, 3 * ((rows - 1) / 3), 3 * ((cols - 1) / 3))] {
        let mut fields = clip.frames.clone();
        for (_, field) in fields.iter_mut().take((t0 + 7).min(frames)).skip(t0) {
            for row in r0..(r0 + 3).min(rows) {
                for col in c0..(c0 + 3).min(cols) {
                    remove_motion(field, row, col);
                }
            }
        }
        let drop = whole - score(&fields);
        for t in t0..(t0 + 7).min(frames) {
            assert!(
                (r[[t, r0, c0]] - drop).abs() < 1e-6
                    && (r[[t, (r0 + 2).min(rows - 1), (c0 + 2).min(cols - 1)]] - drop).abs() < 1e-6,
                "frame {t}: {} vs {drop}",
                r[[t, r0, c0]]
            );
        }
    }
    assert!(r.iter().any(|v| v.abs() > 1e-3));
}

#[test]
fn smoothgrad_without_noise_is_sensitivity() {
    use video::{block_relevance, ClipMotion, Method};
    let f = fixture();
    let clip = ClipMotion::read(&f.model, &f.root.join("walk").join("walk_002.mp4"), None).unwrap();
    let sa = block_relevance(&f.model, &clip, 0, &Method::Sensitivity).unwrap().blocks;
    let sg = block_relevance(
        &f.model,
        &clip,
        0,
        &Method::SmoothGrad(lrp::SmoothGradSettings { samples: 3, noise: 0.0, seed: 1 }),
    )
    .unwrap()
    .blocks;
    assert!(
        sa.iter().zip(&sg).all(|(a, b)| (a - b).abs() <= 1e-6 * a.abs().max(1e-3))
            && sa.iter().all(|&v| v >= 0.0)
            && sa.sum() > 0.0
    );
    let noisy = block_relevance(
        &f.model,
        &clip,
        0,
        &Method::SmoothGrad(lrp::SmoothGradSettings { samples: 3, noise: 0.2, seed: 1 }),
    )
    .unwrap()
    .blocks;
    assert!(noisy.iter().zip(&sa).any(|(a, b)| (a - b).abs() > 1e-3 * b.abs()));
}

#[test]
fn deletion_and_insertion_meet_at_the_motionless_clip_and_randomisation_goes_from_the_top() {
    use video::{deletion_curve, insertion_curve, Imputation};
    use video::{motionless, ClipMotion};
    let f = fixture();
    let m = &f.model;
    let clip = ClipMotion::read(m, &f.root.join("walk").join("walk_002.mp4"), None).unwrap();
    let cells: Vec<(usize, usize, usize)> = ndarray::Array3::<f32>::zeros((
        clip.frames.len(),
        clip.descriptors.grid.0,
        clip.descriptors.grid.1,
    ))
    .indexed_iter()
    .map(|(i, _)| i)
    .collect();
    let per_step = cells.len().div_ceil(2);
    let whole = m.scores(&m.fisher_vector(&clip.descriptors))[0];
    let still = m.scores(&m.fisher_vector(
        &ClipMotion::new(m, motionless(&clip.frames), clip.size).unwrap().descriptors,
    ))[0];
    assert!((whole - still).abs() > 0.1);
    let deletion = deletion_curve(m, &clip, 0, &cells, per_step, 2, Imputation::Zero).unwrap();
    let insertion = insertion_curve(m, &clip, 0, &cells, per_step, 2).unwrap();
    // The ends by edits (sums updated in f64) against the whole clips computed again.
    let near = |a: f32, b: f32| (a - b).abs() < 1e-5;
    assert!(
        deletion[0] == whole
            && near(deletion[2], still)
            && insertion[0] == still
            && near(insertion[2], whole),
        "{deletion:?} {insertion:?} {whole} {still}"
    );
    // Every cell imputed from its neighbours has none left to draw from: motionless too.
    assert!(near(
        deletion_curve(m, &clip, 0, &cells, per_step, 2, Imputation::Neighbours).unwrap()[2],
        still
    ));
    let (svm, both) =
        (video::randomised_classifier(m, 1, 3), video::randomised_classifier(m, 2, 3));
    assert!(svm.svm.weight != m.svm.weight && svm.encoders == m.encoders);
    assert!(
        both.svm.weight == svm.svm.weight
            && both
                .encoders
                .iter()
                .zip(&m.encoders)
                .all(|(a, b)| a.gmm.means != b.gmm.means && a.gmm.variances == b.gmm.variances)
    );
}

#[test]
fn an_edited_clip_scores_as_the_whole_clip_computed_again() {
    use rand::{Rng, SeedableRng};
    use video::impute_from_neighbours;
    use video::EditableClip;
    use video::{remove_motion, ClipMotion};
    let f = fixture();
    let m = &f.model;
    let clip = ClipMotion::read(m, &f.root.join("sit-up").join("sit-up_001.mp4"), None).unwrap();
    let whole = |frames: &[(video::FrameKind, video::MotionField)]| {
        let d = video::ClipDescriptors::from_fields(
            frames.iter().map(|(k, f)| Ok((*k, f))),
            clip.size,
            m.config.options.descriptor,
        )
        .unwrap();
        m.scores(&m.fisher_vector(&d))
    };
    let close = |a: &Array1<f32>, b: &Array1<f32>, what: &str| {
        assert!(a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5), "{what}: {a} vs {b}")
    };
    let mut editable = EditableClip::new(m, &clip);
    assert_eq!(editable.scores(), whole(&clip.frames));
    let (rows, cols) = clip.frames[0].1.dx.dim();
    // One moving block's motion set to a new value: its own cuboids and, through MBH's
    // differences, those over its four neighbours change.
    let (t, r, c) = (12, rows / 2, cols / 2);
    let mut field = clip.frames[t].1.clone();
    field.dx[[r, c]] += 3.0;
    let mut frames = clip.frames.clone();
    frames[t].1 = field.clone();
    let (edited, original) = (whole(&frames), whole(&clip.frames));
    assert!((edited[0] - original[0]).abs() > 1e-4, "{edited} {original}");
    close(&editable.scores_with(&[(t, field)]).unwrap(), &edited, "one block");
    assert_eq!(editable.scores(), original, "scores_with left the clip alone");
    // Three rounds of deletion, each over more cells, imputed by the neighbours: chained edits.
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let mut gone: Vec<ndarray::Array2<bool>> =
        clip.frames.iter().map(|(_, f)| ndarray::Array2::from_elem(f.dx.dim(), false)).collect();
    let mut frames = clip.frames.clone();
    for round in 0..3 {
        for _ in 0..60 {
            gone[rng.gen_range(0..clip.frames.len())]
                [[rng.gen_range(0..rows), rng.gen_range(0..cols)]] = true;
        }
        let mut edits = Vec::new();
        for (t, (_, field)) in
            clip.frames.iter().enumerate().filter(|(t, _)| gone[*t].iter().any(|&g| g))
        {
            let mut field = field.clone();
            if round == 0 {
                gone[t]
                    .indexed_iter()
                    .filter(|(_, &g)| g)
                    .for_each(|((r, c), _)| remove_motion(&mut field, r, c));
            } else {
                impute_from_neighbours(&mut field, &gone[t]);
            }
            frames[t].1 = field.clone();
            edits.push((t, field));
        }
        let scores = editable.apply(edits).unwrap();
        close(&scores, &whole(&frames), &format!("round {round}"));
        close(
            &scores,
            &EditableClip::from_frames(m, frames.clone(), clip.size).unwrap().scores(),
            &format!("round {round}, from scratch"),
        );
    }
    assert!(editable.scores_with(&[(30, clip.frames[0].1.clone())]).is_err());
}
