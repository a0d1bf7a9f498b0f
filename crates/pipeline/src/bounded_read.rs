//! Whole files read with a size bound, so that a device, a pipe that never ends or a file far
//! larger than any real one ends in a clear error instead of filling memory. The standard
//! library and the crates that read by path (tokenizers, rust_tokenizers) read to the end,
//! whatever the end is; these check first.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// What a bound is for, and how large it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    /// What the file is, for the message: `a model's config`.
    pub what: &'static str,
    pub bytes: u64,
}

/// A model folder's `config.json` (the training report included).
pub const MODEL_CONFIG: Bound = Bound { what: "a model's config", bytes: 64 * MIB };
/// A model's weights (`weights.safetensors`).
pub const MODEL_WEIGHTS: Bound = Bound { what: "a model's weights", bytes: 8 * GIB };
/// A tokenizer's file (`tokenizer.json`, `vocab.txt`).
pub const TOKENIZER: Bound = Bound { what: "a tokenizer", bytes: GIB };
/// An ONNX model: protobuf cannot hold more than 2 GiB in one file.
pub const ONNX_MODEL: Bound = Bound { what: "an ONNX model", bytes: 2 * GIB };
/// One document to explain or predict, or one line of the worker mode's input.
pub const DOCUMENT: Bound = Bound { what: "one document", bytes: 256 * MIB };
/// A labelled set in one file (CSV, JSON lines).
pub const DATA_FILE: Bound = Bound { what: "a data set in one file", bytes: 16 * GIB };
/// Word vectors (GloVe text, gzipped or not).
pub const WORD_VECTORS: Bound = Bound { what: "word vectors", bytes: 16 * GIB };

impl Bound {
    /// The error for input past the bound.
    pub fn exceeded(self) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {}, the most relvis reads for {}", human(self.bytes), self.what),
        )
    }
}

/// `64 MiB`, `2 GiB`, `10 bytes`.
fn human(bytes: u64) -> String {
    if bytes < MIB {
        format!("{bytes} bytes")
    } else if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{} GiB", bytes / GIB)
    } else {
        format!("{} MiB", bytes / MIB)
    }
}

/// Checks that `path` is a regular file within `bound`, for readers that take a path.
pub fn check_file(path: &Path, bound: Bound) -> io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(io::ErrorKind::IsADirectory.into());
    }
    if !meta.is_file() {
        let message = format!("not a regular file (a device, a pipe or a socket, whose end is not known); {} must be a file", bound.what);
        return Err(io::Error::new(io::ErrorKind::InvalidData, message));
    }
    if meta.len() > bound.bytes {
        return Err(bound.exceeded());
    }
    Ok(())
}

/// The bytes of the regular file `path`, within `bound` (see [`check_file`]).
pub fn read_file(path: &Path, bound: Bound) -> io::Result<Vec<u8>> {
    check_file(path, bound)?;
    // The file may grow between the check and the read.
    read_at_most(File::open(path)?, bound)
}

/// [`read_file`] as UTF-8 text.
pub fn read_text_file(path: &Path, bound: Bound) -> io::Result<String> {
    String::from_utf8(read_file(path, bound)?).map_err(|_| {
        io::Error::new(io::ErrorKind::InvalidData, "stream did not contain valid UTF-8")
    })
}

/// All of `reader` (a pipe, standard input, any file) up to `bound`, refused past it.
pub fn read_at_most(reader: impl Read, bound: Bound) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(bound.bytes + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > bound.bytes {
        return Err(bound.exceeded());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Bound = Bound { what: "a test file", bytes: 10 };

    #[test]
    fn files_within_the_bound_are_read_and_others_refused_with_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_file(&path, SMALL).unwrap(), b"0123456789");
        std::fs::write(&path, b"0123456789A").unwrap();
        assert_eq!(
            read_file(&path, SMALL).unwrap_err().to_string(),
            "larger than 10 bytes, the most relvis reads for a test file"
        );
        assert_eq!(read_file(dir.path(), SMALL).unwrap_err().kind(), io::ErrorKind::IsADirectory);
        let err = read_file(Path::new("/dev/zero"), MODEL_WEIGHTS).unwrap_err().to_string();
        assert_eq!(err, "not a regular file (a device, a pipe or a socket, whose end is not known); a model's weights must be a file");
        // A stream is cut at the bound, whatever its length.
        let endless = std::io::repeat(b'x');
        assert_eq!(
            read_at_most(endless, SMALL).unwrap_err().to_string(),
            SMALL.exceeded().to_string()
        );
        assert_eq!(read_at_most(&b"short"[..], SMALL).unwrap(), b"short");
        assert_eq!(
            DOCUMENT.exceeded().to_string(),
            "larger than 256 MiB, the most relvis reads for one document"
        );
        assert_eq!(
            ONNX_MODEL.exceeded().to_string(),
            "larger than 2 GiB, the most relvis reads for an ONNX model"
        );
    }
}
