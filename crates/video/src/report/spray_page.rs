//! The SpRAy viewer's page for video: each class's analysis with, per clip, its relevance per
//! frame and block heatmaps of its most relevant frames over the decoded pictures.

use std::path::Path;

use base64::Engine as _;

use rayon::prelude::*;
use viewer::{level, ClassView, ClipItem, ClusterSummary, FrameHeat, Item, Page};

use crate::decode::RgbImage;
use crate::decode::{MotionOptions, MotionReader};
use crate::error::VideoError;
use crate::report::ClassStrategies;

/// JPEG quality of the pictures under the heatmaps.
const PICTURE_QUALITY: u8 = 85;

/// A picture as a grey JPEG `data:` address, luma 0.3 R + 0.59 G + 0.11 B: the page shows it
/// in grey under the tint (as the explain report does), and camera noise, which PNG cannot
/// compress, keeps a report of thousands of clips large.
fn picture_address(picture: &RgbImage) -> Result<String, VideoError> {
    let luma: Vec<u8> = picture
        .pixels
        .chunks_exact(3)
        .map(|p| {
            (0.3 * f32::from(p[0]) + 0.59 * f32::from(p[1]) + 0.11 * f32::from(p[2])).round() as u8
        })
        .collect();
    let (Ok(width), Ok(height)) = (u16::try_from(picture.width), u16::try_from(picture.height))
    else {
        return Err(VideoError::Invalid(format!(
            "a {}×{} picture is too large for JPEG",
            picture.width, picture.height
        )));
    };
    let mut bytes = Vec::new();
    jpeg_encoder::Encoder::new(&mut bytes, PICTURE_QUALITY)
        .encode(&luma, width, height, jpeg_encoder::ColorType::Luma)
        .map_err(|e| VideoError::Invalid(format!("JPEG: {e}")))?;
    Ok(format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// The pictures of `frames` of the clip at `path`, decoded once more, in the order of `frames`.
fn pictures(
    path: &Path,
    reading: MotionOptions,
    frames: &[usize],
) -> Result<Vec<Option<String>>, VideoError> {
    let mut found: Vec<Option<String>> = vec![None; frames.len()];
    let last = frames.iter().copied().max().unwrap_or(0);
    for frame in MotionReader::open(path, MotionOptions { pictures: true, ..reading })? {
        let frame = frame?;
        if let (Some(k), Some(picture)) =
            (frames.iter().position(|&f| f == frame.index), frame.picture.as_ref())
        {
            found[k] = Some(picture_address(picture)?);
        }
        if frame.index >= last {
            break;
        }
    }
    Ok(found)
}

/// The page of a video SpRAy report, classes in the report's order. With `reading`, each
/// shown frame's picture is decoded from its clip (a clip that cannot be read again is shown
/// without pictures); `cue(clip)` tells whether a clip carries the planted cue, where known.
pub fn spray_page(
    results: &[ClassStrategies],
    classes: &[String],
    title: &str,
    reading: Option<MotionOptions>,
    cue: &(dyn Fn(&Path) -> Option<bool> + Sync),
) -> Page {
    let views = results
        .iter()
        .map(|r| {
            let items: Vec<Item> = r
                .clips
                .par_iter()
                .zip(&r.views)
                .map(|(path, v)| {
                    let shown: Vec<usize> = v.top.iter().map(|(t, _)| *t).collect();
                    let pictures = reading
                        .and_then(|reading| pictures(path, reading, &shown).ok())
                        .unwrap_or_else(|| vec![None; shown.len()]);
                    let frames = v
                        .top
                        .iter()
                        .zip(pictures)
                        .map(|((t, map), picture)| FrameHeat {
                            frame: *t,
                            rows: map.nrows(),
                            cols: map.ncols(),
                            block: reading.map_or(16, |r| r.block),
                            levels: map.iter().map(|&x| level(x, v.max_abs)).collect(),
                            picture,
                        })
                        .collect();
                    let name = path.file_name().map_or_else(
                        || path.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    );
                    Item::Clip(ClipItem {
                        id: path.display().to_string(),
                        title: name,
                        per_frame: v.per_frame.clone(),
                        frames,
                        cue: cue(path),
                        score: v.score,
                        predicted: classes
                            .get(v.predicted)
                            .cloned()
                            .unwrap_or_else(|| v.predicted.to_string()),
                    })
                })
                .collect();
            let flags: Vec<Option<bool>> = r.clips.iter().map(|c| cue(c)).collect();
            ClassView::new(&r.class, &r.analysis, items, |labels, clusters| {
                (0..clusters)
                    .map(|c| {
                        let members: Vec<usize> =
                            (0..labels.len()).filter(|&i| labels[i] == c).collect();
                        let known: Vec<bool> = members.iter().filter_map(|&i| flags[i]).collect();
                        let share =
                            (!known.is_empty() && known.len() == members.len()).then(|| {
                                known.iter().filter(|&&f| f).count() as f64 / known.len() as f64
                            });
                        ClusterSummary { size: members.len(), share, top_words: Vec::new() }
                    })
                    .collect()
            })
        })
        .collect();
    Page {
        title: title.to_string(),
        item_name: "clip".into(),
        share_name: "cue share".into(),
        classes: views,
    }
}
