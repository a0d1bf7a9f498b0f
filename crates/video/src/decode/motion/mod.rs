//! Motion from a compressed video, frame by frame in display order, as a field on a block
//! grid: the vectors the encoder stored, read through FFmpeg's decoder with
//! `flags2=+export_mvs`, or, for codecs whose decoder exports none, vectors estimated again
//! from the decoded pictures ([`estimate`]).
//!
//! Conventions (documented for the descriptors and the explanations that use them):
//! - A field holds the forward displacement in pixels per frame: a vector whose block at
//!   `dst` in frame `F` was predicted from `src` in reference `R` moves content by
//!   `(dst − src) / (t_F − t_R)`, `t` the display position (negative distances for later
//!   references). Which reference a vector used is found as [`reference`] describes; each
//!   frame's record says how sure that is ([`ReferenceCheck`]).
//! - Sub-pixel precision is kept: the displacement is `motion_x / motion_scale`
//!   (quarter-pel for H.264, half-pel for MPEG-4 Part 2).
//! - Frames without vectors (I-frames, "not coded" frames) keep the previous frame's field
//!   (zero before the first vector), with every block marked as without a vector and the
//!   frame marked `carried`, so that a GOP boundary is not a sudden stop of all motion.
//! - MPEG-4 Part 2 B-frames: FFmpeg 5.1's decoder exports for them what an earlier P-frame
//!   left in its buffers, not the B-frame's own vectors. A B-frame's field is the next
//!   reference frame's, whose vectors span the B-frame's interval (`MotionSource::NextReference`);
//!   before an I-frame it is carried. Packed B-frames (DivX) go through the
//!   `mpeg4_unpack_bframes` bitstream filter, so frames come out one per packet in order.
//! - A picture size that changes in the middle of a stream is scaled to the first size
//!   (vectors and pictures alike) and counted (`MotionReader::resized_frames`).
//! - A packet that fails to decode in the middle of a stream is skipped and counted
//!   (`MotionReader::corrupt_packets`); the frames that decode are still given.

mod estimate;
mod frame;
mod luma;
mod pictures;
mod reference;
mod stream;
mod vectors;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Once;

use ffmpeg::codec;
use ffmpeg::format;
use ffmpeg::util::frame::side_data;
use ffmpeg::util::frame::video::Video as VideoFrame;
use ffmpeg_next as ffmpeg;

use crate::decode::DisplayRotation;
use crate::decode::RgbImage;
use crate::decode::Unpacker;
use crate::decode::{FieldBuilder, MotionField};
use crate::error::VideoError;
use estimate::Reestimator;
pub use frame::{FrameKind, MotionFrame, MotionOptions, MotionSource, VectorOrigin, VideoInfo};
use luma::Luma;
use pictures::Converter;
pub use reference::ReferenceCheck;
use reference::{match_references, Candidate, ReferenceModel};
use stream::{choose_stream, exports_vectors, is_still_image};
use vectors::{raw_vectors, NalFraming, RawVector};

/// Initialises FFmpeg once, with its own log quiet (errors come back as values).
pub(crate) fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let _ = ffmpeg::init();
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Fatal);
    });
}

/// Candidate references reach this many frames back in decode order (H.264 keeps at most 16
/// reference pictures).
const REFERENCE_WINDOW: usize = 16;

/// A decoded frame on its way to becoming a [`MotionFrame`].
struct Decoded {
    display: usize,
    /// Position in decode order, when the frame's timestamp tells it.
    decode: Option<usize>,
    /// Whether other frames may refer to it, when the bitstream says (H.264's `nal_ref_idc`).
    reference: Option<bool>,
    time: f64,
    kind: FrameKind,
    /// In the coded orientation, scaled to the first picture size.
    vectors: Vec<RawVector>,
    luma: Option<Rc<Luma>>,
    picture: Option<RgbImage>,
}

