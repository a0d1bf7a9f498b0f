//! Motion vectors that the encoder stored in a compressed video, read through FFmpeg's
//! decoder with `flags2=+export_mvs`, frame by frame in display order, as a field on a
//! block grid.
//!
//! Conventions (documented for the descriptors and the explanations that use them):
//! - A field holds the forward displacement in pixels per frame. A vector from a past
//!   reference (`source < 0`) is `dst − src`, one from a future reference (`source > 0`) is
//!   `src − dst`, each divided by the distance in frames to that reference. `AVMotionVector`
//!   does not say which reference it used, so the distance is the one to the nearest I- or
//!   P-frame in display order on that side (exact for one reference frame and no B-pyramid,
//!   as the synthetic set is encoded; an approximation for multi-reference streams).
//! - Sub-pixel precision is kept: the displacement is `motion_x / motion_scale`
//!   (quarter-pel for H.264, half-pel for MPEG-4 Part 2).
//! - Frames without vectors (I-frames, "not coded" frames) keep the previous frame's field
//!   (zero before the first vector), with every block marked as without a vector and the
//!   frame marked `carried`, so that a GOP boundary is not a sudden stop of all motion.
//! - MPEG-4 Part 2 with packed B-frames goes through the `mpeg4_unpack_bframes` bitstream
//!   filter, so frames come out one per packet in the right order.
//! - A packet that fails to decode in the middle of a stream is skipped and counted
//!   (`MotionReader::corrupt_packets`); the frames that decode are still given.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Once;

use ffmpeg_next as ffmpeg;
use ffmpeg::codec;
use ffmpeg::format;
use ffmpeg::media;
use ffmpeg::software::scaling;
use ffmpeg::util::frame::side_data;
use ffmpeg::util::frame::video::Video as VideoFrame;
use ffmpeg::util::picture;
use serde::Serialize;

use crate::error::VideoError;
use crate::field::{FieldBuilder, MotionField};
use crate::picture::RgbImage;
use crate::rotation::DisplayRotation;
use crate::unpack::Unpacker;

/// Initialises FFmpeg once, with its own log quiet (errors come back as values).
pub(crate) fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let _ = ffmpeg::init();
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Fatal);
    });
}

/// The coding type of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum FrameKind {
    I,
    P,
    B,
    /// Any other (switching, sprite) or unknown type.
    Other,
}

impl FrameKind {
    fn of(kind: picture::Type) -> Self {
        match kind {
            picture::Type::I | picture::Type::SI => FrameKind::I,
            picture::Type::P | picture::Type::SP => FrameKind::P,
            picture::Type::B | picture::Type::BI => FrameKind::B,
            _ => FrameKind::Other,
        }
    }

    /// One letter: I, P, B or ?.
    pub fn letter(self) -> char {
        match self {
            FrameKind::I => 'I',
            FrameKind::P => 'P',
            FrameKind::B => 'B',
            FrameKind::Other => '?',
        }
    }
}

/// What the container and the decoder say of a clip.
#[derive(Clone, Debug, Serialize)]
pub struct VideoInfo {
    pub codec: String,
    /// Picture size as displayed (after `rotation`); fields and pictures have this size.
    pub width: usize,
    pub height: usize,
    /// The turn the stream's display matrix asks for (phone videos), applied to vectors and pictures.
    pub rotation: DisplayRotation,
    /// Average frames per second, when the container gives it.
    pub frame_rate: Option<f64>,
    /// Seconds, when the container gives it.
    pub duration: Option<f64>,
}

/// How to read motion.
#[derive(Clone, Copy, Debug)]
pub struct MotionOptions {
    /// Block side of the grid in pixels (16 by default, 8 for finer fields).
    pub block: usize,
    /// Also convert each decoded picture to RGB (for drawing).
    pub pictures: bool,
}

impl Default for MotionOptions {
    fn default() -> Self {
        MotionOptions { block: 16, pictures: false }
    }
}

/// One frame's motion.
#[derive(Clone, Debug)]
pub struct MotionFrame {
    /// Position in display order, from 0.
    pub index: usize,
    /// Presentation time in seconds (variable frame rates keep their real times).
    pub time: f64,
    pub kind: FrameKind,
    /// Motion vectors the decoder exported for this frame.
    pub vectors: usize,
    /// No vectors of its own: the field is the previous frame's.
    pub carried: bool,
    pub field: MotionField,
    /// The decoded picture, when asked for.
    pub picture: Option<RgbImage>,
}

