//! The worker mode of the batch commands, for pipes and distributed engines (Spark's
//! `RDD.pipe`, a Ray actor's subprocess): one JSON object per input line, one JSON line out per
//! input line, in input order, with the row's `id` passed through. A row that cannot be handled
//! becomes an error record and the stream goes on; the model is loaded once for all rows.
//!
//! Output lines: `{"id": …, KEY: result}`, or `{"id": …, "line": n, "error": {"kind": …,
//! "message": …}}` where `kind` is a [`FailureKind`] name (`invalid_input`, `missing_input`, …).

use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};

use outcome::output::Sink;
use outcome::{Failure, FailureKind};
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// The longest input line read whole; a longer one becomes an error record (so that a stream
/// without line breaks cannot fill memory).
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// Rows handled at once per thread: enough to keep every thread busy while one row takes
/// longer, few enough that memory stays flat over any number of rows.
const ROWS_PER_THREAD: usize = 16;

/// A row's JSON object.
pub type Row = Map<String, Value>;

/// How a stream went: rows read and how many became error records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub rows: usize,
    pub errors: usize,
}

/// Reading the input or writing the output failed; the stream stops.
#[derive(Debug)]
pub enum StreamError {
    Input(io::Error),
    Output(io::Error),
}

/// Reads `input` line by line, runs `work` on each row's object (rows of a batch in parallel on
/// rayon's threads) and writes one line per input line to `output` in input order, the result
/// under `key`. `progress` is called with the rows done after each batch.
pub fn serve<T: Serialize + Send>(
    mut input: impl BufRead,
    output: &mut impl Write,
    key: &str,
    work: impl Fn(&Row) -> Result<T, Failure> + Sync,
    mut progress: impl FnMut(Tally),
) -> Result<Tally, StreamError> {
    let batch = ROWS_PER_THREAD * rayon::current_num_threads().max(1);
    let mut tally = Tally::default();
    loop {
        let mut lines = Vec::with_capacity(batch);
        while lines.len() < batch {
            match read_line(&mut input).map_err(StreamError::Input)? {
                Some(line) => lines.push(line),
                None => break,
            }
        }
        if lines.is_empty() {
            return Ok(tally);
        }
        let first = tally.rows + 1;
        let records: Vec<(Vec<u8>, bool)> = lines
            .par_iter()
            .enumerate()
            .map(|(i, line)| {
                let number = first + i;
                let (id, result) = match parse_row(line) {
                    Ok(row) => {
                        (row.get("id").cloned().unwrap_or_else(|| json!(number)), work(&row))
                    }
                    Err(failure) => (Value::Null, Err(failure)),
                };
                let result = result.and_then(|value| {
                    serde_json::to_vec(&value).map_err(|e| {
                        Failure::new(
                            FailureKind::Internal,
                            format!("the result does not serialise: {e}"),
                        )
                    })
                });
                // Written field by field, so that `id` comes first and the result keeps its
                // fields in their declared order (a `serde_json::Map` sorts its keys).
                let mut record = b"{\"id\":".to_vec();
                serde_json::to_writer(&mut record, &id).expect("JSON values serialise");
                match &result {
                    Ok(value) => {
                        record.extend_from_slice(format!(",{}:", Value::from(key)).as_bytes());
                        record.extend_from_slice(value);
                    }
                    Err(f) => {
                        let error = json!({ "kind": f.kind.name(), "message": f.message });
                        record.extend_from_slice(
                            format!(",\"line\":{number},\"error\":{error}").as_bytes(),
                        );
                    }
                }
                record.extend_from_slice(b"}\n");
                (record, result.is_err())
            })
            .collect();
        let mut text = Vec::new();
        for (record, failed) in &records {
            tally.errors += usize::from(*failed);
            text.extend_from_slice(record);
        }
        tally.rows += lines.len();
        output.write_all(&text).and_then(|()| output.flush()).map_err(StreamError::Output)?;
        progress(tally);
    }
}

