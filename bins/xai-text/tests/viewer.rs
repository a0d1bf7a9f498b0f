//! The viewer's pages in real browsers (headless Chromium and Firefox): the SpRAy page's points,
//! a click, colours, classes; the evaluation page's numbers, sorting, curves and legend.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use viewer::testing::{Browser, OpenPage};

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

/// The centre of the element `selector` picks, in the page's CSS pixels.
fn centre(page: &OpenPage, selector: &str) -> (f64, f64) {
    let b = page.eval(&format!("(() => {{ const r = document.querySelector({}).getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; }})()", serde_json::to_string(selector).unwrap()));
    (b[0].as_f64().unwrap(), b[1].as_f64().unwrap())
}

#[test]
fn the_evaluation_page_shows_the_reports_numbers_sorts_them_and_draws_its_curves() {
    let dir = tempfile::tempdir().unwrap();
    let (data, model) = trained_on_demo_set(dir.path());
    let out = dir.path().join("evaluation");
    let steps = 4;
    xai_text()
        .args(["evaluate", "--html", "--data"])
        .arg(&data)
        .arg("--model")
        .arg(&model)
        .arg("--model")
        .arg(&model)
        .args([
            "--method",
            "sa",
            "--method",
            "gxi",
            "--method",
            "occlusion",
            "--steps",
            &steps.to_string(),
            "--share",
            "0.5",
            "--limit",
            "10",
            "--randomisation-documents",
            "3",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("evaluation.json")).unwrap()).unwrap();
    let methods = report["models"][0]["methods"].as_array().unwrap().clone();
    for browser in Browser::ALL {
        let page = OpenPage::open_in(browser, &out.join("evaluation.html"));
        let section = "section[data-model='0']";

        // One row per ranking in the report's order, each cell the report's number.
        let cells: Vec<Vec<String>> = serde_json::from_value(page.eval(&format!("[...document.querySelectorAll(\"{section} tbody tr\")].map((r) => [...r.cells].map((c) => c.textContent))"))).unwrap();
        assert_eq!(cells.len(), methods.len());
        for (row, m) in cells.iter().zip(&methods) {
            let f = |v: &serde_json::Value, digits: usize| {
                format!("{:.*}", digits, v.as_f64().unwrap())
            };
            assert_eq!(row[0], m["method"].as_str().unwrap());
            assert_eq!(
                row[1..5],
                [
                    f(&m["aopc"][0], 4),
                    f(&m["aopc"][1], 4),
                    f(&m["aopc"][2], 4),
                    f(&m["insertion_area"], 4)
                ]
            );
            assert_eq!(
                row[5..8],
                [
                    f(&m["comprehensiveness"][0], 4),
                    f(&m["sufficiency"][0], 4),
                    f(&m["faithfulness_tau"], 3)
                ]
            );
        }
        // The largest AOPC (zeroed) is the one marked best.
        let best = (0..methods.len())
            .max_by(|&a, &b| {
                methods[a]["aopc"][0]
                    .as_f64()
                    .unwrap()
                    .total_cmp(&methods[b]["aopc"][0].as_f64().unwrap())
            })
            .unwrap();
        let marked = page.eval(&format!("[...document.querySelectorAll(\"{section} tbody tr\")].findIndex((r) => r.cells[1].classList.contains('best'))"));
        assert_eq!(marked, best);

        // A real click on sufficiency's header puts the lowest (best) first; a second click turns it round.
        let sufficiency = |m: &serde_json::Value| m["sufficiency"][0].as_f64().unwrap();
        let mut ascending = methods.clone();
        ascending.sort_by(|a, b| sufficiency(a).total_cmp(&sufficiency(b)));
        let names = |ms: &[serde_json::Value]| {
            ms.iter().map(|m| m["method"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        };
        let header = format!("{section} thead th:nth-child(7) button");
        assert_eq!(
            page.eval(&format!("document.querySelector(\"{header}\").textContent")),
            "suff. 50 %"
        );
        let (x, y) = centre(&page, &header);
        page.click_at(x, y);
        assert_eq!(page.eval("relvisEvaluation.order(0)"), serde_json::json!(names(&ascending)));
        page.click_at(x, y);
        ascending.reverse();
        assert_eq!(page.eval("relvisEvaluation.order(0)"), serde_json::json!(names(&ascending)));

        // Each deletion line passes through the report's values: one point per step, evenly spaced
        // in x, and y an affine map of the value, the same map for every line.
        let lines: Vec<(String, Vec<[f64; 2]>)> = serde_json::from_value(page.eval(&format!(
            "[...document.querySelectorAll(\"{section} figure:first-child g[data-method]\")].map((g) => [g.dataset.method, g.querySelector('polyline').getAttribute('points').split(' ').map((p) => p.split(',').map(Number))])"
        )))
        .unwrap();
        assert_eq!(lines.len(), methods.len());
        let values: Vec<f64> = methods
            .iter()
            .flat_map(|m| m["deletion"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
            .collect();
        let pixels: Vec<f64> =
            lines.iter().flat_map(|(_, points)| points.iter().map(|p| p[1])).collect();
        let (lo, hi) = (0..values.len()).fold((0, 0), |(lo, hi), i| {
            (
                if values[i] < values[lo] { i } else { lo },
                if values[i] > values[hi] { i } else { hi },
            )
        });
        assert!(values[hi] - values[lo] > 1e-3, "the curves differ: {values:?}");
        let slope = (pixels[hi] - pixels[lo]) / (values[hi] - values[lo]);
        assert!(slope < 0.0, "larger values are drawn higher");
        for (v, p) in values.iter().zip(&pixels) {
            assert!(
                (pixels[lo] + slope * (v - values[lo]) - p).abs() < 0.02,
                "value {v} drawn at {p}"
            );
        }
        for ((method, points), m) in lines.iter().zip(&methods) {
            assert_eq!(method, m["method"].as_str().unwrap());
            assert_eq!(points.len(), steps + 1);
            let dx = points[1][0] - points[0][0];
            assert!(dx > 0.0 && points.windows(2).all(|w| (w[1][0] - w[0][0] - dx).abs() < 0.02));
        }

        // Unticking a method hides its lines in every chart, and only its lines.
        let (x, y) = centre(&page, &format!("{section} .legend label:nth-of-type(1) input"));
        page.click_at(x, y);
        let shown: Vec<(String, String)> = serde_json::from_value(page.eval(&format!("[...document.querySelectorAll(\"{section} g[data-method]\")].map((g) => [g.dataset.method, getComputedStyle(g).display])"))).unwrap();
        let charts = page
            .eval(&format!("document.querySelectorAll(\"{section} svg.chart\").length"))
            .as_u64()
            .unwrap() as usize;
        assert_eq!(charts, 5, "deletion three ways, insertion, randomisation");
        for (method, display) in &shown {
            assert_eq!(display == "none", method == "sa", "{method}: {display}");
        }
        assert_eq!(
            shown.iter().filter(|(_, d)| d == "none").count(),
            charts,
            "sa has a line in every chart"
        );

        // Two models: the side-by-side table has a column for each.
        assert_eq!(page.eval("document.getElementById('comparison').hidden"), false);
        assert_eq!(page.eval("document.querySelectorAll('#comparison-table thead th').length"), 3);
        page.screenshot(
            &Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("evaluation-text-{}.png", browser.name())),
        );
    }
}
