//! The worker mode (`--jsonl`) of `xai-text explain` and `predict`: one output line per input
//! line, in order, each good row's result equal to the one-document command's, each bad row an
//! error record; and the same bytes whatever the thread count.

use assert_cmd::Command;
use serde_json::{json, Value};

fn xai_text() -> Command {
    Command::cargo_bin("xai-text").expect("the binary is built")
}

fn demo(name: &str) -> String {
    format!("{}/../../assets/demo/{name}", env!("CARGO_MANIFEST_DIR"))
}

const POSTS: [&str; 5] = ["autos.txt", "graphics.txt", "hockey.txt", "medicine.txt", "space.txt"];

/// What a row of the stream should give: a good document, or an error of this kind whose
/// message starts so.
enum Expect {
    Document { file: &'static str, class: Option<&'static str> },
    Error { kind: &'static str, message: &'static str },
}

/// The demo posts as rows with bad rows between them (and, `with_classes`, rows naming the
/// class to explain), and what each line should give.
fn stream(with_classes: bool) -> (Vec<u8>, Vec<(Value, Expect)>) {
    let mut input = Vec::new();
    let mut expected = Vec::new();
    let mut row = |line: Vec<u8>, id: Value, expect: Expect| {
        input.extend_from_slice(&line);
        input.push(b'\n');
        expected.push((id, expect));
    };
    let text = |file: &str| std::fs::read_to_string(demo(file)).unwrap();
    row(
        json!({ "id": "autos", "text": text("autos.txt") }).to_string().into_bytes(),
        json!("autos"),
        Expect::Document { file: "autos.txt", class: None },
    );
    row(Vec::new(), Value::Null, Expect::Error { kind: "invalid_input", message: "an empty line" });
    row(
        b"\x89PNG\r\x1a\x00\x00\xff binary".to_vec(),
        Value::Null,
        Expect::Error { kind: "invalid_input", message: "not UTF-8" },
    );
    row(
        json!({ "id": 17, "text": text("graphics.txt") }).to_string().into_bytes(),
        json!(17),
        Expect::Document { file: "graphics.txt", class: None },
    );
    row(
        b"id,text".to_vec(),
        Value::Null,
        Expect::Error { kind: "invalid_input", message: "not JSON" },
    );
    row(
        json!({ "id": "no-text" }).to_string().into_bytes(),
        json!("no-text"),
        Expect::Error { kind: "invalid_input", message: "no field `text`" },
    );
    row(
        json!({ "id": "object", "text": { "body": "hello" } }).to_string().into_bytes(),
        json!("object"),
        Expect::Error { kind: "invalid_input", message: "field `text` is an object" },
    );
    row(
        json!({ "id": "nul", "text": "a\u{0}b" }).to_string().into_bytes(),
        json!("nul"),
        Expect::Error { kind: "invalid_input", message: "binary data" },
    );
    row(
        json!({ "id": "blank", "text": " \n\t" }).to_string().into_bytes(),
        json!("blank"),
        Expect::Error { kind: "invalid_input", message: "the document is empty" },
    );
    row(
        json!({ "text": text("hockey.txt") }).to_string().into_bytes(),
        json!(10),
        Expect::Document { file: "hockey.txt", class: None },
    );
    if with_classes {
        row(
            json!({ "id": "med-as-space", "text": text("medicine.txt"), "class": "sci.space" })
                .to_string()
                .into_bytes(),
            json!("med-as-space"),
            Expect::Document { file: "medicine.txt", class: Some("sci.space") },
        );
        row(
            json!({ "id": "bad-class", "text": "x", "class": "sci.nope" }).to_string().into_bytes(),
            json!("bad-class"),
            Expect::Error { kind: "usage", message: "no class `sci.nope`" },
        );
    }
    row(
        json!({ "id": "space", "text": text("space.txt") }).to_string().into_bytes(),
        json!("space"),
        Expect::Document { file: "space.txt", class: None },
    );
    (input, expected)
}

