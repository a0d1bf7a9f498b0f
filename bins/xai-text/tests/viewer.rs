//! The SpRAy viewer page in a real browser (headless Chromium): points, a click, colours, classes.

use std::path::Path;

use assert_cmd::Command;
use viewer::testing::OpenPage;

fn xai_text() -> Command {
    Command::cargo_bin("xai-text").expect("the binary is built")
}

/// A folder set of five 20 Newsgroups classes, each with eight test posts cut from its demo
/// post (every variant drops a different sentence).
fn demo_set(dir: &Path) {
    let demos = [("autos", "rec.autos"), ("graphics", "comp.graphics"), ("hockey", "rec.sport.hockey"), ("medicine", "sci.med"), ("space", "sci.space")];
    for (file, class) in demos {
        let text = std::fs::read_to_string(format!("{}/../../assets/demo/{file}.txt", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let sentences: Vec<&str> = text.split_inclusive(". ").collect();
        for split in ["train", "test"] {
            let folder = dir.join(split).join(class);
            std::fs::create_dir_all(&folder).unwrap();
            for variant in 0..8 {
                let post: String = sentences.iter().enumerate().filter(|(i, _)| variant == 0 || i % 8 != variant).map(|(_, s)| *s).collect();
                std::fs::write(folder.join(format!("{variant}.txt")), post).unwrap();
            }
        }
    }
}

/// Each coloured word of `explain --format html`'s page: (word, "rgb(r, g, b)").
fn explain_colours(page: &str) -> Vec<(String, String)> {
    page.split("<span style=\"background: rgb(")
        .skip(1)
        .map(|rest| {
            let (rgb, rest) = rest.split_once(")\"").unwrap();
            let word = rest.split_once('>').unwrap().1.split_once("</span>").unwrap().0;
            let channels: Vec<&str> = rgb.split(',').collect();
            (word.to_string(), format!("rgb({})", channels.join(", ")))
        })
        .collect()
}

#[test]
fn the_page_shows_every_map_and_a_clicked_document_in_the_explain_colours() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("set");
    demo_set(&data);
    let model = dir.path().join("model");
    let small = ["--filters", "8", "--embedding-dim", "8", "--max-len", "96", "--epochs", "3", "--min-count", "1"];
    xai_text().args(["train", "--data"]).arg(&data).arg("--out").arg(&model).args(small).assert().success();
    let report = dir.path().join("report");
    xai_text().args(["spray", "--clusters", "2", "--html", "--data"]).arg(&data).arg("--model").arg(&model).arg("--out").arg(&report).assert().success();
    let spray: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(report.join("spray.json")).unwrap()).unwrap();
    let page = OpenPage::open(&report.join("report.html"));

    // The first class shown is the report's first; its scatter has one point per map.
    let first = &spray[0];
    assert_eq!(page.eval("document.getElementById('class').selectedOptions[0].textContent"), format!("{} (8)", first["class"].as_str().unwrap()));
    assert_eq!(page.eval("document.getElementById('scatter').dataset.points"), first["documents"].as_array().unwrap().len().to_string());
    assert_eq!(page.eval("document.querySelectorAll('#clusters article').length"), 2);

    // A real click on a drawn point selects that document (the one nearest the click).
    let point = page.eval("relvisViewer.pointPosition(3)");
    page.click_at(point["x"].as_f64().unwrap(), point["y"].as_f64().unwrap());
    let selected = page.eval("relvisViewer.state().selected").as_u64().unwrap() as usize;
    let id = page.eval("document.getElementById('detail').dataset.item");
    let id = id.as_str().unwrap();
    assert_eq!(id, first["documents"][selected].as_str().unwrap());
    let near = page.eval(&format!(
        "(() => {{ const p = relvisViewer.pointPosition({selected}), q = relvisViewer.pointPosition(3); return Math.hypot(p.x - q.x, p.y - q.y); }})()"
    ));
    assert!(near.as_f64().unwrap() < 8.0, "selected a point {near} px away from the click");
    // The pointer over it shows the post's title, its Subject line.
    let title = std::fs::read_to_string(data.join("test").join(first["class"].as_str().unwrap()).join(Path::new(id).file_name().unwrap())).unwrap();
    let tip = page.eval("document.getElementById('tooltip').hidden ? null : document.getElementById('tooltip').textContent");
    assert_eq!(tip.as_str(), Some(format!("{} ({id})", title.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap()).as_str()));

    // Its words carry the colours `explain --format html` gives them, computed by the browser.
    let class = first["class"].as_str().unwrap();
    let file = data.join("test").join(class).join(Path::new(id).file_name().unwrap());
    let explained = xai_text().arg("explain").arg(&file).arg("--model").arg(&model).args(["--class", class, "--format", "html"]).assert().success();
    let expected = explain_colours(&String::from_utf8(explained.get_output().stdout.clone()).unwrap());
    assert!(expected.len() > 5, "the explanation colours some words: {expected:?}");
    let shown: Vec<(String, String)> = serde_json::from_value(page.eval(
        "[...document.querySelectorAll('#detail pre span')].map((s) => [s.textContent, getComputedStyle(s).backgroundColor])",
    ))
    .unwrap();
    assert_eq!(shown, expected);
    page.screenshot(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("viewer-text-document.png"));

    // Another class: its own points, clusters and spectrum; nothing selected.
    let second = &spray[1];
    page.choose("class", "1");
    assert_eq!(page.eval("document.getElementById('scatter').dataset.points"), second["documents"].as_array().unwrap().len().to_string());
    assert!(page.eval("document.getElementById('spectrum-caption').textContent").as_str().unwrap().contains(&format!("proposes {} clusters", second["analysis"]["proposed_clusters"])));
    assert_eq!(page.eval("document.getElementById('detail').dataset.item ?? null"), serde_json::Value::Null);
    assert_eq!(page.eval("document.querySelectorAll('#clusters article').length"), second["analysis"]["clusters"]);
    page.screenshot(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("viewer-text-class.png"));
}
