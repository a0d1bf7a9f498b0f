//! Labelled document sets users bring, beside 20 Newsgroups: a folder per class (optionally
//! below `…train/` and `…test/` folders, or in a `.tar.gz`), CSV with a text and a label
//! column, or JSON lines with a text and a label field. Without a split of its own, a set is
//! split into training and test documents by a seeded, stratified draw that the model's
//! config records, so that evaluation re-creates it and never tests on training documents.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use pipeline::bounded_read;
use serde::{Deserialize, Serialize};

use crate::data::{decode_by_byte_order_mark, decode_latin1, read_labelled_files};
use crate::data::{Corpus, Document, Skipped, SplitSpec};
use crate::error::TextError;

/// How a set is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// `<class>/<file>`, or `<…train>/<class>/<file>` and `<…test>/<class>/<file>`; a folder
    /// or a `.tar.gz`.
    Folders,
    /// A CSV file with a header row.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

impl Layout {
    /// The layout a path's name suggests: folders for a folder or a `.tar.gz`, else by extension.
    pub fn of(path: &Path) -> Result<Self, TextError> {
        let name =
            path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        if path.is_dir() || name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Ok(Layout::Folders)
        } else if name.ends_with(".csv") {
            Ok(Layout::Csv)
        } else if name.ends_with(".jsonl") || name.ends_with(".ndjson") || name.ends_with(".json") {
            Ok(Layout::JsonLines)
        } else if let Err(e) = fs::metadata(path) {
            // A path that cannot be read says so before its name is judged.
            Err(TextError::read(path, e))
        } else {
            Err(TextError::UnknownLayout(path.to_path_buf()))
        }
    }
}

impl std::str::FromStr for Layout {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "folders" => Ok(Layout::Folders),
            "csv" => Ok(Layout::Csv),
            "jsonl" | "json-lines" => Ok(Layout::JsonLines),
            other => Err(format!("`{other}`: expected folders, csv or jsonl")),
        }
    }
}

/// How bytes become text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// UTF-8; documents that are not valid UTF-8 are skipped and counted.
    #[default]
    Utf8,
    /// Every byte is one character (ISO 8859-1), as in 20 Newsgroups.
    Latin1,
}

impl std::str::FromStr for Encoding {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "utf8" => Ok(Encoding::Utf8),
            "latin1" | "iso88591" => Ok(Encoding::Latin1),
            _ => Err(format!("`{text}`: expected utf8 or latin1")),
        }
    }
}

impl Encoding {
    /// The text of `bytes`, or why it is not one.
    pub fn decode(self, bytes: &[u8]) -> Result<String, String> {
        match self {
            Encoding::Utf8 => String::from_utf8(bytes.to_vec())
                .map_err(|_| "not valid UTF-8 (the latin1 encoding may read it)".to_string()),
            Encoding::Latin1 => Ok(decode_latin1(bytes)),
        }
    }
}

/// How to read a set; recorded in the model's config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetOptions {
    pub layout: Layout,
    pub encoding: Encoding,
    /// CSV column or JSON field holding the text.
    pub text_field: String,
    /// CSV column or JSON field holding the label.
    pub label_field: String,
    /// Used when the set has no split of its own.
    pub split: SplitSpec,
}

impl DatasetOptions {
    /// 20 Newsgroups "bydate": folders, latin-1, its own split.
    pub fn newsgroups() -> Self {
        DatasetOptions {
            layout: Layout::Folders,
            encoding: Encoding::Latin1,
            ..Self::for_layout(Layout::Folders)
        }
    }

    /// UTF-8, fields `text` and `label`, a 20 % test split with seed 1.
    pub fn for_layout(layout: Layout) -> Self {
        DatasetOptions {
            layout,
            encoding: Encoding::Utf8,
            text_field: "text".into(),
            label_field: "label".into(),
            split: SplitSpec::default(),
        }
    }
}

