//! A viewer page opened in headless Chromium, for the binaries' browser tests: evaluate
//! script, click where a point is drawn, read computed colours, take a screenshot.

use std::ffi::OsStr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};

/// The window the page is laid out in, in CSS pixels: wide enough for the two-column layout.
const WINDOW: (u32, u32) = (1400, 1000);

/// One page of the viewer in its own headless Chromium.
pub struct OpenPage {
    // Dropping the browser ends its process; the tab is only valid while it lives.
    _browser: Browser,
    tab: Arc<Tab>,
}

impl OpenPage {
    /// Opens `page` (a `report.html`) and waits until its script has drawn the first class.
    /// Panics with what to install when no Chromium is on the `PATH` (or in `CHROME`).
    pub fn open(page: &Path) -> OpenPage {
        let executable = headless_chrome::browser::default_executable().unwrap_or_else(|e| {
            panic!("the viewer's browser tests need Chromium (Debian: apt-get install chromium; or set CHROME): {e}")
        });
        // No sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        let args: Vec<&OsStr> = ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
            .iter()
            .map(OsStr::new)
            .collect();
        let options = LaunchOptions::default_builder()
            .path(Some(executable))
            .sandbox(false)
            .window_size(Some(WINDOW))
            .args(args)
            .idle_browser_timeout(Duration::from_secs(120))
            .build()
            .expect("launch options");
        let browser = Browser::new(options).expect("Chromium starts");
        let tab = browser.new_tab().expect("a tab");
        tab.set_default_timeout(Duration::from_secs(60));
        let address = format!("file://{}", page.canonicalize().expect("the page exists").display());
        tab.navigate_to(&address).expect("navigate").wait_until_navigated().expect("the page loads");
        tab.wait_for_element("body[data-ready=\"true\"]").expect("the viewer's script ran to its end");
        OpenPage { _browser: browser, tab }
    }

    /// The JSON value of a script expression.
    pub fn eval(&self, expression: &str) -> serde_json::Value {
        self.evaluate(&format!("JSON.stringify({expression})"), false, expression)
    }

    /// The JSON value a promise resolves to (within the tab's 60 s timeout).
    pub fn eval_async(&self, promise: &str) -> serde_json::Value {
        self.evaluate(&format!("({promise}).then((v) => JSON.stringify(v))"), true, promise)
    }

    fn evaluate(&self, wrapped: &str, await_promise: bool, expression: &str) -> serde_json::Value {
        let result = self.tab.evaluate(wrapped, await_promise).unwrap_or_else(|e| panic!("{expression}: {e}"));
        match result.value {
            Some(serde_json::Value::String(json)) => serde_json::from_str(&json).expect("JSON"),
            other => panic!("{expression} gave no value ({other:?}; exception or undefined)"),
        }
    }

    /// Moves the mouse to (x, y) in the page's CSS pixels and clicks there, as a user does.
    pub fn click_at(&self, x: f64, y: f64) {
        let point = headless_chrome::browser::tab::point::Point { x, y };
        self.tab.move_mouse_to_point(point).expect("mouse move");
        self.tab.click_point(point).expect("click");
    }

    /// Picks option `value` of the `<select>` with this id, firing its `change` event.
    pub fn choose(&self, select_id: &str, value: &str) {
        self.eval(&format!(
            "(() => {{ const s = document.getElementById({id}); s.value = {value}; s.dispatchEvent(new Event('change')); return s.value; }})()",
            id = serde_json::to_string(select_id).unwrap(),
            value = serde_json::to_string(value).unwrap()
        ));
    }

    /// A PNG of the whole page, written to `path`.
    pub fn screenshot(&self, path: &Path) {
        let png = self.tab.capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true).expect("screenshot");
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("screenshot folder");
        }
        std::fs::write(path, png).expect("screenshot written");
    }
}
