//! Every API route, on SQLite and PostgreSQL.

use serde_json::Value;
use tt_tests::{TestApp, json, on_both_backends};

on_both_backends!(
    health_and_auth,
    catalogue_crud,
    entries_and_timer,
    reports_and_csv,
    users_admin
);

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn health_and_auth(app: &TestApp) {
    let anon = app.anonymous();
    assert_eq!(anon.get("/healthz").0, 200);
    let (s, b) = anon.get("/readyz");
    assert_eq!((s, b["database"].as_str()), (200, Some("ok")));
    // Anonymous API calls are 401 with a JSON error.
    let (s, b) = anon.get("/api/v1/timer");
    assert_eq!(s, 401);
    assert_eq!(b["error"]["code"], "unauthorized");
    // Wrong password and unknown user look the same.
    app.create_user("alice", "correct-password", false);
    let (s1, b1) = anon.post(
        "/api/v1/auth/login",
        &json!({"username": "alice", "password": "nope-nope"}),
    );
    let (s2, b2) = anon.post(
        "/api/v1/auth/login",
        &json!({"username": "ghost", "password": "nope-nope"}),
    );
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(b1, b2);
    let alice = app.login("alice", "correct-password");
    let (s, me) = alice.get("/api/v1/me");
    assert_eq!((s, me["username"].as_str()), (200, Some("alice")));
    // The token is stored only as its SHA-256.
    let token = alice.token.clone().unwrap();
    let mut conn = app.conn();
    use diesel::prelude::*;
    let stored: Vec<String> = tt_persistence::schema::api_tokens::table
        .select(tt_persistence::schema::api_tokens::token_hash)
        .load(&mut conn)
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    assert_eq!(stored[0].len(), 64);
    // Logout revokes the token.
    assert_eq!(alice.post("/api/v1/auth/logout", &json!({})).0, 204);
    assert_eq!(alice.get("/api/v1/me").0, 401);
    // A garbage token is 401, not 500.
    let bogus = app.anonymous().with_token("tt_garbage");
    assert_eq!(bogus.get("/api/v1/me").0, 401);
}

