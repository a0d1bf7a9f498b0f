//! The viewer's pages in real browsers (headless Chromium and Firefox): the SpRAy page's points,
//! a click, colours, classes; the evaluation page's numbers, sorting, curves and legend.

mod evaluation_page;
mod spray_page;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn xai_text() -> Command {
    Command::cargo_bin("xai-text").expect("the binary is built")
}

/// A folder set of five 20 Newsgroups classes, each with eight test posts cut from its demo
/// post (every variant drops a different sentence).
fn demo_set(dir: &Path) {
    let demos = [
        ("autos", "rec.autos"),
        ("graphics", "comp.graphics"),
        ("hockey", "rec.sport.hockey"),
        ("medicine", "sci.med"),
        ("space", "sci.space"),
    ];
    for (file, class) in demos {
        let text = std::fs::read_to_string(format!(
            "{}/../../assets/demo/{file}.txt",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let sentences: Vec<&str> = text.split_inclusive(". ").collect();
        for split in ["train", "test"] {
            let folder = dir.join(split).join(class);
            std::fs::create_dir_all(&folder).unwrap();
            for variant in 0..8 {
                let post: String = sentences
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| variant == 0 || i % 8 != variant)
                    .map(|(_, s)| *s)
                    .collect();
                std::fs::write(folder.join(format!("{variant}.txt")), post).unwrap();
            }
        }
    }
}

/// The demo set in `dir/set` and a small model trained on it in `dir/model`.
fn trained_on_demo_set(dir: &Path) -> (PathBuf, PathBuf) {
    let (data, model) = (dir.join("set"), dir.join("model"));
    demo_set(&data);
    let small = [
        "--filters",
        "8",
        "--embedding-dim",
        "8",
        "--max-len",
        "96",
        "--epochs",
        "3",
        "--min-count",
        "1",
    ];
    xai_text()
        .args(["train", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&model)
        .args(small)
        .assert()
        .success();
    (data, model)
}
