//! Labelled clip sets: a folder per class, optionally below `train/`, `val/` and `test/`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::VideoError;

/// Extensions read as video clips.
const VIDEO_EXTENSIONS: [&str; 13] =
    ["mp4", "avi", "mkv", "mov", "webm", "m4v", "mpg", "mpeg", "ts", "m2ts", "flv", "wmv", "3gp"];

/// Whether `path` names a video file by its extension.
pub fn is_video_file(path: &Path) -> bool {
    path.is_file()
        && path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| VIDEO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// A clip and its class index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelledClip {
    pub path: PathBuf,
    pub label: usize,
}

/// A set's classes, training clips and held-out clips.
#[derive(Clone, Debug, Default)]
pub struct ClipSet {
    pub classes: Vec<String>,
    pub train: Vec<LabelledClip>,
    pub test: Vec<LabelledClip>,
    /// How the held-out part was made, for reports.
    pub split: String,
}

fn clips_in(folder: &Path) -> Result<Vec<PathBuf>, VideoError> {
    let mut clips: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(|e| VideoError::read(folder, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_video_file(p))
        .collect();
    clips.sort();
    Ok(clips)
}

fn class_folders(root: &Path) -> Result<Vec<(String, PathBuf)>, VideoError> {
    let mut folders: Vec<(String, PathBuf)> = std::fs::read_dir(root)
        .map_err(|e| VideoError::read(root, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(|n| (n.to_string(), p.clone())))
        .filter(|(n, _)| !n.starts_with('.'))
        .collect();
    folders.sort();
    Ok(folders)
}

fn labelled(folder: &Path, classes: &[String]) -> Result<Vec<LabelledClip>, VideoError> {
    let mut out = Vec::new();
    for (name, path) in class_folders(folder)? {
        let label = classes.iter().position(|c| *c == name).ok_or_else(|| {
            VideoError::Invalid(format!(
                "{}: class `{name}` is not among the training classes",
                path.display()
            ))
        })?;
        out.extend(clips_in(&path)?.into_iter().map(|path| LabelledClip { path, label }));
    }
    Ok(out)
}

/// Reads a set at `root`: with `train/` (and `val/`, `test/`: held out together) or a folder
/// per class split by a seeded stratified draw of `test_fraction` per class.
pub fn load_clip_set(root: &Path, test_fraction: f64, seed: u64) -> Result<ClipSet, VideoError> {
    if !root.is_dir() {
        std::fs::metadata(root).map_err(|e| VideoError::read(root, e))?;
        let wrong = std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            "not a folder of clips (a folder per class, or train/ and test/)",
        );
        return Err(VideoError::read(root, wrong));
    }
    let train_dir = root.join("train");
    let set = if train_dir.is_dir() {
        let classes: Vec<String> = class_folders(&train_dir)?.into_iter().map(|(n, _)| n).collect();
        let train = labelled(&train_dir, &classes)?;
        let mut test = Vec::new();
        let mut parts = Vec::new();
        for part in ["val", "test"] {
            if root.join(part).is_dir() {
                test.extend(labelled(&root.join(part), &classes)?);
                parts.push(part);
            }
        }
        ClipSet {
            classes,
            train,
            test,
            split: format!(
                "train/ for training, {} held out",
                if parts.is_empty() { "nothing".into() } else { parts.join("/ and ") + "/" }
            ),
        }
    } else {
        let folders = class_folders(root)?;
        let classes: Vec<String> = folders.iter().map(|(n, _)| n.clone()).collect();
        let mut clips = Vec::new();
        for (label, (_, folder)) in folders.iter().enumerate() {
            clips.extend(clips_in(folder)?.into_iter().map(|path| LabelledClip { path, label }));
        }
        let labels: Vec<usize> = clips.iter().map(|c| c.label).collect();
        let held_out = pipeline::split::stratified(&labels, classes.len(), test_fraction, seed);
        let (test, train): (Vec<_>, Vec<_>) =
            clips.into_iter().zip(held_out).partition(|(_, h)| *h);
        let (train, test) = (
            train.into_iter().map(|(c, _)| c).collect(),
            test.into_iter().map(|(c, _)| c).collect(),
        );
        ClipSet {
            classes,
            train,
            test,
            split: format!(
                "seeded stratified split ({:.0} % held out, seed {seed})",
                test_fraction * 100.0
            ),
        }
    };
    if set.classes.len() < 2 {
        return Err(VideoError::Invalid(format!(
            "{}: {} class folder(s); a classifier needs at least two",
            root.display(),
            set.classes.len()
        )));
    }
    for (label, name) in set.classes.iter().enumerate() {
        if !set.train.iter().any(|c| c.label == label) {
            return Err(VideoError::Invalid(format!(
                "{}: class `{name}` has no training clips",
                root.display()
            )));
        }
    }
    Ok(set)
}

/// All clips of a set (training and held out), for cross-validation.
pub fn all_clips(set: &ClipSet) -> Vec<LabelledClip> {
    set.train.iter().chain(&set.test).cloned().collect()
}
