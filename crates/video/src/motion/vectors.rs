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
        RawVector { rect: ((x(x0), x(x1)), (y(y0), y(y1))), motion: (self.motion.0 * sx, self.motion.1 * sy), ..self }
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
            let mv: ffmpeg::ffi::AVMotionVector = unsafe { std::ptr::read_unaligned(chunk.as_ptr().cast()) };
            let scale = if mv.motion_scale > 0 { mv.motion_scale as f32 } else { 1.0 };
            let (w, h) = (i32::from(mv.w), i32::from(mv.h));
            let (x0, y0) = (i32::from(mv.dst_x) - w / 2, i32::from(mv.dst_y) - h / 2);
            RawVector { future: mv.source > 0, rect: ((x0, x0 + w), (y0, y0 + h)), motion: (mv.motion_x as f32 / scale, mv.motion_y as f32 / scale) }
        })
        .collect()
}
