//! Labelled document files, before they become a corpus: a folder tree or `.tar.gz` of
//! `<class>/<file>` (20 Newsgroups' "bydate" layout, its train/test split the release's own),
//! and documents decoded by their byte-order mark, as UTF-8 or as latin-1.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use pipeline::bounded_read;

use crate::error::TextError;

/// A file of a labelled folder tree, before decoding: its class is its folder's name; its
/// split is the folder above when that is named `…train` or `…test`.
pub(crate) struct LabelledFile {
    pub id: String,
    pub class: String,
    /// `Some(true)` in a test folder, `Some(false)` in a training folder, `None` without one.
    pub test: Option<bool>,
    pub bytes: Vec<u8>,
}

impl LabelledFile {
    /// From a path inside the tree (`/`-separated) and the file's bytes; `None` for files
    /// not inside a class folder.
    fn new(relative: &str, bytes: Vec<u8>) -> Option<Self> {
        let parts: Vec<&str> =
            relative.trim_start_matches("./").split('/').filter(|p| !p.is_empty()).collect();
        let [.., class, _file] = parts.as_slice() else { return None };
        let test = parts.len().checked_sub(3).and_then(|i| split_of(parts[i]));
        Some(LabelledFile { id: parts.join("/"), class: class.to_string(), test, bytes })
    }
}

/// Every file of a folder tree or a `.tar.gz` with its class folder and split. When some
/// files lie in `…train`/`…test` folders, only those are kept.
pub(crate) fn read_labelled_files(path: &Path) -> Result<Vec<LabelledFile>, TextError> {
    let meta = fs::metadata(path).map_err(|e| TextError::read(path, e))?;
    let mut files = if meta.is_dir() { read_folder(path)? } else { read_archive(path)? };
    if files.iter().any(|f| f.test.is_some()) {
        files.retain(|f| f.test.is_some());
    }
    files.sort_by(|a, b| a.id.cmp(&b.id));
    if files.is_empty() {
        return Err(TextError::NoDocuments {
            path: path.to_path_buf(),
            expected: "files in class folders: `<class>/<file>`, or `<…train>/<class>/<file>` and `<…test>/<class>/<file>`".into(),
        });
    }
    Ok(files)
}

/// Which split a folder name stands for: `…train` (false) or `…test` (true).
fn split_of(folder: &str) -> Option<bool> {
    let lower = folder.to_ascii_lowercase();
    if lower.ends_with("train") {
        Some(false)
    } else if lower.ends_with("test") {
        Some(true)
    } else {
        None
    }
}

fn read_archive(path: &Path) -> Result<Vec<LabelledFile>, TextError> {
    let mut file = fs::File::open(path).map_err(|e| TextError::read(path, e))?;
    let mut magic = [0u8; 2];
    if file.read_exact(&mut magic).is_err() || magic != [0x1f, 0x8b] {
        return Err(TextError::NotAnArchive {
            path: path.to_path_buf(),
            reason: "not gzip-compressed".into(),
        });
    }
    let file = fs::File::open(path).map_err(|e| TextError::read(path, e))?;
    let mut archive = tar::Archive::new(GzDecoder::new(file));
    let bad = |e: std::io::Error| TextError::NotAnArchive {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let mut files = Vec::new();
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut bytes).map_err(bad)?;
        files.extend(LabelledFile::new(&name, bytes));
    }
    Ok(files)
}

fn read_folder(root: &Path) -> Result<Vec<LabelledFile>, TextError> {
    let mut files = Vec::new();
    for file in document_files(root)? {
        let bytes = fs::File::open(&file)
            .and_then(|f| bounded_read::read_at_most(f, bounded_read::DOCUMENT))
            .map_err(|e| TextError::read(&file, e))?;
        let relative = file.strip_prefix(root).unwrap_or(&file);
        let relative: Vec<String> =
            relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        files.extend(LabelledFile::new(&relative.join("/"), bytes));
    }
    Ok(files)
}