/// A vector as read, before the reference distance is known.
#[derive(Clone, Copy)]
struct RawVector {
    future: bool,
    rect: ((i32, i32), (i32, i32)),
    /// `src − dst` in pixels.
    motion: (f32, f32),
}

/// A decoded frame waiting for the next reference frame (B-frames need its distance).
struct Pending {
    index: usize,
    time: f64,
    kind: FrameKind,
    vectors: Vec<RawVector>,
    picture: Option<RgbImage>,
}

/// Reads a clip's motion field frame by frame; an iterator of frames in display order.
/// Memory is bounded by the frames between two reference frames.
pub struct MotionReader {
    path: PathBuf,
    input: format::context::Input,
    stream: usize,
    decoder: ffmpeg::decoder::Video,
    unpacker: Option<Unpacker>,
    scaler: Option<scaling::Context>,
    options: MotionOptions,
    info: VideoInfo,
    time_base: f64,
    next_index: usize,
    last_reference: Option<usize>,
    previous: Option<MotionField>,
    pending: VecDeque<Pending>,
    ready: VecDeque<MotionFrame>,
    flushed: bool,
    vectors_seen: usize,
    corrupt_packets: usize,
    damaged_frames: usize,
    finished: bool,
}

impl MotionReader {
    /// Opens `path` and its best video stream.
    pub fn open(path: &Path, options: MotionOptions) -> Result<Self, VideoError> {
        init();
        if options.block == 0 {
            return Err(VideoError::Invalid("the block size must be at least one pixel".into()));
        }
        if path.is_dir() {
            return Err(VideoError::read(path, std::io::Error::new(std::io::ErrorKind::IsADirectory, "a folder, not a video file")));
        }
        std::fs::File::open(path).map_err(|e| VideoError::read(path, e))?;
        let input = format::input(&path).map_err(|e| VideoError::open(path, format!("not a readable video ({e})")))?;
        let stream = input.streams().best(media::Type::Video).ok_or_else(|| VideoError::NoVideoStream(path.to_path_buf()))?;
        let index = stream.index();
        let time_base = f64::from(stream.time_base());
        let rate = stream.avg_frame_rate();
        let frame_rate = (rate.denominator() != 0 && rate.numerator() > 0).then(|| f64::from(rate));
        let duration = (stream.duration() > 0).then(|| stream.duration() as f64 * time_base).or_else(|| (input.duration() > 0).then(|| input.duration() as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE)));
        let rotation = stream
            .side_data()
            .find(|d| d.kind() == ffmpeg::codec::packet::side_data::Type::DisplayMatrix)
            .and_then(|d| <[u8; 36]>::try_from(d.data()).ok())
            .map(|bytes| {
                let matrix: [i32; 9] = std::array::from_fn(|i| i32::from_ne_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4 bytes")));
                DisplayRotation::from_display_matrix(&matrix)
            })
            .unwrap_or_default();
        let parameters = stream.parameters();
        let codec_id = parameters.id();
        let unpacker = if codec_id == codec::Id::MPEG4 { Some(Unpacker::new(&parameters, stream.time_base()).map_err(|e| VideoError::open(path, e))?) } else { None };
        let context = codec::context::Context::from_parameters(parameters).map_err(|e| VideoError::open(path, e))?;
        let decoder_codec = ffmpeg::decoder::find(codec_id).ok_or_else(|| VideoError::open(path, format!("no decoder for {codec_id:?}")))?;
        let mut dictionary = ffmpeg::Dictionary::new();
        dictionary.set("flags2", "+export_mvs");
        let decoder = context
            .decoder()
            .open_as_with(decoder_codec, dictionary)
            .and_then(|opened| opened.video())
            .map_err(|e| VideoError::open(path, format!("cannot open the {} decoder ({e})", decoder_codec.name())))?;
        let coded = (decoder.width() as usize, decoder.height() as usize);
        if coded.0 == 0 || coded.1 == 0 {
            return Err(VideoError::open(path, "the video stream has no picture size"));
        }
        let (width, height) = rotation.size(coded);
        let info = VideoInfo { codec: decoder_codec.name().to_string(), width, height, rotation, frame_rate, duration };
        Ok(MotionReader {
            path: path.to_path_buf(),
            input,
            stream: index,
            decoder,
            unpacker,
            scaler: None,
            options,
            info,
            time_base,
            next_index: 0,
            last_reference: None,
            previous: None,
            pending: VecDeque::new(),
            ready: VecDeque::new(),
            flushed: false,
            vectors_seen: 0,
            corrupt_packets: 0,
            damaged_frames: 0,
            finished: false,
        })
    }

