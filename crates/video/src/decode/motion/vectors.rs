//! The motion vectors FFmpeg exports with a frame (`AV_FRAME_DATA_MOTION_VECTORS`).

use ffmpeg_next as ffmpeg;

/// A vector as read, before its reference is known.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RawVector {
    /// From prediction list 1 (`source` > 0), mostly a later picture.
    pub(crate) future: bool,
    /// The predicted block `((x0, x1), (y0, y1))` in pixels, end exclusive.
    pub(crate) rect: ((i32, i32), (i32, i32)),
    /// `src − dst` in pixels.
    pub(crate) motion: (f32, f32),
}

impl RawVector {
    /// The same vector on a picture scaled by `(sx, sy)`.
    pub(crate) fn scaled(self, (sx, sy): (f32, f32)) -> Self {
        let ((x0, x1), (y0, y1)) = self.rect;
        let x = |v: i32| (v as f32 * sx).round() as i32;
        let y = |v: i32| (v as f32 * sy).round() as i32;
        RawVector {
            rect: ((x(x0), x(x1)), (y(y0), y(y1))),
            motion: (self.motion.0 * sx, self.motion.1 * sy),
            ..self
        }
    }
}

/// The vectors in a frame's side data.
pub(crate) fn raw_vectors(bytes: &[u8]) -> Vec<RawVector> {
    let size = std::mem::size_of::<ffmpeg::ffi::AVMotionVector>();
    bytes
        .chunks_exact(size)
        .map(|chunk| {
            // SAFETY: the side data is an array of `AVMotionVector`; `read_unaligned` copies
            // one out of its bytes whatever the buffer's alignment.
            let mv: ffmpeg::ffi::AVMotionVector =
                unsafe { std::ptr::read_unaligned(chunk.as_ptr().cast()) };
            let scale = if mv.motion_scale > 0 { mv.motion_scale as f32 } else { 1.0 };
            let (w, h) = (i32::from(mv.w), i32::from(mv.h));
            let (x0, y0) = (i32::from(mv.dst_x) - w / 2, i32::from(mv.dst_y) - h / 2);
            RawVector {
                future: mv.source > 0,
                rect: ((x0, x0 + w), (y0, y0 + h)),
                motion: (mv.motion_x as f32 / scale, mv.motion_y as f32 / scale),
            }
        })
        .collect()
}

/// How an H.264 stream's packets frame their NAL units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NalFraming {
    /// Start codes `00 00 01` (MPEG-TS, raw `.h264`).
    AnnexB,
    /// Big-endian lengths of this many bytes (MP4, Matroska: `avcC` extradata).
    Lengths(usize),
}

impl NalFraming {
    /// The framing that a stream's extradata announces (`avcC` starts with version 1).
    pub(crate) fn of_extradata(extradata: &[u8]) -> Self {
        match extradata {
            [1, _, _, _, size, ..] => NalFraming::Lengths(usize::from(size & 3) + 1),
            _ => NalFraming::AnnexB,
        }
    }

    /// Whether the picture in an H.264 packet may be a reference for others: `nal_ref_idc`
    /// of its first slice NAL unit (types 1 and 5) is not zero. `None` when no slice is found.
    pub(crate) fn is_reference(self, packet: &[u8]) -> Option<bool> {
        let slice = |header: u8| matches!(header & 0x1f, 1 | 5).then_some(header & 0x60 != 0);
        match self {
            NalFraming::Lengths(size) => {
                let mut at = 0;
                while at + size < packet.len() {
                    let length = packet[at..at + size]
                        .iter()
                        .fold(0usize, |n, &b| (n << 8) | usize::from(b));
                    if let Some(reference) = slice(packet[at + size]) {
                        return Some(reference);
                    }
                    at += size + length;
                }
                None
            }
            NalFraming::AnnexB => {
                packet.windows(4).find_map(|w| if w[..3] == [0, 0, 1] { slice(w[3]) } else { None })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nal_ref_idc_is_read_in_both_framings() {
        // An SEI (type 6), then a non-reference slice (nal_ref_idc 0, type 1).
        let annex_b = [0, 0, 0, 1, 0x06, 0xAA, 0, 0, 1, 0x01, 0x88];
        assert_eq!(NalFraming::AnnexB.is_reference(&annex_b), Some(false));
        // A reference IDR slice (nal_ref_idc 3, type 5) after a 2-byte SEI, 4-byte lengths.
        let lengths = [0, 0, 0, 2, 0x06, 0xAA, 0, 0, 0, 2, 0x65, 0x88];
        assert_eq!(NalFraming::of_extradata(&[1, 0x64, 0, 0x1f, 0xff]), NalFraming::Lengths(4));
        assert_eq!(NalFraming::Lengths(4).is_reference(&lengths), Some(true));
        assert_eq!(NalFraming::Lengths(4).is_reference(&[0, 0, 0, 1, 0x06]), None);
    }
}