impl Decoded {
    /// A frame other frames may refer to under the one-reference-each-way model.
    fn is_reference(&self) -> bool {
        self.kind != FrameKind::B && !self.vectors.iter().any(|v| v.future)
    }
}

/// A frame kept as a possible reference for later ones.
struct Stored {
    display: usize,
    decode: Option<usize>,
    reference: Option<bool>,
    luma: Rc<Luma>,
}

/// Reads a clip's motion field frame by frame; an iterator of frames in display order.
/// Memory is bounded by the frames a frame waits for (its references, at most
/// [`REFERENCE_WINDOW`] in decode order).
pub struct MotionReader {
    path: PathBuf,
    input: format::context::Input,
    stream: usize,
    decoder: ffmpeg::decoder::Video,
    unpacker: Option<Unpacker>,
    reestimator: Option<Reestimator>,
    model: ReferenceModel,
    /// MPEG-4 Part 2: B-frames' exported vectors are not theirs (module notes).
    b_vectors_unusable: bool,
    pictures: Converter,
    options: MotionOptions,
    info: VideoInfo,
    /// Picture size as coded (before the display turn).
    coded: (usize, usize),
    time_base: f64,
    next_index: usize,
    /// Decode positions (and reference flags) by packet timestamp, for the packets sent and
    /// not yet seen back.
    decode_order: HashMap<i64, (usize, Option<bool>)>,
    /// H.264: how packets frame their NAL units, to read which pictures are references.
    framing: Option<NalFraming>,
    packets_sent: usize,
    decoded_seen: BTreeSet<usize>,
    history: VecDeque<Stored>,
    last_reference: Option<usize>,
    previous: Option<MotionField>,
    pending: VecDeque<Decoded>,
    /// Frames given to the re-estimator, waiting for their vectors.
    estimating: VecDeque<Decoded>,
    ready: VecDeque<MotionFrame>,
    flushed: bool,
    vectors_seen: usize,
    corrupt_packets: usize,
    damaged_frames: usize,
    resized_frames: usize,
    finished: bool,
}

