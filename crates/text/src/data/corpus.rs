//! Labelled documents: a corpus's classes, its train and test splits, what was skipped, and
//! where the shared data sets are.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One labelled document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Where it came from, e.g. `20news-bydate-train/sci.space/60804`.
    pub id: String,
    /// The text, decoded from latin-1.
    pub text: String,
    /// Index into [`Corpus::classes`].
    pub label: usize,
}

/// A document that was not loaded, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub id: String,
    pub reason: String,
}

/// Documents with class names and the train/test split.
#[derive(Clone, Debug, Default)]
pub struct Corpus {
    /// Class names, sorted; labels index into this.
    pub classes: Vec<String>,
    pub train: Vec<Document>,
    pub test: Vec<Document>,
    /// Files that were not documents (empty, binary), counted rather than fatal.
    pub skipped: Vec<Skipped>,
    /// Test documents whose text also occurs in the training split.
    pub duplicates: usize,
    /// The seeded split drawn for a set without one of its own (`None`: the set's own).
    pub split: Option<SplitSpec>,
}

/// The environment variable that says where the shared data sets are.
pub const DATA_DIR_VAR: &str = "RELVIS_DATA";
/// Where the shared data sets are when the variable is not set (relative to the project root).
pub const DEFAULT_DATA_DIR: &str = "../shared/data";
/// The 20 Newsgroups archive's name inside the data folder.
pub const NEWSGROUPS_ARCHIVE: &str = "20news-bydate.tar.gz";

/// The data folder: `$RELVIS_DATA`, or `../shared/data`.
pub fn data_dir() -> PathBuf {
    std::env::var_os(DATA_DIR_VAR).map_or_else(|| PathBuf::from(DEFAULT_DATA_DIR), PathBuf::from)
}

/// The default 20 Newsgroups path: the archive in [`data_dir`].
pub fn default_newsgroups_path() -> PathBuf {
    data_dir().join(NEWSGROUPS_ARCHIVE)
}

/// A seeded, stratified train/test split, for sets without one.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitSpec {
    /// Share of each class drawn for the test split.
    pub test_fraction: f32,
    pub seed: u64,
}

impl Default for SplitSpec {
    fn default() -> Self {
        SplitSpec { test_fraction: 0.2, seed: 1 }
    }
}
