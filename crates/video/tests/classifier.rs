//! The Fisher-vector / SVM classifier and its explanation on a tiny synthetic set rendered here.

use std::path::Path;
use std::sync::OnceLock;

use ndarray::{Array1, Array3, Axis};
use video::clip_descriptors;
use video::evaluate_accuracy;
use video::load_clip_set;
use video::TrainOptions;
use video::VideoClassifier;
use video::{explain_clip, explain_descriptors};
use video::{render_set, SynthOptions};
use video::{CONFIG_FILE, WEIGHTS_FILE};

struct Fixture {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    model: VideoClassifier,
}

/// Two very different actions, 6 clips each of 30 frames; 4 + 4 train, 2 + 2 held out.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("set");
        let options = SynthOptions {
            classes: vec!["walk".into(), "sit-up".into()],
            per_class: 6,
            frames: 30,
            seed: 4,
            ..SynthOptions::default()
        };
        render_set(&root, &options, |_, _| {}).unwrap();
        let set = load_clip_set(&root, 1.0 / 3.0, 1).unwrap();
        assert_eq!((set.train.len(), set.test.len()), (8, 4));
        let options =
            TrainOptions { components: 4, sample_per_clip: 400, ..TrainOptions::default() };
        // One thread: the mixture's k-means sums in parallel, and the order work is stolen in
        // would make the tiny model depend on the machine's load.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let model = pool
            .install(|| video::train_classifier(&set.train, &set.classes, &options, &|_, _| {}))
            .unwrap();
        Fixture { _dir: dir, root, model }
    })
}

#[test]
fn a_model_trained_on_a_tiny_set_separates_two_classes() {
    let f = fixture();
    assert_eq!(f.model.config.training.train_accuracy, 1.0);
    let set = load_clip_set(&f.root, 1.0 / 3.0, 1).unwrap();
    let e = evaluate_accuracy(&f.model, &set.test, &|_, _| {}).unwrap();
    assert_eq!(e.accuracy, 1.0, "{e:?}");
}

#[test]
fn the_model_round_trips_with_identical_scores_and_broken_files_are_named() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model");
    f.model.save(&path, false).unwrap();
    let refused = f.model.save(&path, false).unwrap_err();
    assert!(matches!(&refused, video::VideoError::Exists { path: p } if p == &path), "{refused}");
    let loaded = VideoClassifier::load(&path).unwrap();
    let clip = f.root.join("walk").join("walk_000.mp4");
    assert_eq!(loaded.predict(&clip, None).unwrap(), f.model.predict(&clip, None).unwrap());

    let edit = |from: &str, to: &str| {
        let copy = dir.path().join(format!("edited{}", to.len()));
        f.model.save(&copy, true).unwrap();
        let text = std::fs::read_to_string(copy.join(CONFIG_FILE)).unwrap();
        assert!(text.contains(from), "{from}");
        std::fs::write(copy.join(CONFIG_FILE), text.replacen(from, to, 1)).unwrap();
        VideoClassifier::load(&copy).err().expect("a broken model loaded").to_string()
    };
    assert!(edit("\"version\": 1", "\"version\": 9").contains("this build reads version 1"));
    assert!(edit("\"format\": \"relvis-video-fv\"", "\"format\": \"relvis-text-cnn\"")
        .contains("not a relvis video model"));
    assert!(edit("\"components\": 4", "\"components\": 5").contains("the config needs F32"));
    // A NaN in place of the last SVM bias value.
    let nan = dir.path().join("nan");
    f.model.save(&nan, false).unwrap();
    let mut bytes = std::fs::read(nan.join(WEIGHTS_FILE)).unwrap();
    let n = bytes.len();
    bytes[n - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
    std::fs::write(nan.join(WEIGHTS_FILE), bytes).unwrap();
    assert!(VideoClassifier::load(&nan).err().unwrap().to_string().contains("non-finite"));
    // A text model folder given to the video loader.
    std::fs::write(nan.join(CONFIG_FILE), r#"{"format": "relvis-text-cnn", "version": 1}"#)
        .unwrap();
    assert!(VideoClassifier::load(&nan)
        .err()
        .unwrap()
        .to_string()
        .contains("not a relvis video model"));
    assert!(VideoClassifier::load(Path::new("no/such/model")).is_err());
}

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
        explain_descriptors(m, &clip, None, &rules("zplus")).err().expect("refused").to_string();
    assert!(refused.contains("Fisher-vector step") && refused.contains("1:epsilon"), "{refused}");
}

fn rules(text: &str) -> lrp::Composite {
    text.parse().unwrap()
}

/// The SVM step's rule in [`check_against_f64`].
#[derive(Clone, Copy)]
enum SvmRule {
    Epsilon,
    ZPlus,
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

#[test]
fn training_settings_are_checked_by_the_library() {
    let clips = [video::LabelledClip { path: "unused.mp4".into(), label: 0 }];
    let classes = ["a".to_string(), "b".to_string()];
    for (options, name) in [
        (TrainOptions { components: 0, ..TrainOptions::default() }, "components"),
        (TrainOptions { c: -1.0, ..TrainOptions::default() }, "c -1"),
        (TrainOptions { block: 0, ..TrainOptions::default() }, "block"),
        (
            TrainOptions {
                descriptor: video::DescriptorOptions { bins: 0, ..Default::default() },
                ..TrainOptions::default()
            },
            "bins",
        ),
    ] {
        // Refused before any clip is read.
        let err = video::train_classifier(&clips, &classes, &options, &|_, _| {})
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains("training settings") && err.contains(name), "{err}");
    }
    assert!(TrainOptions::default().check().is_ok());
}

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
        for t in t0..(t0 + 7).min(frames) {
            for row in r0..(r0 + 3).min(rows) {
                for col in c0..(c0 + 3).min(cols) {
                    remove_motion(&mut fields[t].1, row, col);
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
        (video::randomised_classifier(&m, 1, 3), video::randomised_classifier(&m, 2, 3));
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
