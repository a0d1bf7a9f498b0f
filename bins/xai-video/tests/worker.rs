//! The worker mode (`--jsonl`) of `xai-video predict` and `explain`: one output line per input
//! line, in order, each good row's result equal to the one-clip command's (the block relevance
//! equal to the report's safetensors file), each bad row an error record.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{json, Value};

fn xai_video() -> Command {
    Command::cargo_bin("xai-video").unwrap()
}

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo-video/sit-up.mp4")
}

fn lines(stdout: &[u8]) -> Vec<Value> {
    std::str::from_utf8(stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// Rows: the demo clip twice (once for another class), a missing clip, a text file, a row
/// without a path, an unknown class, and a line that is no JSON.
fn rows(dir: &Path) -> String {
    let text = dir.join("notes.mp4");
    std::fs::write(&text, "not a video at all\n").unwrap();
    let clip = demo().display().to_string();
    [
        json!({ "id": "demo", "path": clip }).to_string(),
        json!({ "id": "missing", "path": dir.join("missing.mp4") }).to_string(),
        json!({ "id": "text", "path": text }).to_string(),
        json!({ "id": "no-path" }).to_string(),
        "{\"id\": \"cut".to_string(),
        json!({ "id": "other", "path": clip, "class": "jumping-jack" }).to_string(),
        json!({ "id": "bad-class", "path": clip, "class": "swim" }).to_string(),
    ]
    .map(|l| l + "\n")
    .concat()
}

fn assert_errors(records: &[Value], expected: &[(usize, &str, &str)]) {
    for &(line, kind, message) in expected {
        let r = &records[line - 1];
        assert_eq!(r["line"], json!(line));
        assert_eq!(r["error"]["kind"], kind, "line {line}: {r}");
        assert!(r["error"]["message"].as_str().unwrap().contains(message), "line {line}: {r}");
    }
}

#[test]
fn predict_jsonl_gives_each_clip_the_prediction_of_predict_json_and_bad_rows_error_records() {
    let dir = tempfile::tempdir().unwrap();
    let out = xai_video()
        .args(["predict", "--jsonl", "-"])
        .write_stdin(rows(dir.path()))
        .assert()
        .success();
    let records = lines(&out.get_output().stdout);
    assert_eq!(records.len(), 7);
    let ids: Vec<&Value> = records.iter().map(|r| &r["id"]).collect();
    assert_eq!(
        ids,
        [
            &json!("demo"),
            &json!("missing"),
            &json!("text"),
            &json!("no-path"),
            &Value::Null,
            &json!("other"),
            &json!("bad-class")
        ]
    );
    let single: Value = serde_json::from_slice(
        &xai_video().args(["predict", "--json"]).arg(demo()).assert().success().get_output().stdout,
    )
    .unwrap();
    assert_eq!(records[0]["prediction"], single);
    assert_errors(
        &records,
        &[
            (2, "missing_input", "missing.mp4"),
            (3, "invalid_input", "notes.mp4"),
            (4, "invalid_input", "no field `path`"),
            (5, "invalid_input", "not JSON"),
        ],
    );
}

#[test]
fn explain_jsonl_gives_each_clip_the_explanation_and_blocks_of_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = xai_video()
        .args(["explain", "--jsonl", "-"])
        .write_stdin(rows(dir.path()))
        .assert()
        .success();
    let records = lines(&out.get_output().stdout);
    assert_eq!(records.len(), 7);
    assert_errors(
        &records,
        &[
            (2, "missing_input", "missing.mp4"),
            (3, "invalid_input", "notes.mp4"),
            (4, "invalid_input", "no field `path`"),
            (5, "invalid_input", "not JSON"),
            (7, "usage", "unknown class `swim`"),
        ],
    );
    for (record, class) in [(&records[0], None), (&records[5], Some("jumping-jack"))] {
        let report = dir.path().join(format!("report-{}", class.unwrap_or("predicted")));
        let mut command = xai_video();
        command.arg("explain").arg(demo()).arg("--out").arg(&report).args(["--overlays", "0"]);
        if let Some(class) = class {
            command.args(["--class", class]);
        }
        command.assert().success();
        let json: Value = serde_json::from_str(
            &std::fs::read_to_string(report.join("explanation.json")).unwrap(),
        )
        .unwrap();
        let mut e = record["explanation"].clone();
        let blocks = e.as_object_mut().unwrap().remove("blocks").unwrap();
        assert_eq!(e, json["explanation"]);
        let bytes = std::fs::read(report.join("relevance.safetensors")).unwrap();
        let tensors = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let stored = tensors.tensor("blocks").unwrap();
        let shape = stored.shape().to_vec();
        let values: Vec<f32> =
            stored.data().chunks(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
        let frames = blocks.as_array().unwrap();
        assert_eq!(
            [
                frames.len(),
                frames[0].as_array().unwrap().len(),
                frames[0][0].as_array().unwrap().len()
            ],
            shape[..]
        );
        let flat: Vec<f32> = frames
            .iter()
            .flat_map(|f| {
                f.as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32))
            })
            .collect();
        assert_eq!(flat, values, "the blocks of the record are the report's, to the bit");
    }
    assert_ne!(records[0]["explanation"]["class_name"], records[5]["explanation"]["class_name"]);
}
