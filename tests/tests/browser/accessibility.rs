//! axe-core, the accessibility engine, run inside headless Chromium on
//! every main page in light and dark mode (`prefers-color-scheme`
//! emulated through the DevTools protocol). Any `color-contrast`
//! violation fails, and so does any other serious or critical one that is
//! not listed in [`KNOWN`] with its reason.
//!
//! axe comes from npm, pinned in `.ci/axe/package-lock.json`; `.ci/browser`
//! installs it into `target/axe` and passes its path in `TT_AXE_JS`.
//! Without it (or without Chromium) the test is skipped loudly, except
//! under `CI=true`, where it fails.
//!
//! With `TT_SCREENSHOTS=1` every page is also saved at 1280 and 390 px,
//! light and dark, as `target/artifacts/polish-<page>-<width>-<scheme>.png`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};
use tt_tests::{Db, TestApp, spawn_app, spawn_fresh_app};

use super::{PASSWORD, find_program, save};
use tt_testkit::webdriver::{Driver, Session};

/// Violations left on purpose: (rule id, why). Empty: every serious or
/// critical finding is fixed.
const KNOWN: &[(&str, &str)] = &[];

fn axe_js() -> Option<PathBuf> {
    let path = std::env::var_os("TT_AXE_JS").map_or_else(
        || {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../target/axe/node_modules/axe-core/axe.min.js")
        },
        PathBuf::from,
    );
    path.is_file().then_some(path)
}

use tt_testkit::in_ci as on_ci;

#[test]
fn every_page_passes_axe_in_light_and_dark_mode() {
    let chromium = find_program("CHROMIUM", &["chromium", "chromium-browser"]);
    let chromedriver = find_program("CHROMEDRIVER", &["chromedriver"]);
    let (Some(chromium), Some(chromedriver), Some(axe)) = (chromium, chromedriver, axe_js()) else {
        if on_ci() {
            panic!(
                "CI=true but chromium, chromedriver or axe-core (TT_AXE_JS) is missing: run .ci/browser"
            );
        }
        eprintln!(
            "\n*** SKIPPED: accessibility check in a real browser (needs chromium, chromium-driver and axe-core: run bash .ci/browser) ***\n"
        );
        return;
    };
    let axe = std::fs::read_to_string(&axe).unwrap();
    let started = Instant::now();
    let app = spawn_app();
    // The first-run setup page, on an installation not set up yet.
    let fresh = spawn_fresh_app(Db::Sqlite, |_| {}).unwrap();
    let pages = seed(&app, &fresh).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(&chromedriver).unwrap();
    let browser = driver.session(&chromium, profile.path()).unwrap();
    browser.script_timeout(60_000).unwrap();
    let shots = std::env::var("TT_SCREENSHOTS").is_ok_and(|v| v == "1");
    match check_all(&app, &browser, &axe, &pages, shots) {
        Ok(report) => eprintln!(
            "{report}\naccessibility check: {} pages × 2 colour schemes × 2 widths in {:.1} s",
            pages.len(),
            started.elapsed().as_secs_f64()
        ),
        Err(e) => {
            if let Ok(png) = browser.full_page_screenshot(1280) {
                let _ = save("axe-failure.png", &png);
            }
            panic!("{e:#}\n(screenshot of the last page in target/artifacts/axe-failure.png)");
        }
    }
}

/// A page to check: a short name for files, its path and address, and
/// whether it is seen signed out.
struct Page {
    name: &'static str,
    path: String,
    url: String,
    signed_out: bool,
    /// Start a timer on this project before this page (the header's
    /// running timer is checked from then on).
    start_timer: Option<i64>,
}