/// The files a user named: `path` itself, or every file under the folder `path` (hidden
/// ones excluded), sorted.
pub fn document_files(path: &Path) -> Result<Vec<PathBuf>, TextError> {
    if !path.is_dir() {
        fs::metadata(path).map_err(|e| TextError::read(path, e))?;
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    let mut folders = vec![path.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).map_err(|e| TextError::read(&folder, e))? {
            let entry = entry.map_err(|e| TextError::read(&folder, e))?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A user's document from raw bytes: by its byte-order mark when it has one (UTF-8, UTF-16,
/// UTF-32), else UTF-8 when it is valid UTF-8, latin-1 otherwise; binary data (NUL bytes) and
/// documents without visible text are refused with the reason.
pub fn read_document(bytes: &[u8]) -> Result<String, String> {
    let text = match decode_by_byte_order_mark(bytes) {
        Some(decoded) => decoded?,
        None if bytes.contains(&0) => {
            return Err("binary data (NUL bytes), not a text document (UTF-16 or UTF-32 text needs a byte-order mark)".into())
        }
        None => String::from_utf8(bytes.to_vec()).unwrap_or_else(|_| decode_latin1(bytes)),
    };
    // Control characters other than tab, line feed, form feed and carriage return: at most
    // 7.4 % of any 20 Newsgroups post, about 11 % of random bytes.
    let controls = text
        .chars()
        .filter(|&c| (c < ' ' && !matches!(c, '\t' | '\n' | '\x0c' | '\r')) || c == '\x7f')
        .count();
    let characters = text.chars().count();
    if text.contains('\0') || controls * 10 > characters {
        return Err(format!(
            "binary data ({controls} control characters of {characters}), not a text document"
        ));
    }
    if text.trim().is_empty() {
        return Err("the document is empty".into());
    }
    Ok(text)
}

/// Text that starts with a Unicode byte-order mark, decoded by it with the mark removed, or
/// why it does not decode; `None` without a mark. UTF-32 is tried before UTF-16 because
/// the UTF-32 LE mark begins with the UTF-16 LE one.
pub fn decode_by_byte_order_mark(bytes: &[u8]) -> Option<Result<String, String>> {
    let units = |body: &[u8], width: usize, little: bool| -> Result<Vec<u32>, String> {
        if !body.len().is_multiple_of(width) {
            return Err(format!(
                "{} bytes after the byte-order mark, not a whole number of {width}-byte code units",
                body.len()
            ));
        }
        Ok(body
            .chunks_exact(width)
            .map(|unit| {
                let unit = unit.iter().map(|&b| u32::from(b));
                if little {
                    unit.rev().fold(0, |code, b| code << 8 | b)
                } else {
                    unit.fold(0, |code, b| code << 8 | b)
                }
            })
            .collect())
    };
    let utf16 = |body: &[u8], little: bool, name: &str| -> Result<String, String> {
        let units = units(body, 2, little)?;
        char::decode_utf16(units.into_iter().map(|u| u as u16))
            .enumerate()
            .map(|(at, c)| {
                c.map_err(|_| format!("not valid {name}: an unpaired surrogate at code unit {at}"))
            })
            .collect()
    };
    let utf32 = |body: &[u8], little: bool, name: &str| -> Result<String, String> {
        units(body, 4, little)?
            .into_iter()
            .enumerate()
            .map(|(at, code)| {
                char::from_u32(code).ok_or_else(|| {
                    format!("not valid {name}: {code:#x} at code unit {at} is no character")
                })
            })
            .collect()
    };
    Some(match bytes {
        [0xef, 0xbb, 0xbf, body @ ..] => String::from_utf8(body.to_vec())
            .map_err(|e| format!("marked UTF-8 but not valid UTF-8 ({e})")),
        [0xff, 0xfe, 0, 0, body @ ..] => utf32(body, true, "UTF-32 LE"),
        [0, 0, 0xfe, 0xff, body @ ..] => utf32(body, false, "UTF-32 BE"),
        [0xff, 0xfe, body @ ..] => utf16(body, true, "UTF-16 LE"),
        [0xfe, 0xff, body @ ..] => utf16(body, false, "UTF-16 BE"),
        _ => return None,
    })
}

/// Latin-1 maps each byte to the code point of the same value.
pub fn decode_latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}
