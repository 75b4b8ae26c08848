//! The daily path of someone who tracks time all day: the timer from any
//! page (started on the projects page, visible and ticking-ready on every
//! page, corrected while it runs, stopped where one is, continued), entries
//! that never overlap, the list by day and week with totals, filters and
//! pages, deletion that asks first, and administrators correcting an
//! employee's time on the record — on both databases.

use tt_tests::session::{Browser, Page};
use tt_tests::{Api, TestApp, json, on_both_backends};

const PASSWORD: &str = "a-long-password";

fn web_user(app: &TestApp, name: &str) -> Browser {
    Browser::signed_in(&app.base, name, PASSWORD)
}

fn project(admin: &Api, name: &str) -> i64 {
    admin.post_ok("/api/v1/projects", &json!({"name": name}), 201)["id"]
        .as_i64()
        .unwrap()
}

fn entry(api: &Api, project: i64, start: &str, end: &str) -> (u16, serde_json::Value) {
    api.post(
        "/api/v1/time-entries",
        &json!({"project_id": project, "start": start, "end": end}),
    )
}

/// The header's clock: the elapsed seconds the page was made with.
fn header_elapsed(p: &Page) -> i64 {
    p.body
        .split("data-elapsed=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no running clock in the header:\n{}", p.body))
}

