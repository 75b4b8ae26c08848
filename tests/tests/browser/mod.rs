//! A real browser (headless Chromium from Debian, driven through
//! chromedriver) walks the first-run path a new administrator takes:
//! fresh install → setup page with both boxes unticked → setup → Admin →
//! Privacy & Analytics → turn detailed analytics on → the page shows it.
//! A screenshot of the admin page is saved to
//! `target/artifacts/admin-telemetry.png` for CI to keep.
//!
//! Needs `chromium` and `chromium-driver` (`.ci/browser` installs them).
//! Without them the test is skipped loudly, except under `CI=true`, where
//! it fails.
//!
//! `accessibility` runs axe-core on every main page in light and dark mode.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accessibility;
mod daily;
use tt_testkit::webdriver;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use tt_tests::{Db, TestApp, spawn_fresh_app};

const PASSWORD: &str = "a-long-password";

fn find_program(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env).map(PathBuf::from) {
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Where CI picks up artifacts: `target/artifacts` at the workspace root
/// (or `TT_ARTIFACTS_DIR`).
fn artifacts_dir() -> PathBuf {
    std::env::var_os("TT_ARTIFACTS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/artifacts"),
        PathBuf::from,
    )
}

fn save(name: &str, png: &[u8]) -> Result<PathBuf> {
    ensure!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name} is not a PNG");
    let dir = artifacts_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(name);
    std::fs::write(&path, png)?;
    Ok(path.canonicalize().unwrap_or(path))
}

fn installation_json(app: &TestApp) -> serde_json::Value {
    let raw =
        std::fs::read_to_string(app.settings.installation_dir().join("installation.json")).unwrap();
    serde_json::from_str(&raw).unwrap()
}

/// Chromium and chromedriver, or `None` after a loud skip message
/// (never under `CI=true`, where their absence fails the test).
fn browser_or_skip() -> Option<(PathBuf, PathBuf)> {
    let chromium = find_program("CHROMIUM", &["chromium", "chromium-browser"]);
    let chromedriver = find_program("CHROMEDRIVER", &["chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        if tt_testkit::in_ci() {
            panic!("CI=true but chromium or chromedriver is missing: run .ci/browser");
        }
        eprintln!(
            "\n*** SKIPPED: real-browser test (apt-get install chromium chromium-driver, or run bash .ci/browser) ***\n"
        );
        return None;
    };
    Some((chromium, chromedriver))
}

#[test]
fn setup_and_privacy_in_a_real_browser() {
    let Some((chromium, chromedriver)) = browser_or_skip() else {
        return;
    };
    // A sink on a loopback port nobody listens on: consent can take effect,
    // nothing leaves the machine.
    let app = spawn_fresh_app(Db::Sqlite, |s| {
        s.grafana_otlp_endpoint = Some("http://127.0.0.1:9/v1/logs".into());
    })
    .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let driver = webdriver::Driver::start(&chromedriver).unwrap();
    let browser = driver.session(&chromium, profile.path()).unwrap();
    if let Err(e) = walk_through(&app, &browser) {
        // Keep what the browser saw, to make the failure readable.
        if let Ok(png) = browser.full_page_screenshot(1280) {
            let _ = save("browser-failure.png", &png);
        }
        let url = browser.url().unwrap_or_default();
        panic!("{e:#}\n(at {url}; screenshot in target/artifacts/browser-failure.png)");
    }
}

fn walk_through(app: &TestApp, b: &webdriver::Session<'_>) -> Result<()> {
    // Any page of a fresh install leads to the setup page.
    b.goto(&app.url("/"))?;
    ensure!(
        b.url()?.ends_with("/setup"),
        "not sent to /setup: {}",
        b.url()?
    );
    for id in ["base_telemetry", "detailed_analytics"] {
        let checkbox = b.find(&format!("#{id}"))?;
        ensure!(!checkbox.is_selected()?, "#{id} starts ticked");
        ensure!(checkbox.is_enabled()?, "#{id} is disabled");
    }
    let shot = b.full_page_screenshot(1280)?;
    let path = save("setup.png", &shot)?;
    eprintln!("setup page screenshot: {}", path.display());
    b.resize(1280, 900)?;

    b.find("#username")?.type_text("boss")?;
    b.find("#email")?.type_text("boss@example.org")?;
    b.find("#password")?.type_text(PASSWORD)?;
    b.find("#password_confirm")?.type_text(PASSWORD)?;
    b.click_and_wait("form.setup-form button[type=submit]")?;
    ensure!(
        b.url()? == app.url("/"),
        "setup did not land on the dashboard: {}",
        b.url()?
    );
    let flash = b.find(".flash-success")?.text()?;
    ensure!(flash.contains("Setup is complete"), "flash: {flash}");
    let doc = installation_json(app);
    ensure!(doc["setup_complete"] == true, "{doc}");
    ensure!(doc["detailed_consent"]["granted"] == false, "{doc}");

    // Admin → Privacy & Analytics, through the navigation.
    b.click_and_wait("a[href='/admin/telemetry']")?;
    ensure!(b.url()?.ends_with("/admin/telemetry"), "{}", b.url()?);
    let pill = b.find("#level-detailed .state-pill")?;
    ensure!(
        pill.attribute("data-state")?.as_deref() == Some("off"),
        "detailed starts off: {}",
        pill.text()?
    );

    // One click.
    b.click_and_wait("#level-detailed form.level-toggle button[type=submit]")?;
    ensure!(b.url()?.ends_with("/admin/telemetry"), "{}", b.url()?);
    let pill = b.find("#level-detailed .state-pill")?;
    ensure!(
        pill.attribute("data-state")?.as_deref() == Some("on"),
        "detailed is not shown as on: {}",
        pill.text()?
    );
    ensure!(pill.text()?.contains("On"), "{}", pill.text()?);
    let base = b.find("#level-base .state-pill")?;
    ensure!(base.attribute("data-state")?.as_deref() == Some("off"));
    let flash = b.find(".flash-success")?.text()?;
    ensure!(
        flash.contains("Detailed analytics turned on"),
        "flash: {flash}"
    );
    let html = b.source()?;
    ensure!(html.contains("Enabled by boss (user:"), "reason not shown");
    let doc = installation_json(app);
    ensure!(doc["detailed_consent"]["granted"] == true, "{doc}");

    let shot = b.full_page_screenshot(1280)?;
    let path = save("admin-telemetry.png", &shot).context("saving the screenshot")?;
    eprintln!("admin page screenshot: {}", path.display());
    Ok(())
}
