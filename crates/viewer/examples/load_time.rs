//! How long a viewer page takes to load in headless Chromium: from the start of navigation
//! until the page's script has drawn the first class, and until the load event has run, the
//! median of several fresh browsers.
//!
//! `cargo run --release -p viewer --features testing --example load_time -- REPORT.html [RUNS]`

use std::path::PathBuf;

use viewer::testing::OpenPage;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(page) = args.next().map(PathBuf::from) else {
        eprintln!("usage: load_time REPORT.html [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.next().map_or(5, |r| r.parse().expect("RUNS is a count"));
    let bytes = std::fs::metadata(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display())).len();
    let (mut drawn, mut loaded) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let open = OpenPage::open(&page);
        drawn.push(open.eval("relvisViewer.readyAt").as_f64().expect("readyAt"));
        // The load event follows the page's (synchronous) script: the page is complete.
        loaded.push(open.eval_async("new Promise((done) => { const read = () => { const n = performance.getEntriesByType('navigation')[0]; n.loadEventEnd > 0 ? done(n.loadEventEnd) : setTimeout(read, 20); }; read(); })").as_f64().expect("a time"));
    }
    let items = OpenPage::open(&page).eval("relvisViewer.items");
    println!(
        "{}: {:.1} MB, {} items; drawn after {:.0} ms, load event after {:.0} ms (median of {runs} fresh browsers)",
        page.display(),
        bytes as f64 / 1e6,
        items,
        median(drawn),
        median(loaded)
    );
}
