//! The 20 Newsgroups reader on tiny archives and folders written by the test.

use std::fs;
use std::path::Path;

use flate2::write::GzEncoder;
use text::{load_newsgroups, TextError};

const FILES: [(&str, &[u8]); 7] = [
    ("set-train/sci.space/2", b"Subject: orbit\n\nThe shuttle reached orbit."),
    ("set-train/sci.space/1", b"Subject: moon\n\nA lander on the moon."),
    ("set-train/rec.autos/5", b"Subject: car\n\nThe engine needs oil.\xe9"),
    ("set-train/rec.autos/6", b"   \n\n  "),
    ("set-train/rec.autos/7", b"binary\0data"),
    ("set-test/sci.space/9", b"Subject: mars\n\nA rover on mars."),
    ("set-test/rec.autos/8", b"Subject: tyres\n\nNew tyres for the car."),
];

fn write_archive(path: &Path, files: &[(&str, &[u8])]) {
    let mut builder = tar::Builder::new(GzEncoder::new(
        fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    ));
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, *bytes).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
}

fn check(corpus: &text::Corpus) {
    assert_eq!(corpus.classes, vec!["rec.autos", "sci.space"]);
    let ids: Vec<&str> = corpus.train.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["set-train/rec.autos/5", "set-train/sci.space/1", "set-train/sci.space/2"]
    );
    assert_eq!(corpus.train.iter().map(|d| d.label).collect::<Vec<_>>(), vec![0, 1, 1]);
    assert_eq!(corpus.test.len(), 2);
    assert!(corpus.train[0].text.ends_with("oil.é"), "latin-1: {:?}", corpus.train[0].text);
    let reasons: Vec<(&str, &str)> =
        corpus.skipped.iter().map(|s| (s.id.as_str(), s.reason.as_str())).collect();
    assert_eq!(
        reasons,
        vec![
            ("set-train/rec.autos/6", "empty"),
            (
                "set-train/rec.autos/7",
                "binary (NUL bytes; UTF-16 or UTF-32 text needs a byte-order mark)"
            )
        ]
    );
}

#[test]
fn reads_an_archive() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("set.tar.gz");
    write_archive(&path, &FILES);
    check(&load_newsgroups(&path).unwrap());
}

#[test]
fn reads_an_extracted_folder() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in FILES {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
    check(&load_newsgroups(dir.path()).unwrap());
}

#[test]
fn bad_inputs_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.tar.gz");
    let err = load_newsgroups(&missing).unwrap_err();
    assert!(
        matches!(err, TextError::Read { .. }) && err.to_string().contains("missing.tar.gz"),
        "{err}"
    );

    let plain = dir.path().join("plain.tar.gz");
    fs::write(&plain, "just text").unwrap();
    let err = load_newsgroups(&plain).unwrap_err().to_string();
    assert!(err.contains("plain.tar.gz") && err.contains("not gzip-compressed"), "{err}");

    let gz_not_tar = dir.path().join("notar.tar.gz");
    let mut enc =
        GzEncoder::new(fs::File::create(&gz_not_tar).unwrap(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &[7u8; 1000]).unwrap();
    enc.finish().unwrap();
    let err = load_newsgroups(&gz_not_tar).unwrap_err();
    assert!(matches!(err, TextError::NotAnArchive { .. } | TextError::NoDocuments { .. }), "{err}");

    let truncated = dir.path().join("truncated.tar.gz");
    write_archive(&truncated, &FILES);
    let bytes = fs::read(&truncated).unwrap();
    fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = load_newsgroups(&truncated).unwrap_err();
    assert!(matches!(err, TextError::NotAnArchive { .. }), "{err}");

    let unknown = dir.path().join("unknown.tar.gz");
    write_archive(&unknown, &[FILES[0], ("set-test/talk.misc/3", b"x")]);
    let err = load_newsgroups(&unknown).unwrap_err().to_string();
    assert_eq!(err, "set-test/talk.misc/3: class `talk.misc` does not occur in the training split");

    let no_test = dir.path().join("notest.tar.gz");
    write_archive(&no_test, &FILES[..3]);
    assert!(matches!(load_newsgroups(&no_test).unwrap_err(), TextError::NoDocuments { .. }));
}

#[test]
fn documents_are_decoded_or_refused_as_binary_or_empty() {
    use text::read_document;
    assert_eq!(read_document("naïve café".as_bytes()).unwrap(), "naïve café");
    // Not UTF-8 (a latin-1 byte among UTF-8 ones): read as latin-1, byte for byte.
    assert_eq!(read_document(b"caf\xe9 \xc3\xa9").unwrap(), "café Ã©");
    assert!(read_document(b"  \n\t ").unwrap_err().contains("empty"));
    assert!(read_document(b"").unwrap_err().contains("empty"));
    assert!(read_document(b"text\0more").unwrap_err().contains("binary"));
    // No NUL, but one byte in eight a control character: binary.
    let noisy: Vec<u8> =
        (0..800u32).map(|i| if i % 8 == 0 { 0x01 } else { b'a' + (i % 26) as u8 }).collect();
    assert!(read_document(&noisy).unwrap_err().contains("binary"));
    // A few stray control characters, as some real posts have: still text.
    let stray: Vec<u8> =
        (0..800u32).map(|i| if i % 20 == 0 { 0x1b } else { b'a' + (i % 26) as u8 }).collect();
    assert!(read_document(&stray).is_ok());
}