impl DatasetOptions {
    /// How to read `path`: as `recorded` (a model's record) when that is the same layout,
    /// else as 20 Newsgroups for an archive or folder called `20news…`, else by the layout
    /// its name suggests with the defaults of [`DatasetOptions::for_layout`].
    pub fn for_path(path: &Path, recorded: Option<&DatasetOptions>) -> Result<Self, TextError> {
        let layout = Layout::of(path)?;
        let name =
            path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        Ok(match recorded {
            Some(r) if r.layout == layout => r.clone(),
            _ if name.starts_with("20news") => Self::newsgroups(),
            _ => Self::for_layout(layout),
        })
    }
}

impl Default for DatasetOptions {
    fn default() -> Self {
        Self::newsgroups()
    }
}

/// One document before labels are numbered: (id, class name, text).
type Row = (String, String, String);

/// Reads 20 Newsgroups (or any set laid out as `<…train>/<class>/<file>` and
/// `<…test>/<class>/<file>`) from a `.tar.gz` archive or a folder. Text is decoded as latin-1;
/// empty and binary files are skipped and counted.
pub fn load_newsgroups(path: &Path) -> Result<Corpus, TextError> {
    load_dataset(path, &DatasetOptions::newsgroups())
}

/// Reads a labelled set. Documents that are empty, binary or not decodable are skipped and
/// counted in [`Corpus::skipped`]; a set with fewer than two classes, a class without
/// documents, or a missing column is an error.
pub fn load_dataset(path: &Path, options: &DatasetOptions) -> Result<Corpus, TextError> {
    let (rows, given_split, skipped) = match options.layout {
        Layout::Folders => {
            let files = read_labelled_files(path)?;
            let given = files.iter().any(|f| f.test.is_some());
            let mut skipped = Vec::new();
            let mut train = Vec::new();
            let mut test = Vec::new();
            for file in files {
                match decode_document(&file.bytes, options.encoding) {
                    Ok(text) => match file.test {
                        Some(true) => test.push((file.id, file.class, text)),
                        _ => train.push((file.id, file.class, text)),
                    },
                    Err(reason) => skipped.push(Skipped { id: file.id, reason }),
                }
            }
            (train, given.then_some(test), skipped)
        }
        Layout::Csv => {
            let (rows, skipped) = read_csv(path, options)?;
            (rows, None, skipped)
        }
        Layout::JsonLines => {
            let (rows, skipped) = read_json_lines(path, options)?;
            (rows, None, skipped)
        }
    };
    let seeded = given_split.is_none();
    let mut classes: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    classes.sort();
    classes.dedup();
    if let Some(test) = &given_split {
        if let Some(stray) = test.iter().find(|r| classes.binary_search(&r.1).is_err()) {
            return Err(TextError::UnknownClass { id: stray.0.clone(), class: stray.1.clone() });
        }
        if test.is_empty() {
            return Err(TextError::NoDocuments {
                path: path.to_path_buf(),
                expected: "a test split (`<…test>/<class>/<file>`)".into(),
            });
        }
    }
    if classes.len() < 2 {
        return Err(TextError::Dataset(format!(
            "{}: {} class{} found{}; a classifier needs at least two{}",
            path.display(),
            classes.len(),
            if classes.len() == 1 { "" } else { "es" },
            if classes.is_empty() {
                String::new()
            } else {
                format!(" (`{}`)", classes.join("`, `"))
            },
            skipped_summary(&skipped)
        )));
    }
    let number = |rows: Vec<Row>| -> Vec<Document> {
        rows.into_iter()
            .map(|(id, class, text)| Document {
                id,
                label: classes.binary_search(&class).expect("collected above"),
                text,
            })
            .collect()
    };
    let (train, test) = match given_split {
        Some(test) => (number(rows), number(test)),
        None => stratified_split(number(rows), classes.len(), options.split),
    };
    if let Some(c) = (0..classes.len()).find(|&c| !train.iter().any(|d| d.label == c)) {
        return Err(TextError::Dataset(format!(
            "{}: class `{}` has no training documents",
            path.display(),
            classes[c]
        )));
    }
    if test.is_empty() {
        return Err(TextError::EmptyTestSplit(path.to_path_buf()));
    }
    let seen: HashSet<&str> = train.iter().map(|d| d.text.trim()).collect();
    let duplicates = test.iter().filter(|d| seen.contains(d.text.trim())).count();
    Ok(Corpus { classes, train, test, skipped, duplicates, split: seeded.then_some(options.split) })
}

