//! `xai-video` end to end on a tiny synthetic set rendered by the binary itself.

use assert_cmd::Command;
use predicates::prelude::*;

fn xai_video() -> Command {
    Command::cargo_bin("xai-video").unwrap()
}

#[test]
fn synth_then_motion_vectors_and_descriptors() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    xai_video()
        .args(["synth", "--out"])
        .arg(&set)
        .args([
            "--classes",
            "wave,box",
            "--per-class",
            "2",
            "--frames",
            "24",
            "--artifact",
            "box:logo",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("4 clips"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(set.join("manifest.json")).unwrap()).unwrap();
    let clips = manifest["clips"].as_array().unwrap();
    assert_eq!(clips.len(), 4);
    assert_eq!(clips.iter().filter(|c| c["artifact"] == true).count(), 2);
    let (w, h, masks) = video::read_masks(&set.join(clips[0]["mask"].as_str().unwrap())).unwrap();
    assert_eq!((w, h, masks.len()), (160, 120, 24));

    let clip = set.join("wave").join("wave_000.mp4");
    let out = xai_video()
        .args(["mv", "--json"])
        .arg(&clip)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let summary: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(summary["frames"], 24);
    assert_eq!(summary["info"]["codec"], "h264");
    assert!(summary["kinds"].as_str().unwrap().starts_with("IBBP"));
    assert!(summary["total_vectors"].as_u64().unwrap() > 0);

    let lines = dir.path().join("d.jsonl");
    xai_video()
        .args(["descriptors"])
        .arg(&clip)
        .arg("--out")
        .arg(&lines)
        .assert()
        .success()
        .stdout(predicate::str::contains("descriptors (HOF 108"));
    let first: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&lines).unwrap().lines().next().unwrap())
            .unwrap();
    assert_eq!(
        first["frames"]["end"].as_u64().unwrap() - first["frames"]["start"].as_u64().unwrap(),
        5
    );
    // Nothing is overwritten without being asked.
    xai_video()
        .args(["descriptors"])
        .arg(&clip)
        .arg("--out")
        .arg(&lines)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--force"));
    xai_video()
        .args(["synth", "--out"])
        .arg(&set)
        .assert()
        .failure()
        .stderr(predicate::str::contains("holds files"));

    let frames = dir.path().join("frames");
    xai_video()
        .args(["show-mv"])
        .arg(&clip)
        .arg("--out")
        .arg(&frames)
        .args(["--every", "6"])
        .assert()
        .success();
    assert_eq!(std::fs::read_dir(&frames).unwrap().count(), 4);
}

