//! Stage 1, data: labelled documents from 20 Newsgroups and the sets users bring (folders,
//! CSV, JSON lines), decoded and cleaned of headers, signatures and quotes on request; copies
//! with a planted cue.

mod clean;
mod corpus;
mod dataset;
mod files;
mod planted_cue;

pub use clean::{header_len, strip_footer, strip_header, strip_quotes, Cleaning};
pub use corpus::{
    data_dir, default_newsgroups_path, Corpus, Document, Skipped, SplitSpec, DATA_DIR_VAR,
    DEFAULT_DATA_DIR, NEWSGROUPS_ARCHIVE,
};
pub use dataset::{
    load_dataset, load_newsgroups, stratified_split, DatasetOptions, Encoding, Layout,
};
pub(crate) use files::read_labelled_files;
pub use files::{decode_by_byte_order_mark, decode_latin1, document_files, read_document};
pub use planted_cue::{cue_words, plant_cue, CueRecord, CueSettings, PlantedSet, CUE_FILE};
