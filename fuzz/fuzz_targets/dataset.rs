//! Bytes given as a labelled set: a `.tar.gz` archive, a CSV or a JSON-lines file (the first
//! byte picks which). Errors are fine; panics are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use text::{load_dataset, DatasetOptions};

fuzz_target!(|bytes: &[u8]| {
    let Some((&kind, data)) = bytes.split_first() else { return };
    let name = ["set.tar.gz", "set.csv", "set.jsonl"][usize::from(kind) % 3];
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join(name);
    std::fs::write(&path, data).expect("written");
    let Ok(options) = DatasetOptions::for_path(&path, None) else { return };
    if let Ok(corpus) = load_dataset(&path, &options) {
        assert!(corpus.train.iter().chain(&corpus.test).all(|d| d.label < corpus.classes.len()));
    }
});