#[test]
fn bad_inputs_fail_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.mp4");
    xai_video()
        .arg("mv")
        .arg(&missing)
        .assert()
        .failure()
        .stderr(predicate::str::contains("missing.mp4"));
    let text = dir.path().join("notes.avi");
    std::fs::write(&text, "not a video").unwrap();
    xai_video().arg("mv").arg(&text).assert().failure().stderr(
        predicate::str::contains("notes.avi").and(predicate::str::contains("not a readable video")),
    );
    xai_video()
        .args(["mv", "--block", "3"])
        .arg(&text)
        .assert()
        .failure()
        .stderr(predicate::str::contains("block size"));
    xai_video()
        .args(["synth", "--classes", "dance", "--out"])
        .arg(dir.path().join("s"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown action `dance`"));
}

#[test]
fn train_predict_accuracy_explain_and_evaluate_on_a_tiny_set() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    xai_video()
        .args(["synth", "--out"])
        .arg(&set)
        .args(["--classes", "walk,sit-up", "--per-class", "6", "--frames", "30", "--seed", "4"])
        .assert()
        .success();
    let model = dir.path().join("model");
    // One thread, so the tiny model does not depend on the machine's load (see the video
    // crate's classifier tests).
    xai_video()
        .env("RAYON_NUM_THREADS", "1")
        .args(["train", "--data"])
        .arg(&set)
        .arg("--out")
        .arg(&model)
        .args(["--components", "4", "--descriptors-per-clip", "400", "--test-fraction", "0.34"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("accuracy 1.0000 on 4 clips")
                .and(predicate::str::contains("model saved")),
        );
    xai_video()
        .args(["train", "--data"])
        .arg(&set)
        .arg("--out")
        .arg(&model)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--force"));
    let clip = set.join("sit-up").join("sit-up_000.mp4");
    let out = xai_video()
        .args(["predict", "--json", "--model"])
        .arg(&model)
        .arg(&clip)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let prediction: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(prediction["class_name"], "sit-up");
    xai_video()
        .args(["accuracy", "--test-fraction", "0.34", "--data"])
        .arg(&set)
        .arg("--model")
        .arg(&model)
        .assert()
        .success()
        .stdout(predicate::str::contains("accuracy 1.0000 on 4 clips"));

    let report = dir.path().join("report");
    xai_video()
        .args(["explain", "--model"])
        .arg(&model)
        .arg(&clip)
        .arg("--out")
        .arg(&report)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("explaining sit-up").and(predicate::str::contains("absorbed")),
        );
    for file in [
        "explanation.json",
        "relevance.safetensors",
        "relevance-per-frame.png",
        "most-relevant-frames.png",
        "overlay.mp4",
        "frame00000-I.png",
    ] {
        assert!(report.join(file).is_file(), "{file} missing");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("explanation.json")).unwrap()).unwrap();
    let per_frame: Vec<f64> = json["explanation"]["per_frame"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(per_frame.len(), 30);
    // Bins of 4 frames: 8 bins, each the sum of its frames.
    let bins: Vec<f64> =
        json["per_bin"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(bins.len(), 8);
    for (b, chunk) in bins.iter().zip(per_frame.chunks(4)) {
        assert!((b - chunk.iter().sum::<f64>()).abs() < 1e-4);
    }
    // 12 evenly spaced overlays (frame 0 and 29 among them) and the 4 most relevant frames.
    let overlays: Vec<String> = std::fs::read_dir(&report)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("frame"))
        .collect();
    assert!(
        (12..=16).contains(&overlays.len()) && overlays.iter().any(|n| n.starts_with("frame00029")),
        "{overlays:?}"
    );
    // The block relevance: [frames, rows, cols], its frames summing to the per-frame curve.
    let bytes = std::fs::read(report.join("relevance.safetensors")).unwrap();
    let tensors = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let blocks = tensors.tensor("blocks").unwrap();
    assert_eq!(
        blocks.shape(),
        &[
            30,
            json["grid"][0].as_u64().unwrap() as usize,
            json["grid"][1].as_u64().unwrap() as usize
        ]
    );
    let values: Vec<f32> =
        blocks.data().chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
    let per_block_frame = values.len() / 30;
    for (t, frame) in values.chunks(per_block_frame).enumerate() {
        let sum: f64 = frame.iter().map(|&v| f64::from(v)).sum();
        assert!(
            (sum - per_frame[t]).abs()
                < 1e-4 * per_frame.iter().fold(1e-3f64, |m, v| m.max(v.abs())),
            "frame {t}"
        );
    }

    // Several clips: one line each in the order given (a folder expands to its clips), clips
    // in parallel; a bad clip among them gets its line and sets the exit code.
    let notes = dir.path().join("notes.mp4");
    std::fs::write(&notes, "not a video").unwrap();
    let out = xai_video()
        .args(["predict", "--json", "--model"])
        .arg(&model)
        .arg(set.join("walk"))
        .arg(&notes)
        .arg(&clip)
        .assert()
        .code(4)
        .get_output()
        .stdout
        .clone();
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 8);
    for (i, line) in lines[..6].iter().enumerate() {
        assert!(line["path"].as_str().unwrap().ends_with(&format!("walk_{i:03}.mp4")), "{line}");
        assert_eq!(line["class_name"], "walk");
    }
    assert!(lines[6]["error"].as_str().unwrap().contains("notes.mp4") && lines[6]["exit"] == 4);
    assert_eq!(lines[7]["class_name"], "sit-up");
    let reports = dir.path().join("reports");
    xai_video()
        .args(["explain", "--overlays", "2", "--model"])
        .arg(&model)
        .arg(&clip)
        .arg(set.join("walk").join("walk_001.mp4"))
        .arg("--out")
        .arg(&reports)
        .assert()
        .success();
    for name in ["sit-up_000", "walk_001"] {
        assert!(reports.join(name).join("explanation.json").is_file(), "{name}");
    }
    xai_video()
        .args(["explain", "--class", "dance", "--model"])
        .arg(&model)
        .arg(&clip)
        .arg("--out")
        .arg(dir.path().join("r2"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown class `dance`"));

    let json = dir.path().join("relevance.json");
    xai_video()
        .args([
            "eval-relevance",
            "--test-fraction",
            "0.34",
            "--steps",
            "3",
            "--random-orders",
            "1",
            "--data",
        ])
        .arg(&set)
        .arg("--model")
        .arg(&model)
        .arg("--json")
        .arg(&json)
        .arg("--plot")
        .arg(dir.path().join("curves.svg"))
        .assert()
        .success()
        .stdout(predicate::str::contains("AOPC"));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["clips"], 4);

    // Methods compared: two models side by side (the same one twice), curves, localisation on
    // the figure masks, the randomisation test, IG's completeness.
    let evaluation = dir.path().join("evaluation");
    xai_video()
        .args([
            "evaluate",
            "--html",
            "--test-fraction",
            "0.34",
            "--steps",
            "2",
            "--randomisation-clips",
            "1",
            "--method",
            "lrp",
            "--method",
            "ig:steps=4",
            "--method",
            "occlusion:blocks=3,frames=10",
            "--data",
        ])
        .arg(&set)
        .args(["--model"])
        .arg(&model)
        .arg("--model")
        .arg(&model)
        .arg("--out")
        .arg(&evaluation)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("| occlusion:blocks=3,frames=10 |")
                .and(predicate::str::contains("| random |")),
        );
    let report_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(evaluation.join("evaluation.json")).unwrap())
            .unwrap();
    let models = report_json["models"].as_array().unwrap();
    assert_eq!(models.len(), 2);
    for (a, b) in models[0]["methods"]
        .as_array()
        .unwrap()
        .iter()
        .zip(models[1]["methods"].as_array().unwrap())
    {
        assert_eq!(
            (&a["method"], &a["deletion"], &a["insertion"], &a["figure"]),
            (&b["method"], &b["deletion"], &b["insertion"], &b["figure"]),
            "one model, one result"
        );
    }
    let methods = models[0]["methods"].as_array().unwrap();
    assert_eq!((models[0]["clips"].as_u64(), methods.len()), (Some(4), 4));
    for m in methods {
        let (deletion, imputed, insertion) = (
            m["deletion"].as_array().unwrap(),
            m["deletion_imputed"].as_array().unwrap(),
            m["insertion"].as_array().unwrap(),
        );
        assert_eq!((deletion.len(), imputed.len(), insertion.len()), (3, 3, 3));
        assert_eq!(deletion[0], imputed[0], "both deletions start at the clip's score");
        assert!(m["figure"]["inputs"] == 4 && m["cue"].is_null(), "{m}");
        assert_eq!(m["completeness"].is_array(), m["method"].as_str().unwrap().starts_with("ig"));
    }
    assert_eq!(models[0]["randomisation"].as_array().unwrap().len(), 3);
    assert!(
        evaluation.join("evaluation.png").is_file() && evaluation.join("evaluation.md").is_file()
    );
    // The page's table holds the report's numbers, in its columns' order; its curves the report's
    // curves over the share of cells (the browser's side is tested on the text page).
    let html = std::fs::read_to_string(evaluation.join("evaluation.html")).unwrap();
    let data = html.split_once("id=\"relvis-data\">").unwrap().1.split_once("</script>").unwrap().0;
    let page: serde_json::Value = serde_json::from_str(data).unwrap();
    let view = &page["models"][0];
    let columns: Vec<&str> =
        view["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        columns,
        [
            "AOPC removed",
            "AOPC imputed",
            "insertion area",
            "figure mass",
            "figure rank",
            "figure pointing",
            "ρ after svm",
            "ρ after +gmm-means",
            "IG error / gap",
            "s per clip"
        ]
    );
    for (row, m) in view["rows"].as_array().unwrap().iter().zip(methods) {
        let value = |c: usize| row["values"][c].as_f64();
        assert_eq!(row["method"], m["method"]);
        assert_eq!(
            [value(0), value(1), value(2), value(3), value(5)],
            [
                m["aopc"][0].as_f64(),
                m["aopc"][1].as_f64(),
                m["insertion_area"].as_f64(),
                m["figure"]["mass_accuracy"].as_f64(),
                m["figure"]["pointing_game"].as_f64()
            ]
        );
        let ig =
            m["completeness"].as_array().map(|c| c[0].as_f64().unwrap() / c[1].as_f64().unwrap());
        assert_eq!(value(8), ig);
    }
    let deletion = &view["charts"][0];
    assert_eq!(
        deletion["x"],
        serde_json::json!([0.0, 10.0, 20.0]),
        "two steps to 20 % of the cells"
    );
    assert_eq!(deletion["lines"][0][1], methods[0]["deletion"]);
    xai_video()
        .args(["evaluate", "--test-fraction", "0.34", "--data"])
        .arg(&set)
        .arg("--model")
        .arg(&model)
        .arg("--out")
        .arg(&evaluation)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--force"));
    xai_video()
        .args(["evaluate", "--method", "ig:steps=0", "--data"])
        .arg(&set)
        .arg("--model")
        .arg(&model)
        .arg("--out")
        .arg(dir.path().join("e2"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("steps `0`"));
    xai_video()
        .args(["evaluate", "--data"])
        .arg(&set)
        .args(["--model", "default", "--out"])
        .arg(dir.path().join("e3"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("the model knows"));

    // SpRAy over each class's six clips, ranked by eigengap; and one clip's frames.
    let spray = dir.path().join("spray");
    xai_video()
        .args(["spray", "--clusters", "2", "--data"])
        .arg(&set)
        .arg("--model")
        .arg(&model)
        .arg("--out")
        .arg(&spray)
        .assert()
        .success()
        .stdout(predicate::str::contains("ranked by eigengap"));
    let classes: serde_json::Value =
        serde_json::from_slice(&std::fs::read(spray.join("spray.json")).unwrap()).unwrap();
    assert_eq!(classes.as_array().unwrap().len(), 2);
    assert_eq!(classes[0]["analysis"]["labels"].as_array().unwrap().len(), 6);
    assert!(spray.join("walk-cluster-maps.png").is_file());
    // The same from explanations gathered from the worker mode, in two parts.
    let rows: Vec<String> = classes
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            c["clips"].as_array().unwrap().iter().map(move |clip| {
                serde_json::json!({ "id": clip, "path": clip, "class": c["class"] }).to_string()
                    + "\n"
            })
        })
        .collect();
    let parts: Vec<std::path::PathBuf> = rows
        .chunks(5)
        .enumerate()
        .map(|(k, chunk)| {
            let (input, part) = (
                dir.path().join(format!("rows{k}.jsonl")),
                dir.path().join(format!("part{k}.jsonl")),
            );
            std::fs::write(&input, chunk.concat()).unwrap();
            xai_video()
                .args(["explain", "--model"])
                .arg(&model)
                .arg("--jsonl")
                .arg(&input)
                .arg("--out")
                .arg(&part)
                .assert()
                .success();
            part
        })
        .collect();
    let gathered = dir.path().join("spray-gathered");
    xai_video()
        .args(["spray", "--clusters", "2", "--explanations"])
        .args(&parts)
        .arg("--out")
        .arg(&gathered)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(gathered.join("spray.json")).unwrap(),
        std::fs::read_to_string(spray.join("spray.json")).unwrap()
    );
    assert!(gathered.join("walk-cluster-maps.png").is_file());
    xai_video()
        .args(["spray-frames", "--model"])
        .arg(&model)
        .arg(&clip)
        .assert()
        .success()
        .stdout(predicate::str::contains("30 frames"));
    assert!(report["per_class"][0]["figure"]["relevance"].as_f64().unwrap() > 0.0);
}