fn catalogue_crud(app: &TestApp) {
    let admin = app.user("boss", true);
    let user = app.user("worker", false);
    // Clients: admin-only writes.
    assert_eq!(
        user.post("/api/v1/clients", &json!({"name": "Nope"})).0,
        403
    );
    let client = admin.post_ok(
        "/api/v1/clients",
        &json!({"name": "Acme", "email": "billing@acme.test", "default_hourly_rate": "80"}),
        201,
    );
    assert_eq!(client["default_hourly_rate"], "80.00");
    let cid = id(&client);
    let (s, c) = user.get(&format!("/api/v1/clients/{cid}"));
    assert_eq!((s, c["name"].as_str()), (200, Some("Acme")));
    let (s, c) = admin.put(
        &format!("/api/v1/clients/{cid}"),
        &json!({"name": "Acme Ltd", "archived": false}),
    );
    assert_eq!((s, c["name"].as_str()), (200, Some("Acme Ltd")));
    assert_eq!(user.get("/api/v1/clients").1.as_array().unwrap().len(), 1);
    // Projects.
    let project = admin.post_ok(
        "/api/v1/projects",
        &json!({"name": "Website", "client_id": cid, "hourly_rate": "100.50"}),
        201,
    );
    let pid = id(&project);
    assert_eq!(project["hourly_rate"], "100.50");
    assert_eq!(
        admin
            .post(
                "/api/v1/projects",
                &json!({"name": "X", "client_id": 999_999})
            )
            .0,
        422
    );
    let (s, list) = user.get(&format!("/api/v1/projects?client_id={cid}"));
    assert_eq!((s, list.as_array().unwrap().len()), (200, 1));
    let (s, p) = admin.put(
        &format!("/api/v1/projects/{pid}"),
        &json!({"name": "Website v2", "client_id": cid, "hourly_rate": "120", "billable": true}),
    );
    assert_eq!((s, p["hourly_rate"].as_str()), (200, Some("120.00")));
    // Tasks: anyone.
    let task = user.post_ok(
        "/api/v1/tasks",
        &json!({"project_id": pid, "name": "Design"}),
        201,
    );
    let tid = id(&task);
    assert_eq!(task["status"], "todo");
    let (s, t) = user.put(
        &format!("/api/v1/tasks/{tid}"),
        &json!({"project_id": pid, "name": "Design", "status": "in_progress", "due_date": "2026-12-01"}),
    );
    assert_eq!(
        (s, t["status"].as_str(), t["due_date"].as_str()),
        (200, Some("in_progress"), Some("2026-12-01"))
    );
    assert_eq!(
        user.put(
            &format!("/api/v1/tasks/{tid}"),
            &json!({"project_id": pid, "name": "D", "status": "doing"})
        )
        .0,
        422
    );
    assert_eq!(
        user.get(&format!("/api/v1/tasks?project_id={pid}"))
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(user.get(&format!("/api/v1/tasks/{tid}")).0, 200);
    // Comments: authors edit their own; others get 404.
    let comment = user.post_ok(
        "/api/v1/comments",
        &json!({"task_id": tid, "body": "looks good"}),
        201,
    );
    let cmid = id(&comment);
    assert_eq!(
        user.post(
            "/api/v1/comments",
            &json!({"task_id": tid, "project_id": pid, "body": "x"})
        )
        .0,
        422
    );
    assert_eq!(
        admin
            .put(
                &format!("/api/v1/comments/{cmid}"),
                &json!({"body": "hijack"})
            )
            .0,
        403
    );
    let (s, c) = user.put(
        &format!("/api/v1/comments/{cmid}"),
        &json!({"body": "looks great"}),
    );
    assert_eq!((s, c["body"].as_str()), (200, Some("looks great")));
    assert_eq!(
        user.get(&format!("/api/v1/comments?task_id={tid}"))
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(user.get(&format!("/api/v1/comments/{cmid}")).0, 200);
    assert_eq!(user.delete(&format!("/api/v1/comments/{cmid}")).0, 204);
    assert_eq!(user.get(&format!("/api/v1/comments/{cmid}")).0, 404);
    // Deletes.
    assert_eq!(user.delete(&format!("/api/v1/tasks/{tid}")).0, 204);
    assert_eq!(user.get(&format!("/api/v1/tasks/{tid}")).0, 404);
    assert_eq!(user.delete(&format!("/api/v1/projects/{pid}")).0, 403);
    // A client still referenced by a project cannot be deleted.
    assert_eq!(admin.delete(&format!("/api/v1/clients/{cid}")).0, 409);
    assert_eq!(admin.delete(&format!("/api/v1/projects/{pid}")).0, 204);
    assert_eq!(admin.delete(&format!("/api/v1/clients/{cid}")).0, 204);
    assert_eq!(admin.get(&format!("/api/v1/clients/{cid}")).0, 404);
}

fn entries_and_timer(app: &TestApp) {
    let admin = app.user("boss", true);
    let alice = app.user("alice", false);
    let bob = app.user("bob", false);
    let pid = id(&admin.post_ok("/api/v1/projects", &json!({"name": "Internal"}), 201));
    let other = id(&admin.post_ok("/api/v1/projects", &json!({"name": "Other"}), 201));
    let tid = id(&alice.post_ok(
        "/api/v1/tasks",
        &json!({"project_id": pid, "name": "Work"}),
        201,
    ));
    // Timer.
    assert_eq!(alice.get("/api/v1/timer"), (200, Value::Null));
    let started = alice.post_ok(
        "/api/v1/timer/start",
        &json!({"project_id": pid, "task_id": tid, "notes": "secret notes"}),
        201,
    );
    assert_eq!(started["running"], true);
    let (s, b) = alice.post("/api/v1/timer/start", &json!({"project_id": pid}));
    assert_eq!((s, b["error"]["code"].as_str()), (409, Some("conflict")));
    assert_eq!(alice.get("/api/v1/timer").1["id"], started["id"]);
    // Bob's timer is independent.
    assert_eq!(bob.get("/api/v1/timer"), (200, Value::Null));
    // A task of another project is refused.
    assert_eq!(
        bob.post(
            "/api/v1/timer/start",
            &json!({"project_id": other, "task_id": tid})
        )
        .0,
        422
    );
    let stopped = alice.post_ok("/api/v1/timer/stop", &json!({}), 200);
    assert_eq!(stopped["running"], false);
    assert!(stopped["duration_seconds"].as_i64().unwrap() >= 1);
    assert_eq!(alice.post("/api/v1/timer/stop", &json!({})).0, 404);
    // Manual entries.
    let entry = alice.post_ok(
        "/api/v1/time-entries",
        &json!({"project_id": pid, "start": "2026-03-02T09:00:00Z", "end": "2026-03-02T10:30:00Z", "tags": ["a", "b"]}),
        201,
    );
    let eid = id(&entry);
    assert_eq!(entry["duration_seconds"], 5400);
    assert_eq!(entry["tags"], json!(["a", "b"]));
    assert_eq!(
        alice.post("/api/v1/time-entries", &json!({"project_id": pid, "start": "2026-03-02T10:00:00Z", "end": "2026-03-02T09:00:00Z"})).0,
        422
    );
    let (s, list) = alice.get("/api/v1/time-entries?from=2026-03-01&to=2026-03-31");
    assert_eq!((s, list.as_array().unwrap().len()), (200, 1));
    assert_eq!(
        alice
            .get("/api/v1/time-entries")
            .1
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (s, e) = alice.put(
        &format!("/api/v1/time-entries/{eid}"),
        &json!({"project_id": pid, "start": "2026-03-02T09:00:00Z", "end": "2026-03-02T11:00:00Z", "notes": "edited"}),
    );
    assert_eq!(
        (s, e["duration_seconds"].as_i64(), e["notes"].as_str()),
        (200, Some(7200), Some("edited"))
    );
    // Another user's entry is 404 for every verb, and unchanged.
    assert_eq!(bob.get(&format!("/api/v1/time-entries/{eid}")).0, 404);
    assert_eq!(
        bob.put(
            &format!("/api/v1/time-entries/{eid}"),
            &json!({"project_id": pid})
        )
        .0,
        404
    );
    assert_eq!(bob.delete(&format!("/api/v1/time-entries/{eid}")).0, 404);
    assert_eq!(
        bob.get("/api/v1/time-entries").1.as_array().unwrap().len(),
        0
    );
    assert_eq!(
        alice.get(&format!("/api/v1/time-entries/{eid}")).1["notes"],
        "edited"
    );
    assert_eq!(alice.delete(&format!("/api/v1/time-entries/{eid}")).0, 204);
    assert_eq!(alice.get(&format!("/api/v1/time-entries/{eid}")).0, 404);
}

fn reports_and_csv(app: &TestApp) {
    let admin = app.user("boss", true);
    let alice = app.user("alice", false);
    let pid = id(&admin.post_ok(
        "/api/v1/projects",
        &json!({"name": "Reporting, \"quoted\"", "hourly_rate": "60"}),
        201,
    ));
    for (start, end) in [
        ("2026-04-01T09:00:00Z", "2026-04-01T10:00:00Z"),
        ("2026-04-02T09:00:00Z", "2026-04-02T09:30:00Z"),
    ] {
        alice.post_ok(
            "/api/v1/time-entries",
            &json!({"project_id": pid, "start": start, "end": end, "notes": "=SUM(A1:A9), with comma"}),
            201,
        );
    }
    let (s, r) = alice.get("/api/v1/reports/summary?from=2026-04-01&to=2026-04-30&group_by=day");
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["rows"].as_array().unwrap().len(), 2);
    assert_eq!(r["total_seconds"], 5400);
    // Hours for her; what they are worth only for an administrator.
    assert_eq!(r.get("total_amounts"), None, "{r}");
    let (_, all) = admin.get("/api/v1/reports/summary?from=2026-04-01&to=2026-04-30&group_by=day");
    assert_eq!(all["total_amounts"], json!({"EUR": "90.00"}));
    let (_, r) =
        alice.get("/api/v1/reports/summary?from=2026-04-01&to=2026-04-30&group_by=project");
    assert_eq!(r["rows"][0]["label"], "Reporting, \"quoted\"");
    assert_eq!(r["rows"][0]["hours"], "1.50");
    // A period that excludes the entries.
    let (_, r) = alice.get("/api/v1/reports/summary?from=2026-04-03&to=2026-04-30");
    assert_eq!(r["total_seconds"], 0);
    assert_eq!(alice.get("/api/v1/reports/summary?group_by=month").0, 422);
    assert_eq!(alice.get("/api/v1/reports/summary?from=2026-13-01").0, 422);
    assert_eq!(
        alice
            .get("/api/v1/reports/summary?from=2026-05-01&to=2026-04-01")
            .0,
        422
    );
    // CSV parses, has a header and one row per entry, and defuses formulas.
    let resp = alice
        .request(
            reqwest::Method::GET,
            "/api/v1/reports/entries.csv?from=2026-04-01&to=2026-04-30",
        )
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = resp.text().unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    assert_eq!(&headers[0], "id");
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[0][col("project")], "Reporting, \"quoted\"");
    assert_eq!(&rows[0][col("duration_seconds")], "3600");
    assert_eq!(&rows[0][col("notes")], "'=SUM(A1:A9), with comma");
    assert_eq!(&rows[0][col("user")], "alice");
}

fn users_admin(app: &TestApp) {
    let admin = app.user("boss", true);
    let user = app.user("worker", false);
    assert_eq!(user.get("/api/v1/users").0, 403);
    let created = admin.post_ok(
        "/api/v1/users",
        &json!({"username": "newbie", "password": "long-enough-pw", "email": "n@example.org"}),
        201,
    );
    assert_eq!(created["role"], "user");
    assert_eq!(
        admin
            .post(
                "/api/v1/users",
                &json!({"username": "newbie", "password": "long-enough-pw"})
            )
            .0,
        409
    );
    assert_eq!(
        admin
            .post(
                "/api/v1/users",
                &json!({"username": "x", "password": "long-enough-pw"})
            )
            .0,
        422
    );
    assert_eq!(
        admin
            .post(
                "/api/v1/users",
                &json!({"username": "shorty", "password": "short"})
            )
            .0,
        422
    );
    assert_eq!(admin.get("/api/v1/users").1.as_array().unwrap().len(), 3);
    let nid = id(&created);
    // Deactivated users cannot log in and their tokens stop working.
    let newbie = app.login("newbie", "long-enough-pw");
    assert_eq!(
        admin
            .put(
                &format!("/api/v1/users/{nid}"),
                &json!({"role": "user", "active": false})
            )
            .0,
        200
    );
    assert_eq!(newbie.get("/api/v1/me").0, 401);
    let (s, _) = app.anonymous().post(
        "/api/v1/auth/login",
        &json!({"username": "newbie", "password": "long-enough-pw"}),
    );
    assert_eq!(s, 401);
    // The last admin cannot demote themselves.
    let boss_id = admin.get("/api/v1/me").1["id"].as_i64().unwrap();
    assert_eq!(
        admin
            .put(
                &format!("/api/v1/users/{boss_id}"),
                &json!({"role": "user", "active": true})
            )
            .0,
        409
    );
    assert_eq!(
        admin
            .put(
                "/api/v1/users/999999",
                &json!({"role": "user", "active": true})
            )
            .0,
        404
    );
}