/// `; N documents were skipped, M of them for: REASON (first ID)` with the commonest reason, or
/// nothing when none was.
fn skipped_summary(skipped: &[Skipped]) -> String {
    let mut counts: Vec<(&str, usize, &str)> = Vec::new();
    for s in skipped {
        match counts.iter_mut().find(|(reason, ..)| *reason == s.reason) {
            Some((_, n, _)) => *n += 1,
            None => counts.push((&s.reason, 1, &s.id)),
        }
    }
    // The first reason met wins a tie, so the message does not change from run to run.
    let Some(&(reason, n, example)) = counts.iter().rev().max_by_key(|(_, n, _)| *n) else {
        return String::new();
    };
    let total = skipped.len();
    let documents = if total == 1 { "document was" } else { "documents were" };
    format!("; {total} {documents} skipped, {n} of them for: {reason} (first {example})")
}

/// The text of a document's bytes, or why it is skipped: binary (NUL bytes), not decodable,
/// or empty.
fn decode_document(bytes: &[u8], encoding: Encoding) -> Result<String, String> {
    let text = match decode_by_byte_order_mark(bytes) {
        Some(decoded) => decoded?,
        None if bytes.contains(&0) => {
            return Err("binary (NUL bytes; UTF-16 or UTF-32 text needs a byte-order mark)".into())
        }
        None => encoding.decode(bytes)?,
    };
    if text.contains('\0') {
        return Err("binary (NUL characters)".into());
    }
    if text.trim().is_empty() {
        return Err("empty".into());
    }
    Ok(text)
}

/// The documents held out for testing by [`pipeline::split::stratified`] (per class a seeded
/// shuffle, `round(fraction · n)` of it, at least one of two or more); both splits keep the
/// input order.
pub fn stratified_split(
    docs: Vec<Document>,
    classes: usize,
    spec: SplitSpec,
) -> (Vec<Document>, Vec<Document>) {
    let labels: Vec<usize> = docs.iter().map(|d| d.label).collect();
    let held_out =
        pipeline::split::stratified(&labels, classes, f64::from(spec.test_fraction), spec.seed);
    let (test, train): (Vec<_>, Vec<_>) = docs.into_iter().zip(held_out).partition(|(_, t)| *t);
    (train.into_iter().map(|(d, _)| d).collect(), test.into_iter().map(|(d, _)| d).collect())
}

/// Why a JSON field cannot be used: missing, empty, or of a type other than `expected`.
fn unusable_field(field: &str, value: Option<&serde_json::Value>, expected: &str) -> String {
    let kind = match value {
        None | Some(serde_json::Value::Null) => return format!("no `{field}`"),
        Some(serde_json::Value::String(_)) => return format!("`{field}` is empty"),
        Some(serde_json::Value::Object(_)) => "an object",
        Some(serde_json::Value::Array(_)) => "an array",
        Some(serde_json::Value::Number(_)) => "a number",
        Some(serde_json::Value::Bool(_)) => "a boolean",
    };
    format!("`{field}` is {kind}, not {expected}")
}

