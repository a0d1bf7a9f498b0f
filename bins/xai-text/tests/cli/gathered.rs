//! `spray --explanations` over worker output gathered from shards against the `spray` that
//! computes the explanations itself.

use predicates::prelude::*;

use crate::exported_set::exported_demo_set;
use crate::xai_text;

#[test]
fn spray_over_gathered_explanations_equals_spray_that_computes_them() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = exported_demo_set(dir.path());
    let direct = dir.path().join("direct");
    xai_text()
        .args(["spray", "--class", "sci.space", "--clusters", "2", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&direct)
        .assert()
        .success();
    // The test split explained for sci.space as JSON lines; its sci.space documents, in two
    // parts with an error record between them, are what a sharded job would gather.
    let all = xai_text()
        .args(["explain", "--test-split", "--class", "sci.space", "--format", "json", "--data"])
        .arg(&data)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let space: Vec<&str> = std::str::from_utf8(&all)
        .unwrap()
        .lines()
        .filter(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["true_class"] == "sci.space"
        })
        .collect();
    assert_eq!(space.len(), 3);
    let (first, second) = (dir.path().join("part1.jsonl"), dir.path().join("part2.jsonl"));
    std::fs::write(&first, format!("{}\n{{\"id\": 9, \"line\": 2, \"error\": {{\"kind\": \"invalid_input\", \"message\": \"x\"}}}}\n", space[0])).unwrap();
    std::fs::write(&second, format!("{}\n{}\n", space[1], space[2])).unwrap();
    let gathered = dir.path().join("gathered");
    xai_text()
        .args(["spray", "--clusters", "2", "--explanations"])
        .arg(&first)
        .arg(&second)
        .arg("--out")
        .arg(&gathered)
        .assert()
        .success()
        .stderr(predicate::str::contains("passed over 1 error records"));
    let read = |d: &std::path::Path| std::fs::read_to_string(d.join("spray.json")).unwrap();
    assert_eq!(read(&gathered), read(&direct), "the same report, byte for byte");
    let mut pages: Vec<_> =
        std::fs::read_dir(&direct).unwrap().map(|e| e.unwrap().file_name()).collect();
    let mut gathered_pages: Vec<_> =
        std::fs::read_dir(&gathered).unwrap().map(|e| e.unwrap().file_name()).collect();
    pages.sort();
    gathered_pages.sort();
    assert_eq!(pages, gathered_pages);
    // A line that is no worker output names the file and line; gathered explanations take no model.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, format!("{}\n{{\"id\": 1}}\n", space[0])).unwrap();
    xai_text()
        .args(["spray", "--explanations"])
        .arg(&bad)
        .arg("--out")
        .arg(dir.path().join("b"))
        .assert()
        .code(4)
        .stderr(predicate::str::contains("bad.jsonl line 2: no field `explanation`"));
    xai_text()
        .args(["spray", "--model", "x", "--explanations"])
        .arg(&bad)
        .arg("--out")
        .arg(dir.path().join("c"))
        .assert()
        .code(2);
}
