//! Privacy rights: data export, and deleting a user leaves nothing of theirs.

use diesel::prelude::*;
use tt_persistence::schema::{api_tokens, comments, tasks, time_entries, users};
use tt_tests::{TestApp, json, on_both_backends};

on_both_backends!(export_own_data, delete_user_anonymise_or_delete);

fn export_own_data(app: &TestApp) {
    let admin = app.user("boss", true);
    let alice = app.user("alice", false);
    let bob = app.user("bob", false);
    let pid = admin.post_ok("/api/v1/projects", &json!({"name": "P"}), 201)["id"]
        .as_i64()
        .unwrap();
    alice.post_ok(
        "/api/v1/time-entries",
        &json!({"project_id": pid, "start": "2026-02-01T09:00:00Z", "end": "2026-02-01T10:00:00Z", "notes": "alice-note"}),
        201,
    );
    bob.post_ok(
        "/api/v1/time-entries",
        &json!({"project_id": pid, "start": "2026-02-01T09:00:00Z", "end": "2026-02-01T10:00:00Z", "notes": "bob-note"}),
        201,
    );
    alice.post_ok(
        "/api/v1/comments",
        &json!({"project_id": pid, "body": "alice-comment"}),
        201,
    );
    let (s, doc) = alice.get("/api/v1/me/export");
    assert_eq!(s, 200);
    assert_eq!(doc["user"]["username"], "alice");
    assert_eq!(doc["time_entries"].as_array().unwrap().len(), 1);
    assert_eq!(doc["time_entries"][0]["notes"], "alice-note");
    assert_eq!(doc["comments"][0]["body"], "alice-comment");
    assert!(!doc.to_string().contains("bob-note"));
    let resp = alice
        .request(reqwest::Method::GET, "/api/v1/me/export?format=csv")
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<_> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert!(text.contains("alice-note") && !text.contains("bob-note"));
    assert_eq!(alice.get("/api/v1/me/export?format=xml").0, 422);
    assert_eq!(app.anonymous().get("/api/v1/me/export").0, 401);
}

fn delete_user_anonymise_or_delete(app: &TestApp) {
    let admin = app.user("boss", true);
    let alice = app.user("alice", false);
    let bob = app.user("bob", false);
    let alice_id = alice.get("/api/v1/me").1["id"].as_i64().unwrap();
    let bob_id = bob.get("/api/v1/me").1["id"].as_i64().unwrap();
    let pid = admin.post_ok(
        "/api/v1/projects",
        &json!({"name": "P", "hourly_rate": "10"}),
        201,
    )["id"]
        .as_i64()
        .unwrap();
    for who in [&alice, &bob] {
        who.post_ok(
            "/api/v1/time-entries",
            &json!({"project_id": pid, "start": "2026-02-01T09:00:00Z", "end": "2026-02-01T10:00:00Z", "notes": "private", "tags": ["t"]}),
            201,
        );
        who.post_ok(
            "/api/v1/comments",
            &json!({"project_id": pid, "body": "mine"}),
            201,
        );
    }
    alice.post_ok("/api/v1/timer/start", &json!({"project_id": pid}), 201);
    let tid = admin.post_ok(
        "/api/v1/tasks",
        &json!({"project_id": pid, "name": "T", "assignee_id": alice_id}),
        201,
    )["id"]
        .as_i64()
        .unwrap();
    assert_eq!(alice.delete(&format!("/api/v1/users/{bob_id}")).0, 403);
    let me = admin.get("/api/v1/me").1["id"].as_i64().unwrap();
    assert_eq!(admin.delete(&format!("/api/v1/users/{me}")).0, 409);
    assert_eq!(
        admin
            .delete(&format!("/api/v1/users/{alice_id}?entries=shred"))
            .0,
        422
    );
    // Anonymise Alice: her finished entry stays for reports, without her.
    let (s, r) = admin.delete(&format!("/api/v1/users/{alice_id}?entries=anonymise"));
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["entries_anonymised"], 1);
    assert_eq!(alice.get("/api/v1/me").0, 401);
    let mut conn = app.conn();
    let count_for = |conn: &mut tt_persistence::DbConnection, uid: i64| -> (i64, i64, i64) {
        let u: i64 = users::table
            .filter(users::id.eq(uid))
            .count()
            .get_result(conn)
            .unwrap();
        let e: i64 = time_entries::table
            .filter(time_entries::user_id.eq(uid))
            .count()
            .get_result(conn)
            .unwrap();
        let c: i64 = comments::table
            .filter(comments::user_id.eq(uid))
            .count()
            .get_result(conn)
            .unwrap();
        (u, e, c)
    };
    assert_eq!(count_for(&mut conn, alice_id), (0, 0, 0));
    let tokens: i64 = api_tokens::table
        .filter(api_tokens::user_id.eq(alice_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(tokens, 0);
    let assignee: Option<i64> = tasks::table
        .find(tid)
        .select(tasks::assignee_id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(assignee, None);
    let (placeholder, active): (i64, bool) = users::table
        .filter(users::placeholder.eq(true))
        .select((users::id, users::active))
        .first(&mut conn)
        .unwrap();
    assert!(!active);
    let kept: Vec<(String, String)> = time_entries::table
        .filter(time_entries::user_id.eq(placeholder))
        .select((time_entries::notes, time_entries::tags))
        .load(&mut conn)
        .unwrap();
    assert_eq!(kept, vec![(String::new(), String::new())]);
    // Delete Bob with his entries.
    let (s, r) = admin.delete(&format!("/api/v1/users/{bob_id}?entries=delete"));
    assert_eq!((s, r["entries_deleted"].as_i64()), (200, Some(1)));
    assert_eq!(count_for(&mut conn, bob_id), (0, 0, 0));
    // The placeholder cannot log in or be deleted.
    assert_eq!(admin.delete(&format!("/api/v1/users/{placeholder}")).0, 409);
    // Its name is reserved: nobody can make an account that would be
    // mistaken for it, in any case or with a suffix.
    for name in ["deleted-user", "Deleted-User", "deleted-user-2"] {
        let (s, v) = admin.post(
            "/api/v1/users",
            &json!({"username": name, "password": "a-long-password"}),
        );
        assert_eq!(s, 422, "{name}: {v}");
    }
}

#[test]
fn invoiced_time_cannot_be_deleted_with_its_user() {
    let app = tt_tests::spawn_app();
    let admin = app.user("boss", true);
    let alice = app.user("alice", false);
    let alice_id = alice.get("/api/v1/me").1["id"].as_i64().unwrap();
    let cid = admin.post_ok(
        "/api/v1/clients",
        &json!({"name": "C", "default_hourly_rate": "10"}),
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let pid = admin.post_ok(
        "/api/v1/projects",
        &json!({"name": "P", "client_id": cid}),
        201,
    )["id"]
        .as_i64()
        .unwrap();
    alice.post_ok(
        "/api/v1/time-entries",
        &json!({"project_id": pid, "start": "2026-02-01T09:00:00Z", "end": "2026-02-01T10:00:00Z"}),
        201,
    );
    admin.post_ok("/api/v1/invoices", &json!({"client_id": cid}), 201);
    assert_eq!(
        admin
            .delete(&format!("/api/v1/users/{alice_id}?entries=delete"))
            .0,
        409
    );
    assert_eq!(alice.get("/api/v1/me").0, 200, "nothing changed");
    assert_eq!(admin.delete(&format!("/api/v1/users/{alice_id}")).0, 200);
}
