//! Just enough of the W3C WebDriver protocol to drive Chromium through
//! chromedriver: JSON over HTTP with the blocking client the suite already
//! uses, so no browser-automation crate (and its async runtime) is needed.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use reqwest::blocking::Client;
use serde_json::{Value, json};

/// The key under which W3C WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process on a free loopback port, killed when dropped.
pub struct Driver {
    child: Child,
    base: String,
    http: Client,
}

impl Driver {
    /// Starts `chromedriver` and waits until it is ready.
    pub fn start(chromedriver: &Path) -> Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", chromedriver.display()))?;
        let http = Client::builder().timeout(Duration::from_secs(60)).build()?;
        let mut driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = driver
                .http
                .get(format!("{}/status", driver.base))
                .send()
                .ok()
                .and_then(|r| r.json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                return Ok(driver);
            }
            if let Some(status) = driver.child.try_wait()? {
                bail!("chromedriver exited early: {status}");
            }
            if Instant::now() > deadline {
                bail!("chromedriver did not become ready within 20 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A new headless Chromium session.
    pub fn session(&self, chromium: &Path, profile_dir: &Path) -> Result<Session<'_>> {
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            "--window-size=1280,900".to_owned(),
            format!("--user-data-dir={}", profile_dir.display()),
        ];
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium.display().to_string(),
                        "args": args,
                    }
                }
            }
        });
        let value = self.call("POST", "/session", Some(caps))?;
        let id = value["sessionId"]
            .as_str()
            .context("no sessionId in the new-session answer")?
            .to_owned();
        Ok(Session { driver: self, id })
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let rb = match method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self
                .http
                .post(&url)
                .json(&body.unwrap_or_else(|| json!({}))),
        };
        let resp = rb.send().with_context(|| format!("{method} {path}"))?;
        let status = resp.status();
        let v: Value = resp
            .json()
            .with_context(|| format!("{method} {path}: body"))?;
        if !status.is_success() {
            bail!(
                "{method} {path}: {status}: {} {}",
                v["value"]["error"],
                v["value"]["message"]
            );
        }
        Ok(v["value"].clone())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session (a window).
pub struct Session<'d> {
    driver: &'d Driver,
    id: String,
}

/// An element on the current page.
pub struct Element<'s, 'd> {
    session: &'s Session<'d>,
    id: String,
}

