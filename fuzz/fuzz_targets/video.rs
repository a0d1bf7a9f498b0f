//! Bytes given as a video file: FFmpeg's demuxer and decoder with motion-vector export, the
//! motion fields (display rotation included) and the descriptors. Errors are fine; panics and
//! non-finite values are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use video::{DescriptorExtractor, DescriptorOptions, MotionOptions, MotionReader};

fuzz_target!(|bytes: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("clip.mp4");
    std::fs::write(&path, bytes).expect("written");
    let Ok(reader) = MotionReader::open(
        &path,
        MotionOptions { block: 16, pictures: true, ..MotionOptions::default() },
    ) else {
        return;
    };
    let (width, height) = (reader.info().width, reader.info().height);
    let mut extractor =
        DescriptorExtractor::new(DescriptorOptions::default()).expect("default options");
    // At most 48 frames: a fuzzed header may claim hours of video.
    for frame in reader.take(48) {
        let Ok(frame) = frame else { return };
        assert!(frame.field.dx.iter().chain(&frame.field.dy).all(|v| v.is_finite()));
        assert_eq!(
            (frame.field.cols(), frame.field.rows()),
            (width.div_ceil(16), height.div_ceil(16))
        );
        for d in extractor.push(frame.index, &frame.field) {
            assert!(d.hof.iter().chain(&d.mbhx).chain(&d.mbhy).all(|v| v.is_finite()));
        }
    }
});
