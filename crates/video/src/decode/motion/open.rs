//! Opening a clip: its container, the video stream, the display turn, the decoder (exporting
//! vectors) or the re-estimator for codecs that export none.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::Path;

use ffmpeg::codec;
use ffmpeg::format;
use ffmpeg_next as ffmpeg;

use super::estimate::Reestimator;
use super::pictures::Converter;
use super::reference::ReferenceModel;
use super::stream::{choose_stream, exports_vectors, is_still_image};
use super::vectors::NalFraming;
use super::{init, MotionOptions, MotionReader, VectorOrigin, VideoInfo};
use crate::decode::{DisplayRotation, Unpacker};
use crate::error::VideoError;

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
}
