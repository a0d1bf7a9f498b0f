//! LRP through the chain: two passes over a file, against f64, G×I and the streamed Fisher vector.

use super::*;

#[test]
fn relevance_is_conserved_up_to_what_bias_and_epsilon_absorb() {
    let f = fixture();
    let m = &f.model;
    let clip = clip_descriptors(
        &f.root.join("sit-up").join("sit-up_001.mp4"),
        video::MotionOptions::with_block(16),
        m.config.options.descriptor,
    )
    .unwrap();
    let eps = 1e-3f32;
    let e = explain_descriptors(m, &clip, None, &rules("epsilon=0.001")).unwrap();
    check_against_f64(m, &clip, &e, eps, SvmRule::Epsilon);
    // The SVM step on z⁺, the Fisher step on ε: the same chain, another rule at step 3.
    let e = explain_descriptors(m, &clip, None, &rules("epsilon=0.001;dense:zplus")).unwrap();
    assert_eq!(e.conservation.layers[0].rule.as_deref(), Some("zplus"));
    check_against_f64(m, &clip, &e, eps, SvmRule::ZPlus);
    // The Fisher step is explained batch by batch: a rule that needs every input at once is refused.
    let refused =
        explain_descriptors(m, &clip, None, &rules("zplus")).expect_err("refused").to_string();
    assert!(refused.contains("Fisher-vector step") && refused.contains("1:epsilon"), "{refused}");
}

#[test]
fn a_long_clip_explained_in_two_passes_over_the_file_gives_the_same_numbers() {
    let f = fixture();
    let m = &f.model;
    let dir = tempfile::tempdir().unwrap();
    let options = SynthOptions {
        classes: vec!["walk".into()],
        per_class: 1,
        frames: 120,
        seed: 9,
        ..SynthOptions::default()
    };
    render_set(dir.path(), &options, |_, _| {}).unwrap();
    let path = dir.path().join("walk").join("walk_000.mp4");
    let clip = clip_descriptors(&path, m.reading(None), m.config.options.descriptor).unwrap();
    assert!(
        clip.fields.len() > video::CHUNK,
        "{} descriptors: the second pass must span several batches",
        clip.fields.len()
    );
    let streamed = explain_clip(m, &path, None, None, &rules("epsilon=0.001")).unwrap();
    check_against_f64(m, &clip, &streamed, 1e-3, SvmRule::Epsilon);
    let in_memory = explain_descriptors(m, &clip, None, &rules("epsilon=0.001")).unwrap();
    assert_eq!(streamed.frame_kinds, in_memory.frame_kinds);
    assert!((streamed.score - in_memory.score).abs() < 1e-5);
}

