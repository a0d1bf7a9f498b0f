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
mod open;
mod packets;
mod pictures;
mod reference;
mod release;
mod stream;
mod vectors;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Once;

use ffmpeg::format;
use ffmpeg_next as ffmpeg;

use crate::decode::MotionField;
use crate::decode::RgbImage;
use crate::decode::Unpacker;
use crate::error::VideoError;
use estimate::Reestimator;
pub use frame::{FrameKind, MotionFrame, MotionOptions, MotionSource, VectorOrigin, VideoInfo};
use luma::Luma;
use pictures::Converter;
pub use reference::ReferenceCheck;
use reference::ReferenceModel;
use vectors::{NalFraming, RawVector};

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