fn lines(stdout: &[u8]) -> Vec<Value> {
    std::str::from_utf8(stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// The one-document command's JSON for `file`.
fn single(command: &[&str], file: &str, class: Option<&str>) -> Value {
    let mut c = xai_text();
    c.args(command).arg(demo(file));
    if let Some(class) = class {
        c.args(["--class", class]);
    }
    serde_json::from_slice(&c.assert().success().get_output().stdout).unwrap()
}

fn check(command: &[&str], key: &str, single_command: &[&str], with_classes: bool) {
    let (input, expected) = stream(with_classes);
    let out = xai_text()
        .args(command)
        .args(["--jsonl", "-"])
        .write_stdin(input.clone())
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let errors = expected.iter().filter(|(_, e)| matches!(e, Expect::Error { .. })).count();
    assert!(
        stderr.contains(&format!("{} rows, {errors} error records", expected.len())),
        "{stderr}"
    );
    let records = lines(&out.get_output().stdout);
    assert_eq!(records.len(), expected.len(), "one line per input line");
    for (line, (record, (id, expect))) in records.iter().zip(&expected).enumerate() {
        assert_eq!(&record["id"], id, "line {}", line + 1);
        match expect {
            Expect::Document { file, class } => {
                assert_eq!(
                    record[key],
                    single(single_command, file, *class),
                    "line {}: {file}",
                    line + 1
                );
                assert!(record.get("error").is_none());
            }
            Expect::Error { kind, message } => {
                assert_eq!(record["line"], json!(line + 1));
                assert_eq!(record["error"]["kind"], *kind, "line {}", line + 1);
                let text = record["error"]["message"].as_str().unwrap();
                assert!(text.starts_with(message), "line {}: {text}", line + 1);
                assert!(record.get(key).is_none());
            }
        }
    }
    // The same bytes on one thread as on all of them.
    let one = xai_text()
        .args(["--threads", "1"])
        .args(command)
        .args(["--jsonl", "-"])
        .write_stdin(input)
        .assert()
        .success();
    assert_eq!(one.get_output().stdout, out.get_output().stdout);
}

#[test]
fn explain_jsonl_gives_each_row_the_explanation_of_explain_json_and_each_bad_row_an_error_record() {
    check(&["explain"], "explanation", &["explain", "--format", "json"], true);
}

#[test]
fn predict_jsonl_gives_each_row_the_prediction_of_predict_json_and_each_bad_row_an_error_record() {
    check(&["predict"], "prediction", &["predict", "--json"], false);
}

#[test]
fn the_worker_reads_a_file_and_writes_out_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let rows = dir.path().join("rows.jsonl");
    let body: String = POSTS
        .iter()
        .map(|f| {
            format!("{}\n", json!({ "id": f, "text": std::fs::read_to_string(demo(f)).unwrap() }))
        })
        .collect();
    std::fs::write(&rows, body).unwrap();
    let out = dir.path().join("out.jsonl");
    xai_text().args(["predict", "--jsonl"]).arg(&rows).arg("--out").arg(&out).assert().success();
    let records = lines(&std::fs::read(&out).unwrap());
    let classes: Vec<&str> =
        records.iter().map(|r| r["prediction"]["class_name"].as_str().unwrap()).collect();
    assert_eq!(classes, ["rec.autos", "comp.graphics", "rec.sport.hockey", "sci.med", "sci.space"]);
    xai_text().args(["predict", "--jsonl"]).arg(&rows).arg("--out").arg(&out).assert().code(6);
    xai_text()
        .args(["predict", "--jsonl"])
        .arg(&rows)
        .arg("--out")
        .arg(&out)
        .arg("--force")
        .assert()
        .success();
    xai_text().args(["predict", "--jsonl"]).arg(dir.path().join("missing.jsonl")).assert().code(3);
    xai_text().args(["predict", "--jsonl"]).arg(dir.path()).assert().code(3);
    xai_text().args(["--threads", "0", "predict", "--jsonl"]).arg(&rows).assert().code(2);
}
