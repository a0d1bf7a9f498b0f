//! Clips in codecs whose decoder exports no vectors, files with several streams, picture sizes
//! that change mid-stream, still images named as videos, and one content in five codecs.

mod common;

use std::path::Path;

use common::{interior, median, textured};
use ffmpeg_next as ffmpeg;
use video::clip_descriptors;
use video::{
    ClipWriter, Encoder, MotionOptions, MotionReader, MotionSource, RgbImage, VectorOrigin,
    VideoError,
};

fn write_pan(path: &Path, (width, height): (usize, usize), frames: i64, encoder: &Encoder) {
    let mut writer = ClipWriter::with_encoder(path, width, height, encoder).unwrap();
    for t in 0..frames {
        writer.push(&textured(width, height, -3 * t, 2 * t)).unwrap();
    }
    writer.finish().unwrap();
}

fn hevc() -> Encoder {
    Encoder::new("libx265", 25).option("x265-params", "log-level=none")
}

fn vp9() -> Encoder {
    Encoder::new("libvpx-vp9", 25)
        .option("deadline", "good")
        .option("cpu-used", "5")
        .option("threads", "1")
}

#[test]
fn codecs_without_exported_vectors_get_motion_estimated_again() {
    let dir = tempfile::tempdir().unwrap();
    for (name, encoder) in [("pan.mkv", hevc()), ("pan.webm", vp9())] {
        let path = dir.path().join(name);
        write_pan(&path, (160, 128), 40, &encoder);
        let reader = MotionReader::open(&path, MotionOptions::default()).unwrap();
        assert_eq!(reader.info().vectors, VectorOrigin::Reestimated, "{name}");
        let frames: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
        assert_eq!(frames.len(), 40, "{name}");
        assert_eq!(frames[0].source, MotionSource::Carried);
        let mut right = 0;
        for f in &frames[1..] {
            assert_eq!(f.source, MotionSource::Reestimated, "{name} frame {}", f.index);
            let (xs, ys) = interior(&f.field);
            let (mx, my) = (median(xs), median(ys));
            right += usize::from((mx - 3.0).hypot(my + 2.0) <= 0.36);
        }
        assert!(right * 100 >= 39 * 95, "{name}: {right} of 39 frames within 10 % of (3, −2)");
    }
}

/// Copies every stream of `inputs` (one video stream each) into one file, in that order.
fn mux(inputs: &[&Path], out: &Path) {
    let mut output = ffmpeg::format::output(&out).unwrap();
    let mut sources: Vec<_> = inputs.iter().map(|p| ffmpeg::format::input(p).unwrap()).collect();
    for source in &sources {
        let stream = source.streams().best(ffmpeg::media::Type::Video).unwrap();
        let mut added = output.add_stream(ffmpeg::encoder::find(ffmpeg::codec::Id::None)).unwrap();
        added.set_parameters(stream.parameters());
        // SAFETY: resets the codec tag the source container chose, as remuxing must.
        unsafe { (*added.parameters().as_mut_ptr()).codec_tag = 0 };
        added.set_time_base(stream.time_base());
    }
    output.write_header().unwrap();
    for (index, source) in sources.iter_mut().enumerate() {
        let from = source.streams().best(ffmpeg::media::Type::Video).unwrap().time_base();
        let to = output.stream(index).unwrap().time_base();
        for (_, mut packet) in source.packets() {
            packet.set_stream(index);
            packet.rescale_ts(from, to);
            packet.set_position(-1);
            packet.write_interleaved(&mut output).unwrap();
        }
    }
    output.write_trailer().unwrap();
}

#[test]
fn the_first_stream_with_vectors_is_read_and_any_stream_can_be_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let (hevc_clip, h264_clip) = (dir.path().join("a.mkv"), dir.path().join("b.mkv"));
    write_pan(&hevc_clip, (96, 64), 20, &hevc());
    write_pan(&h264_clip, (128, 96), 20, &Encoder::new("libx264", 25));
    let both = dir.path().join("both.mkv");
    mux(&[&hevc_clip, &h264_clip], &both);
    let by_default = MotionReader::open(&both, MotionOptions::default()).unwrap();
    assert_eq!(
        (by_default.info().stream, by_default.info().codec.as_str(), by_default.info().vectors),
        (1, "h264", VectorOrigin::Exported)
    );
    assert_eq!(by_default.info().width, 128);
    let first =
        MotionReader::open(&both, MotionOptions { stream: Some(0), ..MotionOptions::default() })
            .unwrap();
    assert_eq!(
        (first.info().codec.as_str(), first.info().width, first.info().vectors),
        ("hevc", 96, VectorOrigin::Reestimated)
    );
    assert_eq!(first.count(), 20);
    let err =
        MotionReader::open(&both, MotionOptions { stream: Some(5), ..MotionOptions::default() })
            .err()
            .unwrap()
            .to_string();
    assert!(err.contains("stream 5") && err.contains("0 (") && err.contains("1 ("), "{err}");
}

