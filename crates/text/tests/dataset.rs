//! Labelled sets users bring: each layout on tiny sets written here, the seeded stratified
//! split, and bad input.

use std::path::Path;

use text::{load_dataset, DatasetOptions, Document, Encoding, Layout, TextError};
use text::{stratified_split, SplitSpec};

fn options(layout: Layout) -> DatasetOptions {
    DatasetOptions::for_layout(layout)
}

fn texts(docs: &[Document]) -> Vec<&str> {
    docs.iter().map(|d| d.text.as_str()).collect()
}

#[test]
fn csv_with_quotes_commas_and_newlines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tickets.csv");
    let rows = "id,body,queue\n\
        1,\"Printer jams, again\",hardware\n\
        2,\"He said \"\"reboot\"\"\nand it worked\",software\n\
        3,,hardware\n\
        4,Screen flickers,hardware\n\
        5,Update fails,software\n\
        6,Keyboard dead,hardware\n\
        7,App crashes,software\n\
        8,Login loops,\n";
    std::fs::write(&path, rows).unwrap();
    let mut o = options(Layout::Csv);
    o.text_field = "body".into();
    o.label_field = "queue".into();
    o.split = SplitSpec { test_fraction: 0.34, seed: 3 };
    let corpus = load_dataset(&path, &o).unwrap();
    assert_eq!(corpus.classes, ["hardware", "software"]);
    assert_eq!(corpus.train.len() + corpus.test.len(), 6);
    let all: Vec<&str> = texts(&corpus.train).into_iter().chain(texts(&corpus.test)).collect();
    assert!(all.contains(&"Printer jams, again"));
    assert!(all.contains(&"He said \"reboot\"\nand it worked"));
    let reasons: Vec<(&str, &str)> =
        corpus.skipped.iter().map(|s| (s.id.as_str(), s.reason.as_str())).collect();
    // Lines of the file: the quoted newline makes row 2 span lines 3 and 4.
    assert_eq!(reasons, [("tickets.csv:5", "empty"), ("tickets.csv:10", "no label")]);
    assert_eq!(corpus.split, Some(o.split));

    o.label_field = "team".into();
    let err = load_dataset(&path, &o).unwrap_err().to_string();
    assert!(err.contains("no column `team`") && err.contains("`id`, `body`, `queue`"), "{err}");
}

#[test]
fn json_lines_with_string_and_number_labels() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reviews.jsonl");
    let lines = [
        r#"{"text": "great battery", "label": 1}"#,
        r#"{"text": "awful screen", "label": 0}"#,
        "",
        r#"{"text": "lovely colours", "label": 1}"#,
        r#"{"text": "", "label": 0}"#,
        r#"{"text": "broke in a week", "label": 0}"#,
    ];
    std::fs::write(&path, lines.join("\n")).unwrap();
    let corpus = load_dataset(&path, &options(Layout::JsonLines)).unwrap();
    assert_eq!(corpus.classes, ["0", "1"]);
    assert_eq!(corpus.train.len() + corpus.test.len(), 4);
    assert_eq!(corpus.skipped.len(), 1);
    assert_eq!(corpus.skipped[0].id, "reviews.jsonl:5");

    std::fs::write(&path, "{\"text\": \"fine\", \"label\": \"a\"}\nnot json\n").unwrap();
    let err = load_dataset(&path, &options(Layout::JsonLines)).unwrap_err().to_string();
    assert!(err.contains("reviews.jsonl: line 2"), "{err}");
}

/// UTF-16 LE with its byte-order mark, as Windows writes "Unicode" text.
fn utf16le(text: &str) -> Vec<u8> {
    [0xff, 0xfe].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect()
}