fn timer_from_any_page(app: &TestApp) {
    let admin = app.user("boss", true);
    let atlas = project(&admin, "Atlas");
    let api = app.user("tess", false);
    let b = web_user(app, "tess");

    // Started on the projects page, back on the projects page.
    let projects = b.get("/projects");
    assert!(projects.body.contains("Start the timer on Atlas"));
    b.submit(
        "/timer/start",
        &[
            ("project_id", &atlas.to_string()),
            ("notes", "planning"),
            ("tags", "meeting"),
            ("next", "/projects"),
        ],
    )
    .assert_redirect("/projects");
    // Every page shows it, with the script that makes its clock tick and
    // the stop button that returns to the page.
    for path in ["/projects", "/entries", "/reports", "/profile", "/help"] {
        let p = b.get(path);
        assert!(p.body.contains("Timer running on </span>Atlas"), "{path}");
        assert!(p.body.contains("/static/app.js?v="), "{path}");
        assert!(
            p.body.contains(&format!("name=\"next\" value=\"{path}\"")),
            "{path}"
        );
        assert!(header_elapsed(&p) < 120, "{path}");
    }
    let running = api.get("/api/v1/timer").1;
    assert_eq!(running["tags"], json!(["meeting"]));

    // Forgot to start it: it really began 45 minutes ago.
    let started = chrono::Utc::now() - chrono::Duration::minutes(45);
    let local = started.format("%Y-%m-%d %H:%M").to_string();
    let (date, time) = local.split_once(' ').unwrap();
    b.submit(
        "/timer",
        &[
            ("date", date),
            ("start_time", time),
            ("project_id", &atlas.to_string()),
            ("notes", "planning the week"),
            ("tags", "meeting"),
        ],
    )
    .assert_redirect("/timer");
    let p = b.get("/reports");
    assert!(
        (44 * 60..47 * 60).contains(&header_elapsed(&p)),
        "{}",
        header_elapsed(&p)
    );
    // A start in the future is refused, saying why.
    let later = (chrono::Utc::now() + chrono::Duration::hours(2))
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let (date, time) = later.split_once(' ').unwrap();
    let refused = b.submit(
        "/timer",
        &[
            ("date", date),
            ("start_time", time),
            ("project_id", &atlas.to_string()),
        ],
    );
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("cannot start in the future"),
        "{}",
        refused.body
    );

    // Stopped from the reports page, back there.
    let token = b.get("/reports").csrf();
    b.post(
        "/timer/stop",
        &[("csrf_token", &token), ("next", "/reports")],
    )
    .assert_redirect("/reports");
    assert!(b.get("/reports").body.contains("Start timer"));
    let stopped = api.get("/api/v1/time-entries").1[0].clone();
    assert_eq!(stopped["notes"], "planning the week");
    assert!(stopped["duration_seconds"].as_i64().unwrap() >= 44 * 60);

    // Continued from the entries list: same project, notes and tags.
    let id = stopped["id"].as_i64().unwrap();
    assert!(
        b.get("/entries")
            .body
            .contains(&format!("/entries/{id}/continue"))
    );
    b.submit(&format!("/entries/{id}/continue"), &[("next", "/entries")])
        .assert_redirect("/entries");
    let again = api.get("/api/v1/timer").1;
    assert_eq!(again["project_id"], atlas);
    assert_eq!(again["notes"], "planning the week");
    assert_eq!(again["tags"], json!(["meeting"]));
    // The correction form left at the start it shows keeps the exact start
    // (its seconds too).
    let started = chrono::DateTime::parse_from_rfc3339(again["start"].as_str().unwrap()).unwrap();
    b.submit(
        "/timer",
        &[
            ("date", &started.format("%Y-%m-%d").to_string()),
            ("start_time", &started.format("%H:%M").to_string()),
            ("project_id", &atlas.to_string()),
            ("notes", "continued"),
        ],
    )
    .assert_redirect("/timer");
    let kept = api.get("/api/v1/timer").1;
    assert_eq!(
        (kept["start"].clone(), kept["notes"].clone()),
        (again["start"].clone(), json!("continued"))
    );
    // The dashboard offers the recent combination first; with a timer
    // running, nothing offers a second one.
    assert!(!b.get("/entries").body.contains("/continue\""));
    api.post_ok("/api/v1/timer/stop", &json!({}), 200);
    let dash = b.get("/");
    assert!(
        dash.body.contains("Start the timer on </span>Atlas"),
        "{}",
        dash.body
    );

    // The API: continue, correct, and the refusals (another person, whose
    // only entry was yesterday).
    let tom = app.user("tom", false);
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    let (status, e) = tom.post(
        "/api/v1/time-entries",
        &json!({"project_id": atlas, "start": yesterday.to_rfc3339(),
                "end": (yesterday + chrono::Duration::hours(1)).to_rfc3339(), "notes": "review",
                "billable": false}),
    );
    assert_eq!(status, 201, "{e}");
    let id = e["id"].as_i64().unwrap();
    let (status, e) = tom.post(&format!("/api/v1/time-entries/{id}/continue"), &json!({}));
    assert_eq!(status, 201, "{e}");
    assert_eq!(e["notes"], "review");
    let back = (chrono::Utc::now() - chrono::Duration::minutes(10)).to_rfc3339();
    let (status, e) = tom.put(
        "/api/v1/timer",
        &json!({"start": back, "project_id": atlas, "notes": "fixed"}),
    );
    assert_eq!(status, 200, "{e}");
    assert_eq!(e["notes"], "fixed");
    assert!(e["duration_seconds"].as_i64().unwrap() >= 599);
    assert_eq!(
        e["billable"], false,
        "a correction keeps what it does not name"
    );
    // Without a start, the start stays to the microsecond.
    let (_, again) = tom.put(
        "/api/v1/timer",
        &json!({"project_id": atlas, "notes": "again"}),
    );
    assert_eq!(again["start"], e["start"]);
    // Back into yesterday's entry: refused, naming it.
    let (status, e) = tom.put(
        "/api/v1/timer",
        &json!({"start": (yesterday + chrono::Duration::minutes(30)).to_rfc3339(), "project_id": atlas}),
    );
    assert_eq!(status, 409);
    assert!(e.to_string().contains(&format!("entry #{id}")), "{e}");
    let (status, _) = tom.post(&format!("/api/v1/time-entries/{id}/continue"), &json!({}));
    assert_eq!(status, 409, "a timer already runs");
    tom.post_ok("/api/v1/timer/stop", &json!({}), 200);
    let (status, _) = tom.put(
        "/api/v1/timer",
        &json!({"start": back, "project_id": atlas}),
    );
    assert_eq!(status, 409, "no timer runs");
    // Someone else's entry cannot be continued.
    let other = app.user("otto", false);
    assert_eq!(
        other
            .post(&format!("/api/v1/time-entries/{id}/continue"), &json!({}))
            .0,
        404
    );
}

