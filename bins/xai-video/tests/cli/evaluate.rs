//! The tiny set's explanations measured: `eval-relevance`, and `evaluate` comparing methods
//! and models, with its page's numbers.

use predicates::prelude::*;

use crate::tiny_set::Trained;
use crate::xai_video;

/// `eval-relevance` on the held-out clips; its report, for the test to check last.
pub(crate) fn eval_relevance(trained: &Trained) -> serde_json::Value {
    let Trained { dir, set, model, .. } = *trained;
    let json = dir.join("relevance.json");
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
        .arg(set)
        .arg("--model")
        .arg(model)
        .arg("--json")
        .arg(&json)
        .arg("--plot")
        .arg(dir.join("curves.svg"))
        .assert()
        .success()
        .stdout(predicate::str::contains("AOPC"));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["clips"], 4);
    report
}

/// `evaluate` with three methods on two models: curves, localisation, the randomisation test and
/// the page; its refusals.
pub(crate) fn methods_and_models(trained: &Trained) {
    let Trained { dir, set, model, .. } = *trained;
    // Methods compared: two models side by side (the same one twice), curves, localisation on
    // the figure masks, the randomisation test, IG's completeness.
    let evaluation = dir.join("evaluation");
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
        .arg(set)
        .args(["--model"])
        .arg(model)
        .arg("--model")
        .arg(model)
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
        .arg(set)
        .arg("--model")
        .arg(model)
        .arg("--out")
        .arg(&evaluation)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--force"));
    xai_video()
        .args(["evaluate", "--method", "ig:steps=0", "--data"])
        .arg(set)
        .arg("--model")
        .arg(model)
        .arg("--out")
        .arg(dir.join("e2"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("steps `0`"));
    xai_video()
        .args(["evaluate", "--data"])
        .arg(set)
        .args(["--model", "default", "--out"])
        .arg(dir.join("e3"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("the model knows"));
}