#[test]
fn files_with_a_byte_order_mark_are_read_by_it() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("marked.csv");
    std::fs::write(&csv, utf16le("text,label\nna\u{ef}ve question,a\nplain answer,b\nother question,a\nanother answer,b\n")).unwrap();
    // The mark overrides --encoding, and the first column is `text`, not `\u{feff}text`.
    let mut latin1 = options(Layout::Csv);
    latin1.encoding = Encoding::Latin1;
    let corpus = load_dataset(&csv, &latin1).unwrap();
    assert!(corpus.train.iter().chain(&corpus.test).any(|d| d.text == "na\u{ef}ve question"));
    assert!(corpus.skipped.is_empty());

    let jsonl = dir.path().join("marked.jsonl");
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend_from_slice(
        "{\"text\": \"caf\u{e9}\", \"label\": \"a\"}\n{\"text\": \"tea\", \"label\": \"b\"}\n"
            .repeat(2)
            .as_bytes(),
    );
    std::fs::write(&jsonl, bytes).unwrap();
    let corpus = load_dataset(&jsonl, &options(Layout::JsonLines)).unwrap();
    assert_eq!(corpus.train.len() + corpus.test.len(), 4);
    assert!(corpus.train.iter().chain(&corpus.test).any(|d| d.text == "caf\u{e9}"));

    // In a folder per class, each file by its own mark; a broken one is skipped with why.
    write(
        dir.path(),
        &[
            ("folders/good/a.txt", &utf16le("fast delivery")),
            ("folders/good/b.txt", b"\xef\xbb\xbfworks well"),
            ("folders/bad/c.txt", &utf16le("arrived broken")),
            ("folders/bad/d.txt", b"never again"),
            ("folders/bad/e.txt", &[0xff, 0xfe, b'x']),
        ],
    );
    let corpus = load_dataset(&dir.path().join("folders"), &options(Layout::Folders)).unwrap();
    let mut all: Vec<&str> = texts(&corpus.train).into_iter().chain(texts(&corpus.test)).collect();
    all.sort();
    assert_eq!(all, ["arrived broken", "fast delivery", "never again", "works well"]);
    let reasons: Vec<&str> = corpus.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(
        reasons,
        ["1 bytes after the byte-order mark, not a whole number of 2-byte code units"]
    );
}

#[test]
fn json_fields_of_the_wrong_type_are_skipped_and_the_error_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested.jsonl");
    let lines = [
        r#"{"text": {"body": "great battery"}, "label": "good"}"#,
        r#"{"text": {"body": "awful screen"}, "label": "bad"}"#,
        r#"{"text": ["a", "list"], "label": "bad"}"#,
        r#"{"text": "fine", "label": ["good"]}"#,
        r#"{"text": "   ", "label": "good"}"#,
        r#"{"text": "kept", "label": "good"}"#,
    ];
    std::fs::write(&path, lines.join("\n")).unwrap();
    let err = load_dataset(&path, &options(Layout::JsonLines)).unwrap_err().to_string();
    assert!(err.ends_with(
        "1 class found (`good`); a classifier needs at least two; 5 documents were skipped, 2 of them for: `text` is an object, not a string (first nested.jsonl:1)"
    ), "{err}");
    std::fs::write(
        &path,
        [
            lines.join("\n"),
            r#"{"text": "also kept", "label": "bad"}"#.repeat(2).replace("}{", "}\n{"),
            lines[5].into(),
        ]
        .join("\n"),
    )
    .unwrap();
    let corpus = load_dataset(&path, &options(Layout::JsonLines)).unwrap();
    let reasons: Vec<&str> = corpus.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "`text` is an object, not a string",
            "`text` is an object, not a string",
            "`text` is an array, not a string",
            "`label` is an array, not a string, number or boolean",
            "`text` is empty",
        ]
    );
}