    pub fn info(&self) -> &VideoInfo {
        &self.info
    }

    /// Packets that failed to decode and were skipped so far.
    pub fn corrupt_packets(&self) -> usize {
        self.corrupt_packets
    }

    /// Frames the decoder flagged as corrupt or patched by error concealment so far (damaged
    /// data in the middle of a stream); their vectors are used as decoded.
    pub fn damaged_frames(&self) -> usize {
        self.damaged_frames
    }

    /// Decodes until at least one frame is ready or the stream ends.
    fn fill(&mut self) -> Result<(), VideoError> {
        while self.ready.is_empty() && !self.flushed {
            let mut packet = ffmpeg::Packet::empty();
            match packet.read(&mut self.input) {
                Ok(()) => {
                    if packet.stream() != self.stream {
                        continue;
                    }
                    let packets = match &mut self.unpacker {
                        Some(unpacker) => unpacker.filter(packet).map_err(|e| VideoError::decode(&self.path, e))?,
                        None => vec![packet],
                    };
                    for packet in packets {
                        if self.decoder.send_packet(&packet).is_err() {
                            self.corrupt_packets += 1;
                        }
                        self.receive_frames()?;
                    }
                }
                Err(ffmpeg::Error::Eof) => {
                    if let Some(unpacker) = &mut self.unpacker {
                        for packet in unpacker.flush().map_err(|e| VideoError::decode(&self.path, e))? {
                            let _ = self.decoder.send_packet(&packet);
                            self.receive_frames()?;
                        }
                    }
                    let _ = self.decoder.send_eof();
                    self.receive_frames()?;
                    self.flushed = true;
                    // The last B-frames have no later reference: their future distance is 1.
                    self.finish_pending(None);
                }
                Err(e) => {
                    // A read error in the middle: keep what decoded, count it, and stop here.
                    self.corrupt_packets += 1;
                    let _ = e;
                    self.flushed = true;
                    let _ = self.decoder.send_eof();
                    self.receive_frames()?;
                    self.finish_pending(None);
                }
            }
        }
        Ok(())
    }

    fn receive_frames(&mut self) -> Result<(), VideoError> {
        let mut frame = VideoFrame::empty();
        while self.decoder.receive_frame(&mut frame).is_ok() {
            self.accept(&frame)?;
        }
        Ok(())
    }

    /// Takes a decoded frame (display order).
    fn accept(&mut self, frame: &VideoFrame) -> Result<(), VideoError> {
        let vectors = frame.side_data(side_data::Type::MotionVectors).map(|data| raw_vectors(data.data())).unwrap_or_default();
        self.vectors_seen += vectors.len();
        if frame.is_corrupt() || frame.has_decode_errors() {
            self.damaged_frames += 1;
        }
        let kind = FrameKind::of(frame.kind());
        let time = frame.timestamp().or(frame.pts()).map_or(self.next_index as f64 / self.info.frame_rate.unwrap_or(25.0), |t| t as f64 * self.time_base);
        let picture = if self.options.pictures { Some(self.picture(frame)?) } else { None };
        let rotation = self.info.rotation;
        let coded = rotation.size((self.info.width, self.info.height));
        let vectors = if rotation.clockwise_degrees == 0 {
            vectors
        } else {
            vectors.into_iter().map(|v| RawVector { rect: rotation.rect(v.rect, coded), motion: rotation.vector(v.motion), ..v }).collect()
        };
        let pending = Pending { index: self.next_index, time, kind, vectors, picture };
        self.next_index += 1;
        let references_future = pending.vectors.iter().any(|v| v.future);
        if kind == FrameKind::B || references_future {
            self.pending.push_back(pending);
        } else {
            // A reference frame: the B-frames before it now know their future distance.
            self.finish_pending(Some(pending.index));
            let index = pending.index;
            self.finish(pending, None);
            self.last_reference = Some(index);
        }
        Ok(())
    }

