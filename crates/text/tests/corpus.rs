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
    let mut builder = tar::Builder::new(GzEncoder::new(fs::File::create(path).unwrap(), flate2::Compression::fast()));
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
    assert_eq!(ids, vec!["set-train/rec.autos/5", "set-train/sci.space/1", "set-train/sci.space/2"]);
    assert_eq!(corpus.train.iter().map(|d| d.label).collect::<Vec<_>>(), vec![0, 1, 1]);
    assert_eq!(corpus.test.len(), 2);
    assert!(corpus.train[0].text.ends_with("oil.é"), "latin-1: {:?}", corpus.train[0].text);
    let reasons: Vec<(&str, &str)> = corpus.skipped.iter().map(|s| (s.id.as_str(), s.reason.as_str())).collect();
    assert_eq!(reasons, vec![("set-train/rec.autos/6", "empty"), ("set-train/rec.autos/7", "binary (NUL bytes)")]);
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
    assert!(matches!(err, TextError::Read { .. }) && err.to_string().contains("missing.tar.gz"), "{err}");

    let plain = dir.path().join("plain.tar.gz");
    fs::write(&plain, "just text").unwrap();
    let err = load_newsgroups(&plain).unwrap_err().to_string();
    assert!(err.contains("plain.tar.gz") && err.contains("not gzip-compressed"), "{err}");

    let gz_not_tar = dir.path().join("notar.tar.gz");
    let mut enc = GzEncoder::new(fs::File::create(&gz_not_tar).unwrap(), flate2::Compression::fast());
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
    use text::corpus::read_document;
    assert_eq!(read_document("naïve café".as_bytes()).unwrap(), "naïve café");
    // Not UTF-8 (a latin-1 byte among UTF-8 ones): read as latin-1, byte for byte.
    assert_eq!(read_document(b"caf\xe9 \xc3\xa9").unwrap(), "café Ã©");
    assert!(read_document(b"  \n\t ").unwrap_err().contains("empty"));
    assert!(read_document(b"").unwrap_err().contains("empty"));
    assert!(read_document(b"text\0more").unwrap_err().contains("binary"));
    // No NUL, but one byte in eight a control character: binary.
    let noisy: Vec<u8> = (0..800u32).map(|i| if i % 8 == 0 { 0x01 } else { b'a' + (i % 26) as u8 }).collect();
    assert!(read_document(&noisy).unwrap_err().contains("binary"));
    // A few stray control characters, as some real posts have: still text.
    let stray: Vec<u8> = (0..800u32).map(|i| if i % 20 == 0 { 0x1b } else { b'a' + (i % 26) as u8 }).collect();
    assert!(read_document(&stray).is_ok());
}