fn write(root: &Path, files: &[(&str, &[u8])]) {
    for (name, bytes) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

#[test]
fn a_folder_per_class_with_or_without_a_split() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("good/a.txt", b"fast delivery"),
            ("good/b.txt", b"works well"),
            ("good/c.txt", b"caf\xe9 au lait"),
            ("bad/d.txt", b"arrived broken"),
            ("bad/e.txt", b"never again"),
            ("bad/f.txt", b""),
        ],
    );
    let corpus = load_dataset(dir.path(), &options(Layout::Folders)).unwrap();
    assert_eq!(corpus.classes, ["bad", "good"]);
    assert_eq!(
        corpus.train.len() + corpus.test.len(),
        4,
        "the latin-1 file is not UTF-8, the empty one is empty"
    );
    let reasons: Vec<&str> = corpus.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(reasons, ["empty", "not valid UTF-8 (the latin1 encoding may read it)"]);
    let mut latin1 = options(Layout::Folders);
    latin1.encoding = Encoding::Latin1;
    let corpus = load_dataset(dir.path(), &latin1).unwrap();
    assert!(corpus.train.iter().chain(&corpus.test).any(|d| d.text == "café au lait"));

    let split = tempfile::tempdir().unwrap();
    write(
        split.path(),
        &[
            ("train/good/1", b"nice"),
            ("train/bad/2", b"poor"),
            ("test/good/3", b"nice"),
            ("test/bad/4", b"awful"),
        ],
    );
    let corpus = load_dataset(split.path(), &options(Layout::Folders)).unwrap();
    assert_eq!((corpus.train.len(), corpus.test.len()), (2, 2));
    assert_eq!(corpus.split, None, "the set's own split");
    assert_eq!(corpus.duplicates, 1, "`nice` is in both splits");
}

#[test]
fn one_class_or_an_empty_class_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("only/a.txt", b"one"), ("only/b.txt", b"two")]);
    let err = load_dataset(dir.path(), &options(Layout::Folders)).unwrap_err().to_string();
    assert!(err.contains("1 class found (`only`)"), "{err}");

    let split = tempfile::tempdir().unwrap();
    write(
        split.path(),
        &[("train/a/1", b"x"), ("train/b/2", b"\0\0"), ("test/a/3", b"y"), ("test/b/4", b"z")],
    );
    let err = load_dataset(split.path(), &options(Layout::Folders)).unwrap_err().to_string();
    assert_eq!(err, "test/b/4: class `b` does not occur in the training split");
    let seeded = tempfile::tempdir().unwrap();
    write(seeded.path(), &[("a/1", b"x"), ("a/2", b"y"), ("b/3", b"z")]);
    let mut o = options(Layout::Folders);
    o.split.test_fraction = 0.5;
    let corpus = load_dataset(seeded.path(), &o).unwrap();
    assert_eq!((corpus.train.len(), corpus.test.len()), (2, 1), "a class of one stays in training");

    let err = load_dataset(Path::new("no/such/set.csv"), &options(Layout::Csv)).unwrap_err();
    assert!(matches!(err, TextError::Read { .. }) && err.to_string().contains("set.csv"));
    assert!(Layout::of(Path::new("data.xlsx")).is_err());
    assert_eq!(Layout::of(Path::new("data.CSV")).unwrap(), Layout::Csv);
}

#[test]
fn the_split_is_stratified_and_reproducible_from_the_seed() {
    let docs: Vec<Document> = (0..100)
        .map(|i| Document {
            id: i.to_string(),
            text: format!("doc {i}"),
            label: usize::from(i >= 80),
        })
        .collect();
    let spec = SplitSpec { test_fraction: 0.25, seed: 9 };
    let (train, test) = stratified_split(docs.clone(), 2, spec);
    assert_eq!(test.iter().filter(|d| d.label == 0).count(), 20);
    assert_eq!(test.iter().filter(|d| d.label == 1).count(), 5);
    assert_eq!(train.len(), 75);
    let (train2, test2) = stratified_split(docs.clone(), 2, spec);
    assert_eq!((train, test.clone()), (train2, test2));
    let (_, other) = stratified_split(docs, 2, SplitSpec { seed: 10, ..spec });
    assert_ne!(test, other, "another seed, another split");
}
