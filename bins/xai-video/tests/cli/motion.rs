//! A synthetic set rendered, its motion vectors and descriptors read; bad inputs named.

use predicates::prelude::*;

use crate::xai_video;

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
