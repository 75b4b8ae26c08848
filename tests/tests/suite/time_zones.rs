//! Each person reads and types times in their own zone: a New York user's
//! evening that is already tomorrow in UTC, a night across the start of
//! daylight saving time, and a Kolkata morning that is still yesterday in
//! UTC land on the days they typed — in the API, the entries filter, the
//! report and the CSV — on both databases.

use tt_tests::session::Browser;
use tt_tests::{TestApp, json, on_both_backends};

const PASSWORD: &str = "a-long-password";

fn web_user(app: &TestApp, name: &str) -> Browser {
    Browser::signed_in(&app.base, name, PASSWORD)
}

fn add_entry(
    b: &Browser,
    project: i64,
    date: &str,
    start: &str,
    end: &str,
) -> tt_tests::session::Page {
    b.submit(
        "/entries",
        &[
            ("project_id", &project.to_string()),
            ("date", date),
            ("start_time", start),
            ("end_time", end),
        ],
    )
}

fn days_and_zones(app: &TestApp) {
    let admin = app.user("boss", true);
    let project = admin.post_ok("/api/v1/projects", &json!({"name": "Atlas"}), 201)["id"]
        .as_i64()
        .unwrap();

    // New York: an evening on 7 March (already 8 March in UTC) and the
    // night of 8 March, when 02:00 became 03:00.
    let ny = app.user("nina", false);
    let me = ny.put(
        "/api/v1/me/calendar",
        &json!({"time_zone": "America/New_York", "week_start": "sunday"}),
    );
    assert_eq!(me.0, 200, "{}", me.1);
    assert_eq!(me.1["time_zone"], "America/New_York");
    let nina = web_user(app, "nina");
    let page = nina.get("/entries");
    assert!(
        page.body.contains("America/New_York"),
        "the form names the zone"
    );
    add_entry(&nina, project, "2026-03-07", "22:00", "23:30").assert_redirect("/entries");
    add_entry(&nina, project, "2026-03-08", "01:00", "03:30").assert_redirect("/entries");
    // 02:30 never happened in New York that night.
    let gap = add_entry(&nina, project, "2026-03-08", "02:30", "04:00");
    assert_eq!(gap.status, 422);
    assert!(
        gap.body
            .contains("02:30 does not exist on 2026-03-08 in America/New_York"),
        "{}",
        gap.body
    );

    let (status, list) = ny.get("/api/v1/time-entries?from=2026-03-07&to=2026-03-08");
    assert_eq!(status, 200);
    let mut spans: Vec<(String, String, i64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["start"].as_str().unwrap().to_owned(),
                e["end"].as_str().unwrap().to_owned(),
                e["duration_seconds"].as_i64().unwrap(),
            )
        })
        .collect();
    spans.sort();
    assert_eq!(
        spans,
        vec![
            (
                "2026-03-07T22:00:00-05:00".into(),
                "2026-03-07T23:30:00-05:00".into(),
                5400
            ),
            // 01:00 EST to 03:30 EDT: an hour and a half, not two and a half.
            (
                "2026-03-08T01:00:00-05:00".into(),
                "2026-03-08T03:30:00-04:00".into(),
                5400
            ),
        ]
    );
    // The filter's days are hers: only the evening is on 7 March.
    let (_, seventh) = ny.get("/api/v1/time-entries?from=2026-03-07&to=2026-03-07");
    assert_eq!(seventh.as_array().unwrap().len(), 1);
    assert_eq!(seventh[0]["start"], "2026-03-07T22:00:00-05:00");

    let (_, report) = ny.get("/api/v1/reports/summary?from=2026-03-07&to=2026-03-08&group_by=day");
    let days: Vec<(String, i64)> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_owned(),
                r["seconds"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        days,
        vec![("2026-03-07".into(), 5400), ("2026-03-08".into(), 5400)]
    );

    let csv = ny
        .request(
            reqwest::Method::GET,
            "/api/v1/reports/entries.csv?from=2026-03-07&to=2026-03-07",
        )
        .send()
        .unwrap()
        .text()
        .unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(
        header.contains("\"time_zone\",\"date\",\"start\",\"end\""),
        "{header}"
    );
    assert!(header.contains("\"hours_decimal\""), "{header}");
    let row = lines.next().unwrap();
    assert!(
        row.contains("\"America/New_York\",\"2026-03-07\",\"2026-03-07T22:00:00-05:00\""),
        "{row}"
    );
    assert_eq!(lines.next(), None);

    // Kolkata: 04:00–06:00 on 8 March is 22:30–00:30 UTC from 7 March.
    let kolkata = app.user("kiran", false);
    kolkata.put("/api/v1/me/calendar", &json!({"time_zone": "Asia/Kolkata"}));
    let kiran = web_user(app, "kiran");
    add_entry(&kiran, project, "2026-03-08", "04:00", "06:00").assert_redirect("/entries");
    let (_, report) =
        kolkata.get("/api/v1/reports/summary?from=2026-03-08&to=2026-03-08&group_by=day");
    assert_eq!(report["rows"][0]["key"], "2026-03-08");
    assert_eq!(report["rows"][0]["seconds"], 7200);
    let (_, mine) = kolkata.get("/api/v1/time-entries");
    assert_eq!(mine[0]["start"], "2026-03-08T04:00:00+05:30");
    // The administrator, in UTC, sees it start on 7 March.
    let (_, all) = admin.get("/api/v1/reports/summary?from=2026-03-07&to=2026-03-07&group_by=user");
    let kiran_row = all["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["label"] == "kiran")
        .cloned()
        .unwrap_or_default();
    assert_eq!(kiran_row["seconds"], 7200, "{all}");

    // Unknown zones and weekdays are refused, naming the field.
    let (status, body) = ny.put("/api/v1/me/calendar", &json!({"time_zone": "Mars/Olympus"}));
    assert_eq!(status, 422);
    assert!(body.to_string().contains("time zone"), "{body}");
    let (status, _) = ny.put("/api/v1/me/calendar", &json!({"week_start": "friday"}));
    assert_eq!(status, 422);
    // Null goes back to the installation's default.
    let (_, me) = ny.put("/api/v1/me/calendar", &json!({"time_zone": null}));
    assert_eq!(me["time_zone"], serde_json::Value::Null);
}

on_both_backends!(days_and_zones);
