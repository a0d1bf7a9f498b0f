//! Documents and sets that are not what the command needs (exit 4), and the encodings that
//! are read.

use std::path::{Path, PathBuf};

use predicates::prelude::*;

use crate::{arg, assert_all_finite, fails, repo, xai_text, INVALID_INPUT};

#[test]
fn empty_and_binary_documents_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let empty = write("empty.txt", b"");
    let blank = write("blank.txt", b" \n\t\n");
    let nul = write("image.png", &[0x89, b'P', b'N', b'G', 0, 0, 0, 13, 1, 2, 3]);
    let control: Vec<u8> = (0..4000u32).map(|i| (i * 7 % 251) as u8 + 1).collect();
    let noise = write("noise.bin", &control);
    fails(&["predict", arg(&empty)], INVALID_INPUT, "empty.txt: the document is empty");
    fails(&["predict", arg(&blank)], INVALID_INPUT, "blank.txt: the document is empty");
    fails(&["predict", arg(&nul)], INVALID_INPUT, "image.png: binary data");
    // An endless stream for a document: read up to the bound, then refused.
    fails(
        &["predict", "/dev/zero"],
        INVALID_INPUT,
        "/dev/zero: larger than 256 MiB, the most relvis reads for one document",
    );
    fails(&["explain", arg(&noise)], INVALID_INPUT, "noise.bin: binary data");
    xai_text()
        .args(["predict", "-"])
        .write_stdin(Vec::<u8>::new())
        .assert()
        .code(INVALID_INPUT)
        .stderr(predicate::str::contains("-: the document is empty"));
}

#[test]
fn latin1_and_mixed_encodings_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let latin1 = dir.path().join("latin1.txt");
    std::fs::write(
        &latin1,
        b"The caf\xe9 near the launch pad: the shuttle's orbit, na\xefve rockets.",
    )
    .unwrap();
    let mixed = dir.path().join("mixed.txt");
    std::fs::write(
        &mixed,
        b"Caf\xc3\xa9 in UTF-8, caf\xe9 in latin-1: the goalie stopped the puck.",
    )
    .unwrap();
    xai_text()
        .args(["predict", arg(&latin1)])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("predicted: sci.space"));
    let out = xai_text()
        .args(["explain", arg(&mixed), "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(
        json["text"].as_str().unwrap().contains("café in latin-1"),
        "latin-1 decoded byte for byte"
    );
    assert_all_finite(&json);
}

#[test]
fn utf16_and_marked_utf8_documents_are_read_by_their_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    let text = "The caf\u{e9} near the launch pad: the shuttle's orbit, na\u{ef}ve rockets.\r\n";
    let write = |name: &str, bytes: Vec<u8>| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let plain = write("plain.txt", text.as_bytes().to_vec());
    let utf8_marked = write("marked.txt", [&[0xef, 0xbb, 0xbf][..], text.as_bytes()].concat());
    let utf16_le = write(
        "unicode.txt",
        [0xff, 0xfe].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect(),
    );
    let utf16_be = write(
        "big-endian.txt",
        [0xfe, 0xff].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect(),
    );
    let explain = |path: &Path| -> serde_json::Value {
        let out = xai_text()
            .args(["explain", arg(path), "--format", "json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    };
    let expected = explain(&plain);
    assert_eq!(expected["text"].as_str().unwrap(), text);
    for path in [&utf8_marked, &utf16_le, &utf16_be] {
        assert_eq!(
            explain(path),
            expected,
            "{}: the same words, relevance and text as the plain UTF-8 file",
            path.display()
        );
    }
    // UTF-16 without its mark is still refused, and the message says what would read it.
    let unmarked = write("unmarked.txt", text.encode_utf16().flat_map(u16::to_le_bytes).collect());
    fails(&["predict", arg(&unmarked)], INVALID_INPUT, "unmarked.txt: binary data (NUL bytes), not a text document (UTF-16 or UTF-32 text needs a byte-order mark)");
    let odd = write("odd.txt", vec![0xff, 0xfe, b'h', 0, b'i']);
    fails(&["explain", arg(&odd)], INVALID_INPUT, "odd.txt: 3 bytes after the byte-order mark");
}

#[test]
fn a_json_lines_set_with_nested_text_names_the_field_and_its_type() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("nested.jsonl");
    let line = |body: &str, label: &str| {
        format!(r#"{{"text": {{"body": "{body}"}}, "label": "{label}"}}"#)
    };
    std::fs::write(
        &set,
        [line("great battery", "good"), line("awful screen", "bad"), line("lovely", "good")]
            .join("\n"),
    )
    .unwrap();
    let out = dir.path().join("model");
    fails(
        &["train", "--data", arg(&set), "--out", arg(&out)],
        INVALID_INPUT,
        "nested.jsonl: 0 classes found; a classifier needs at least two; 3 documents were skipped, 3 of them for: `text` is an object, not a string (first nested.jsonl:1)",
    );
    assert!(!out.exists());
}

/// A tiny 20 Newsgroups-like archive, and the same cut in half.
fn archives(dir: &Path) -> (PathBuf, PathBuf) {
    let whole = dir.join("set.tar.gz");
    let encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&whole).unwrap(),
        flate2::Compression::default(),
    );
    let mut archive = tar::Builder::new(encoder);
    for (i, (split, group)) in [
        ("train", "sci.space"),
        ("train", "rec.autos"),
        ("test", "sci.space"),
        ("test", "rec.autos"),
    ]
    .iter()
    .enumerate()
    {
        let body =
            format!("Subject: post {i}\n\n{}", "words about the topic of this group ".repeat(200));
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        archive
            .append_data(&mut header, format!("20news-bydate-{split}/{group}/{i}"), body.as_bytes())
            .unwrap();
    }
    archive.into_inner().unwrap().finish().unwrap();
    let bytes = std::fs::read(&whole).unwrap();
    let cut = dir.join("cut.tar.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    (whole, cut)
}

#[test]
fn truncated_archives_and_non_archives_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let (_, cut) = archives(dir.path());
    let notes = dir.path().join("notes.tar.gz");
    std::fs::write(&notes, "just some notes, not an archive").unwrap();
    let empty = dir.path().join("empty.tar.gz");
    std::fs::write(&empty, "").unwrap();
    let model = repo("assets/text-model");
    for path in [&cut, &notes, &empty] {
        let name = path.file_name().unwrap().to_str().unwrap();
        fails(&["accuracy", "--data", arg(path), "--model", arg(&model)], INVALID_INPUT, name);
    }
}
