//! The `xai-text` binary end to end, with the model embedded in it (no data set needed).

use assert_cmd::Command;
use predicates::prelude::*;

fn xai_text() -> Command {
    Command::cargo_bin("xai-text").expect("the binary is built")
}

fn demo(name: &str) -> String {
    format!("{}/../../assets/demo/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_embedded_model_classifies_every_demo_post() {
    for (file, class) in [
        ("autos.txt", "rec.autos"),
        ("graphics.txt", "comp.graphics"),
        ("hockey.txt", "rec.sport.hockey"),
        ("medicine.txt", "sci.med"),
        ("space.txt", "sci.space"),
    ] {
        xai_text()
            .args(["predict", &demo(file)])
            .assert()
            .success()
            .stdout(predicate::str::starts_with(format!("predicted: {class} (p = ")));
    }
}

#[test]
fn predict_reads_standard_input_and_prints_json() {
    let text = std::fs::read_to_string(demo("space.txt")).unwrap();
    let out = xai_text()
        .args(["predict", "-", "--json"])
        .write_stdin(text)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(json["class_name"], "sci.space");
    let p: f64 =
        json["probabilities"].as_array().unwrap().iter().map(|p| p.as_f64().unwrap()).sum();
    assert!((p - 1.0).abs() < 1e-4, "probabilities sum to {p}");
}

#[test]
fn train_never_overwrites_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("keep.txt");
    std::fs::write(&marker, "mine").unwrap();
    xai_text()
        .args(["train", "--data", "no-such-archive.tar.gz", "--out", dir.path().to_str().unwrap()])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--force"));
    assert_eq!(std::fs::read_to_string(marker).unwrap(), "mine");
}

