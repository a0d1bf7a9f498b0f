//! Many clips in one process: the clips that paths and folders name, and work over them in
//! parallel with results in the order given.

use pipeline::progress::Progress;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::error::VideoError;
use crate::model::is_video_file;

/// The clips that `inputs` name: files as given, folders searched for video files (by
/// extension, sub-folders included, sorted by path).
pub fn expand_clips(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, VideoError> {
    let mut clips = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let before = clips.len();
            collect(input, &mut clips)?;
            clips[before..].sort();
            if clips.len() == before {
                return Err(VideoError::read(
                    input,
                    std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "a folder without video files",
                    ),
                ));
            }
        } else {
            clips.push(input.clone());
        }
    }
    Ok(clips)
}

fn collect(folder: &Path, clips: &mut Vec<PathBuf>) -> Result<(), VideoError> {
    for entry in std::fs::read_dir(folder).map_err(|e| VideoError::read(folder, e))? {
        let path = entry.map_err(|e| VideoError::read(folder, e))?.path();
        if path.is_dir() {
            collect(&path, clips)?;
        } else if is_video_file(&path) {
            clips.push(path);
        }
    }
    Ok(())
}

/// `each` over every item (clips, or clips with their report folders), as many at a time as
/// there are cores, results in the order given; `progress` is told how many are done.
pub fn map_clips<I: Sync, T: Send>(
    items: &[I],
    each: impl Fn(&I) -> T + Sync,
    progress: &Progress,
) -> Vec<T> {
    let done = AtomicUsize::new(0);
    items
        .par_iter()
        .map(|item| {
            let result = each(item);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, items.len());
            result
        })
        .collect()
}

/// One report folder name per clip: its file stem, numbered by position where stems repeat
/// (the same clip given twice, or clips of one name in different folders).
pub fn report_folders(clips: &[PathBuf]) -> Vec<String> {
    let stems: Vec<String> = clips
        .iter()
        .map(|c| {
            c.file_stem().map_or_else(|| "clip".to_string(), |s| s.to_string_lossy().into_owned())
        })
        .collect();
    stems
        .iter()
        .enumerate()
        .map(|(i, stem)| {
            if stems.iter().filter(|s| *s == stem).count() > 1 {
                format!("{stem}-{i}")
            } else {
                stem.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_stems_get_their_position() {
        let clips: Vec<PathBuf> = ["a/run.mp4", "b/run.mp4", "c/jump.avi", "a/run.mp4"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(report_folders(&clips), ["run-0", "run-1", "jump", "run-3"]);
        assert_eq!(map_clips(&[3, 1, 2], |&n| n * 10, &|_, _| {}), [30, 10, 20]);
    }
}