/// Data that fills every table, and the pages to visit.
fn seed(app: &TestApp, fresh: &TestApp) -> Result<Vec<Page>> {
    app.create_user("boss", PASSWORD, true);
    app.create_user("alice", PASSWORD, false);
    let api = app.login("boss", PASSWORD);
    let id = |v: Value| v["id"].as_i64().context("no id");
    let client = id(api.post_ok(
        "/api/v1/clients",
        &json!({"name": "Acme Corporation", "email": "billing@acme.example", "default_hourly_rate": "90"}),
        201,
    ))?;
    let project = id(api.post_ok(
        "/api/v1/projects",
        &json!({"name": "Website relaunch", "client_id": client, "hourly_rate": "95.50"}),
        201,
    ))?;
    api.post_ok(
        "/api/v1/projects",
        &json!({"name": "Internal", "billable": false}),
        201,
    );
    let task = id(api.post_ok(
        "/api/v1/tasks",
        &json!({"project_id": project, "name": "Landing page", "status": "in_progress", "due_date": "2031-01-31"}),
        201,
    ))?;
    api.post_ok(
        "/api/v1/comments",
        &json!({"task_id": task, "body": "The hero image needs a darker overlay."}),
        201,
    );
    // Yesterday's entries at fixed hours; the latest ones relative to now,
    // so they have ended whatever the time of day (a timer is started
    // later, and it must not run into them).
    let now = chrono::Utc::now();
    let yesterday = now.date_naive() - chrono::Duration::days(1);
    let at = |day: chrono::NaiveDate, hm: &str| format!("{day}T{hm}:00Z");
    let ago = |minutes: i64| {
        (now - chrono::Duration::minutes(minutes))
            .format("%Y-%m-%dT%H:%M:00Z")
            .to_string()
    };
    let mut entry = 0;
    for (start, end, notes) in [
        (
            at(yesterday, "08:00"),
            at(yesterday, "10:30"),
            "Wireframes and a long note that wraps on a phone",
        ),
        (
            at(yesterday, "11:00"),
            at(yesterday, "12:15"),
            "Review with the client",
        ),
        (ago(150), ago(90), "Stand-up and planning"),
    ] {
        entry = id(api.post_ok(
            "/api/v1/time-entries",
            &json!({
                "project_id": project,
                "task_id": task,
                "start": start,
                "end": end,
                "notes": notes,
                "tags": ["design"],
            }),
            201,
        ))?;
    }
    let invoice = id(api.post_ok("/api/v1/invoices", &json!({"client_id": client}), 201))?;
    // An entry after the invoice, so one row stays editable.
    api.post_ok(
        "/api/v1/time-entries",
        &json!({
            "project_id": project,
            "start": ago(60),
            "end": ago(30),
            "notes": "Follow-up",
        }),
        201,
    );
    let _ = entry;
    let page = |name, path: &str| Page {
        name,
        path: path.to_owned(),
        url: app.url(path),
        signed_out: false,
        start_timer: None,
    };
    Ok(vec![
        Page {
            name: "setup",
            path: "/setup".into(),
            url: fresh.url("/setup"),
            signed_out: true,
            start_timer: None,
        },
        Page {
            name: "login",
            path: "/login".into(),
            url: app.url("/login"),
            signed_out: true,
            start_timer: None,
        },
        page("dashboard", "/"),
        page("entries", "/entries"),
        page("projects", "/projects"),
        page("project", &format!("/projects/{project}")),
        page("clients", "/clients"),
        page("tasks", "/tasks"),
        page("task", &format!("/tasks/{task}")),
        page("reports", "/reports"),
        page("invoices", "/invoices"),
        page("invoice", &format!("/invoices/{invoice}")),
        page("invoice-print", &format!("/invoices/{invoice}/print")),
        page("users", "/admin/users"),
        page("company", "/admin/company"),
        page("privacy", "/admin/telemetry"),
        Page {
            start_timer: Some(project),
            ..page("profile", "/profile")
        },
        page("help", "/help"),
        page("not-found", "/no/such/page"),
    ])
}

fn sign_in(app: &TestApp, b: &Session<'_>) -> Result<()> {
    b.goto(&app.url("/login"))?;
    b.find("#username")?.type_text("boss")?;
    b.find("#password")?.type_text(PASSWORD)?;
    b.click_and_wait("form button[type=submit]")?;
    ensure!(b.url()? == app.url("/"), "sign-in failed: {}", b.url()?);
    Ok(())
}

fn sign_out(b: &Session<'_>) -> Result<()> {
    b.click_and_wait(".whoami form button[type=submit]")
}

/// What axe found on one page, as `rule (impact): help` lines with the
/// first few elements.
fn run_axe(b: &Session<'_>, axe: &str) -> Result<Vec<Value>> {
    let loaded = b.execute(&format!("{axe}\n;return typeof axe === 'object';"))?;
    ensure!(loaded == Value::Bool(true), "axe did not load");
    let result = b.execute_async(
        "const done = arguments[arguments.length - 1];
         const brief = (v, kind) => ({
           id: v.id, impact: v.impact, help: v.help, kind,
           nodes: v.nodes.slice(0, 4).map(n => ({
             target: n.target.join(' '), summary: n.failureSummary })),
           count: v.nodes.length,
         });
         axe.run(document, { resultTypes: ['violations', 'incomplete'] })
           .then(r => done(JSON.stringify(
             r.violations.map(v => brief(v, 'violation')).concat(
               r.incomplete.filter(v => v.id === 'color-contrast')
                 .map(v => brief(v, 'incomplete'))))))
           .catch(e => done(JSON.stringify({ error: String(e) })));",
    )?;
    let text = result.as_str().context("axe returned no text")?;
    let v: Value = serde_json::from_str(text)?;
    if let Some(e) = v.get("error") {
        bail!("axe failed: {e}");
    }
    Ok(v.as_array().cloned().unwrap_or_default())
}