fn entries_never_overlap(app: &TestApp) {
    let admin = app.user("boss", true);
    let atlas = project(&admin, "Atlas");
    let api = app.user("olga", false);
    let (status, first) = entry(&api, atlas, "2026-03-02T09:00:00Z", "2026-03-02T10:30:00Z");
    assert_eq!(status, 201, "{first}");
    let first_id = first["id"].as_i64().unwrap();
    // Touching is fine; sharing a minute is not, and the refusal names
    // the entry in the way.
    assert_eq!(
        entry(&api, atlas, "2026-03-02T10:30:00Z", "2026-03-02T11:00:00Z").0,
        201
    );
    let (status, body) = entry(&api, atlas, "2026-03-02T08:00:00Z", "2026-03-02T09:01:00Z");
    assert_eq!(status, 409);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("entry #{first_id}")), "{message}");
    assert!(
        message.contains("Atlas, 2026-03-02 09:00–10:30"),
        "{message}"
    );
    // Moving an entry onto another is refused too; onto itself is fine.
    let (status, _) = api.put(
        &format!("/api/v1/time-entries/{first_id}"),
        &json!({"project_id": atlas, "start": "2026-03-02T09:15:00Z", "end": "2026-03-02T10:15:00Z"}),
    );
    assert_eq!(status, 200);
    let (status, _) = api.put(
        &format!("/api/v1/time-entries/{first_id}"),
        &json!({"project_id": atlas, "start": "2026-03-02T09:15:00Z", "end": "2026-03-02T10:45:00Z"}),
    );
    assert_eq!(status, 409);
    // Another person's time is theirs: no overlap across people.
    let other = app.user("otto", false);
    assert_eq!(
        entry(
            &other,
            atlas,
            "2026-03-02T09:00:00Z",
            "2026-03-02T10:30:00Z"
        )
        .0,
        201
    );
    // A running timer holds all time after its start.
    api.post_ok("/api/v1/timer/start", &json!({"project_id": atlas}), 201);
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(30)).to_rfc3339();
    let later = (chrono::Utc::now() + chrono::Duration::minutes(60)).to_rfc3339();
    assert_eq!(entry(&api, atlas, &soon, &later).0, 409);
    api.post_ok("/api/v1/timer/stop", &json!({}), 200);

    // Many overlapping entries sent at once: exactly one is stored.
    for round in 0..6 {
        let day = 10 + round;
        let barrier = std::sync::Barrier::new(8);
        let statuses = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let (api, barrier) = (&api, &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        entry(
                            api,
                            atlas,
                            &format!("2026-03-{day}T09:{:02}:00Z", i * 5),
                            &format!("2026-03-{day}T11:00:00Z"),
                        )
                        .0
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<u16>>()
        });
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 201 || *s == 409),
            "{statuses:?}"
        );
    }
}