#[test]
fn explain_colours_words_or_shows_their_values() {
    let plain = xai_text()
        .args(["explain", &demo("hockey.txt"), "--color", "never"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let plain = String::from_utf8(plain).unwrap();
    assert!(plain.starts_with("explaining rec.sport.hockey (score "), "{plain}");
    assert!(plain.contains("[+") && plain.contains("conservation: words sum to"));
    assert!(!plain.contains('\u{1b}'));
    let coloured = xai_text()
        .args(["explain", &demo("hockey.txt"), "--color", "always"])
        .env("COLORTERM", "truecolor")
        .assert()
        .success();
    let coloured = String::from_utf8(coloured.get_output().stdout.clone()).unwrap();
    assert!(coloured.contains("\u{1b}[48;2;255;"), "truecolor backgrounds");
    xai_text()
        .args(["explain", "--text", "the goalie stopped the puck", "--class", "no.such.group"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no class `no.such.group`"));
}

#[test]
fn explain_streams_json_lines_over_a_folder_and_writes_html_once() {
    let folder = tempfile::tempdir().unwrap();
    for name in ["autos.txt", "space.txt"] {
        std::fs::copy(demo(name), folder.path().join(name)).unwrap();
    }
    std::fs::write(folder.path().join("picture.bin"), [0u8, 1, 2, 3]).unwrap();
    let run = xai_text()
        .args(["explain", folder.path().to_str().unwrap(), "--format", "json", "--method", "sa"])
        .assert()
        .success();
    let output = run.get_output();
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("warning: skipped"),
        "the binary file is skipped with a warning"
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0]["id"].as_str().unwrap().ends_with("autos.txt"));
    assert_eq!(lines[1]["explanation"]["class_name"], "sci.space");
    assert_eq!(lines[1]["explanation"]["method"], "sa");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("space.html");
    let page_arg = page.to_str().unwrap();
    xai_text()
        .args(["explain", &demo("space.txt"), "--format", "html", "--out", page_arg])
        .assert()
        .success();
    assert!(std::fs::read_to_string(&page).unwrap().starts_with("<!DOCTYPE html>"));
    xai_text()
        .args(["explain", &demo("space.txt"), "--format", "html", "--out", page_arg])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--force"));
}

#[test]
fn training_several_networks_prints_every_report() {
    let set = format!("{}/../../assets/demo-set/tickets.csv", env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let small = [
        "--filters",
        "20",
        "--max-len",
        "40",
        "--epochs",
        "3",
        "--min-count",
        "1",
        "--batch-size",
        "8",
        "--embedding-dim",
        "8",
    ];
    let train = |name: &str, members: &str| {
        let out = dir.path().join(name);
        let stdout = xai_text()
            .args(["train", "--data", &set, "--out"])
            .arg(&out)
            .args(small)
            .args(["--members", members])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(stdout).unwrap();
        // The JSON comes first, the summary line after it.
        let json_end = text.rfind("\nmodel saved to").unwrap();
        let printed: serde_json::Value = serde_json::from_str(&text[..json_end]).unwrap();
        let config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("config.json")).unwrap()).unwrap();
        (printed, config["training"].clone())
    };
    let (printed, training) = train("three", "3");
    let mut expected = vec![training["report"].clone()];
    expected.extend(training["other_members"].as_array().unwrap().iter().cloned());
    assert_eq!(expected.len(), 3);
    assert_eq!(
        printed,
        serde_json::Value::Array(expected),
        "every network's report, in training order"
    );
    let (printed, training) = train("one", "1");
    assert_eq!(printed, training["report"], "one network: its report, an object as before");
}

#[test]
fn a_set_the_user_brings_trains_explains_and_evaluates() {
    let set = format!("{}/../../assets/demo-set/tickets.csv", env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tickets");
    let model_arg = model.to_str().unwrap();
    // The README's worked example.
    let small = [
        "--filters",
        "50",
        "--max-len",
        "40",
        "--epochs",
        "60",
        "--patience",
        "15",
        "--min-count",
        "1",
        "--word-dropout",
        "0.1",
    ];
    let small_too = ["--batch-size", "8", "--embedding-dim", "16", "--learning-rate", "0.005"];
    xai_text()
        .args(["train", "--data", &set, "--out", model_arg])
        .args(small)
        .args(small_too)
        .assert()
        .success();
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["data"]["layout"], "csv");
    assert_eq!(config["data"]["split"]["test_fraction"].as_f64().unwrap() as f32, 0.2);
    assert_eq!(config["classes"], serde_json::json!(["billing", "technical"]));
    let out = xai_text()
        .args(["accuracy", "--data", &set, "--model", model_arg, "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let evaluation: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(evaluation["documents"], 12, "the recorded 20 % split");
    assert!(evaluation["accuracy"].as_f64().unwrap() >= 0.75, "{evaluation}");
    xai_text()
        .args([
            "explain",
            "--model",
            model_arg,
            "--text",
            "I was charged twice, please refund me",
            "--color",
            "never",
        ])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("explaining billing"));
    let json = dir.path().join("deletion.json");
    let plot = dir.path().join("deletion.svg");
    xai_text()
        .args([
            "eval-deletion",
            "--data",
            &set,
            "--model",
            model_arg,
            "--steps",
            "5",
            "--per-class",
            "--random-seeds",
            "1",
        ])
        .args(["--json", json.to_str().unwrap(), "--plot", plot.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("billing, (a) correctly classified"));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["per_class"].as_array().unwrap().len(), 2);
    assert!(std::fs::read_to_string(&plot).unwrap().contains("<svg"));
    // SpRAy over the test documents of a class, both kinds of maps.
    for maps in ["position", "vocab"] {
        let out = dir.path().join(format!("spray-{maps}"));
        xai_text()
            .args([
                "spray",
                "--data",
                &set,
                "--model",
                model_arg,
                "--class",
                "billing",
                "--maps",
                maps,
                "--out",
                out.to_str().unwrap(),
            ])
            .assert()
            .success()
            .stdout(predicate::str::contains("billing"));
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("spray.json")).unwrap()).unwrap();
        let analysis = &report[0]["analysis"];
        assert_eq!(analysis["maps"], 6);
        assert_eq!(analysis["labels"].as_array().unwrap().len(), 6);
        assert!(
            out.join("billing-spectrum.png").is_file()
                && out.join("billing-embedding.png").is_file()
        );
    }
    xai_text()
        .args(["accuracy", "--data", &set, "--model", model_arg, "--label-field", "queue"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no column `queue`"));
}

/// The ONNX text classifier the text crate's tests use (a Hugging Face style folder).
fn onnx_folder() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../crates/text/tests/fixtures/onnx-kim").to_string()
}

#[test]
fn predict_and_explain_take_an_onnx_model_folder() {
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/expected.json", onnx_folder())).unwrap(),
    )
    .unwrap();
    let text = expected[0]["text"].as_str().unwrap();
    let out = xai_text()
        .args(["predict", "--json", "--model", &onnx_folder(), "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (ours, runtime) in
        p["scores"].as_array().unwrap().iter().zip(expected[0]["logits"].as_array().unwrap())
    {
        assert!((ours.as_f64().unwrap() - runtime.as_f64().unwrap()).abs() < 1e-5);
    }
    let out = xai_text()
        .args([
            "explain",
            "--format",
            "json",
            "--class",
            "hockey",
            "--rule",
            "zplus",
            "--model",
            &onnx_folder(),
            "--text",
            text,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["class_name"], "hockey");
    assert_eq!(e["words"].as_array().unwrap().len(), text.split_whitespace().count());
}

#[test]
fn accuracy_takes_an_onnx_model_and_counts_what_onnx_runtime_predicts() {
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/expected.json", onnx_folder())).unwrap(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let classes = ["space", "hockey", "autos"];
    let mut correct = 0;
    for (i, case) in expected.as_array().unwrap().iter().enumerate() {
        for split in ["train", "test"] {
            let folder = dir.path().join(split).join(classes[i]);
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join(format!("{i}.txt")), case["text"].as_str().unwrap())
                .unwrap();
        }
        let logits: Vec<f64> =
            case["logits"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let predicted = (0..3).fold(0, |best, c| if logits[c] > logits[best] { c } else { best });
        correct += usize::from(predicted == i);
    }
    let out = xai_text()
        .args(["accuracy", "--json", "--model", &onnx_folder(), "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["documents"], 3);
    assert!((e["accuracy"].as_f64().unwrap() - correct as f64 / 3.0).abs() < 1e-12, "{e}");
}

#[test]
fn export_writes_an_onnx_folder_that_predicts_as_the_embedded_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("onnx");
    xai_text()
        .args(["export", "--onnx"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("20 classes"));
    for name in ["model.onnx", "tokenizer.json", "config.json"] {
        assert!(out.join(name).is_file(), "{name}");
    }
    xai_text()
        .args(["export", "--onnx"])
        .arg(&out)
        .assert()
        .code(6)
        .stderr(predicate::str::contains("exists").and(predicate::str::contains("--force")));
    let native = xai_text().args(["predict", "--json", &demo("hockey.txt")]).output().unwrap();
    let imported = xai_text()
        .args(["predict", "--json", "--model"])
        .arg(&out)
        .arg(demo("hockey.txt"))
        .output()
        .unwrap();
    assert!(native.status.success() && imported.status.success());
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_slice(&native.stdout).unwrap(),
        serde_json::from_slice(&imported.stdout).unwrap(),
    );
    assert_eq!(a["class_name"], b["class_name"]);
    for (x, y) in a["scores"].as_array().unwrap().iter().zip(b["scores"].as_array().unwrap()) {
        assert!((x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1e-4, "{x} against {y}");
    }
}

/// A folder set in both splits under the 20 Newsgroups class names of the exported model's
/// config: three copies of each demo post (the last two with sentences dropped) under its
/// class, and a line naming the class for each of the others.
/// The default model exported to `dir/onnx` and a small set over its classes in `dir/data`.
fn exported_demo_set(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (data, onnx) = (dir.join("data"), dir.join("onnx"));
    xai_text().args(["export", "--onnx"]).arg(&onnx).assert().success();
    demo_set(&data, &onnx);
    (data, onnx)
}

fn demo_set(dir: &std::path::Path, onnx: &std::path::Path) {
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(onnx.join("config.json")).unwrap()).unwrap();
    let demos = [
        ("autos", "rec.autos"),
        ("graphics", "comp.graphics"),
        ("hockey", "rec.sport.hockey"),
        ("medicine", "sci.med"),
        ("space", "sci.space"),
    ];
    for class in config["id2label"].as_object().unwrap().values().map(|c| c.as_str().unwrap()) {
        let texts: Vec<String> = match demos.iter().find(|(_, c)| *c == class) {
            Some((file, _)) => {
                let text = std::fs::read_to_string(demo(&format!("{file}.txt"))).unwrap();
                let sentences: Vec<&str> = text.split_inclusive(". ").collect();
                (0..3)
                    .map(|copy| {
                        sentences
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| copy == 0 || i % 3 != copy)
                            .map(|(_, s)| *s)
                            .collect()
                    })
                    .collect()
            }
            None => vec![format!("a post for {}", class.replace('.', " "))],
        };
        for split in ["train", "test"] {
            let folder = dir.join(split).join(class);
            std::fs::create_dir_all(&folder).unwrap();
            for (i, t) in texts.iter().enumerate() {
                std::fs::write(folder.join(format!("{i}.txt")), t).unwrap();
            }
        }
    }
}

#[test]
fn eval_deletion_and_spray_give_the_same_report_on_the_exported_model_as_on_the_native_one() {
    let dir = tempfile::tempdir().unwrap();
    let (data, onnx) = exported_demo_set(dir.path());
    let mut reports = Vec::new();
    for (name, model) in [("native", None), ("onnx", Some(&onnx))] {
        let (json, plot, spray) = (
            dir.path().join(format!("{name}.json")),
            dir.path().join(format!("{name}.png")),
            dir.path().join(format!("{name}-spray")),
        );
        let mut deletion = xai_text();
        deletion
            .args(["eval-deletion", "--steps", "6", "--random-seeds", "1", "--data"])
            .arg(&data)
            .arg("--json")
            .arg(&json)
            .arg("--plot")
            .arg(&plot);
        let mut clusters = xai_text();
        clusters
            .args(["spray", "--class", "sci.space", "--clusters", "2", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(&spray);
        if let Some(m) = model {
            deletion.arg("--model").arg(m);
            clusters.arg("--model").arg(m);
        }
        deletion.assert().success().stdout(predicate::str::contains("30 documents"));
        clusters.assert().success();
        let deletion: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let clusters: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(spray.join("spray.json")).unwrap())
                .unwrap();
        reports.push((deletion, clusters));
    }
    let (native, onnx) = (&reports[0], &reports[1]);
    assert_eq!(native.0, onnx.0, "deletion");
    let curve = &native.0["correct"]["curves"][0]["accuracy"];
    assert!(
        curve[0].as_f64().unwrap() > curve[6].as_f64().unwrap(),
        "deleting the most relevant words lowers accuracy: {curve}"
    );
    assert_eq!(native.1[0]["analysis"]["labels"], onnx.1[0]["analysis"]["labels"]);
    assert_eq!(native.1[0]["clusters"], onnx.1[0]["clusters"]);
    assert_eq!(native.1[0]["documents"].as_array().unwrap().len(), 3);
}

#[test]
fn eval_deletion_in_four_shards_merges_into_the_report_of_the_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = exported_demo_set(dir.path());
    let run = |extra: &[&str], json: &std::path::Path| {
        let mut c = xai_text();
        c.args(["eval-deletion", "--steps", "5", "--random-seeds", "2", "--per-class", "--data"])
            .arg(&data)
            .arg("--json")
            .arg(json)
            .arg("--plot")
            .arg(dir.path().join("plot.png"))
            .args(extra)
            .arg("--force");
        c
    };
    let whole = dir.path().join("whole.json");
    run(&[], &whole).assert().success();
    let parts: Vec<std::path::PathBuf> =
        (1..=4).map(|k| dir.path().join(format!("part{k}.json"))).collect();
    for (k, part) in parts.iter().enumerate() {
        let shard = format!("{}/4", k + 1);
        run(&["--shard", &shard], part)
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("shard {shard}: ")));
    }
    let merged = dir.path().join("merged.json");
    xai_text()
        .args(["eval-deletion", "--json"])
        .arg(&merged)
        .arg("--plot")
        .arg(dir.path().join("merged.png"))
        .arg("--merge")
        .args(&parts)
        .assert()
        .success();
    let whole_text = std::fs::read_to_string(&whole).unwrap();
    assert_eq!(
        std::fs::read_to_string(&merged).unwrap(),
        whole_text,
        "the merged report is the unsharded one, byte for byte"
    );
    assert!(dir.path().join("merged.png").exists());
    // The shards hold the documents between them: 30 in all, about a quarter each.
    let counts: Vec<serde_json::Value> = parts
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    let documents: Vec<u64> = counts
        .iter()
        .map(|c| {
            c["groups"].as_array().unwrap().iter().map(|g| g["documents"].as_u64().unwrap()).sum()
        })
        .collect();
    assert_eq!(documents.iter().sum::<u64>(), 30, "{documents:?}");
    assert!(documents.iter().all(|&d| (7..=8).contains(&d)), "{documents:?}");
    // A missing shard, a shard given twice and a shard out of range are usage errors naming the problem.
    let refused = |args: Vec<std::ffi::OsString>, message: &str| {
        xai_text()
            .args(["eval-deletion", "--json"])
            .arg(dir.path().join("x.json"))
            .arg("--plot")
            .arg(dir.path().join("x.png"))
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message.to_string()));
        assert!(!dir.path().join("x.json").exists());
    };
    refused(
        [
            "--merge".into(),
            parts[0].clone().into(),
            parts[1].clone().into(),
            parts[3].clone().into(),
        ]
        .to_vec(),
        "shards 3/4 are missing",
    );
    refused(
        ["--merge".into(), parts[0].clone().into(), parts[0].clone().into()].to_vec(),
        "shard 1/4 is given twice",
    );
    refused(vec!["--shard".into(), "5/4".into()], "expected K/N with 1 ≤ K ≤ N");
}

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
