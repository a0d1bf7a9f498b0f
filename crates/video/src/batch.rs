//! Many clips in one process: the clips that paths and folders name, and work over them in
//! parallel with results in the order given.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::dataset::is_video_file;
use crate::error::VideoError;

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
                return Err(VideoError::read(input, std::io::Error::new(std::io::ErrorKind::NotFound, "a folder without video files")));
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

/// `each` over every clip, as many at a time as there are cores, results in the order of
/// `clips`; `progress` is told how many are done.
pub fn map_clips<T: Send>(clips: &[PathBuf], each: impl Fn(&Path) -> T + Sync, progress: &(dyn Fn(usize) + Sync)) -> Vec<T> {
    let done = AtomicUsize::new(0);
    clips
        .par_iter()
        .map(|clip| {
            let result = each(clip);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1);
            result
        })
        .collect()
}