fn the_list_by_day_and_week(app: &TestApp) {
    let admin = app.user("boss", true);
    let client = admin.post_ok("/api/v1/clients", &json!({"name": "Acme"}), 201)["id"]
        .as_i64()
        .unwrap();
    let atlas = admin.post_ok(
        "/api/v1/projects",
        &json!({"name": "Atlas", "client_id": client}),
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let inner = project(&admin, "Internal");
    let api = app.user("lena", false);
    // 60 entries: three a day over 20 days in March, an hour each.
    for day in 1..=20 {
        for (k, hour) in [8, 11, 14].into_iter().enumerate() {
            let p = if k == 2 { inner } else { atlas };
            let (status, e) = api.post(
                "/api/v1/time-entries",
                &json!({"project_id": p, "start": format!("2026-03-{day:02}T{hour:02}:00:00Z"),
                        "end": format!("2026-03-{day:02}T{:02}:00:00Z", hour + 1),
                        "tags": if k == 1 { vec!["deep"] } else { vec![] },
                        "billable": k != 2}),
            );
            assert_eq!(status, 201, "{e}");
        }
    }
    let b = web_user(app, "lena");
    let first = b.get("/entries");
    assert_eq!(first.status, 200);
    assert!(
        first
            .body
            .contains("60 entries, <strong>60:00</strong> in all"),
        "{}",
        first.body
    );
    assert!(first.body.contains("Page 1 of 2"));
    // Newest first; each day with its total, each week with its own.
    assert!(
        first
            .body
            .contains("Fri 2026-03-20 <span class=\"total\">3:00</span>")
    );
    assert!(
        first
            .body
            .contains("Week from Mon 2026-03-16 <span class=\"total\">15:00</span>")
    );
    assert_eq!(
        first.body.matches("class=\"day-total\"").count(),
        17,
        "50 entries: 16 whole days and part of one"
    );
    // A day split over two pages still shows its whole total.
    let second = b.get("/entries?page=2");
    assert!(
        second
            .body
            .contains("Wed 2026-03-04 <span class=\"total\">3:00</span>"),
        "{}",
        second.body
    );
    // Filters: tag, billable, client, project, dates — and together.
    let count = |q: &str| {
        let p = b.get(&format!("/entries?{q}"));
        assert_eq!(p.status, 200, "{q}: {}", p.body);
        p.body
            .split("<p>")
            .find(|s| s.contains(" in all"))
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or_else(|| {
                if p.body.contains("No entries") {
                    0
                } else {
                    panic!("{q}: {}", p.body)
                }
            })
    };
    assert_eq!(count("tag=deep"), 20);
    assert_eq!(count("billable=no"), 20);
    assert_eq!(count(&format!("client_id={client}")), 40);
    assert_eq!(count(&format!("project_id={inner}")), 20);
    assert_eq!(count("from=2026-03-01&to=2026-03-07"), 21);
    assert_eq!(
        count(&format!(
            "from=2026-03-01&to=2026-03-07&project_id={atlas}&tag=deep"
        )),
        7
    );
    assert_eq!(
        count("tag=de%25"),
        0,
        "a tag is matched whole, wildcards are text"
    );
    assert_eq!(b.get("/entries?from=someday").status, 200);
    assert!(b.get("/entries?from=someday").body.contains("YYYY-MM-DD"));
    // A regular user cannot look at someone else's entries.
    let boss_id = admin.get("/api/v1/me").1["id"].as_i64().unwrap();
    assert_eq!(b.get(&format!("/entries?user_id={boss_id}")).status, 403);

    // The API filters the same way and says how many match in all.
    let api_count = |who: &Api, q: &str| {
        let resp = who
            .request(reqwest::Method::GET, &format!("/api/v1/time-entries?{q}"))
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{q}");
        let total: usize = resp.headers()["x-total-count"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let page: serde_json::Value = resp.json().unwrap();
        (total, page.as_array().unwrap().len())
    };
    assert_eq!(api_count(&api, "tag=deep&limit=5"), (20, 5));
    assert_eq!(
        api_count(&api, &format!("client_id={client}&billable=true")),
        (40, 40)
    );
    assert_eq!(
        api_count(&api, "from=2026-03-01&to=2026-03-07&limit=20&page=2"),
        (21, 1)
    );
    let lena_id = api.get("/api/v1/me").1["id"].as_i64().unwrap();
    assert_eq!(
        api_count(&admin, &format!("user_id={lena_id}&project_id={inner}")),
        (20, 20)
    );
    assert_eq!(
        api.get(&format!("/api/v1/time-entries?user_id={boss_id}"))
            .0,
        403
    );
    assert_eq!(
        api.get("/api/v1/time-entries?user_id=999999").0,
        403,
        "same answer for nobody"
    );
    assert_eq!(admin.get("/api/v1/time-entries?user_id=999999").0, 422);
    assert_eq!(api.get("/api/v1/time-entries?page=0").0, 422);
    assert_eq!(
        api_count(&api, "limit=50&page=3"),
        (60, 0),
        "past the last page: nothing"
    );
}

fn deleting_asks_first(app: &TestApp) {
    let admin = app.user("boss", true);
    let atlas = project(&admin, "Atlas");
    let api = app.user("dora", false);
    let (_, e) = api.post(
        "/api/v1/time-entries",
        &json!({"project_id": atlas, "start": "2026-03-02T09:00:00Z", "end": "2026-03-02T10:30:00Z", "notes": "client call"}),
    );
    let id = e["id"].as_i64().unwrap();
    let b = web_user(app, "dora");
    let list = b.get("/entries");
    assert!(
        list.body
            .contains(&format!("href=\"/entries/{id}/delete\"")),
        "a link to the question, not a one-click form"
    );
    let ask = b.get(&format!("/entries/{id}/delete"));
    assert_eq!(ask.status, 200);
    assert!(ask.body.contains("Delete this entry?"));
    assert!(ask.body.contains("1:30"));
    assert!(ask.body.contains("client call"));
    assert!(ask.body.contains("cannot be undone"));
    assert_eq!(
        api.get(&format!("/api/v1/time-entries/{id}")).0,
        200,
        "asking deletes nothing"
    );
    b.submit(&format!("/entries/{id}/delete"), &[])
        .assert_redirect("/entries");
    assert_eq!(api.get(&format!("/api/v1/time-entries/{id}")).0, 404);
    // Someone else's entry: no question to ask.
    let (_, e) = api.post(
        "/api/v1/time-entries",
        &json!({"project_id": atlas, "start": "2026-03-03T09:00:00Z", "end": "2026-03-03T10:00:00Z"}),
    );
    app.user("eve", false);
    let eve = web_user(app, "eve");
    assert_eq!(eve.get(&format!("/entries/{}/delete", e["id"])).status, 404);
}

fn administrators_correct_on_the_record(app: &TestApp) {
    let admin = app.user("boss", true);
    let atlas = project(&admin, "Atlas");
    let api = app.user("finn", false);
    let finn_id = api.get("/api/v1/me").1["id"].as_i64().unwrap();
    let (_, e) = api.post(
        "/api/v1/time-entries",
        &json!({"project_id": atlas, "start": "2026-03-02T09:00:00Z", "end": "2026-03-02T17:00:00Z", "notes": "typo"}),
    );
    let id = e["id"].as_i64().unwrap();
    let boss = web_user(app, "boss");
    let list = boss.get(&format!("/entries?user_id={finn_id}"));
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Entries of finn"));
    assert!(list.body.contains("8:00"));
    assert!(
        !list.body.contains("Add time manually"),
        "an administrator adds time only for themselves"
    );
    // The correction goes through the edit form, in the admin's zone.
    boss.submit(
        &format!("/entries/{id}/edit"),
        &[
            ("project_id", &atlas.to_string()),
            ("date", "2026-03-02"),
            ("start_time", "09:00"),
            ("end_time", "13:00"),
            ("notes", "half day"),
            ("billable", "yes"),
        ],
    )
    .assert_redirect("/entries");
    let list = boss.get(&format!("/entries?user_id={finn_id}"));
    assert!(list.body.contains("corrected by boss on"), "{}", list.body);
    // Finn sees who changed his time, and the new time.
    let finn = web_user(app, "finn");
    let mine = finn.get("/entries");
    assert!(mine.body.contains("corrected by boss on"));
    assert!(mine.body.contains("4:00"));
    // His own edit is no correction, and leaves the record of boss's.
    finn.submit(
        &format!("/entries/{id}/edit"),
        &[
            ("project_id", &atlas.to_string()),
            ("date", "2026-03-02"),
            ("start_time", "09:00"),
            ("end_time", "13:30"),
            ("notes", "half day"),
            ("billable", "yes"),
        ],
    )
    .assert_redirect("/entries");
    let mine = finn.get("/entries");
    assert!(mine.body.contains("4:30"));
    assert!(mine.body.contains("corrected by boss on"));
}

/// The dashboard's quick starts offer what was worked on last, and only
/// where time can still be tracked: a done task and an archived project
/// drop out.
fn quick_starts_offer_only_open_work(app: &TestApp) {
    let admin = app.user("boss", true);
    let atlas = project(&admin, "Atlas");
    let borealis = project(&admin, "Borealis");
    let design = admin.post_ok(
        "/api/v1/tasks",
        &json!({"project_id": borealis, "name": "Design"}),
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let api = app.user("tess", false);
    let b = web_user(app, "tess");
    let offers = |b: &Browser| {
        let body = b.get("/").body;
        ["Atlas", "Borealis · Design"]
            .into_iter()
            .filter(|label| body.contains(&format!("Start the timer on </span>{label}")))
            .collect::<Vec<_>>()
    };
    assert_eq!(offers(&b), Vec::<&str>::new());
    let (status, e) = entry(&api, atlas, "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z");
    assert_eq!(status, 201, "{e}");
    let (status, e) = api.post(
        "/api/v1/time-entries",
        &json!({"project_id": borealis, "task_id": design,
                "start": "2026-03-02T11:00:00Z", "end": "2026-03-02T12:00:00Z"}),
    );
    assert_eq!(status, 201, "{e}");
    assert_eq!(offers(&b), ["Atlas", "Borealis · Design"]);
    let (status, e) = admin.put(
        &format!("/api/v1/tasks/{design}"),
        &json!({"project_id": borealis, "name": "Design", "status": "done"}),
    );
    assert_eq!(status, 200, "{e}");
    assert_eq!(offers(&b), ["Atlas"]);
    let (status, e) = admin.put(
        &format!("/api/v1/projects/{atlas}"),
        &json!({"name": "Atlas", "archived": true}),
    );
    assert_eq!(status, 200, "{e}");
    assert_eq!(offers(&b), Vec::<&str>::new());
}

on_both_backends!(
    quick_starts_offer_only_open_work,
    timer_from_any_page,
    entries_never_overlap,
    the_list_by_day_and_week,
    deleting_asks_first,
    administrators_correct_on_the_record
);