/// Checks an explanation against an independent f64 computation of every step, from the
/// model's parts.
fn check_against_f64(
    m: &VideoClassifier,
    clip: &video::ClipDescriptors,
    e: &video::VideoExplanation,
    eps: f32,
    svm: SvmRule,
) {
    let n = clip.fields.len();
    let (mut fv, mut raw_parts, mut terms) = (Vec::new(), Vec::new(), Vec::new());
    for (encoder, x) in m.encoders.iter().zip(&clip.channels) {
        let t = encoder.terms(x.view(), n).mapv(f64::from); // the whole N × 2KD matrix
        let raw = t.sum_axis(Axis(0));
        // The improved Fisher vector: signed square root, then unit length.
        let s = raw.mapv(|v| v.signum() * v.abs().sqrt());
        fv.extend((&s / s.dot(&s).sqrt()).iter());
        raw_parts.push(raw);
        terms.push(t);
    }
    let fv = Array1::from(fv);
    let (w, b) = (m.svm.weight.mapv(f64::from), m.svm.bias.as_ref().unwrap().mapv(f64::from));
    let k = e.class;
    let z = fv.dot(&w.column(k)) + b[k];
    assert!((z - f64::from(e.score)).abs() < 1e-4 * z.abs().max(1.0), "{z} vs {}", e.score);
    let stab = |v: f64| v + f64::from(eps) * if v >= 0.0 { 1.0 } else { -1.0 };
    let contributions: Array1<f64> = &fv * &w.column(k);
    let r_fv: Array1<f64> = match svm {
        // R_j = fv_j w_jk z / (z + ε sign z); Σ R = z (z − b) / (z + ε sign z).
        SvmRule::Epsilon => {
            let r = &contributions * (z / stab(z));
            assert!((r.sum() - z * (z - b[k]) / stab(z)).abs() < 1e-9);
            r
        }
        // R_j = (fv_j w_jk)⁺ z / (Σ_j' (fv_j' w_j'k)⁺ + b⁺).
        SvmRule::ZPlus => {
            let positive = contributions.mapv(|c| c.max(0.0));
            &positive * (z / (positive.sum() + b[k].max(0.0)))
        }
    };
    let layers = &e.conservation.layers;
    assert_eq!(
        layers.iter().map(|l| (l.index, l.kind.as_str())).collect::<Vec<_>>(),
        [(3, "dense"), (2, "normalisation"), (1, "fisher-terms"), (0, "receptive-fields")]
    );
    assert!((layers[0].relevance_out - z).abs() < 1e-4 * z.abs().max(1.0));
    assert!(
        (layers[0].relevance_in - r_fv.sum()).abs() < 1e-4 * z.abs().max(1.0),
        "{} vs {}",
        layers[0].relevance_in,
        r_fv.sum()
    );
    assert_eq!(layers[1].relevance_in, layers[1].relevance_out);
    // Fisher step: R_i = Σ_j φ_ij R_j / (Φ_j + ε sign Φ_j), per descriptor type.
    let mut r_desc = Array1::<f64>::zeros(n);
    let mut offset = 0;
    for (t, raw) in terms.iter().zip(&raw_parts) {
        let len = raw.len();
        let q: Array1<f64> = (0..len).map(|j| r_fv[offset + j] / stab(raw[j])).collect();
        r_desc += &t.dot(&q);
        offset += len;
    }
    let scale = r_desc.iter().fold(0f64, |a, v| a.max(v.abs())).max(1e-6);
    for (got, want) in e.descriptors.iter().zip(&r_desc) {
        assert!(
            (f64::from(*got) - want).abs() < 1e-3 * scale,
            "descriptor relevance {got} vs {want}"
        );
    }
    // Flat step: each descriptor's relevance spread evenly over its cuboid; nothing lost.
    let mut blocks = Array3::<f64>::zeros(e.blocks.dim());
    for (d, &r) in clip.fields.iter().zip(&r_desc) {
        let volume = (d.frames.len() * d.rows.len() * d.cols.len()) as f64;
        blocks
            .slice_mut(ndarray::s![d.frames.clone(), d.rows.clone(), d.cols.clone()])
            .mapv_inplace(|v| v + r / volume);
    }
    for (got, want) in e.blocks.iter().zip(&blocks) {
        assert!((f64::from(*got) - want).abs() < 1e-3 * scale, "block relevance {got} vs {want}");
    }
    let (descriptor_total, block_total) = (layers[2].relevance_in, layers[3].relevance_in);
    assert!((descriptor_total - r_desc.sum()).abs() <= 1e-3 * scale.max(descriptor_total.abs()));
    assert!((block_total - descriptor_total).abs() <= 1e-4 * descriptor_total.abs().max(1e-3));
    assert!(
        (e.conservation.input.blocks - block_total).abs() <= 1e-9
            && (e.conservation.absorbed - (z - block_total)).abs() < 1e-4 * z.abs().max(1.0)
    );
    let per_frame: f64 = e.per_frame.iter().map(|&v| f64::from(v)).sum();
    assert!((per_frame - block_total).abs() <= 1e-4 * block_total.abs().max(1e-3));
    assert_eq!(e.per_frame.len(), e.frame_kinds.len());
}

