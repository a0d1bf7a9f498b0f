//! Writing RGB frames as a compressed clip through FFmpeg: the synthetic action set's H.264
//! recipe, and any other FFmpeg encoder with its own settings (for tests that need a clip with
//! known motion encoded the way other software encodes it).

use std::path::{Path, PathBuf};

use ffmpeg::util::frame::video::Video as VideoFrame;
use ffmpeg::{codec, encoder, format, software::scaling, Rational};
use ffmpeg_next as ffmpeg;

use crate::decode::init;
use crate::decode::RgbImage;
use crate::error::VideoError;

/// The synthetic set's recipe: libx264 with settings under which every vector's reference is
/// the nearest I- or P-frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodeOptions {
    pub fps: u32,
    /// Distance between I-frames (a fixed GOP, no scene-cut I-frames).
    pub gop: u32,
    /// Consecutive B-frames (0 for P-frames only).
    pub b_frames: u32,
    /// x264's constant rate factor (lower is better quality).
    pub crf: u32,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions { fps: 25, gop: 12, b_frames: 2, crf: 20 }
    }
}

impl EncodeOptions {
    /// One reference frame and no B-pyramid; temporal direct prediction, whose B-frame vectors
    /// follow the motion (spatial direct often exports zero vectors for blocks that move).
    pub fn encoder(&self) -> Encoder {
        let params = format!("keyint={0}:min-keyint={0}:scenecut=0:bframes={1}:b-adapt=0:b-pyramid=none:ref=1:threads=1:direct=temporal", self.gop, self.b_frames);
        Encoder::new("libx264", self.fps)
            .gop(self.gop)
            .b_frames(self.b_frames)
            .option("preset", "veryfast")
            .option("crf", &self.crf.to_string())
            .option("x264-params", &params)
    }
}

/// An FFmpeg encoder by name (`libx264`, `mpeg2video`, `mpeg4`, `libx265`, `libvpx-vp9`, …)
/// with the codec context's GOP and B-frame settings and the encoder's private options; what
/// is not set keeps the encoder's own default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoder {
    pub name: String,
    pub fps: u32,
    pub gop: Option<u32>,
    pub b_frames: Option<u32>,
    pub options: Vec<(String, String)>,
}

impl Encoder {
    pub fn new(name: &str, fps: u32) -> Self {
        Encoder { name: name.to_string(), fps, gop: None, b_frames: None, options: Vec::new() }
    }

    pub fn gop(mut self, gop: u32) -> Self {
        self.gop = Some(gop);
        self
    }

    pub fn b_frames(mut self, b_frames: u32) -> Self {
        self.b_frames = Some(b_frames);
        self
    }

    pub fn option(mut self, key: &str, value: &str) -> Self {
        self.options.push((key.to_string(), value.to_string()));
        self
    }
}

/// A clip being written; frames go in with [`ClipWriter::push`], [`ClipWriter::finish`] closes it.
pub struct ClipWriter {
    path: PathBuf,
    output: format::context::Output,
    encoder: encoder::Video,
    scaler: scaling::Context,
    time_base: Rational,
    stream_time_base: Rational,
    width: usize,
    height: usize,
    frames: i64,
}

impl ClipWriter {
    /// Starts a `width`×`height` clip at `path` (container from the extension, e.g. `.mp4`)
    /// with the synthetic set's H.264 recipe. Sizes must be even (4:2:0 chroma).
    pub fn create(
        path: &Path,
        width: usize,
        height: usize,
        options: EncodeOptions,
    ) -> Result<Self, VideoError> {
        Self::with_encoder(path, width, height, &options.encoder())
    }