/// [`serve`] over the file at `input` (`-`: standard input) into `output`, with the stream's
/// failures named by the input and the output.
pub fn serve_path<T: Serialize + Send>(
    input: &Path,
    output: &mut Sink,
    key: &str,
    work: impl Fn(&Row) -> Result<T, Failure> + Sync,
    progress: impl FnMut(Tally),
) -> Result<Tally, Failure> {
    let stdin = io::stdin();
    let reader: Box<dyn BufRead> = if input == Path::new("-") {
        Box::new(stdin.lock())
    } else {
        if input.is_dir() {
            return Err(Failure::new(
                FailureKind::MissingInput,
                format!("{}: a folder; give a file of JSON lines", input.display()),
            ));
        }
        Box::new(io::BufReader::new(
            std::fs::File::open(input).map_err(|e| Failure::reading(input, &e))?,
        ))
    };
    let name = if input == Path::new("-") { Path::new("standard input") } else { input };
    serve(reader, output, key, work, progress).map_err(|e| match e {
        StreamError::Input(e) => Failure::reading(name, &e),
        StreamError::Output(e) => output.failure(e),
    })
}

/// [`serve_path`] with a count of rows and error records on standard error, as the binaries
/// show it.
#[cfg(feature = "cli")]
pub fn serve_rows<T: Serialize + Send>(
    input: &Path,
    output: &mut Sink,
    key: &str,
    work: impl Fn(&Row) -> Result<T, Failure> + Sync,
) -> Result<Tally, Failure> {
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .expect("a valid template"),
    );
    let tally = serve_path(input, output, key, work, |t| {
        spinner.set_message(format!("{} rows, {} errors", t.rows, t.errors))
    })?;
    spinner.finish_and_clear();
    outcome::errln!("{} rows, {} error records", tally.rows, tally.errors);
    Ok(tally)
}

/// Results gathered from worker output: `(id, result)` in the order of the files and lines,
/// and how many error records were passed over.
#[derive(Clone, Debug)]
pub struct Gathered<T> {
    pub results: Vec<(String, T)>,
    pub errors: usize,
}

/// Reads the results under `key` from the worker output files `parts` (JSON lines, read in the
/// order given; error records are counted, not kept). An id that is not a string is written
/// as JSON (`17`).
pub fn gather<T: DeserializeOwned>(parts: &[PathBuf], key: &str) -> Result<Gathered<T>, Failure> {
    let mut gathered = Gathered { results: Vec::new(), errors: 0 };
    for part in parts {
        let file = std::fs::File::open(part).map_err(|e| Failure::reading(part, &e))?;
        let mut input = io::BufReader::new(file);
        let mut number = 0;
        while let Some(line) = read_line(&mut input).map_err(|e| Failure::reading(part, &e))? {
            number += 1;
            let at = |problem: String| {
                Failure::invalid(format!("{} line {number}: {problem}", part.display()))
            };
            let mut row = parse_row(&line).map_err(|f| at(f.message))?;
            if row.contains_key("error") {
                gathered.errors += 1;
                continue;
            }
            let id = match row.remove("id") {
                Some(Value::String(id)) => id,
                Some(other) => other.to_string(),
                None => return Err(at("no field `id`; expected the worker mode's output".into())),
            };
            let value = row.remove(key).ok_or_else(|| {
                at(format!("no field `{key}`; expected the worker mode's output"))
            })?;
            let result =
                serde_json::from_value(value).map_err(|e| at(format!("field `{key}`: {e}")))?;
            gathered.results.push((id, result));
        }
    }
    Ok(gathered)
}

/// The next line without its line break (`Ok(None)` at the end); a line longer than
/// [`MAX_LINE_BYTES`] is read to its end and returned cut, which [`parse_row`] refuses.
fn read_line(input: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let read = input.by_ref().take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    } else if line.len() > MAX_LINE_BYTES {
        // Skip the rest of the overlong line.
        let mut rest = Vec::new();
        while input.by_ref().take(1 << 20).read_until(b'\n', &mut rest)? > 0
            && rest.last() != Some(&b'\n')
        {
            rest.clear();
        }
    }
    Ok(Some(line))
}

/// The JSON object on `line`, or why it is none.
fn parse_row(line: &[u8]) -> Result<Row, Failure> {
    if line.len() > MAX_LINE_BYTES {
        return Err(Failure::invalid(format!("a line longer than {} MiB", MAX_LINE_BYTES >> 20)));
    }
    let text = std::str::from_utf8(line)
        .map_err(|_| Failure::invalid("not UTF-8 text (binary data?), not a JSON object"))?;
    if text.trim().is_empty() {
        return Err(Failure::invalid("an empty line, not a JSON object"));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(row)) => Ok(row),
        Ok(other) => Err(Failure::invalid(format!("{} in JSON, not an object", type_name(&other)))),
        Err(e) => Err(Failure::invalid(format!("not JSON: {e}"))),
    }
}