impl MotionReader {
    /// Opens `path` and its video stream (see [`MotionOptions::stream`]).
    pub fn open(path: &Path, options: MotionOptions) -> Result<Self, VideoError> {
        init();
        if options.block == 0 {
            return Err(VideoError::Invalid("the block size must be at least one pixel".into()));
        }
        if path.is_dir() {
            return Err(VideoError::read(
                path,
                std::io::Error::new(std::io::ErrorKind::IsADirectory, "a folder, not a video file"),
            ));
        }
        std::fs::File::open(path).map_err(|e| VideoError::read(path, e))?;
        let input = format::input(&path)
            .map_err(|e| VideoError::open(path, format!("not a readable video ({e})")))?;
        if is_still_image(&input) {
            let codec = input.streams().next().map_or_else(
                || "unknown".to_string(),
                |s| format!("{:?}", s.parameters().id()).to_lowercase(),
            );
            return Err(VideoError::StillImage { path: path.to_path_buf(), format: codec });
        }
        let index = choose_stream(path, &input, options.stream)?;
        let stream = input.stream(index).expect("chosen among the streams");
        let time_base = f64::from(stream.time_base());
        let rate = stream.avg_frame_rate();
        let frame_rate = (rate.denominator() != 0 && rate.numerator() > 0).then(|| f64::from(rate));
        let duration =
            (stream.duration() > 0).then(|| stream.duration() as f64 * time_base).or_else(|| {
                (input.duration() > 0)
                    .then(|| input.duration() as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE))
            });
        let rotation = stream
            .side_data()
            .find(|d| d.kind() == ffmpeg::codec::packet::side_data::Type::DisplayMatrix)
            .and_then(|d| <[u8; 36]>::try_from(d.data()).ok())
            .map(|bytes| {
                let matrix: [i32; 9] = std::array::from_fn(|i| {
                    i32::from_ne_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4 bytes"))
                });
                DisplayRotation::from_display_matrix(&matrix)
            })
            .unwrap_or_default();
        let parameters = stream.parameters();
        let codec_id = parameters.id();
        let framing = (codec_id == codec::Id::H264).then(|| {
            // SAFETY: the parameters' extradata pointer and size describe one owned buffer (or null).
            let extradata = unsafe {
                let p = parameters.as_ptr();
                if (*p).extradata.is_null() || (*p).extradata_size <= 0 {
                    &[][..]
                } else {
                    std::slice::from_raw_parts((*p).extradata, (*p).extradata_size as usize)
                }
            };
            NalFraming::of_extradata(extradata)
        });
        let exported = exports_vectors(codec_id);
        let unpacker = if codec_id == codec::Id::MPEG4 {
            Some(
                Unpacker::new(&parameters, stream.time_base())
                    .map_err(|e| VideoError::open(path, e))?,
            )
        } else {
            None
        };
        let context = codec::context::Context::from_parameters(parameters)
            .map_err(|e| VideoError::open(path, e))?;
        let decoder_codec = ffmpeg::decoder::find(codec_id).ok_or_else(|| {
            VideoError::open(path, format!("FFmpeg has no decoder for its {codec_id:?} video"))
        })?;
        let mut dictionary = ffmpeg::Dictionary::new();
        dictionary.set("flags2", "+export_mvs");
        let decoder = context
            .decoder()
            .open_as_with(decoder_codec, dictionary)
            .and_then(|opened| opened.video())
            .map_err(|e| {
                VideoError::open(
                    path,
                    format!("cannot open the {} decoder ({e})", decoder_codec.name()),
                )
            })?;
        let coded = (decoder.width() as usize, decoder.height() as usize);
        if coded.0 == 0 || coded.1 == 0 {
            return Err(VideoError::open(path, "the video stream has no picture size"));
        }
        let reestimator = if exported {
            None
        } else {
            Some(Reestimator::new(coded).map_err(|e| {
                VideoError::open(path, format!("cannot start libx264 to estimate motion ({e})"))
            })?)
        };
        let (width, height) = rotation.size(coded);
        let vectors = if exported { VectorOrigin::Exported } else { VectorOrigin::Reestimated };
        let info = VideoInfo {
            codec: decoder_codec.name().to_string(),
            stream: index,
            vectors,
            width,
            height,
            rotation,
            frame_rate,
            duration,
        };
        Ok(MotionReader {
            path: path.to_path_buf(),
            input,
            stream: index,
            decoder,
            unpacker,
            reestimator,
            model: ReferenceModel::of(decoder_codec.name()),
            b_vectors_unusable: codec_id == codec::Id::MPEG4,
            pictures: Converter::default(),
            options,
            info,
            coded,
            time_base,
            next_index: 0,
            decode_order: HashMap::new(),
            framing,
            packets_sent: 0,
            decoded_seen: BTreeSet::new(),
            history: VecDeque::new(),
            last_reference: None,
            previous: None,
            pending: VecDeque::new(),
            estimating: VecDeque::new(),
            ready: VecDeque::new(),
            flushed: false,
            vectors_seen: 0,
            corrupt_packets: 0,
            damaged_frames: 0,
            resized_frames: 0,
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

    /// Frames whose picture size differed from the first frame's and were scaled to it.
    pub fn resized_frames(&self) -> usize {
        self.resized_frames
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
                        Some(unpacker) => unpacker
                            .filter(packet)
                            .map_err(|e| VideoError::decode(&self.path, e))?,
                        None => vec![packet],
                    };
                    for packet in packets {
                        self.send(&packet)?;
                    }
                }
                Err(ffmpeg::Error::Eof) => {
                    if let Some(unpacker) = &mut self.unpacker {
                        for packet in
                            unpacker.flush().map_err(|e| VideoError::decode(&self.path, e))?
                        {
                            self.send(&packet)?;
                        }
                    }
                    self.end()?;
                }
                Err(_) => {
                    // A read error in the middle: keep what decoded, count it, and stop here.
                    self.corrupt_packets += 1;
                    self.end()?;
                }
            }
        }
        Ok(())
    }

    fn send(&mut self, packet: &ffmpeg::Packet) -> Result<(), VideoError> {
        if let Some(pts) = packet.pts() {
            let reference =
                self.framing.zip(packet.data()).and_then(|(f, data)| f.is_reference(data));
            self.decode_order.insert(pts, (self.packets_sent, reference));
        }
        self.packets_sent += 1;
        if self.decoder.send_packet(packet).is_err() {
            self.corrupt_packets += 1;
        }
        self.receive_frames()
    }

    /// The end of the stream: drain the decoder (and the re-estimator), finish every frame.
    fn end(&mut self) -> Result<(), VideoError> {
        let _ = self.decoder.send_eof();
        self.receive_frames()?;
        if let Some(r) = &mut self.reestimator {
            r.finish().map_err(|e| {
                VideoError::decode(&self.path, format!("re-estimating motion: {e}"))
            })?;
            self.take_estimates();
        }
        self.flushed = true;
        self.release();
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
    fn accept(&mut self, decoded: &VideoFrame) -> Result<(), VideoError> {
        if decoded.is_corrupt() || decoded.has_decode_errors() {
            self.damaged_frames += 1;
        }
        let size = (decoded.width() as usize, decoded.height() as usize);
        let resized = size != self.coded;
        let resized_frame;
        let frame = if resized {
            self.resized_frames += 1;
            resized_frame = self
                .pictures
                .resize(decoded, self.coded)
                .map_err(|e| VideoError::decode(&self.path, e))?;
            &resized_frame
        } else {
            decoded
        };
        let mut vectors =
            if self.reestimator.is_some() { Vec::new() } else { frame_vectors(decoded) };
        if resized && !vectors.is_empty() {
            let scale = (self.coded.0 as f32 / size.0 as f32, self.coded.1 as f32 / size.1 as f32);
            vectors = vectors.into_iter().map(|v| v.scaled(scale)).collect();
        }
        let kind = FrameKind::of(decoded.kind());
        if self.b_vectors_unusable && kind == FrameKind::B {
            vectors.clear();
        }
        let time = decoded
            .timestamp()
            .or(decoded.pts())
            .map_or(self.next_index as f64 / self.info.frame_rate.unwrap_or(25.0), |t| {
                t as f64 * self.time_base
            });
        let (decode, reference) = decoded
            .pts()
            .and_then(|pts| self.decode_order.remove(&pts))
            .map_or((None, None), |(d, r)| (Some(d), r));
        let luma = if self.model == ReferenceModel::Matched && self.reestimator.is_none() {
            Some(Rc::new(self.pictures.luma(frame).map_err(|e| VideoError::decode(&self.path, e))?))
        } else {
            None
        };
        let picture =
            if self.options.pictures {
                Some(self.info.rotation.picture(
                    self.pictures.rgb(frame).map_err(|e| VideoError::decode(&self.path, e))?,
                ))
            } else {
                None
            };
        let entry = Decoded {
            display: self.next_index,
            decode,
            reference,
            time,
            kind,
            vectors,
            luma,
            picture,
        };
        self.next_index += 1;
        if let Some(d) = decode {
            self.decoded_seen.insert(d);
        }
        if let Some(r) = &mut self.reestimator {
            r.push(frame).map_err(|e| {
                VideoError::decode(&self.path, format!("re-estimating motion: {e}"))
            })?;
            self.estimating.push_back(entry);
            self.take_estimates();
        } else {
            if let Some(luma) = &entry.luma {
                self.history.push_back(Stored {
                    display: entry.display,
                    decode: entry.decode,
                    reference: entry.reference,
                    luma: Rc::clone(luma),
                });
            }
            self.pending.push_back(entry);
        }
        self.release();
        Ok(())
    }

    /// Moves frames whose re-estimated vectors came back into the queue.
    fn take_estimates(&mut self) {
        while let Some((position, vectors)) = self.reestimator.as_mut().and_then(Reestimator::take)
        {
            while let Some(mut entry) = self.estimating.pop_front() {
                let found = entry.display == position;
                if found {
                    entry.vectors = vectors.clone();
                }
                self.pending.push_back(entry);
                if found {
                    break;
                }
            }
        }
    }

    /// Whether the first pending frame has all it needs.
    fn front_ready(&self) -> bool {
        let Some(front) = self.pending.front() else { return false };
        if self.flushed || self.reestimator.is_some() {
            return true;
        }
        match self.model {
            ReferenceModel::Nearest => {
                front.is_reference() || self.pending.iter().skip(1).any(Decoded::is_reference)
            }
            ReferenceModel::Matched => {
                // Every frame decoded shortly before has come out, or the wait is past any
                // reordering a decoder does (a frame lost to damage never comes).
                let waited = self.next_index > front.display + 2 * REFERENCE_WINDOW;
                let complete = front.decode.is_some_and(|d| {
                    (d.saturating_sub(REFERENCE_WINDOW)..d).all(|e| self.decoded_seen.contains(&e))
                });
                waited || complete
            }
        }
    }

    /// Finishes the frames that are ready, in display order.
    fn release(&mut self) {
        while self.front_ready() {
            let entry = self.pending.pop_front().expect("a ready frame");
            let frame = self.finish(entry);
            self.ready.push_back(frame);
        }
        self.prune();
    }

    /// Forgets what no frame still to come can refer to.
    fn prune(&mut self) {
        let oldest_pending = self.pending.front().map_or(self.next_index, |p| p.display);
        let newest_decode = self.decoded_seen.last().copied().unwrap_or(0);
        self.history.retain(|s| match s.decode {
            Some(d) => {
                d + 2 * REFERENCE_WINDOW >= newest_decode
                    || s.display + 2 * REFERENCE_WINDOW >= oldest_pending
            }
            None => s.display + 2 * REFERENCE_WINDOW >= oldest_pending,
        });
        let keep_from = newest_decode.saturating_sub(4 * REFERENCE_WINDOW);
        self.decoded_seen = self.decoded_seen.split_off(&keep_from);
    }

    /// The signed reference distance of each vector of `entry` and how it was found.
    fn distances(&self, entry: &Decoded) -> (Vec<i32>, ReferenceCheck) {
        let nearest = |entry: &Decoded| {
            let past =
                self.last_reference.map_or(1, |r| entry.display.saturating_sub(r).max(1)) as i32;
            let next = self.pending.iter().find(|p| p.display > entry.display && p.is_reference());
            let future = next.map_or(1, |r| r.display - entry.display) as i32;
            let distances =
                entry.vectors.iter().map(|v| if v.future { -future } else { past }).collect();
            (distances, ReferenceCheck { known: entry.vectors.len(), ..ReferenceCheck::default() })
        };
        if self.reestimator.is_some() {
            return (
                vec![1; entry.vectors.len()],
                ReferenceCheck { known: entry.vectors.len(), ..ReferenceCheck::default() },
            );
        }
        match (self.model, &entry.luma) {
            (ReferenceModel::Matched, Some(luma)) => {
                // Frames decoded before this one that the bitstream does not rule out as
                // references; of those, the most recently decoded 2N, where N is the stream's
                // `max_num_ref_frames` (the decoded picture buffer holds at most N; twice as
                // many covers a newer one unmarked early, as x264's B-pyramid does). Nearest in
                // display order first: they are the likeliest, and a good match early lets
                // the others be given up sooner.
                let mut candidates: Vec<(Option<usize>, Candidate)> = self
                    .history
                    .iter()
                    .filter(|s| s.display != entry.display && s.reference != Some(false))
                    .filter(|s| match (entry.decode, s.decode) {
                        (Some(d), Some(e)) => e < d && d - e <= REFERENCE_WINDOW,
                        _ => s.display.abs_diff(entry.display) <= REFERENCE_WINDOW,
                    })
                    .map(|s| (s.decode, Candidate { display: s.display, luma: &s.luma }))
                    .collect();
                let buffer = self.decoder.references();
                if buffer > 0 && candidates.iter().all(|(d, _)| d.is_some()) {
                    candidates.sort_by_key(|(d, _)| std::cmp::Reverse(*d));
                    candidates.truncate(2 * buffer);
                }
                let mut candidates: Vec<Candidate> =
                    candidates.into_iter().map(|(_, c)| c).collect();
                candidates.sort_by_key(|c| c.display.abs_diff(entry.display));
                match_references(entry.display, luma, &entry.vectors, &candidates)
            }
            _ => nearest(entry),
        }
    }

    /// A field from `vectors` with signed reference distances `distances`.
    fn field(&self, vectors: &[RawVector], distances: &[i32]) -> MotionField {
        let rotation = self.info.rotation;
        let mut builder = FieldBuilder::new(self.info.width, self.info.height, self.options.block);
        for (v, &k) in vectors.iter().zip(distances) {
            // Forward displacement per frame: (dst − src) / k (module notes).
            let per_frame = (-v.motion.0 / k as f32, -v.motion.1 / k as f32);
            let (rect, motion) = if rotation.clockwise_degrees == 0 {
                (v.rect, per_frame)
            } else {
                (rotation.rect(v.rect, self.coded), rotation.vector(per_frame))
            };
            builder.add(rect.0, rect.1, motion.0, motion.1);
        }
        builder.finish()
    }

    /// Turns a ready frame into its field.
    fn finish(&mut self, entry: Decoded) -> MotionFrame {
        let (mut field, mut source, mut count, mut references) =
            (None, MotionSource::Exported, entry.vectors.len(), ReferenceCheck::default());
        if self.reestimator.is_some() {
            source = MotionSource::Reestimated;
        }
        if !entry.vectors.is_empty() {
            let (distances, check) = self.distances(&entry);
            field = Some(self.field(&entry.vectors, &distances));
            references = check;
        } else if self.b_vectors_unusable && entry.kind == FrameKind::B {
            // The next reference frame's field, over the interval that holds this B-frame.
            if let Some(next) =
                self.pending.iter().find(|p| p.is_reference()).filter(|p| !p.vectors.is_empty())
            {
                let past =
                    self.last_reference.map_or(1, |r| next.display.saturating_sub(r).max(1)) as i32;
                let distances: Vec<i32> = next.vectors.iter().map(|_| past).collect();
                field = Some(self.field(&next.vectors, &distances));
                source = MotionSource::NextReference;
                count = next.vectors.len();
                references = ReferenceCheck { known: count, ..ReferenceCheck::default() };
            }
        }
        if entry.is_reference() {
            self.last_reference = Some(entry.display);
        }
        let carried = field.is_none();
        let field = field.unwrap_or_else(|| {
            source = MotionSource::Carried;
            count = 0;
            self.previous.as_ref().map_or_else(
                || MotionField::zeros(self.info.width, self.info.height, self.options.block),
                MotionField::carried_over,
            )
        });
        self.vectors_seen += count;
        self.previous = Some(field.clone());
        MotionFrame {
            index: entry.display,
            time: entry.time,
            kind: entry.kind,
            vectors: count,
            carried,
            source,
            references,
            field,
            picture: entry.picture,
        }
    }
}

/// The vectors exported with a decoded frame.
fn frame_vectors(frame: &VideoFrame) -> Vec<RawVector> {
    frame
        .side_data(side_data::Type::MotionVectors)
        .map(|data| raw_vectors(data.data()))
        .unwrap_or_default()
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
