//! The default model exported to ONNX against the native one on a small set over its classes,
//! and `eval-deletion` in shards merged.

use predicates::prelude::*;

use crate::{demo, xai_text};

/// A folder set in both splits under the 20 Newsgroups class names of the exported model's
/// config: three copies of each demo post (the last two with sentences dropped) under its
/// class, and a line naming the class for each of the others.
/// The default model exported to `dir/onnx` and a small set over its classes in `dir/data`.
pub(crate) fn exported_demo_set(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
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