    /// Starts a clip written by `spec`'s encoder.
    pub fn with_encoder(
        path: &Path,
        width: usize,
        height: usize,
        spec: &Encoder,
    ) -> Result<Self, VideoError> {
        init();
        if width == 0 || height == 0 || width % 2 == 1 || height % 2 == 1 {
            return Err(VideoError::Invalid(format!(
                "{}: clip size {width}×{height} must be even and not zero",
                path.display()
            )));
        }
        let fail = |e: ffmpeg::Error| VideoError::encode(path, e);
        let mut output = format::output(&path).map_err(fail)?;
        let global_header = output.format().flags().contains(format::Flags::GLOBAL_HEADER);
        let codec = encoder::find_by_name(&spec.name).ok_or_else(|| {
            VideoError::encode(path, format!("FFmpeg has no {} encoder", spec.name))
        })?;
        let mut stream = output.add_stream(codec).map_err(fail)?;
        let mut video =
            codec::context::Context::new_with_codec(codec).encoder().video().map_err(fail)?;
        let time_base = Rational::new(1, spec.fps as i32);
        video.set_width(width as u32);
        video.set_height(height as u32);
        video.set_format(format::Pixel::YUV420P);
        video.set_time_base(time_base);
        video.set_frame_rate(Some(Rational::new(spec.fps as i32, 1)));
        if let Some(gop) = spec.gop {
            video.set_gop(gop);
        }
        if let Some(b) = spec.b_frames {
            video.set_max_b_frames(b as usize);
        }
        if global_header {
            video.set_flags(codec::Flags::GLOBAL_HEADER);
        }
        let mut dictionary = ffmpeg::Dictionary::new();
        for (key, value) in &spec.options {
            dictionary.set(key, value);
        }
        let encoder = video.open_as_with(codec, dictionary).map_err(fail)?;
        stream.set_parameters(&encoder);
        stream.set_time_base(time_base);
        output.write_header().map_err(fail)?;
        let stream_time_base = output.stream(0).map_or(time_base, |s| s.time_base());
        let scaler = scaling::Context::get(
            format::Pixel::RGB24,
            width as u32,
            height as u32,
            format::Pixel::YUV420P,
            width as u32,
            height as u32,
            scaling::Flags::BILINEAR,
        )
        .map_err(fail)?;
        Ok(ClipWriter {
            path: path.to_path_buf(),
            output,
            encoder,
            scaler,
            time_base,
            stream_time_base,
            width,
            height,
            frames: 0,
        })
    }

    /// Appends a frame of the clip's size.
    pub fn push(&mut self, picture: &RgbImage) -> Result<(), VideoError> {
        if (picture.width, picture.height) != (self.width, self.height) {
            return Err(VideoError::Invalid(format!(
                "{}: a {}×{} frame in a {}×{} clip",
                self.path.display(),
                picture.width,
                picture.height,
                self.width,
                self.height
            )));
        }
        let mut rgb = VideoFrame::new(format::Pixel::RGB24, self.width as u32, self.height as u32);
        let stride = rgb.stride(0);
        let row_bytes = self.width * 3;
        for (row, line) in picture.pixels.chunks_exact(row_bytes).enumerate() {
            rgb.data_mut(0)[row * stride..row * stride + row_bytes].copy_from_slice(line);
        }
        let mut yuv = VideoFrame::empty();
        self.scaler.run(&rgb, &mut yuv).map_err(|e| VideoError::encode(&self.path, e))?;
        yuv.set_pts(Some(self.frames));
        self.frames += 1;
        self.encoder.send_frame(&yuv).map_err(|e| VideoError::encode(&self.path, e))?;
        self.drain()
    }

    /// Flushes the encoder and closes the file.
    pub fn finish(mut self) -> Result<(), VideoError> {
        self.encoder.send_eof().map_err(|e| VideoError::encode(&self.path, e))?;
        self.drain()?;
        self.output.write_trailer().map_err(|e| VideoError::encode(&self.path, e))
    }

    fn drain(&mut self) -> Result<(), VideoError> {
        let mut packet = ffmpeg::Packet::empty();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            packet.set_stream(0);
            // Without a duration the MP4 edit list ends before the last frame, and
            // decoders drop it.
            packet.set_duration(1);
            packet.rescale_ts(self.time_base, self.stream_time_base);
            packet
                .write_interleaved(&mut self.output)
                .map_err(|e| VideoError::encode(&self.path, e))?;
        }
        Ok(())
    }
}