/// `text` in an encoding: UTF-16 or UTF-32 code units of either byte order, after their mark.
fn encoded(text: &str, width: usize, little: bool) -> Vec<u8> {
    let units: Vec<u32> = match width {
        2 => text.encode_utf16().map(u32::from).collect(),
        _ => text.chars().map(u32::from).collect(),
    };
    std::iter::once(0xfeff)
        .chain(units)
        .flat_map(|unit| {
            let bytes = unit.to_be_bytes()[4 - width..].to_vec();
            if little {
                bytes.into_iter().rev().collect()
            } else {
                bytes
            }
        })
        .collect()
}

#[test]
fn documents_with_a_byte_order_mark_are_decoded_by_it() {
    use text::read_document;
    // Characters outside the basic plane (surrogate pairs in UTF-16) and a line break.
    let text = "Caf\u{e9} \u{1f600} na\u{ef}ve\r\nsecond line";
    for (width, little) in [(2, true), (2, false), (4, true), (4, false)] {
        let bytes = encoded(text, width, little);
        assert_eq!(
            bytes[..2],
            if little {
                [0xff, 0xfe]
            } else if width == 2 {
                [0xfe, 0xff]
            } else {
                [0, 0]
            }
        );
        assert_eq!(
            read_document(&bytes).unwrap(),
            text,
            "{width}-byte units, little endian {little}"
        );
    }
    // UTF-8's mark is removed, not carried into the text.
    assert_eq!(read_document(b"\xef\xbb\xbfhello").unwrap(), "hello");
    // UTF-16 without a mark is still refused, with the hint.
    let unmarked = &encoded("hello", 2, true)[2..];
    let err = read_document(unmarked).unwrap_err();
    assert!(err.contains("NUL") && err.contains("byte-order mark"), "{err}");
    // Broken after the mark: an odd number of bytes, an unpaired surrogate, a code beyond Unicode.
    let err = read_document(&[0xff, 0xfe, b'h', 0, b'i']).unwrap_err();
    assert_eq!(err, "3 bytes after the byte-order mark, not a whole number of 2-byte code units");
    let err = read_document(&[0xff, 0xfe, b'h', 0, 0x00, 0xd8, b'i', 0]).unwrap_err();
    assert_eq!(err, "not valid UTF-16 LE: an unpaired surrogate at code unit 1");
    let err = read_document(&[0, 0, 0xfe, 0xff, 0, 0x11, 0, 0]).unwrap_err();
    assert_eq!(err, "not valid UTF-32 BE: 0x110000 at code unit 0 is no character");
    assert!(read_document(b"\xef\xbb\xbfcaf\xe9")
        .unwrap_err()
        .starts_with("marked UTF-8 but not valid UTF-8"));
    // A NUL character spelled in UTF-16 is binary too.
    assert!(read_document(&encoded("a\0b", 2, true)).unwrap_err().contains("binary"));
    assert!(read_document(&encoded(" \n", 2, false)).unwrap_err().contains("empty"));
}

/// A model that knows some of a set's classes is judged on their documents: the others leave,
/// the labels are renumbered in the set's order, and a model that knows none is refused.
#[test]
fn a_corpus_restricted_to_some_classes_keeps_their_documents_relabelled() {
    let doc = |id: &str, label: usize| text::Document { id: id.into(), text: id.into(), label };
    let corpus = text::Corpus {
        classes: vec!["a".into(), "b".into(), "c".into()],
        train: vec![doc("t0", 0), doc("t1", 1), doc("t2", 2)],
        test: vec![doc("s0", 0), doc("s1", 1), doc("s2", 2), doc("s3", 2)],
        skipped: vec![],
        duplicates: 0,
        split: None,
    };
    let keep = ["c".to_string(), "a".to_string()];
    let (kept, left_out) = corpus.clone().restricted_to(&keep).unwrap();
    assert_eq!(kept.classes, ["a", "c"]);
    assert_eq!(left_out, 1);
    let labels = |docs: &[text::Document]| {
        docs.iter().map(|d| (d.id.clone(), kept.classes[d.label].clone())).collect::<Vec<_>>()
    };
    assert_eq!(labels(&kept.train), [("t0".into(), "a".into()), ("t2".into(), "c".into())]);
    assert_eq!(
        labels(&kept.test),
        [("s0".into(), "a".into()), ("s2".into(), "c".into()), ("s3".into(), "c".into())]
    );
    let refused = corpus.restricted_to(&["z".to_string()]).err().unwrap().to_string();
    assert!(
        refused.contains("none of the set's classes (a, b, c) is the model's (z)"),
        "{refused}"
    );
}
