//! Two concurrent timer starts can never both succeed.

use std::sync::Barrier;

use tt_tests::{TestApp, json, on_both_backends};

on_both_backends!(twenty_parallel_starts_give_one_timer);

fn twenty_parallel_starts_give_one_timer(app: &TestApp) {
    let admin = app.user("boss", true);
    let pid = admin.post_ok("/api/v1/projects", &json!({"name": "Race"}), 201)["id"]
        .as_i64()
        .unwrap();
    let alice = app.user("alice", false);
    let barrier = Barrier::new(20);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    alice
                        .post("/api/v1/timer/start", &json!({"project_id": pid}))
                        .0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
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
    // And the database holds exactly one running entry.
    let mut conn = app.conn();
    assert_eq!(
        tt_persistence::entries::count_running(&mut conn).unwrap(),
        1
    );
}

/// Fires `n` requests at once (after a barrier) and returns their statuses.
fn race(n: usize, request: impl Fn(usize) -> u16 + Sync) -> Vec<u16> {
    let barrier = Barrier::new(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (barrier, request) = (&barrier, &request);
                s.spawn(move || {
                    barrier.wait();
                    request(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

on_both_backends!(
    an_entry_is_billed_once_and_invoiced_entries_never_change,
    invoice_numbers_are_unique_and_never_reused,
    an_active_admin_always_remains
);

/// Invoices for one client are created in parallel while the owner edits
/// and deletes the same entries: every entry ends up on at most one
/// invoice, every invoice's lines add up exactly its entries, and the
/// losers get 409/422, never a 500. Repeated for many trials.
fn an_entry_is_billed_once_and_invoiced_entries_never_change(app: &TestApp) {
    let admin = app.user("boss", true);
    let alice = app.user("alice", false);
    for trial in 0..12 {
        let cid = admin.post_ok(
            "/api/v1/clients",
            &json!({"name": format!("Client {trial}"), "default_hourly_rate": "90"}),
            201,
        )["id"]
            .as_i64()
            .unwrap();
        let pid = admin.post_ok(
            "/api/v1/projects",
            &json!({"name": format!("P{trial}"), "client_id": cid}),
            201,
        )["id"]
            .as_i64()
            .unwrap();
        let entries: Vec<i64> = (0..6)
            .map(|k| {
                alice.post_ok(
                    "/api/v1/time-entries",
                    &json!({"project_id": pid,
                            // One month per trial: a person's entries never overlap.
                            "start": format!("2025-{:02}-{:02}T09:00:00Z", trial + 1, k + 1),
                            "end": format!("2025-{:02}-{:02}T10:{:02}:00Z", trial + 1, k + 1, 7 * k)}),
                    201,
                )["id"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        let statuses = race(12, |i| match i % 3 {
            0 => admin.post("/api/v1/invoices", &json!({"client_id": cid})).0,
            1 => {
                alice
                    .put(
                        &format!("/api/v1/time-entries/{}", entries[i % entries.len()]),
                        &json!({"project_id": pid,
                            "start": format!("2025-{:02}-{:02}T09:00:00Z", trial + 1, 20 + i % 6),
                            "end": format!("2025-{:02}-{:02}T11:00:00Z", trial + 1, 20 + i % 6)}),
                    )
                    .0
            }
            _ => {
                alice
                    .delete(&format!(
                        "/api/v1/time-entries/{}",
                        entries[i % entries.len()]
                    ))
                    .0
            }
        });
        assert!(
            statuses
                .iter()
                .all(|s| matches!(s, 200 | 201 | 204 | 404 | 409 | 422)),
            "trial {trial}: {statuses:?}"
        );
        assert!(
            statuses.contains(&201),
            "one invoice must win: {statuses:?}"
        );
        // Each invoice's lines equal its entries; no entry is on two.
        let invoices = admin.get("/api/v1/invoices").1;
        for inv in invoices.as_array().unwrap() {
            if inv["client_id"] != cid {
                continue;
            }
            let full = admin.get(&format!("/api/v1/invoices/{}", inv["id"])).1;
            let line_seconds: i64 = full["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["seconds"].as_i64().unwrap())
                .sum();
            let billed: i64 = entries
                .iter()
                .filter_map(|e| {
                    let (status, v) = alice.get(&format!("/api/v1/time-entries/{e}"));
                    (status == 200 && v["invoice_id"] == inv["id"])
                        .then(|| v["duration_seconds"].as_i64().unwrap())
                })
                .sum();
            assert_eq!(
                line_seconds, billed,
                "trial {trial}: invoice {} lines vs entries",
                inv["id"]
            );
        }
        let drafts = invoices
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["client_id"] == cid)
            .count();
        assert_eq!(
            drafts, 1,
            "trial {trial}: one client, one batch of time, one invoice"
        );
    }
}

/// Drafts for different clients created at once all succeed; numbers are
/// given when issued, in parallel, unique and without gaps; deleting a
/// draft never frees a number.
fn invoice_numbers_are_unique_and_never_reused(app: &TestApp) {
    let admin = app.user("boss", true);
    let alice = app.user("alice", false);
    let n = 10;
    let clients: Vec<i64> = (0..n)
        .map(|k| {
            let cid = admin.post_ok(
                "/api/v1/clients",
                &json!({"name": format!("C{k}"), "default_hourly_rate": "50"}),
                201,
            )["id"]
                .as_i64()
                .unwrap();
            let pid = admin.post_ok(
                "/api/v1/projects",
                &json!({"name": format!("P{k}"), "client_id": cid}),
                201,
            )["id"]
                .as_i64()
                .unwrap();
            alice.post_ok(
                "/api/v1/time-entries",
                &json!({"project_id": pid, "start": format!("2026-04-{:02}T09:00:00Z", k + 1),
                        "end": format!("2026-04-{:02}T10:00:00Z", k + 1)}),
                201,
            );
            cid
        })
        .collect();
    let created = race(n, |i| {
        admin
            .post("/api/v1/invoices", &json!({"client_id": clients[i]}))
            .0
    });
    assert!(created.iter().all(|s| *s == 201), "{created:?}");
    let ids: Vec<i64> = admin
        .get("/api/v1/invoices")
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), n);
    // Delete one draft, issue the rest at once.
    assert_eq!(admin.delete(&format!("/api/v1/invoices/{}", ids[0])).0, 204);
    let issued = race(n - 1, |i| {
        admin
            .put(
                &format!("/api/v1/invoices/{}/status", ids[i + 1]),
                &json!({"status": "sent"}),
            )
            .0
    });
    assert!(issued.iter().all(|s| *s == 200), "{issued:?}");
    let mut numbers: Vec<i64> = admin
        .get("/api/v1/invoices")
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_i64().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..n as i64).collect::<Vec<_>>());
}

/// Two administrators demote each other at the same moment, many times:
/// one wins, the other gets 409 (or 403 once demoted), and there is always
/// an active administrator afterwards.
fn an_active_admin_always_remains(app: &TestApp) {
    for trial in 0..15 {
        let a = app.user(&format!("adm-a{trial}"), true);
        let b = app.user(&format!("adm-b{trial}"), true);
        let ids = [
            a.get("/api/v1/me").1["id"].as_i64().unwrap(),
            b.get("/api/v1/me").1["id"].as_i64().unwrap(),
        ];
        // Everyone else steps down first, so these two are the only admins.
        let all = a.get("/api/v1/users").1;
        for u in all.as_array().unwrap() {
            let id = u["id"].as_i64().unwrap();
            if !ids.contains(&id) && u["role"] == "admin" {
                assert_eq!(
                    a.put(
                        &format!("/api/v1/users/{id}"),
                        &json!({"role": "user", "active": true})
                    )
                    .0,
                    200
                );
            }
        }
        let statuses = race(2, |i| {
            let (actor, target) = if i == 0 { (&a, ids[1]) } else { (&b, ids[0]) };
            actor
                .put(
                    &format!("/api/v1/users/{target}"),
                    &json!({"role": "user", "active": false}),
                )
                .0
        });
        assert!(
            statuses.iter().all(|s| matches!(s, 200 | 401 | 403 | 409)),
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "trial {trial}: {statuses:?}"
        );
        let mut conn = app.conn();
        assert!(
            tt_persistence::users::count_active_admins(&mut conn).unwrap() >= 1,
            "trial {trial}"
        );
        // Restore: the survivor promotes the other for the next trial's sweep.
        let survivor = if statuses[0] == 200 { &a } else { &b };
        let other = if statuses[0] == 200 { ids[1] } else { ids[0] };
        assert_eq!(
            survivor
                .put(
                    &format!("/api/v1/users/{other}"),
                    &json!({"role": "user", "active": true})
                )
                .0,
            200
        );
    }
}

on_both_backends!(usernames_and_emails_are_unique_in_any_letter_case);

/// Accounts named `carol`, `Carol`, `CAROL`… created at once: exactly one
/// exists afterwards; the same for one e-mail address written in
/// different cases. The losers hear why (409), never a 500.
fn usernames_and_emails_are_unique_in_any_letter_case(app: &TestApp) {
    let admin = app.user("boss", true);
    let spellings = ["carol", "Carol", "CAROL", "cArOl", "caROL", "CaroL"];
    for trial in 0..5 {
        let names = race(spellings.len(), |i| {
            admin
                .post(
                    "/api/v1/users",
                    &json!({"username": format!("{}{trial}", spellings[i]),
                            "password": "correct horse battery staple 42", "role": "user"}),
                )
                .0
        });
        assert_eq!(names.iter().filter(|s| **s == 201).count(), 1, "{names:?}");
        assert!(names.iter().all(|s| *s == 201 || *s == 409), "{names:?}");
        let mails = race(spellings.len(), |i| {
            admin
                .post(
                    "/api/v1/users",
                    &json!({"username": format!("mail{trial}x{i}"),
                            "email": format!("{}{trial}@Example.org", spellings[i]),
                            "password": "correct horse battery staple 42", "role": "user"}),
                )
                .0
        });
        assert_eq!(mails.iter().filter(|s| **s == 201).count(), 1, "{mails:?}");
        assert!(mails.iter().all(|s| *s == 201 || *s == 409), "{mails:?}");
    }
    // One after the other, the message says what is taken.
    let (status, body) = admin.post(
        "/api/v1/users",
        &json!({"username": "CAROL0", "password": "correct horse battery staple 42", "role": "user"}),
    );
    assert_eq!(status, 409);
    assert!(body.to_string().contains("letter case"), "{body}");
    let (status, body) = admin.post(
        "/api/v1/users",
        &json!({"username": "someone-new", "email": "CAROL0@example.ORG",
                "password": "correct horse battery staple 42", "role": "user"}),
    );
    assert_eq!(status, 409);
    assert!(body.to_string().contains("e-mail address"), "{body}");
    // Signing in ignores letter case too.
    let login = app.anonymous().post(
        "/api/v1/auth/login",
        &json!({"username": "BOSS", "password": "a-long-password"}),
    );
    assert_eq!(login.0, 200, "{}", login.1);
}
