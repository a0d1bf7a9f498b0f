//! How long a viewer page (a SpRAy report or an evaluation) takes to load in a headless
//! browser: from the start of navigation until the page's script has drawn it, and until the
//! load event has run, the median of several fresh browsers.
//!
//! `cargo run --release -p viewer --features testing --example load_time -- PAGE.html [RUNS] [chromium|firefox]`

use std::path::PathBuf;

use viewer::testing::{Browser, OpenPage};

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(page) = args.next().map(PathBuf::from) else {
        eprintln!("usage: load_time PAGE.html [RUNS] [chromium|firefox]");
        std::process::exit(2);
    };
    let runs: usize = args.next().map_or(5, |r| r.parse().expect("RUNS is a count"));
    let browser = match args.next().as_deref() {
        None | Some("chromium") => Browser::Chromium,
        Some("firefox") => Browser::Firefox,
        Some(other) => panic!("browser `{other}`: chromium or firefox"),
    };
    let bytes =
        std::fs::metadata(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display())).len();
    let (mut drawn, mut loaded) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let open = OpenPage::open_in(browser, &page);
        drawn.push(
            open.eval("(window.relvisViewer || window.relvisEvaluation).readyAt")
                .as_f64()
                .expect("readyAt"),
        );
        // The load event follows the page's (synchronous) script: the page is complete.
        loaded.push(open.eval_async("new Promise((done) => { const read = () => { const n = performance.getEntriesByType('navigation')[0]; n.loadEventEnd > 0 ? done(n.loadEventEnd) : setTimeout(read, 20); }; read(); })").as_f64().expect("a time"));
    }
    println!(
        "{}: {:.1} MB; drawn after {:.0} ms, load event after {:.0} ms (median of {runs} fresh {} browsers)",
        page.display(),
        bytes as f64 / 1e6,
        median(drawn),
        median(loaded),
        browser.name()
    );
}
