//! CSV downloads stay data in any spreadsheet: every text cell is quoted
//! and no cell — nor any piece of one a spreadsheet might split off on a
//! comma, semicolon, tab or pipe — starts a formula. Checked by reading the
//! real downloads with Python's `csv` module in the comma and semicolon
//! dialects.

use std::io::Write;
use std::process::{Command, Stdio};

use tt_tests::{json, spawn_app};

/// Reads `csv` with Python's csv module split on `delimiter` and returns
/// every field that starts like a formula.
fn formula_fields(csv: &[u8], delimiter: char) -> Vec<String> {
    let script = format!(
        "import csv, sys, io\n\
         text = sys.stdin.read()\n\
         bad = [f for row in csv.reader(io.StringIO(text), delimiter={delimiter:?}) for f in row\n\
                if f[:1] in ('=', '+', '-', '@', '\\t', '\\r')]\n\
         print('\\n'.join(bad))\n"
    );
    let mut child = match Command::new("python3")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            assert!(!tt_testkit::in_ci(), "python3 is required in CI: {e}");
            eprintln!("\n*** SKIPPED: CSV dialect check (python3 not found: {e}) ***\n");
            return Vec::new();
        }
    };
    child.stdin.take().unwrap().write_all(csv).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python3 failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn csv_downloads_hold_no_formula_in_any_dialect() {
    let app = spawn_app();
    let admin = app.user("boss", true);
    let pid = admin.post_ok(
        "/api/v1/projects",
        &json!({"name": "=HYPERLINK(\"x\")"}),
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let nasty = [
        "=1+1",
        "x;=cmd|' /C calc'!A0",
        "a,+b",
        "tab\t@SUM(A1)",
        "ok; -2",
        "pipe|=A1",
    ];
    for (k, notes) in nasty.iter().enumerate() {
        admin.post_ok(
            "/api/v1/time-entries",
            &json!({"project_id": pid, "start": format!("2026-01-{:02}T09:00:00Z", k + 1),
                    "end": format!("2026-01-{:02}T10:00:00Z", k + 1), "notes": notes, "tags": [format!("-t{k}")]}),
            201,
        );
    }
    let downloads = [
        "/api/v1/reports/entries.csv?from=2026-01-01&to=2026-01-31",
        "/api/v1/me/export?format=csv",
    ];
    for path in downloads {
        let resp = admin.request(reqwest::Method::GET, path).send().unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let body = resp.bytes().unwrap();
        let text = String::from_utf8_lossy(&body);
        // Every text cell is quoted, and the notes arrive intact but inert.
        assert!(text.contains("\"'=1+1\""), "{path}:\n{text}");
        assert!(
            text.contains("\"x;'=cmd|' /C calc'!A0\""),
            "{path}:\n{text}"
        );
        for delimiter in [',', ';'] {
            let bad = formula_fields(&body, delimiter);
            assert!(bad.is_empty(), "{path} split on {delimiter:?}: {bad:?}");
        }
    }
}
