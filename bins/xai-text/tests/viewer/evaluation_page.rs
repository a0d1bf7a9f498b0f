//! The evaluation page (`evaluate --html`): the report's numbers, sorting, curves and legend.

use std::path::Path;

use viewer::testing::{Browser, OpenPage};

use crate::{trained_on_demo_set, xai_text};

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
