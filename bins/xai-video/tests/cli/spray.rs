//! SpRAy on the tiny set: over each class's clips, over explanations gathered from the worker
//! mode (the same report), and over one clip's frames.

use predicates::prelude::*;

use crate::tiny_set::Trained;
use crate::xai_video;

/// SpRAy over each class's six clips, over their gathered explanations, and over a clip's frames.
pub(crate) fn classes_and_frames(trained: &Trained) {
    let Trained { dir, set, model, clip } = *trained;
    // SpRAy over each class's six clips, ranked by eigengap; and one clip's frames.
    let spray = dir.join("spray");
    xai_video()
        .args(["spray", "--clusters", "2", "--data"])
        .arg(set)
        .arg("--model")
        .arg(model)
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
            let (input, part) =
                (dir.join(format!("rows{k}.jsonl")), dir.join(format!("part{k}.jsonl")));
            std::fs::write(&input, chunk.concat()).unwrap();
            xai_video()
                .args(["explain", "--model"])
                .arg(model)
                .arg("--jsonl")
                .arg(&input)
                .arg("--out")
                .arg(&part)
                .assert()
                .success();
            part
        })
        .collect();
    let gathered = dir.join("spray-gathered");
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
        .arg(model)
        .arg(clip)
        .assert()
        .success()
        .stdout(predicate::str::contains("30 frames"));
}
