//! The SpRAy viewer page of clips in real browsers (headless Chromium and Firefox): points, a click, the
//! frames' heatmaps, the planted cue's share.

use std::path::Path;

use assert_cmd::Command;
use viewer::testing::{Browser, OpenPage};

fn xai_video() -> Command {
    Command::cargo_bin("xai-video").expect("the binary is built")
}

#[test]
fn the_page_shows_every_clip_and_a_clicked_clips_frames_with_their_heatmaps() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    xai_video()
        .args(["synth", "--out"])
        .arg(&set)
        .args([
            "--classes",
            "walk,sit-up",
            "--per-class",
            "6",
            "--frames",
            "24",
            "--seed",
            "4",
            "--artifact",
            "walk:ticker",
            "--artifact-share",
            "0.5",
        ])
        .assert()
        .success();
    let model = dir.path().join("model");
    xai_video()
        .env("RAYON_NUM_THREADS", "1")
        .args(["train", "--data"])
        .arg(&set)
        .arg("--out")
        .arg(&model)
        .args(["--components", "4", "--descriptors-per-clip", "300", "--test-fraction", "0.34"])
        .assert()
        .success();
    let report = dir.path().join("report");
    xai_video()
        .args(["spray", "--clusters", "2", "--html", "--data"])
        .arg(&set)
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

        let first = &spray[0];
        let clips = first["clips"].as_array().unwrap();
        assert_eq!(
            page.eval("document.getElementById('scatter').dataset.points"),
            clips.len().to_string()
        );

        // Click a point: the clip's per-frame curve and its three most relevant frames, each a
        // decoded picture with the blocks tinted by relevance.
        let point = page.eval("relvisViewer.pointPosition(1)");
        page.click_at(point["x"].as_f64().unwrap(), point["y"].as_f64().unwrap());
        let selected = page.eval("relvisViewer.state().selected").as_u64().unwrap() as usize;
        assert_eq!(
            page.eval("document.getElementById('detail').dataset.item").as_str(),
            clips[selected].as_str()
        );
        let item = page.eval(&format!("JSON.parse(document.getElementById('relvis-data').textContent).classes[0].items[{selected}]"));
        let per_frame: Vec<f64> = serde_json::from_value(item["per_frame"].clone()).unwrap();
        assert_eq!(per_frame.len(), 24);
        let mut order: Vec<usize> = (0..per_frame.len()).collect();
        order.sort_by(|&a, &b| per_frame[b].total_cmp(&per_frame[a]));
        let mut frames: Vec<u64> = item["frames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["frame"].as_u64().unwrap())
            .collect();
        frames.sort_unstable();
        let mut top: Vec<u64> = order[..3].iter().map(|&f| f as u64).collect();
        top.sort_unstable();
        assert_eq!(frames, top, "the three frames of largest relevance");
        // Wait for the pictures to decode and paint, then read the most relevant block's centre:
        // tinted red at 3/4 opacity over the grey picture.
        let heat = &item["frames"][0];
        let levels: Vec<i64> = serde_json::from_value(heat["levels"].clone()).unwrap();
        let strongest = (0..levels.len()).max_by_key(|&b| levels[b].abs()).unwrap();
        assert!(levels[strongest].abs() >= 128, "the frame's strongest block is faint: {levels:?}");
        let (block, cols) = (heat["block"].as_u64().unwrap(), heat["cols"].as_u64().unwrap());
        let (x, y) = (
            (strongest as u64 % cols) * block + block / 2,
            (strongest as u64 / cols) * block + block / 2,
        );
        let pixel = page.eval_async(&format!(
            "new Promise((done) => {{ const read = () => {{ const c = document.querySelector('#detail .frames canvas'); \
             const p = c.getContext('2d').getImageData({x}, {y}, 1, 1).data; \
             if (c.width === {width} && p[3] === 255) done([...p]); else setTimeout(read, 50); }}; read(); }})",
            width = heat["cols"].as_u64().unwrap() * block
        ));
        let [r, g, b]: [f64; 3] =
            [pixel[0].as_f64().unwrap(), pixel[1].as_f64().unwrap(), pixel[2].as_f64().unwrap()];
        let a = levels[strongest].abs() as f64 / 255.0 * 0.75;
        let tint = if levels[strongest] > 0 { [230.0, 30.0, 30.0] } else { [30.0, 60.0, 230.0] };
        // The grey under the tint is the same in every channel: solve it from red and check the rest.
        let grey = (r - tint[0] * a) / (1.0 - a);
        assert!((0.0..=256.0).contains(&grey), "pixel {r},{g},{b}");
        assert!(
            (g - (grey * (1.0 - a) + tint[1] * a)).abs() <= 1.5
                && (b - (grey * (1.0 - a) + tint[2] * a)).abs() <= 1.5,
            "pixel {r},{g},{b} is not grey {grey} tinted by {a}"
        );
        assert_eq!(page.eval("document.querySelectorAll('#detail .frames canvas').length"), 3);
        page.screenshot(
            &Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("viewer-video-clip-{}.png", browser.name())),
        );

        // The class with the cue: each cluster's cue share is the share of its members that carry
        // it (by the set's manifest).
        let w = spray.as_array().unwrap().iter().position(|c| c["class"] == "walk").unwrap();
        let walk = &spray[w];
        let clips = walk["clips"].as_array().unwrap();
        page.choose("class", &w.to_string());
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(set.join("manifest.json")).unwrap())
                .unwrap();
        let carries = |clip: &str| {
            manifest["clips"].as_array().unwrap().iter().any(|c| {
                c["artifact"] == true && set.join(c["video"].as_str().unwrap()) == Path::new(clip)
            })
        };
        let labels: Vec<u64> = walk["analysis"]["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_u64().unwrap())
            .collect();
        let shown: Vec<String> = serde_json::from_value(page.eval(
            "[...document.querySelectorAll('#clusters article p.meta')].map((p) => p.textContent)",
        ))
        .unwrap();
        for (k, text) in shown.iter().enumerate() {
            let members: Vec<&str> = (0..clips.len())
                .filter(|&i| labels[i] == k as u64)
                .map(|i| clips[i].as_str().unwrap())
                .collect();
            let share = members.iter().filter(|c| carries(c)).count() as f64 / members.len() as f64;
            assert_eq!(
                text,
                &format!("{} clips · cue share {share:.3}", members.len()),
                "cluster {k}"
            );
        }
        assert_eq!(
            page.eval("document.getElementById('scatter').dataset.points"),
            clips.len().to_string()
        );
        assert!(
            shown.iter().any(|t| !t.ends_with("cue share 0.000")),
            "the cue is in some cluster: {shown:?}"
        );
    }
}
