//! The tiny set's model explaining clips: one clip's report folder, file by file, and several
//! clips at once (predicted and explained in parallel).

use predicates::prelude::*;

use crate::tiny_set::Trained;
use crate::xai_video;

/// One clip's report: its files, the per-frame curve, its bins, the overlays, the block relevance.
pub(crate) fn one_clip(trained: &Trained) {
    let Trained { dir, model, clip, .. } = *trained;
    let report = dir.join("report");
    xai_video()
        .args(["explain", "--model"])
        .arg(model)
        .arg(clip)
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
}

/// Several clips: one line each in the order given, a bad one among them; a report folder each.
pub(crate) fn several_clips(trained: &Trained) {
    let Trained { dir, set, model, clip } = *trained;
    // Several clips: one line each in the order given (a folder expands to its clips), clips
    // in parallel; a bad clip among them gets its line and sets the exit code.
    let notes = dir.join("notes.mp4");
    std::fs::write(&notes, "not a video").unwrap();
    let out = xai_video()
        .args(["predict", "--json", "--model"])
        .arg(model)
        .arg(set.join("walk"))
        .arg(&notes)
        .arg(clip)
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
    let reports = dir.join("reports");
    xai_video()
        .args(["explain", "--overlays", "2", "--model"])
        .arg(model)
        .arg(clip)
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
        .arg(model)
        .arg(clip)
        .arg("--out")
        .arg(dir.join("r2"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown class `dance`"));
}
