//! The daily path in a real browser: a user in New York starts the timer
//! on the projects page, watches it tick on two other pages, corrects its
//! start, stops it and continues it; then she and a colleague in Kolkata
//! type a day that crosses UTC midnight and the start of daylight saving
//! time, and "Today", the entries list, the report and the CSV say what
//! they typed. Screenshots of the changed pages at 1280 and 390 pixels go
//! to `target/artifacts/daily-*.png`.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use tt_domain::{Calendar, WeekStart, Zone};
use tt_tests::{Db, TestApp, json, spawn_app_with};

use super::{PASSWORD, browser_or_skip, save, webdriver};

fn sign_in(app: &TestApp, b: &webdriver::Session<'_>, name: &str) -> Result<()> {
    b.goto(&app.url("/login"))?;
    b.find("#username")?.type_text(name)?;
    b.find("#password")?.type_text(PASSWORD)?;
    b.click_and_wait("form.stacked button[type=submit]")?;
    ensure!(b.url()? == app.url("/"), "sign-in landed on {}", b.url()?);
    Ok(())
}

/// The header clock's text, as the page script keeps it.
fn clock(b: &webdriver::Session<'_>) -> Result<String> {
    b.find(".timer-bar .timer-clock")?.text()
}

fn seconds(clock: &str) -> Result<i64> {
    let parts: Vec<i64> = clock
        .split(':')
        .map(|p| p.trim().parse().context("clock part"))
        .collect::<Result<_>>()?;
    ensure!(parts.len() == 3, "not H:MM:SS: {clock}");
    Ok(parts[0] * 3600 + parts[1] * 60 + parts[2])
}

/// The clock moves on a page without reloading it.
fn ticks(b: &webdriver::Session<'_>, page: &str) -> Result<i64> {
    let first = seconds(&clock(b)?)?;
    std::thread::sleep(Duration::from_millis(2200));
    let later = seconds(&clock(b)?)?;
    ensure!(
        later >= first + 2,
        "the clock on {page} stood still: {first} → {later}"
    );
    Ok(later)
}

fn shots(b: &webdriver::Session<'_>, app: &TestApp, path: &str, name: &str) -> Result<()> {
    for width in [1280, 390] {
        b.goto(&app.url(path))?;
        let png = b.full_page_screenshot(width)?;
        save(&format!("daily-{name}-{width}.png"), &png)?;
    }
    b.resize(1280, 900)?;
    Ok(())
}

/// Types an entry on the entries page's form.
fn add_entry(
    b: &webdriver::Session<'_>,
    app: &TestApp,
    project: i64,
    date: &str,
    start: &str,
    end: &str,
) -> Result<()> {
    b.goto(&app.url("/entries"))?;
    // The form is folded away until asked for.
    b.execute("document.querySelector('details.add-entry').open = true; return true;")?;
    b.execute(&format!(
        "document.getElementById('add-project').value = '{project}';
         document.getElementById('add-date').value = '{date}';
         document.getElementById('add-start').value = '{start}';
         document.getElementById('add-end').value = '{end}';
         return true;"
    ))?;
    b.click_and_wait("details.add-entry button[type=submit]")?;
    let flash = b.find(".flash-success").and_then(|f| f.text());
    ensure!(
        flash.as_deref().is_ok_and(|f| f.starts_with("Added")),
        "entry {date} {start}–{end} not added: {flash:?}"
    );
    Ok(())
}

fn day_total(html: &str, day: &str) -> Option<String> {
    html.split(&format!("{day} <span class=\"total\">"))
        .nth(1)
        .and_then(|s| s.split('<').next())
        .map(str::to_owned)
}

#[test]
fn the_timer_and_time_zones_in_a_real_browser() {
    let Some((chromium, chromedriver)) = browser_or_skip() else {
        return;
    };
    let app = spawn_app_with(Db::Sqlite, |_| {}).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let driver = webdriver::Driver::start(&chromedriver).unwrap();
    let browser = driver.session(&chromium, profile.path()).unwrap();
    if let Err(e) = walk(&app, &browser) {
        if let Ok(png) = browser.full_page_screenshot(1280) {
            let _ = save("daily-failure.png", &png);
        }
        let url = browser.url().unwrap_or_default();
        panic!("{e:#}\n(at {url}; screenshot in target/artifacts/daily-failure.png)");
    }
}

