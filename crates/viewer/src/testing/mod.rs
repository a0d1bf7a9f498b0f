//! A viewer page opened in a real headless browser, for the binaries' browser tests: evaluate
//! script, click where something is drawn, pick an option, take a screenshot. Chromium is
//! driven over the DevTools protocol, Firefox over WebDriver BiDi; a test runs the same
//! checks in each.

mod chromium;
mod firefox;

use std::path::Path;

/// The window the page is laid out in, in CSS pixels: wide enough for the two-column layout.
const WINDOW: (u32, u32) = (1400, 1000);

/// How long a page may take to load and a script to answer.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The browsers the pages are tested in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    Chromium,
    Firefox,
}

impl Browser {
    pub const ALL: [Browser; 2] = [Browser::Chromium, Browser::Firefox];

    /// A short name for file names and messages.
    pub fn name(self) -> &'static str {
        match self {
            Browser::Chromium => "chromium",
            Browser::Firefox => "firefox",
        }
    }
}

/// One page of the viewer in its own headless browser.
pub struct OpenPage {
    driver: Driver,
}

/// A browser's session; boxed, as the two differ much in size.
enum Driver {
    Chromium(Box<chromium::Session>),
    Firefox(Box<firefox::Session>),
}

impl OpenPage {
    /// Opens `page` in headless Chromium and waits until its script has run to its end.
    pub fn open(page: &Path) -> OpenPage {
        OpenPage::open_in(Browser::Chromium, page)
    }

    /// Opens `page` in `browser` and waits until its script has run to its end (it sets
    /// `data-ready` on the body). Panics with what to install when the browser is missing.
    pub fn open_in(browser: Browser, page: &Path) -> OpenPage {
        let address = format!("file://{}", page.canonicalize().expect("the page exists").display());
        let driver = match browser {
            Browser::Chromium => Driver::Chromium(Box::new(chromium::Session::open(&address))),
            Browser::Firefox => Driver::Firefox(Box::new(firefox::Session::open(&address))),
        };
        let page = OpenPage { driver };
        page.eval_async("new Promise((done) => { const ready = () => (document.body && document.body.dataset.ready === 'true' ? done(true) : setTimeout(ready, 20)); ready(); })");
        page
    }

    /// The JSON value of a script expression.
    pub fn eval(&self, expression: &str) -> serde_json::Value {
        self.evaluate(&format!("JSON.stringify({expression})"), false, expression)
    }

    /// The JSON value a promise resolves to (within a minute).
    pub fn eval_async(&self, promise: &str) -> serde_json::Value {
        self.evaluate(&format!("({promise}).then((v) => JSON.stringify(v))"), true, promise)
    }

    fn evaluate(&self, wrapped: &str, await_promise: bool, expression: &str) -> serde_json::Value {
        let json = match &self.driver {
            Driver::Chromium(s) => s.evaluate(wrapped, await_promise),
            Driver::Firefox(s) => s.evaluate(wrapped, await_promise),
        };
        match json {
            Ok(Some(json)) => serde_json::from_str(&json).expect("JSON"),
            Ok(None) => panic!("{expression} gave no value (undefined)"),
            Err(e) => panic!("{expression}: {e}"),
        }
    }

    /// Moves the mouse to (x, y) in the page's CSS pixels and clicks there, as a user does.
    pub fn click_at(&self, x: f64, y: f64) {
        match &self.driver {
            Driver::Chromium(s) => s.click_at(x, y),
            Driver::Firefox(s) => s.click_at(x, y),
        }
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
        let png = match &self.driver {
            Driver::Chromium(s) => s.screenshot(),
            Driver::Firefox(s) => s.screenshot(),
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("screenshot folder");
        }
        std::fs::write(path, png).expect("screenshot written");
    }
}
