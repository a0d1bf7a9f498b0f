//! The SpRAy page (`spray --html`): every map's points, a clicked document in the colours of
//! `explain`, the classes.

use std::path::Path;

use viewer::testing::{Browser, OpenPage};

use crate::{trained_on_demo_set, xai_text};

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
    let (data, model) = trained_on_demo_set(dir.path());
    let report = dir.path().join("report");
    xai_text()
        .args(["spray", "--clusters", "2", "--html", "--data"])
        .arg(&data)
        .arg("--model")
        .arg(&model)
        .arg("--out")
        .arg(&report)
        .assert()
        .success();
    let spray: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("spray.json")).unwrap()).unwrap();
    for browser in Browser::ALL {
        let page = OpenPage::open_in(browser, &report.join("report.html"));

        // The first class shown is the report's first; its scatter has one point per map.
        let first = &spray[0];
        assert_eq!(
            page.eval("document.getElementById('class').selectedOptions[0].textContent"),
            format!("{} (8)", first["class"].as_str().unwrap())
        );
        assert_eq!(
            page.eval("document.getElementById('scatter').dataset.points"),
            first["documents"].as_array().unwrap().len().to_string()
        );
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
        let title = std::fs::read_to_string(
            data.join("test")
                .join(first["class"].as_str().unwrap())
                .join(Path::new(id).file_name().unwrap()),
        )
        .unwrap();
        let tip = page.eval("document.getElementById('tooltip').hidden ? null : document.getElementById('tooltip').textContent");
        assert_eq!(
            tip.as_str(),
            Some(
                format!(
                    "{} ({id})",
                    title.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap()
                )
                .as_str()
            )
        );

        // Its words carry the colours `explain --format html` gives them, computed by the browser.
        let class = first["class"].as_str().unwrap();
        let file = data.join("test").join(class).join(Path::new(id).file_name().unwrap());
        let explained = xai_text()
            .arg("explain")
            .arg(&file)
            .arg("--model")
            .arg(&model)
            .args(["--class", class, "--format", "html"])
            .assert()
            .success();
        let expected =
            explain_colours(&String::from_utf8(explained.get_output().stdout.clone()).unwrap());
        assert!(expected.len() > 5, "the explanation colours some words: {expected:?}");
        let shown: Vec<(String, String)> = serde_json::from_value(page.eval(
            "[...document.querySelectorAll('#detail pre span')].map((s) => [s.textContent, getComputedStyle(s).backgroundColor])",
        ))
        .unwrap();
        assert_eq!(shown, expected);
        page.screenshot(
            &Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("viewer-text-document-{}.png", browser.name())),
        );

        // Another class: its own points, clusters and spectrum; nothing selected.
        let second = &spray[1];
        page.choose("class", "1");
        assert_eq!(
            page.eval("document.getElementById('scatter').dataset.points"),
            second["documents"].as_array().unwrap().len().to_string()
        );
        assert!(page
            .eval("document.getElementById('spectrum-caption').textContent")
            .as_str()
            .unwrap()
            .contains(&format!("proposes {} clusters", second["analysis"]["proposed_clusters"])));
        assert_eq!(
            page.eval("document.getElementById('detail').dataset.item ?? null"),
            serde_json::Value::Null
        );
        assert_eq!(
            page.eval("document.querySelectorAll('#clusters article').length"),
            second["analysis"]["clusters"]
        );
        page.screenshot(
            &Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("viewer-text-class-{}.png", browser.name())),
        );
    }
}