#[test]
fn a_picture_size_that_changes_is_scaled_to_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let (big, small) = (dir.path().join("big.ts"), dir.path().join("small.ts"));
    write_pan(&big, (160, 96), 24, &Encoder::new("libx264", 25));
    write_pan(&small, (80, 48), 24, &Encoder::new("libx264", 25));
    // MPEG-TS segments concatenate byte for byte: one stream whose size halves after 24 frames.
    let joined = dir.path().join("joined.ts");
    std::fs::write(
        &joined,
        [std::fs::read(&big).unwrap(), std::fs::read(&small).unwrap()].concat(),
    )
    .unwrap();
    let mut reader =
        MotionReader::open(&joined, MotionOptions { pictures: true, ..MotionOptions::default() })
            .unwrap();
    let frames: Vec<_> = reader.by_ref().collect::<Result<_, _>>().unwrap();
    assert!(frames.len() >= 46, "{} frames", frames.len());
    assert!(reader.resized_frames() >= 22, "{} resized", reader.resized_frames());
    for f in &frames {
        assert_eq!((f.field.rows(), f.field.cols()), (6, 10), "frame {}", f.index);
        let p = f.picture.as_ref().unwrap();
        assert_eq!((p.width, p.height), (160, 96));
    }
    // The small part moves 3 px a frame at half size: 6 px a frame at the first size.
    let late: Vec<f32> = frames[30..]
        .iter()
        .filter(|f| !f.carried)
        .flat_map(|f| {
            f.field
                .dx
                .iter()
                .zip(&f.field.has_vector)
                .filter(|(_, &h)| h)
                .map(|(&d, _)| d)
                .collect::<Vec<_>>()
        })
        .collect();
    let late = median(late);
    assert!((late - 6.0).abs() < 0.6, "{late}");
    // And the whole pipeline takes it.
    let descriptors =
        clip_descriptors(&joined, MotionOptions::default(), video::DescriptorOptions::default())
            .unwrap();
    assert_eq!(descriptors.grid, (6, 10));
}

#[test]
fn a_still_image_named_as_a_video_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("picture.mp4");
    let picture = textured(64, 48, 0, 0);
    video::draw_field_png(
        &picture,
        &video::MotionField::zeros(64, 48, 16),
        &dir.path().join("picture.png"),
    )
    .unwrap();
    std::fs::rename(dir.path().join("picture.png"), &png).unwrap();
    let err =
        MotionReader::open(&png, MotionOptions::default()).err().expect("a picture is no video");
    assert!(matches!(err, VideoError::StillImage { .. }), "{err}");
    assert!(
        err.to_string().contains("picture.mp4") && err.to_string().contains("still image (png)"),
        "{err}"
    );
}

fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len());
    let mean = |v: &[f32]| v[..n].iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
    let (ma, mb) = (mean(a), mean(b));
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (x, y) = (f64::from(a[i]) - ma, f64::from(b[i]) - mb);
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    ab / (aa * bb).sqrt()
}

#[test]
fn the_same_content_in_five_codecs_gets_one_prediction_and_like_relevance() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo-video/sit-up.mp4");
    let pictures: Vec<RgbImage> =
        MotionReader::open(&demo, MotionOptions { pictures: true, ..MotionOptions::default() })
            .unwrap()
            .map(|f| f.unwrap().picture.unwrap())
            .collect();
    let (width, height) = (pictures[0].width, pictures[0].height);
    let model = video::default_model().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let encodings = [
        ("h264.mp4", Encoder::new("libx264", 25).option("crf", "20")),
        ("mpeg2.mpg", Encoder::new("mpeg2video", 25).gop(12).b_frames(2).option("q", "3")),
        ("mpeg4.avi", Encoder::new("mpeg4", 25).gop(12).b_frames(2).option("qscale", "3")),
        ("hevc.mkv", hevc()),
        ("vp9.webm", vp9()),
    ];
    let mut curves = Vec::new();
    let mut labels = Vec::new();
    for (name, encoder) in &encodings {
        let path = dir.path().join(name);
        let mut writer = ClipWriter::with_encoder(&path, width, height, encoder).unwrap();
        for p in &pictures {
            writer.push(p).unwrap();
        }
        writer.finish().unwrap();
        let clip =
            clip_descriptors(&path, model.reading(None), model.config.options.descriptor).unwrap();
        let prediction = model.predict_descriptors(&clip);
        let explanation =
            video::explain_descriptors(&model, &clip, None, &video::default_rules()).unwrap();
        labels.push(model.config.classes[prediction.class].clone());
        curves.push(explanation.per_frame);
    }
    let correlations: Vec<f64> = curves[1..].iter().map(|c| correlation(&curves[0], c)).collect();
    // Summed over 4 frames, as Samek et al. (2017) plot it.
    let binned: Vec<Vec<f32>> =
        curves.iter().map(|c| c.chunks(4).map(|b| b.iter().sum()).collect()).collect();
    let binned_correlations: Vec<f64> =
        binned[1..].iter().map(|c| correlation(&binned[0], c)).collect();
    eprintln!("predicted {labels:?}; relevance curves' correlation with H.264's (MPEG-2, MPEG-4, HEVC, VP9): per frame {correlations:.3?}, per 4 frames {binned_correlations:.3?}");
    assert!(labels.iter().all(|l| l == "sit-up"), "{labels:?}");
    assert!(binned_correlations.iter().all(|&r| r > 0.3), "{binned_correlations:?}");
}
