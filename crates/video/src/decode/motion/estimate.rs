//! Motion for codecs whose decoder exports no vectors (HEVC, VP8, VP9, AV1, Theora, MJPEG,
//! …): the decoded pictures are encoded again in memory by libx264, P-frames only with one
//! reference, and that stream's vectors are read back. libx264 is already what the synthetic
//! set is encoded with, so the vectors have the statistics the classifier was trained on,
//! and with one reference and no B-frames every vector's reference is the previous frame.

use std::collections::VecDeque;

use ffmpeg::util::frame::side_data;
use ffmpeg::util::frame::video::Video as VideoFrame;
use ffmpeg::{codec, encoder, format, software::scaling, Rational};
use ffmpeg_next as ffmpeg;

use super::pictures::scale;
use super::vectors::{raw_vectors, RawVector};

/// x264's settings: the whole clip one GOP, no B-frames, one reference, no look-ahead (so
/// every frame comes back at once), quarter-pixel motion search.
const X264_PARAMS: &str = "keyint=infinite:min-keyint=infinite:scenecut=0:bframes=0:ref=1:rc-lookahead=0:sync-lookahead=0:threads=1";

/// A libx264 encoder and an H.264 decoder back to back.
pub(crate) struct Reestimator {
    encoder: encoder::Video,
    decoder: ffmpeg::decoder::Video,
    scaler: Option<scaling::Context>,
    /// The encoded size (even, as 4:2:0 needs) and the picture size vectors are scaled to.
    coded: (u32, u32),
    target: (usize, usize),
    /// Frames given, and vectors that came back, by the frame's position.
    given: usize,
    ready: VecDeque<(usize, Vec<RawVector>)>,
}

impl Reestimator {
    /// An estimator for pictures shown at `target` size (width, height).
    pub(crate) fn new(target: (usize, usize)) -> Result<Self, ffmpeg::Error> {
        let even = |v: usize| (v.max(2) & !1) as u32;
        let coded = (even(target.0), even(target.1));
        let codec = encoder::find_by_name("libx264").ok_or(ffmpeg::Error::EncoderNotFound)?;
        let mut video = codec::context::Context::new_with_codec(codec).encoder().video()?;
        video.set_width(coded.0);
        video.set_height(coded.1);
        video.set_format(format::Pixel::YUV420P);
        video.set_time_base(Rational::new(1, 25));
        video.set_max_b_frames(0);
        let mut options = ffmpeg::Dictionary::new();
        options.set("preset", "veryfast");
        options.set("crf", "18");
        options.set("x264-params", X264_PARAMS);
        let encoder = video.open_as_with(codec, options)?;
        let h264 = ffmpeg::decoder::find(codec::Id::H264).ok_or(ffmpeg::Error::DecoderNotFound)?;
        let mut options = ffmpeg::Dictionary::new();
        options.set("flags2", "+export_mvs");
        let decoder = codec::context::Context::new_with_codec(h264)
            .decoder()
            .open_as_with(h264, options)?
            .video()?;
        Ok(Reestimator {
            encoder,
            decoder,
            scaler: None,
            coded,
            target,
            given: 0,
            ready: VecDeque::new(),
        })
    }

    /// Gives the next decoded picture (any pixel format and size); its vectors, relative to
    /// the picture before, come out of [`Reestimator::take`] in the same order.
    pub(crate) fn push(&mut self, frame: &VideoFrame) -> Result<(), ffmpeg::Error> {
        let mut yuv = scale(&mut self.scaler, frame, format::Pixel::YUV420P, self.coded)?;
        yuv.set_pts(Some(self.given as i64));
        yuv.set_kind(ffmpeg::picture::Type::None);
        self.given += 1;
        self.encoder.send_frame(&yuv)?;
        self.drain()
    }

    /// Flushes both ends at the end of the clip.
    pub(crate) fn finish(&mut self) -> Result<(), ffmpeg::Error> {
        self.encoder.send_eof()?;
        self.drain()?;
        self.decoder.send_eof()?;
        self.receive()
    }

    /// The next frame's position and vectors (in the target picture's pixels), once known.
    pub(crate) fn take(&mut self) -> Option<(usize, Vec<RawVector>)> {
        self.ready.pop_front()
    }

    fn drain(&mut self) -> Result<(), ffmpeg::Error> {
        let mut packet = ffmpeg::Packet::empty();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            self.decoder.send_packet(&packet)?;
            self.receive()?;
        }
        Ok(())
    }

    fn receive(&mut self) -> Result<(), ffmpeg::Error> {
        let mut frame = VideoFrame::empty();
        let scale = (
            self.target.0 as f32 / self.coded.0 as f32,
            self.target.1 as f32 / self.coded.1 as f32,
        );
        while self.decoder.receive_frame(&mut frame).is_ok() {
            let position = frame.pts().unwrap_or(0).max(0) as usize;
            let vectors = frame
                .side_data(side_data::Type::MotionVectors)
                .map(|d| raw_vectors(d.data()))
                .unwrap_or_default();
            let vectors = if scale == (1.0, 1.0) {
                vectors
            } else {
                vectors.into_iter().map(|v| v.scaled(scale)).collect()
            };
            self.ready.push_back((position, vectors));
        }
        Ok(())
    }
}