    fn finish_pending(&mut self, next_reference: Option<usize>) {
        while let Some(p) = self.pending.pop_front() {
            self.finish(p, next_reference);
        }
    }

    /// Turns a frame's vectors into its field, with distances to the nearest references.
    fn finish(&mut self, p: Pending, next_reference: Option<usize>) {
        let past = self.last_reference.map_or(1, |r| p.index.saturating_sub(r).max(1)) as f32;
        let future = next_reference.map_or(1, |r| r.saturating_sub(p.index).max(1)) as f32;
        let field = if p.vectors.is_empty() {
            self.previous.as_ref().map_or_else(|| MotionField::zeros(self.info.width, self.info.height, self.options.block), MotionField::carried_over)
        } else {
            let mut builder = FieldBuilder::new(self.info.width, self.info.height, self.options.block);
            for v in &p.vectors {
                // Forward displacement per frame (see the module notes).
                let (sign, distance) = if v.future { (1.0, future) } else { (-1.0, past) };
                builder.add(v.rect.0, v.rect.1, sign * v.motion.0 / distance, sign * v.motion.1 / distance);
            }
            builder.finish()
        };
        self.previous = Some(field.clone());
        self.ready.push_back(MotionFrame { index: p.index, time: p.time, kind: p.kind, vectors: p.vectors.len(), carried: p.vectors.is_empty(), field, picture: p.picture });
    }

    fn picture(&mut self, frame: &VideoFrame) -> Result<RgbImage, VideoError> {
        let (w, h) = (frame.width(), frame.height());
        let stale = self.scaler.as_ref().is_none_or(|s| s.input().width != w || s.input().height != h || s.input().format != frame.format());
        if stale {
            let scaler = scaling::Context::get(frame.format(), w, h, ffmpeg::format::Pixel::RGB24, w, h, scaling::Flags::BILINEAR).map_err(|e| VideoError::decode(&self.path, e))?;
            self.scaler = Some(scaler);
        }
        let mut rgb = VideoFrame::empty();
        self.scaler.as_mut().expect("made above").run(frame, &mut rgb).map_err(|e| VideoError::decode(&self.path, e))?;
        let stride = rgb.stride(0);
        let data = rgb.data(0);
        let mut pixels = Vec::with_capacity(w as usize * h as usize * 3);
        for row in 0..h as usize {
            pixels.extend_from_slice(&data[row * stride..row * stride + w as usize * 3]);
        }
        Ok(self.info.rotation.picture(RgbImage { width: w as usize, height: h as usize, pixels }))
    }
}

impl Iterator for MotionReader {
    type Item = Result<MotionFrame, VideoError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        if let Err(e) = self.fill() {
            self.finished = true;
            return Some(Err(e));
        }
        if let Some(frame) = self.ready.pop_front() {
            return Some(Ok(frame));
        }
        self.finished = true;
        if self.next_index == 0 {
            Some(Err(VideoError::NoFrames(self.path.clone())))
        } else if self.vectors_seen == 0 {
            Some(Err(VideoError::NoMotion(self.path.clone())))
        } else {
            None
        }
    }
}

/// The vectors in a frame's `AV_FRAME_DATA_MOTION_VECTORS` side data.
fn raw_vectors(bytes: &[u8]) -> Vec<RawVector> {
    let size = std::mem::size_of::<ffmpeg::ffi::AVMotionVector>();
    bytes
        .chunks_exact(size)
        .map(|chunk| {
            // SAFETY: the side data is an array of `AVMotionVector`; `read_unaligned` copies
            // one out of its bytes whatever the buffer's alignment.
            let mv: ffmpeg::ffi::AVMotionVector = unsafe { std::ptr::read_unaligned(chunk.as_ptr().cast()) };
            let scale = if mv.motion_scale > 0 { mv.motion_scale as f32 } else { 1.0 };
            let (w, h) = (i32::from(mv.w), i32::from(mv.h));
            let (x0, y0) = (i32::from(mv.dst_x) - w / 2, i32::from(mv.dst_y) - h / 2);
            RawVector { future: mv.source > 0, rect: ((x0, x0 + w), (y0, y0 + h)), motion: (mv.motion_x as f32 / scale, mv.motion_y as f32 / scale) }
        })
        .collect()
}
