//! Headless Firefox over WebDriver BiDi, the W3C protocol Firefox serves itself on
//! `--remote-debugging-port` (no geckodriver needed). Written here because the Rust BiDi
//! clients are async runtimes around the same few JSON commands this module sends: one
//! session, one browsing context, `script.evaluate`, `input.performActions`,
//! `browsingContext.captureScreenshot`.

use std::cell::RefCell;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use super::{TIMEOUT, WINDOW};

pub(super) struct Session {
    socket: RefCell<WebSocket<MaybeTlsStream<TcpStream>>>,
    next_id: RefCell<u64>,
    context: String,
    firefox: Child,
    // The profile lives as long as the browser that writes into it.
    _profile: tempfile::TempDir,
}

/// The Firefox to run: `FIREFOX`, else `firefox-esr` or `firefox` on the `PATH`.
fn executable() -> PathBuf {
    if let Some(path) = std::env::var_os("FIREFOX") {
        return path.into();
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    ["firefox-esr", "firefox"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("the viewer's browser tests need Firefox (Debian: apt-get install firefox-esr; or set FIREFOX)"))
}

impl Session {
    pub(super) fn open(address: &str) -> Session {
        // A free port: bound, read, released, then given to Firefox.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let profile = tempfile::tempdir().expect("a profile folder");
        let firefox = Command::new(executable())
            .args([
                "--headless",
                "--no-remote",
                "--remote-debugging-port",
                &port.to_string(),
                "--profile",
            ])
            .arg(profile.path())
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Firefox starts");
        let started = Instant::now();
        let socket = loop {
            match tungstenite::connect(format!("ws://127.0.0.1:{port}/session")) {
                Ok((socket, _)) => break socket,
                Err(e) if started.elapsed() > TIMEOUT => {
                    panic!("Firefox's WebDriver BiDi did not answer on port {port}: {e}")
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
            stream.set_read_timeout(Some(TIMEOUT)).expect("a read timeout");
        }
        let mut session = Session {
            socket: RefCell::new(socket),
            next_id: RefCell::new(0),
            context: String::new(),
            firefox,
            _profile: profile,
        };
        session.command("session.new", json!({ "capabilities": {} })).expect("a BiDi session");
        let tree =
            session.command("browsingContext.getTree", json!({})).expect("the browsing contexts");
        session.context =
            tree["contexts"][0]["context"].as_str().expect("a browsing context").to_string();
        let viewport = json!({ "context": session.context, "viewport": { "width": WINDOW.0, "height": WINDOW.1 } });
        session.command("browsingContext.setViewport", viewport).expect("the window's size");
        session
            .command(
                "browsingContext.navigate",
                json!({ "context": session.context, "url": address, "wait": "complete" }),
            )
            .expect("the page loads");
        session
    }

    /// Sends one command and waits for its answer's `result` (events on the way are skipped).
    fn command(&self, method: &str, params: Value) -> Result<Value, String> {
        let id = {
            let mut next = self.next_id.borrow_mut();
            *next += 1;
            *next
        };
        let mut socket = self.socket.borrow_mut();
        socket
            .send(Message::text(
                json!({ "id": id, "method": method, "params": params }).to_string(),
            ))
            .map_err(|e| format!("{method}: {e}"))?;
        loop {
            let message = socket.read().map_err(|e| format!("{method}: {e}"))?;
            let Message::Text(text) = message else { continue };
            let answer: Value =
                serde_json::from_str(text.as_str()).map_err(|e| format!("{method}: {e}"))?;
            if answer["id"] != json!(id) {
                continue;
            }
            return match answer["type"].as_str() {
                Some("success") => Ok(answer["result"].clone()),
                _ => Err(format!("{method}: {} ({})", answer["error"], answer["message"])),
            };
        }
    }

    /// The string `expression` gives (`None` for undefined), or the exception's text.
    pub(super) fn evaluate(
        &self,
        expression: &str,
        await_promise: bool,
    ) -> Result<Option<String>, String> {
        let params = json!({ "expression": expression, "target": { "context": self.context }, "awaitPromise": await_promise, "resultOwnership": "none" });
        let result = self.command("script.evaluate", params)?;
        match (result["type"].as_str(), &result["result"]) {
            (Some("success"), r) if r["type"] == "string" => {
                Ok(r["value"].as_str().map(str::to_string))
            }
            (Some("success"), r) if r["type"] == "undefined" => Ok(None),
            (Some("success"), r) => Err(format!("not a string: {r}")),
            _ => Err(format!("exception: {}", result["exceptionDetails"]["text"])),
        }
    }

    pub(super) fn click_at(&self, x: f64, y: f64) {
        // BiDi's pointer positions are whole CSS pixels.
        let (x, y) = (x.round() as i64, y.round() as i64);
        let mouse = json!({
            "type": "pointer",
            "id": "mouse",
            "parameters": { "pointerType": "mouse" },
            "actions": [
                { "type": "pointerMove", "x": x, "y": y },
                { "type": "pointerDown", "button": 0 },
                { "type": "pointerUp", "button": 0 },
            ],
        });
        self.command(
            "input.performActions",
            json!({ "context": self.context, "actions": [mouse] }),
        )
        .expect("click");
    }

    pub(super) fn screenshot(&self) -> Vec<u8> {
        let shot = self
            .command(
                "browsingContext.captureScreenshot",
                json!({ "context": self.context, "origin": "document" }),
            )
            .expect("screenshot");
        base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("PNG data"))
            .expect("base64")
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.command("browser.close", json!({}));
        let _ = self.firefox.kill();
        let _ = self.firefox.wait();
    }
}
