//! Decoded pictures converted for the reader: scaled to the first size, as luma for the
//! reference search, as RGB for drawing. Scaling contexts are kept between frames and made
//! again only when a frame's size or pixel format changes.

use ffmpeg::format::Pixel;
use ffmpeg::software::scaling;
use ffmpeg::util::frame::video::Video as VideoFrame;
use ffmpeg_next as ffmpeg;

use super::luma::Luma;
use crate::decode::RgbImage;

/// `frame` converted to `format` at `size` through `cache`'s context (made or made again when
/// the frame's size or format is not the one it was made for).
pub(crate) fn scale(
    cache: &mut Option<scaling::Context>,
    frame: &VideoFrame,
    format: Pixel,
    (width, height): (u32, u32),
) -> Result<VideoFrame, ffmpeg::Error> {
    let stale = cache.as_ref().is_none_or(|s| {
        s.input().width != frame.width()
            || s.input().height != frame.height()
            || s.input().format != frame.format()
    });
    if stale {
        *cache = Some(scaling::Context::get(
            frame.format(),
            frame.width(),
            frame.height(),
            format,
            width,
            height,
            scaling::Flags::BILINEAR,
        )?);
    }
    let mut out = VideoFrame::empty();
    cache.as_mut().expect("made above").run(frame, &mut out)?;
    Ok(out)
}

/// The first plane's `bytes` per row, without the stride's padding.
fn rows(frame: &VideoFrame, bytes: usize) -> Vec<u8> {
    let (stride, data) = (frame.stride(0), frame.data(0));
    let mut out = Vec::with_capacity(bytes * frame.height() as usize);
    for row in 0..frame.height() as usize {
        out.extend_from_slice(&data[row * stride..row * stride + bytes]);
    }
    out
}

/// The reader's scaling contexts.
#[derive(Default)]
pub(crate) struct Converter {
    resize: Option<scaling::Context>,
    gray: Option<scaling::Context>,
    rgb: Option<scaling::Context>,
}

impl Converter {
    /// `frame` scaled to `size`, in its own pixel format, keeping its type and timestamp.
    pub(crate) fn resize(
        &mut self,
        frame: &VideoFrame,
        size: (usize, usize),
    ) -> Result<VideoFrame, ffmpeg::Error> {
        let mut out =
            scale(&mut self.resize, frame, frame.format(), (size.0 as u32, size.1 as u32))?;
        out.set_kind(frame.kind());
        out.set_pts(frame.pts());
        Ok(out)
    }

    /// The frame's 8-bit luma plane.
    pub(crate) fn luma(&mut self, frame: &VideoFrame) -> Result<Luma, ffmpeg::Error> {
        let (width, height) = (frame.width() as usize, frame.height() as usize);
        // 8-bit formats whose first plane is the luma are copied as they are.
        if matches!(
            frame.format(),
            Pixel::YUV420P
                | Pixel::YUVJ420P
                | Pixel::YUV422P
                | Pixel::YUVJ422P
                | Pixel::YUV444P
                | Pixel::YUVJ444P
                | Pixel::NV12
                | Pixel::NV21
                | Pixel::GRAY8
        ) {
            return Ok(Luma { width, height, pixels: rows(frame, width) });
        }
        let gray = scale(&mut self.gray, frame, Pixel::GRAY8, (frame.width(), frame.height()))?;
        Ok(Luma { width, height, pixels: rows(&gray, width) })
    }

    /// The frame as RGB (coded orientation).
    pub(crate) fn rgb(&mut self, frame: &VideoFrame) -> Result<RgbImage, ffmpeg::Error> {
        let rgb = scale(&mut self.rgb, frame, Pixel::RGB24, (frame.width(), frame.height()))?;
        let width = frame.width() as usize;
        Ok(RgbImage { width, height: frame.height() as usize, pixels: rows(&rgb, width * 3) })
    }
}
