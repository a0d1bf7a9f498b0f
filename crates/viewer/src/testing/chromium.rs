//! Headless Chromium over the DevTools protocol (`headless_chrome`, with the system's
//! `chromium`).

use std::ffi::OsStr;
use std::sync::Arc;
use std::time::Duration;

use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};

use super::{TIMEOUT, WINDOW};

pub(super) struct Session {
    // Dropping the browser ends its process; the tab is only valid while it lives.
    _browser: Browser,
    tab: Arc<Tab>,
}

impl Session {
    pub(super) fn open(address: &str) -> Session {
        let executable = headless_chrome::browser::default_executable().unwrap_or_else(|e| {
            panic!("the viewer's browser tests need Chromium (Debian: apt-get install chromium; or set CHROME): {e}")
        });
        // No sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        let args: Vec<&OsStr> = [
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ]
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
        tab.set_default_timeout(TIMEOUT);
        tab.navigate_to(address).expect("navigate").wait_until_navigated().expect("the page loads");
        Session { _browser: browser, tab }
    }

    /// The string `expression` gives (`None` for undefined), or the exception's text.
    pub(super) fn evaluate(
        &self,
        expression: &str,
        await_promise: bool,
    ) -> Result<Option<String>, String> {
        let result = self.tab.evaluate(expression, await_promise).map_err(|e| e.to_string())?;
        match result.value {
            Some(serde_json::Value::String(json)) => Ok(Some(json)),
            None => Ok(None),
            Some(other) => Err(format!("not a string: {other}")),
        }
    }

    pub(super) fn click_at(&self, x: f64, y: f64) {
        let point = headless_chrome::browser::tab::point::Point { x, y };
        self.tab.move_mouse_to_point(point).expect("mouse move");
        self.tab.click_point(point).expect("click");
    }

    pub(super) fn screenshot(&self) -> Vec<u8> {
        self.tab
            .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
            .expect("screenshot")
    }
}