impl<'d> Session<'d> {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        self.driver
            .call(method, &format!("/session/{}{path}", self.id), body)
    }

    /// Loads a URL and waits for the page (the WebDriver default).
    pub fn goto(&self, url: &str) -> Result<()> {
        self.call("POST", "/url", Some(json!({ "url": url })))
            .map(drop)
    }

    /// Clicks the element `css` and waits (up to 15 s) until the page it
    /// leads to has loaded: a form submission returns from WebDriver's
    /// click before the browser has navigated, so reading the page right
    /// after would race. The old document is marked, and the wait ends
    /// when a complete document without the mark is current.
    pub fn click_and_wait(&self, css: &str) -> Result<()> {
        self.execute("window.__ttOldPage = true; return true;")?;
        self.find(css)?.click()?;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let loaded = self
                .execute(
                    "return window.__ttOldPage === undefined && document.readyState === 'complete';",
                )
                .map(|v| v == Value::Bool(true))
                // Mid-navigation the script may fail; that is "not yet".
                .unwrap_or(false);
            if loaded {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!("clicking {css} did not load a new page");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The address of the current page.
    pub fn url(&self) -> Result<String> {
        Ok(self
            .call("GET", "/url", None)?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// The current page's HTML.
    pub fn source(&self) -> Result<String> {
        Ok(self
            .call("GET", "/source", None)?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// The first element matching a CSS selector.
    pub fn find(&self, css: &str) -> Result<Element<'_, 'd>> {
        let v = self
            .call(
                "POST",
                "/element",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .with_context(|| format!("finding {css}"))?;
        let id = v[ELEMENT_KEY]
            .as_str()
            .with_context(|| format!("no element reference for {css}"))?
            .to_owned();
        Ok(Element { session: self, id })
    }

    /// Runs a script in the page and returns its result.
    pub fn execute(&self, script: &str) -> Result<Value> {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Runs an asynchronous script: it ends by calling its last argument
    /// with the result (WebDriver's "execute async script").
    pub fn execute_async(&self, script: &str) -> Result<Value> {
        self.call(
            "POST",
            "/execute/async",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Sends a Chrome DevTools Protocol command through chromedriver (what
    /// Selenium's `execute_cdp_cmd` does).
    pub fn cdp(&self, cmd: &str, params: Value) -> Result<Value> {
        self.call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": cmd, "params": params })),
        )
    }

    /// Makes the page see `prefers-color-scheme: light` or `dark`.
    pub fn color_scheme(&self, scheme: &str) -> Result<()> {
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
        )
        .map(drop)
    }

    /// Sets the script timeout (for [`Self::execute_async`]).
    pub fn script_timeout(&self, ms: u64) -> Result<()> {
        self.call("POST", "/timeouts", Some(json!({ "script": ms })))
            .map(drop)
    }

    /// Emulates a screen `width` CSS pixels wide (a phone below 600: touch
    /// layout, overlay scroll bars), whatever the window's size.
    pub fn emulate_width(&self, width: u64) -> Result<()> {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({
                "width": width,
                "height": 900,
                "deviceScaleFactor": 1,
                "mobile": width < 600,
            }),
        )
        .map(drop)
    }

    /// A PNG of the whole page at the emulated width, however tall
    /// (DevTools' capture beyond the viewport).
    pub fn capture_full_page(&self) -> Result<Vec<u8>> {
        let size = self.execute(
            "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight];",
        )?;
        let width = size[0].as_f64().unwrap_or(1280.0);
        let height = size[1].as_f64().unwrap_or(900.0).min(16_000.0);
        let shot = self.cdp(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
            }),
        )?;
        decode_base64(shot["data"].as_str().context("no screenshot data")?)
    }

    /// Resizes the window.
    pub fn resize(&self, width: u64, height: u64) -> Result<()> {
        self.call(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .map(drop)
    }

    /// A PNG of the whole page: the window is made as tall as the page first.
    pub fn full_page_screenshot(&self, width: u64) -> Result<Vec<u8>> {
        let height = self
            .execute("return Math.ceil(document.documentElement.scrollHeight);")?
            .as_u64()
            .unwrap_or(900);
        self.resize(width, height.clamp(600, 16_000))?;
        let b64 = self.call("GET", "/screenshot", None)?;
        let b64 = b64.as_str().context("screenshot is not a string")?;
        decode_base64(b64)
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let _ = self.call("DELETE", "", None);
    }
}

impl Element<'_, '_> {
    fn call(&self, method: &str, what: &str, body: Option<Value>) -> Result<Value> {
        self.session
            .call(method, &format!("/element/{}{what}", self.id), body)
    }

    /// Clicks it (and waits for a navigation it starts).
    pub fn click(&self) -> Result<()> {
        self.call("POST", "/click", None).map(drop)
    }

    /// Types into it.
    pub fn type_text(&self, text: &str) -> Result<()> {
        self.call("POST", "/value", Some(json!({ "text": text })))
            .map(drop)
    }

    /// Whether a checkbox is ticked.
    pub fn is_selected(&self) -> Result<bool> {
        Ok(self
            .call("GET", "/selected", None)?
            .as_bool()
            .unwrap_or(false))
    }

    /// Whether it can be used (not `disabled`).
    pub fn is_enabled(&self) -> Result<bool> {
        Ok(self
            .call("GET", "/enabled", None)?
            .as_bool()
            .unwrap_or(false))
    }

    /// Its rendered text.
    pub fn text(&self) -> Result<String> {
        Ok(self
            .call("GET", "/text", None)?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// An attribute's value.
    pub fn attribute(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .call("GET", &format!("/attribute/{name}"), None)?
            .as_str()
            .map(str::to_owned))
    }
}

/// Standard base64, as WebDriver and the DevTools protocol return
/// screenshots; whitespace is skipped, padding and the unused low bits of
/// the last character are not checked.
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    LENIENT.decode(compact).context("invalid base64")
}

#[cfg(test)]
mod tests {
    use super::decode_base64;

    #[test]
    fn base64_decodes() {
        assert_eq!(decode_base64("").unwrap(), b"");
        assert_eq!(decode_base64("Zg==").unwrap(), b"f");
        assert_eq!(decode_base64("Zm8=").unwrap(), b"fo");
        assert_eq!(decode_base64("Zm9v").unwrap(), b"foo");
        assert_eq!(decode_base64("iVBORw0KGgo=").unwrap(), b"\x89PNG\r\n\x1a\n");
        assert!(decode_base64("Zm9v!").is_err());
    }
}