/// A data file's bytes and the encoding they are in: a file that starts with a byte-order
/// mark is decoded by it (the mark overrides `--encoding`), any other is read as it is.
fn read_data_file(path: &Path, encoding: Encoding) -> Result<(Vec<u8>, Encoding), TextError> {
    let bytes = fs::File::open(path)
        .and_then(|f| bounded_read::read_at_most(f, bounded_read::DATA_FILE))
        .map_err(|e| TextError::read(path, e))?;
    match decode_by_byte_order_mark(&bytes) {
        Some(Ok(text)) => Ok((text.into_bytes(), Encoding::Utf8)),
        Some(Err(reason)) => Err(TextError::Dataset(format!("{}: {reason}", path.display()))),
        None => Ok((bytes, encoding)),
    }
}

/// The `(id, label, text)` rows of a CSV file with a header row; rows without text or label
/// are skipped and counted. Quoted fields may hold commas, quotes and newlines.
fn read_csv(path: &Path, options: &DatasetOptions) -> Result<(Vec<Row>, Vec<Skipped>), TextError> {
    let (bytes, encoding) = read_data_file(path, options.encoding)?;
    let bad = |problem: String| TextError::Dataset(format!("{}: {problem}", path.display()));
    let mut reader =
        csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(bytes.as_slice());
    let headers = reader.byte_headers().map_err(|e| bad(e.to_string()))?.clone();
    let column = |name: &str| -> Result<usize, TextError> {
        let names: Vec<String> = headers
            .iter()
            .map(|h| encoding.decode(h).unwrap_or_default().trim().to_string())
            .collect();
        names.iter().position(|h| h == name).ok_or_else(|| {
            bad(format!("no column `{name}`; the columns are `{}`", names.join("`, `")))
        })
    };
    let (text_at, label_at) = (column(&options.text_field)?, column(&options.label_field)?);
    let (mut rows, mut skipped) = (Vec::new(), Vec::new());
    for (i, record) in reader.byte_records().enumerate() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        // Line numbers count the header as line 1.
        let id = format!(
            "{}:{}",
            path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
            record.position().map_or(i as u64 + 2, |p| p.line())
        );
        let label =
            encoding.decode(record.get(label_at).unwrap_or_default()).map(|l| l.trim().to_string());
        match (label, decode_document(record.get(text_at).unwrap_or_default(), encoding)) {
            (Ok(label), Ok(text)) if !label.is_empty() => rows.push((id, label, text)),
            (Ok(_), Ok(_)) => skipped.push(Skipped { id, reason: "no label".into() }),
            (Err(reason), _) | (_, Err(reason)) => skipped.push(Skipped { id, reason }),
        }
    }
    Ok((rows, skipped))
}

/// The `(id, label, text)` rows of a JSON-lines file; a line that is not a JSON object is an
/// error naming it, an object without text or label is skipped and counted. Numbers and
/// booleans are accepted as labels.
fn read_json_lines(
    path: &Path,
    options: &DatasetOptions,
) -> Result<(Vec<Row>, Vec<Skipped>), TextError> {
    let (bytes, encoding) = read_data_file(path, options.encoding)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (mut rows, mut skipped) = (Vec::new(), Vec::new());
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let id = format!("{name}:{}", i + 1);
        let line = match encoding.decode(line) {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => line,
            Err(reason) => {
                skipped.push(Skipped { id, reason });
                continue;
            }
        };
        let value: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| TextError::Dataset(format!("{}: line {}: {e}", path.display(), i + 1)))?;
        let serde_json::Value::Object(object) = value else {
            return Err(TextError::Dataset(format!(
                "{}: line {}: expected a JSON object",
                path.display(),
                i + 1
            )));
        };
        let (label_field, text_field) = (&options.label_field, &options.text_field);
        let label = match object.get(label_field) {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
            Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                Ok(v.to_string())
            }
            other => Err(unusable_field(label_field, other, "a string, number or boolean")),
        };
        let text = match object.get(text_field) {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            other => Err(unusable_field(text_field, other, "a string")),
        };
        match (label, text) {
            (Ok(label), Ok(text)) => rows.push((id, label, text)),
            (Err(reason), _) | (_, Err(reason)) => skipped.push(Skipped { id, reason }),
        }
    }
    Ok((rows, skipped))
}