/// The string in field `name` of `row`.
pub fn string_field<'r>(row: &'r Row, name: &str) -> Result<&'r str, Failure> {
    match row.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => {
            Err(Failure::invalid(format!("field `{name}` is {}, not a string", type_name(other))))
        }
        None => Err(Failure::invalid(format!("no field `{name}`"))),
    }
}

/// The string in field `name` of `row`, if it has one (`null` counts as none).
pub fn optional_string_field<'r>(row: &'r Row, name: &str) -> Result<Option<&'r str>, Failure> {
    match row.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => string_field(row, name).map(Some),
    }
}

/// The JSON type of `value`, with its article.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Bounds the threads of the commands' parallel work (rayon's pool and matrix products) to
/// `threads`, so that several workers on one machine do not oversubscribe its cores. Called
/// before any parallel work starts.
pub fn limit_threads(threads: usize) -> Result<(), Failure> {
    if threads == 0 {
        return Err(Failure::usage("--threads 0: expected at least 1"));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .map_err(|e| Failure::new(FailureKind::Internal, format!("thread pool: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8], batch_threads: usize) -> (Vec<Value>, Tally) {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(batch_threads).build().unwrap();
        let mut out = Vec::new();
        let tally = pool
            .install(|| {
                serve(
                    input,
                    &mut out,
                    "length",
                    |row| Ok(json!(string_field(row, "text")?.len())),
                    |_| {},
                )
            })
            .unwrap();
        let lines = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (lines, tally)
    }

    #[test]
    fn every_line_gets_one_record_in_order_with_bad_rows_as_error_records() {
        let input = b"{\"id\": \"a\", \"text\": \"four\"}\n\n\xff\xfe binary\nnot json\n[1, 2]\n{\"id\": 7}\n{\"id\": 8, \"text\": {\"x\": 1}}\r\n{\"text\": \"no id\"}";
        let (lines, tally) = run(input, 2);
        assert_eq!(tally, Tally { rows: 8, errors: 6 });
        assert_eq!(lines[0], json!({ "id": "a", "length": 4 }));
        let kinds: Vec<String> = lines
            .iter()
            .map(|l| l["error"]["message"].as_str().unwrap_or("").to_string())
            .collect();
        assert!(kinds[1].starts_with("an empty line"), "{}", kinds[1]);
        assert!(kinds[2].starts_with("not UTF-8"), "{}", kinds[2]);
        assert!(kinds[3].starts_with("not JSON"), "{}", kinds[3]);
        assert_eq!(kinds[4], "an array in JSON, not an object");
        assert_eq!(kinds[5], "no field `text`");
        assert_eq!(kinds[6], "field `text` is an object, not a string");
        for (i, l) in lines.iter().enumerate().take(7).skip(1) {
            assert_eq!(l["line"], json!(i + 1));
            assert_eq!(l["error"]["kind"], "invalid_input");
        }
        assert_eq!(lines[5]["id"], json!(7));
        assert_eq!(lines[6]["id"], json!(8));
        // A row without an id is named by its line number.
        assert_eq!(lines[7], json!({ "id": 8, "length": 5 }));
    }

    #[test]
    fn order_is_kept_across_batches_and_threads() {
        let rows: String = (0..1000)
            .map(|i| format!("{{\"id\": {i}, \"text\": \"{}\"}}\n", "x".repeat(i % 37)))
            .collect();
        for threads in [1, 2, 3] {
            let (lines, tally) = run(rows.as_bytes(), threads);
            assert_eq!(tally, Tally { rows: 1000, errors: 0 });
            for (i, l) in lines.iter().enumerate() {
                assert_eq!(l, &json!({ "id": i, "length": i % 37 }));
            }
        }
    }

    #[test]
    fn an_overlong_line_becomes_one_error_record_and_the_next_line_is_read() {
        let mut input = vec![b'x'; MAX_LINE_BYTES + 10];
        input.extend_from_slice(b"\n{\"id\": 2, \"text\": \"ab\"}\n");
        let (lines, _) = run(&input, 1);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["error"]["message"], "a line longer than 64 MiB");
        assert_eq!(lines[1], json!({ "id": 2, "length": 2 }));
    }
}
