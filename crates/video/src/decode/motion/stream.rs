//! Which stream of a file to read, and what its codec gives.

use std::path::Path;

use ffmpeg::{codec, format, media};
use ffmpeg_next as ffmpeg;

use crate::error::VideoError;

/// Codecs whose FFmpeg decoder exports motion vectors (H.264 and the MPEG video family).
pub(crate) fn exports_vectors(id: codec::Id) -> bool {
    use codec::Id;
    matches!(
        id,
        Id::H264
            | Id::MPEG1VIDEO
            | Id::MPEG2VIDEO
            | Id::MPEG4
            | Id::H263
            | Id::H263P
            | Id::H263I
            | Id::MSMPEG4V1
            | Id::MSMPEG4V2
            | Id::MSMPEG4V3
            | Id::WMV1
            | Id::WMV2
            | Id::FLV1
    )
}

/// Still-image demuxers (a picture file, whatever its name says).
pub(crate) fn is_still_image(input: &format::context::Input) -> bool {
    let format = input.format();
    let name = format.name();
    name == "image2" || name.ends_with("_pipe")
}

/// The stream to read: the one asked for, or the first video stream with exported vectors,
/// or the first one FFmpeg has a decoder for. Cover art (attached pictures) is never chosen.
pub(crate) fn choose_stream(
    path: &Path,
    input: &format::context::Input,
    asked: Option<usize>,
) -> Result<usize, VideoError> {
    let video: Vec<_> = input
        .streams()
        .filter(|s| {
            s.parameters().medium() == media::Type::Video
                && !s.disposition().contains(format::stream::Disposition::ATTACHED_PIC)
        })
        .collect();
    if let Some(n) = asked {
        let listed = || {
            video
                .iter()
                .map(|s| format!("{} ({:?})", s.index(), s.parameters().id()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return match video.iter().find(|s| s.index() == n) {
            Some(s) => Ok(s.index()),
            None if video.is_empty() => Err(VideoError::NoVideoStream(path.to_path_buf())),
            None => Err(VideoError::Invalid(format!(
                "{}: stream {n} is not a video stream; its video streams: {}",
                path.display(),
                listed()
            ))),
        };
    }
    video
        .iter()
        .find(|s| exports_vectors(s.parameters().id()))
        .or_else(|| video.iter().find(|s| ffmpeg::decoder::find(s.parameters().id()).is_some()))
        .or(video.first())
        .map(|s| s.index())
        .ok_or_else(|| VideoError::NoVideoStream(path.to_path_buf()))
}
