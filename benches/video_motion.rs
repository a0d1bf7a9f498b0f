//! Motion-vector extraction and the whole prediction pipeline (decode, fields, descriptors,
//! Fisher vector, SVM) against their physical limit, a bare FFmpeg decode of the same file
//! with `export_mvs` (no side data read, no field built), and descriptor throughput on
//! 320×240 fields. Real clips from `../shared/data/video` (or `$RELVIS_DATA/video`).
//! Criterion times each; interleaved rounds in the same process print the ratios.
//!
//! `cargo bench -p relvis-benches --bench video_motion`

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::Criterion;
use ffmpeg_next as ffmpeg;
use video::VideoClassifier;
use video::{DescriptorBatch, DescriptorExtractor, DescriptorOptions};
use video::{MotionField, MotionOptions, MotionReader};

/// (name, clip) pairs: H.264 with B-frames, and MPEG-4 Part 2 (Xvid) at 320×240.
fn clips() -> Vec<(&'static str, PathBuf)> {
    let data = std::env::var_os("RELVIS_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
        PathBuf::from,
    );
    let video = data.join("video");
    vec![
        ("h264_426x240", video.join("kinetics-2class/train/typing/typing1.mp4")),
        ("xvid_320x240", video.join("samples/ucf101/SoccerJuggling/v_SoccerJuggling_g23_c01.avi")),
    ]
}

/// Decodes every frame with `flags2=+export_mvs` and nothing else; the frame count.
fn bare_decode(path: &Path) -> usize {
    let mut input = ffmpeg::format::input(&path).expect("a readable clip");
    let stream = input.streams().best(ffmpeg::media::Type::Video).expect("a video stream");
    let index = stream.index();
    let context =
        ffmpeg::codec::context::Context::from_parameters(stream.parameters()).expect("parameters");
    let codec = ffmpeg::decoder::find(context.id()).expect("a decoder");
    let mut options = ffmpeg::Dictionary::new();
    options.set("flags2", "+export_mvs");
    let mut decoder =
        context.decoder().open_as_with(codec, options).and_then(|d| d.video()).expect("opens");
    let mut frame = ffmpeg::frame::Video::empty();
    let mut frames = 0;
    for (s, packet) in input.packets() {
        if s.index() == index {
            let _ = decoder.send_packet(&packet);
            while decoder.receive_frame(&mut frame).is_ok() {
                frames += 1;
            }
        }
    }
    let _ = decoder.send_eof();
    while decoder.receive_frame(&mut frame).is_ok() {
        frames += 1;
    }
    frames
}

/// Reads the clip's motion fields with `MotionReader`; the frame count.
fn motion_fields(path: &Path) -> usize {
    MotionReader::open(path, MotionOptions::default())
        .expect("opens")
        .inspect(|f| assert!(f.is_ok(), "decodes"))
        .count()
}

/// The default model's prediction for the clip; its frame count.
fn prediction(model: &VideoClassifier, path: &Path) -> usize {
    model.predict(path, None).expect("predicts").clip.expect("streamed").frames
}

fn descriptors(fields: &[MotionField]) -> usize {
    let options = DescriptorOptions::default();
    let mut extractor = DescriptorExtractor::new(options).expect("valid options");
    let mut batch = DescriptorBatch::new(options.lengths());
    fields
        .iter()
        .enumerate()
        .map(|(t, f)| {
            batch.clear();
            extractor.push(t, f, &mut batch);
            batch.len()
        })
        .sum()
}

/// Each descriptor type's raw Fisher-vector sum over a clip's descriptors, chunk by chunk as
/// the prediction streams them; the number of descriptors.
fn fisher_sums(model: &VideoClassifier, channels: &[ndarray::Array2<f32>; 3]) -> usize {
    for (encoder, x) in model.encoders.iter().zip(channels) {
        for start in (0..x.nrows()).step_by(video::CHUNK) {
            black_box(encoder.term_sum(
                x.slice(ndarray::s![start..(start + video::CHUNK).min(x.nrows()), ..]),
                x.nrows(),
            ));
        }
    }
    channels[0].nrows()
}

fn print_ratios(clips: &[(&str, PathBuf)], fields: &[MotionField], model: &VideoClassifier) {
    let rounds = 5;
    println!("\nmedians of {rounds} interleaved rounds:");
    for (name, path) in clips {
        let (mut bare, mut ours, mut whole) = (Vec::new(), Vec::new(), Vec::new());
        let mut frames = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            frames = black_box(bare_decode(path));
            bare.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            black_box(motion_fields(path));
            ours.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            black_box(prediction(model, path));
            whole.push(t.elapsed().as_secs_f64());
        }
        for v in [&mut bare, &mut ours, &mut whole] {
            v.sort_by(f64::total_cmp);
        }
        let (bare, ours, whole) = (
            frames as f64 / bare[rounds / 2],
            frames as f64 / ours[rounds / 2],
            frames as f64 / whole[rounds / 2],
        );
        println!("  {name}: bare decode {bare:.0} frames/s, motion fields {ours:.0} frames/s: ratio {:.2} (target ≥ 0.8)", ours / bare);
        println!("  {name}: whole prediction {whole:.0} frames/s: ratio {:.2} to the bare decode (target ≥ 0.5)", whole / bare);
    }
    let mut times = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        black_box(descriptors(fields));
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let fps = fields.len() as f64 / times[rounds / 2];
    println!("  descriptors on 320×240 fields: {fps:.0} frames/s = {:.1}× Kantorov & Laptev's 455 fps feature rate", fps / 455.0);
}

fn main() {
    let clips = clips();
    if let Some((_, missing)) = clips.iter().find(|(_, p)| !p.is_file()) {
        eprintln!(
            "video_motion: {} is missing; set RELVIS_DATA to the data folder",
            missing.display()
        );
        return;
    }
    let fields: Vec<MotionField> = MotionReader::open(&clips[1].1, MotionOptions::default())
        .expect("opens")
        .map(|f| f.expect("decodes").field)
        .collect();
    let mut c = Criterion::default().without_plots().configure_from_args();
    let mut group = c.benchmark_group("motion");
    group.sample_size(10);
    for (name, path) in &clips {
        group.bench_function(format!("bare_decode_{name}"), |b| {
            b.iter(|| black_box(bare_decode(path)))
        });
        group.bench_function(format!("motion_fields_{name}"), |b| {
            b.iter(|| black_box(motion_fields(path)))
        });
    }
    group.bench_function("descriptors_320x240", |b| b.iter(|| black_box(descriptors(&fields))));
    let model = video::default_model().expect("the embedded model");
    group.bench_function("prediction_h264_426x240", |b| {
        b.iter(|| black_box(prediction(&model, &clips[0].1)))
    });
    let h264 =
        video::clip_descriptors(&clips[0].1, model.reading(None), model.config.options.descriptor)
            .expect("descriptors");
    group.bench_function("fisher_sums_h264_426x240", |b| {
        b.iter(|| black_box(fisher_sums(&model, &h264.channels)))
    });
    group.finish();
    c.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        print_ratios(&clips, &fields, &model);
    }
}