#[test]
fn gradient_times_input_matches_finite_differences() {
    let f = fixture();
    let m = &f.model;
    let clip = clip_descriptors(
        &f.root.join("walk").join("walk_002.mp4"),
        video::MotionOptions::with_block(16),
        m.config.options.descriptor,
    )
    .unwrap();
    let class = 0;
    let gi = video::gradient_times_input(m, &clip, class).unwrap();
    let n = clip.fields.len();
    let terms: Vec<_> = m
        .encoders
        .iter()
        .zip(&clip.channels)
        .map(|(e, x)| e.terms(x.view(), n).mapv(f64::from))
        .collect();
    // The point the model is at: its own Fisher sums (a component near zero, where the signed
    // square root is steep, must be the same number on both sides).
    let raws: Vec<Array1<f64>> = m
        .encoders
        .iter()
        .zip(&clip.channels)
        .map(|(e, x)| e.raw(x.view()).mapv(f64::from))
        .collect();
    // score(Φ) in f64 through signed sqrt, L2 and the SVM.
    let score = |raws: &[Array1<f64>]| -> f64 {
        let mut s = f64::from(m.svm.bias.as_ref().unwrap()[class]);
        let mut offset = 0;
        for raw in raws {
            let v = raw.mapv(|x| x.signum() * x.abs().sqrt());
            let v = &v / v.dot(&v).sqrt();
            for (j, x) in v.iter().enumerate() {
                s += x * f64::from(m.svm.weight[[offset + j, class]]);
            }
            offset += raw.len();
        }
        s
    };
    // d score(Φ + t φ_i) / dt at 0 is descriptor i's Gradient × Input; spread evenly over its
    // cuboid, the finite differences must give the implementation's block map.
    let mut expected = Array3::<f64>::zeros(gi.dim());
    // A small step: a Fisher component near zero has the signed square root's kink within a
    // step of 1e-4, where the central difference is no longer the derivative.
    let h = 1e-6;
    for (i, d) in clip.fields.iter().enumerate() {
        let shifted = |t: f64| -> Vec<Array1<f64>> {
            raws.iter().zip(&terms).map(|(r, tm)| r + &(&tm.row(i) * t)).collect()
        };
        let numeric = (score(&shifted(h)) - score(&shifted(-h))) / (2.0 * h);
        let volume = (d.frames.len() * d.rows.len() * d.cols.len()) as f64;
        expected
            .slice_mut(ndarray::s![d.frames.clone(), d.rows.clone(), d.cols.clone()])
            .mapv_inplace(|v| v + numeric / volume);
    }
    let scale = expected.iter().fold(0f64, |a, v| a.max(v.abs()));
    for (got, want) in gi.iter().zip(&expected) {
        assert!(
            (f64::from(*got) - want).abs() < 1e-4 * scale,
            "block Gradient × Input {got} vs finite differences {want}"
        );
    }
    // The improved Fisher vector is scale-invariant, so Gradient × Input sums to zero.
    let (sum, size) = (gi.sum(), gi.iter().map(|v| v.abs()).sum::<f32>());
    assert!(sum.abs() < 1e-3 * size, "Σ = {sum}, Σ|·| = {size}");
    assert!(size > 0.0);
}

#[test]
fn the_streamed_fisher_vector_equals_the_one_from_all_descriptors() {
    let f = fixture();
    let path = f.root.join("sit-up").join("sit-up_002.mp4");
    let (streamed, clip) = f.model.clip_fisher_vector(&path, None).unwrap();
    assert_eq!((clip.frames, clip.damaged_frames, clip.corrupt_packets), (30, 0, 0));
    let whole = f.model.fisher_vector(
        &clip_descriptors(
            &path,
            video::MotionOptions::with_block(16),
            f.model.config.options.descriptor,
        )
        .unwrap(),
    );
    assert_eq!(streamed.len(), whole.len());
    for (a, b) in streamed.iter().zip(&whole) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
}