fn walk(app: &TestApp, b: &webdriver::Session<'_>) -> Result<()> {
    let admin = app.user("boss", true);
    let atlas = admin.post_ok("/api/v1/projects", &json!({"name": "Atlas"}), 201)["id"]
        .as_i64()
        .context("project id")?;
    admin.post_ok(
        "/api/v1/tasks",
        &json!({"project_id": atlas, "name": "Design"}),
        201,
    );
    let nina = app.user("nina", false);
    nina.put(
        "/api/v1/me/calendar",
        &json!({"time_zone": "America/New_York", "week_start": "sunday"}),
    );
    let kiran = app.user("kiran", false);
    kiran.put("/api/v1/me/calendar", &json!({"time_zone": "Asia/Kolkata"}));
    b.resize(1280, 900)?;
    sign_in(app, b, "nina")?;

    // Started on the projects page.
    b.goto(&app.url("/projects"))?;
    b.click_and_wait("form.inline-start button")?;
    ensure!(b.url()?.ends_with("/projects"), "{}", b.url()?);
    ticks(b, "/projects")?;
    // It ticks on two other pages.
    b.goto(&app.url("/entries"))?;
    ticks(b, "/entries")?;
    b.goto(&app.url("/reports"))?;
    ticks(b, "/reports")?;
    shots(b, app, "/", "dashboard-running")?;

    // Corrected: it really started an hour ago (her time).
    let ny = Calendar::new(Zone::parse("America/New_York")?, WeekStart::Sunday);
    let hour_ago = ny.local(chrono::Utc::now() - chrono::Duration::hours(1));
    b.goto(&app.url("/timer"))?;
    b.execute(&format!(
        "document.getElementById('fix-date').value = '{}';
         document.getElementById('fix-time').value = '{}';
         return true;",
        hour_ago.format("%Y-%m-%d"),
        hour_ago.format("%H:%M")
    ))?;
    b.click_and_wait("form[action='/timer'] button[type=submit]")?;
    let now = ticks(b, "/timer")?;
    ensure!(
        (3600 - 60..3600 + 120).contains(&now),
        "corrected clock shows {now} s"
    );
    shots(b, app, "/timer", "timer-running")?;

    // Stopped from the header, then continued from the list.
    b.goto(&app.url("/entries"))?;
    b.click_and_wait(".timer-bar button.stop")?;
    ensure!(b.url()?.ends_with("/entries"), "{}", b.url()?);
    ensure!(
        b.find(".timer-bar .timer-start").is_ok(),
        "the header offers a new start"
    );
    b.click_and_wait("form[action$='/continue'] button")?;
    ensure!(
        b.find(".timer-bar .timer-clock").is_ok(),
        "continued timer not running"
    );
    let what = b.find(".timer-bar .timer-what")?.text()?;
    ensure!(what.contains("Atlas"), "continued on {what}");
    b.click_and_wait(".timer-bar button.stop")?;
    shots(b, app, "/entries", "entries")?;
    shots(b, app, "/timer", "timer-start")?;

    // New York: the evening of 7 March (already the 8th in UTC) and the
    // night the clocks went forward.
    add_entry(b, app, atlas, "2026-03-07", "22:00", "23:30")?;
    add_entry(b, app, atlas, "2026-03-08", "01:00", "03:30")?;
    b.goto(&app.url("/entries?from=2026-03-07&to=2026-03-08"))?;
    let html = b.source()?;
    ensure!(
        day_total(&html, "Sat 2026-03-07").as_deref() == Some("1:30"),
        "7 March: {:?}",
        day_total(&html, "Sat 2026-03-07")
    );
    ensure!(
        day_total(&html, "Sun 2026-03-08").as_deref() == Some("1:30"),
        "8 March (a 23-hour day): {:?}",
        day_total(&html, "Sun 2026-03-08")
    );
    ensure!(
        html.contains("22:00–23:30") && html.contains("01:00–03:30"),
        "the list shows other times than typed"
    );
    b.goto(&app.url("/reports?from=2026-03-07&to=2026-03-08&group_by=day"))?;
    let report = b.find("main")?.text()?;
    ensure!(
        report.contains("2026-03-07") && report.contains("2026-03-08"),
        "report days: {report}"
    );
    let csv = b.execute(
        "var r = new XMLHttpRequest();
         r.open('GET', '/reports/entries.csv?from=2026-03-07&to=2026-03-07', false);
         r.send();
         return r.responseText;",
    )?;
    let csv = csv.as_str().unwrap_or_default();
    ensure!(
        csv.contains("\"America/New_York\",\"2026-03-07\",\"2026-03-07T22:00:00-05:00\""),
        "CSV: {csv}"
    );
    ensure!(
        !csv.contains("2026-03-08T01:00"),
        "the CSV's 7 March holds an entry of the 8th: {csv}"
    );
    shots(
        b,
        app,
        "/entries?from=2026-03-01&to=2026-03-08",
        "entries-dst",
    )?;
    shots(b, app, "/profile", "profile")?;

    // Kolkata: 04:00–06:00 on 8 March began at 22:30 UTC on the 7th; and
    // half an hour just after midnight today is today.
    b.click_and_wait(".whoami button[type=submit]")?;
    sign_in(app, b, "kiran")?;
    add_entry(b, app, atlas, "2026-03-08", "04:00", "06:00")?;
    b.goto(&app.url("/entries?from=2026-03-08&to=2026-03-08"))?;
    let html = b.source()?;
    ensure!(
        day_total(&html, "Sun 2026-03-08").as_deref() == Some("2:00"),
        "Kolkata 8 March: {:?}",
        day_total(&html, "Sun 2026-03-08")
    );
    let kolkata = Calendar::new(Zone::parse("Asia/Kolkata")?, WeekStart::Monday);
    let today = kolkata.today(chrono::Utc::now());
    add_entry(b, app, atlas, &today.to_string(), "00:05", "00:35")?;
    b.goto(&app.url("/"))?;
    let today_card = b.find("#today-h + .stat")?.text()?;
    ensure!(today_card == "0:30", "Today in Kolkata shows {today_card}");
    let csv = b.execute(
        "var r = new XMLHttpRequest();
         r.open('GET', '/reports/entries.csv?from=2026-03-08&to=2026-03-08', false);
         r.send();
         return r.responseText;",
    )?;
    ensure!(
        csv.as_str()
            .unwrap_or_default()
            .contains("\"Asia/Kolkata\",\"2026-03-08\",\"2026-03-08T04:00:00+05:30\""),
        "CSV: {csv}"
    );
    let _ = kiran;
    let _ = nina;
    Ok(())
}