fn fails(v: &Value) -> bool {
    if v["kind"] != "violation" {
        // Contrast axe could not measure (text over a gradient): reported.
        return false;
    }
    let id = v["id"].as_str().unwrap_or_default();
    let serious = matches!(v["impact"].as_str(), Some("serious" | "critical"));
    (id == "color-contrast" || serious) && !KNOWN.iter().any(|(k, _)| *k == id)
}

/// The positive control: text of 1.5:1 planted on a page is reported, so
/// a clean result means clean pages, not a check that saw nothing.
fn proves_it_sees_poor_contrast(app: &TestApp, b: &Session<'_>, axe: &str) -> Result<()> {
    b.goto(&app.url("/login"))?;
    b.execute(
        "const p = document.createElement('p');
         p.id = 'planted'; p.textContent = 'barely visible';
         p.style.color = '#cccccc'; p.style.background = '#ffffff';
         document.querySelector('main').append(p); return true;",
    )?;
    let found = run_axe(b, axe)?;
    ensure!(
        found.iter().any(|v| v["id"] == "color-contrast"
            && v["kind"] == "violation"
            && v["nodes"].to_string().contains("#planted")),
        "axe did not report planted text of poor contrast: {found:#?}"
    );
    Ok(())
}

/// `page (scheme, width): rule (impact) ×count: help` and the first few
/// elements with axe's summary.
fn describe(at: &str, v: &Value) -> String {
    let nodes = v["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| {
            format!(
                "    {}: {}",
                n["target"].as_str().unwrap_or_default(),
                n["summary"].as_str().unwrap_or_default().replace('\n', " ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        "{at}: {} ({}) ×{}: {}\n{nodes}",
        v["id"].as_str().unwrap_or_default(),
        v["impact"].as_str().unwrap_or("?"),
        v["count"],
        v["help"].as_str().unwrap_or_default(),
    )
}

fn check_all(
    app: &TestApp,
    b: &Session<'_>,
    axe: &str,
    pages: &[Page],
    shots: bool,
) -> Result<String> {
    let mut report = String::new();
    let mut failures = Vec::new();
    let mut signed_in = false;
    proves_it_sees_poor_contrast(app, b, axe)?;
    for page in pages {
        if let Some(project) = page.start_timer {
            app.login("boss", PASSWORD).post_ok(
                "/api/v1/timer/start",
                &json!({"project_id": project, "notes": "A timer with a long project name"}),
                201,
            );
        }
        if page.signed_out && signed_in {
            sign_out(b)?;
            signed_in = false;
        }
        if !page.signed_out && !signed_in {
            sign_in(app, b)?;
            signed_in = true;
        }
        for scheme in ["light", "dark"] {
            for width in [1280, 390] {
                let t = Instant::now();
                let at = format!("{} ({scheme}, {width} px)", page.path);
                b.emulate_width(width)?;
                b.color_scheme(scheme)?;
                b.goto(&page.url)?;
                if page.name == "invoice-print" {
                    // Paper is white whatever the screen's colour scheme.
                    let colours = b.execute(
                        "const s = getComputedStyle(document.querySelector('.invoice-sheet'));
                         return s.backgroundColor + ' / ' + s.color;",
                    )?;
                    ensure!(
                        colours == "rgb(255, 255, 255) / rgb(29, 35, 48)",
                        "{at}: the sheet is {colours}"
                    );
                }
                let found = run_axe(b, axe).with_context(|| at.clone())?;
                for v in &found {
                    let line = describe(&at, v);
                    if fails(v) {
                        failures.push(line);
                    } else if v["kind"] == "incomplete" {
                        report.push_str(&format!("  (not measurable, check by eye) {line}\n"));
                    } else {
                        report.push_str(&format!("  (minor, not failing) {line}\n"));
                    }
                }
                report.push_str(&format!(
                    "{at:<40} {:>2} finding(s), {:>5} ms\n",
                    found.len(),
                    t.elapsed().as_millis()
                ));
                if shots {
                    let png = b.capture_full_page()?;
                    save(&format!("polish-{}-{width}-{scheme}.png", page.name), &png)?;
                }
            }
        }
    }
    let all = format!("{}\n\n{report}", failures.join("\n"));
    let path = super::artifacts_dir().join("axe-report.txt");
    std::fs::create_dir_all(super::artifacts_dir())?;
    std::fs::write(&path, all)?;
    eprintln!("axe report: {}", path.display());
    ensure!(
        failures.is_empty(),
        "{} accessibility violation(s):\n{}\n\n{report}",
        failures.len(),
        failures.join("\n")
    );
    Ok(report)
}
