//! Scoring a clip again after an edit of its motion — what every deletion or insertion step
//! and every occlusion cuboid costs — by an `EditableClip` against the whole clip's descriptors
//! and Fisher vector computed again (the baseline, measured in the same run). Edits: one
//! occlusion cuboid (2 × 2 blocks × 5 frames), and one deletion step of 2 % of the cells, in
//! relevance order (clustered where the motion is) and at random. A Kinetics clip from
//! `../shared/data/video` (or `$RELVIS_DATA/video`).
//!
//! `cargo bench -p relvis-benches --bench video_perturbation`

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::Criterion;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use video::ClipDescriptors;
use video::EditableClip;
use video::MotionField;
use video::VideoClassifier;
use video::{block_relevance, remove_motion, ClipMotion, Method};

type Edits = Vec<(usize, MotionField)>;

fn clip_path() -> PathBuf {
    let data = std::env::var_os("RELVIS_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
        PathBuf::from,
    );
    data.join("video/kinetics-2class/train/typing/typing1.mp4")
}

/// The edits removing the motion of `cells` `(frame, row, col)`.
fn removal(clip: &ClipMotion, cells: &[(usize, usize, usize)]) -> Edits {
    let mut edits: Edits = Vec::new();
    for &(t, r, c) in cells {
        let i = edits.iter().position(|(f, _)| *f == t).unwrap_or_else(|| {
            edits.push((t, clip.frames[t].1.clone()));
            edits.len() - 1
        });
        remove_motion(&mut edits[i].1, r, c);
    }
    edits
}

/// The baseline: every descriptor and the Fisher vector of the edited clip.
fn whole(model: &VideoClassifier, clip: &ClipMotion, edits: &Edits) -> f32 {
    let mut frames = clip.frames.clone();
    for (t, field) in edits {
        frames[*t].1 = field.clone();
    }
    let d = ClipDescriptors::from_fields(
        frames.iter().map(|(k, f)| Ok((*k, f))),
        clip.size,
        model.config.options.descriptor,
    )
    .expect("descriptors");
    model.scores(&model.fisher_vector(&d))[0]
}

fn main() {
    let path = clip_path();
    if !path.is_file() {
        eprintln!(
            "video_perturbation: {} is missing; set RELVIS_DATA to the data folder",
            path.display()
        );
        return;
    }
    let model = video::default_model().expect("the embedded model");
    let clip = ClipMotion::read(&model, &path, None).expect("the clip");
    let editable = EditableClip::new(&model, &clip);
    let (t_count, (rows, cols)) = (clip.frames.len(), clip.descriptors.grid);
    let cuboid: Vec<(usize, usize, usize)> =
        (100..105).flat_map(|t| (4..6).flat_map(move |r| (6..8).map(move |c| (t, r, c)))).collect();
    let step = (t_count * rows * cols).div_ceil(50);
    let relevance =
        block_relevance(&model, &clip, 0, &Method::GradientXInput).expect("relevance").blocks;
    let mut cells: Vec<(usize, usize, usize)> = relevance.indexed_iter().map(|(i, _)| i).collect();
    cells.sort_by(|a, b| relevance[[b.0, b.1, b.2]].total_cmp(&relevance[[a.0, a.1, a.2]]));
    let ranked = removal(&clip, &cells[..step]);
    cells.shuffle(&mut rand::rngs::StdRng::seed_from_u64(1));
    let random = removal(&clip, &cells[..step]);
    let cases = [
        ("occlusion_cuboid", removal(&clip, &cuboid)),
        ("deletion_step_ranked", ranked),
        ("deletion_step_random", random),
    ];
    for (name, edits) in &cases {
        let (a, b) = (editable.scores_with(edits).expect("scores")[0], whole(&model, &clip, edits));
        assert!((a - b).abs() < 1e-5, "{name}: {a} vs {b}");
    }

    let mut c = Criterion::default().without_plots().configure_from_args();
    let mut group = c.benchmark_group("perturbation");
    group.sample_size(10);
    for (name, edits) in &cases {
        group.bench_function(format!("{name}_whole"), |b| {
            b.iter(|| black_box(whole(&model, &clip, edits)))
        });
        group.bench_function(format!("{name}_edited"), |b| {
            b.iter(|| black_box(editable.scores_with(edits).expect("scores")))
        });
    }
    group.finish();
    c.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        let rounds = 5;
        println!("\n{} frames, {rows}×{cols} blocks, {} descriptors; medians of {rounds} interleaved rounds:", t_count, clip.descriptors.fields.len());
        for (name, edits) in &cases {
            let (mut w, mut e) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                let t = Instant::now();
                black_box(whole(&model, &clip, edits));
                w.push(t.elapsed().as_secs_f64());
                let t = Instant::now();
                black_box(editable.scores_with(edits).expect("scores"));
                e.push(t.elapsed().as_secs_f64());
            }
            w.sort_by(f64::total_cmp);
            e.sort_by(f64::total_cmp);
            println!(
                "  {name}: edited {:.1}× faster than the whole clip again",
                w[rounds / 2] / e[rounds / 2]
            );
        }
    }
}