#[test]
fn the_embedded_default_model_explains_the_demo_clip() {
    let dir = tempfile::tempdir().unwrap();
    let demo =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo-video/sit-up.mp4");
    xai_video()
        .arg("predict")
        .arg(&demo)
        .assert()
        .success()
        .stdout(predicate::str::contains("predicted: sit-up"));
    xai_video()
        .arg("explain")
        .arg(&demo)
        .arg("--out")
        .arg(dir.path().join("r"))
        .assert()
        .success()
        .stdout(predicate::str::contains("explaining sit-up"));
}

#[test]
fn explain_takes_a_rule_per_step_and_reports_every_step() {
    let dir = tempfile::tempdir().unwrap();
    let clip =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo-video/sit-up.mp4");
    let out = dir.path().join("report");
    xai_video()
        .args([
            "explain",
            clip.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--overlays",
            "0",
            "--rule",
            "epsilon=0.001;dense:zplus",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("lrp epsilon=0.001;dense:zplus: score")
                .and(predicate::str::contains("step 3 dense             zplus"))
                .and(predicate::str::contains("step 0 receptive-fields  flat")),
        );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("explanation.json")).unwrap())
            .unwrap();
    let layers = json["explanation"]["conservation"]["layers"].as_array().unwrap();
    assert_eq!(
        layers.iter().map(|l| l["rule"].as_str().unwrap_or("-")).collect::<Vec<_>>(),
        ["zplus", "-", "epsilon=0.001", "flat"]
    );
    // z⁺ at the SVM passes on all of the score that has a positive part (the bias's share aside).
    let (out_sum, in_sum) =
        (layers[0]["relevance_out"].as_f64().unwrap(), layers[0]["relevance_in"].as_f64().unwrap());
    assert!(in_sum > 0.0 && in_sum <= out_sum + 1e-6, "{in_sum} of {out_sum}");
    // A rule the Fisher step cannot take and an unknown one are usage errors, as in xai-text.
    xai_video()
        .args([
            "explain",
            clip.to_str().unwrap(),
            "--out",
            dir.path().join("b").to_str().unwrap(),
            "--rule",
            "zplus",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Fisher-vector step"));
    xai_video()
        .args([
            "explain",
            clip.to_str().unwrap(),
            "--out",
            dir.path().join("c").to_str().unwrap(),
            "--rule",
            "nonsense",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule"));
}
