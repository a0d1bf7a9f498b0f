//! Labelled documents: a corpus's classes, its train and test splits, what was skipped, and
//! where the shared data sets are.

use std::path::PathBuf;

use crate::error::TextError;
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

impl Corpus {
    /// The documents of the classes named in `keep` alone (a model fine-tuned on some of a
    /// set's classes is judged on those), labels renumbered in the set's order; with the
    /// number of test documents left out. Refused when none of `keep` is among the classes.
    pub fn restricted_to(mut self, keep: &[String]) -> Result<(Corpus, usize), TextError> {
        let new_index: Vec<Option<usize>> = {
            let mut next = 0;
            self.classes
                .iter()
                .map(|c| {
                    keep.contains(c).then(|| {
                        next += 1;
                        next - 1
                    })
                })
                .collect()
        };
        if new_index.iter().all(Option::is_none) {
            return Err(TextError::Dataset(format!(
                "none of the set's classes ({}) is the model's ({})",
                self.classes.join(", "),
                keep.join(", ")
            )));
        }
        let relabel = |docs: Vec<Document>| -> Vec<Document> {
            docs.into_iter()
                .filter_map(|d| new_index[d.label].map(|label| Document { label, ..d }))
                .collect()
        };
        let before = self.test.len();
        self.train = relabel(self.train);
        self.test = relabel(self.test);
        let left_out = before - self.test.len();
        self.classes =
            self.classes.into_iter().zip(&new_index).filter_map(|(c, i)| i.map(|_| c)).collect();
        Ok((self, left_out))
    }
}
