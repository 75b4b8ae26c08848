//! Invoices total correctly to the cent, including rounding and tax.

use tt_tests::{TestApp, json, on_both_backends};

on_both_backends!(invoice_totals_and_lifecycle);

fn invoice_totals_and_lifecycle(app: &TestApp) {
    let admin = app.user("boss", true);
    let alice = app.user("alice", false);
    let cid = admin.post_ok(
        "/api/v1/clients",
        &json!({"name": "Acme", "default_hourly_rate": "100"}),
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let web = admin.post_ok(
        "/api/v1/projects",
        &json!({"name": "Web", "client_id": cid, "hourly_rate": "87.50"}),
        201,
    )["id"]
        .as_i64()
        .unwrap();
    // No own rate: falls back to the client's 100.00.
    let ops = admin.post_ok(
        "/api/v1/projects",
        &json!({"name": "Ops", "client_id": cid}),
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let entry = |user: &tt_tests::Api, project: i64, start: &str, end: &str, billable: bool| {
        user.post_ok(
            "/api/v1/time-entries",
            &json!({"project_id": project, "start": start, "end": end, "billable": billable}),
            201,
        )["id"]
            .as_i64()
            .unwrap()
    };
    // Web: 1h30m (alice) + 1s (boss) = 5401 s = 1.50 h at 87.50 = 131.25
    let e1 = entry(
        &alice,
        web,
        "2026-05-04T09:00:00Z",
        "2026-05-04T10:30:00Z",
        true,
    );
    let e2 = entry(
        &admin,
        web,
        "2026-05-05T09:00:00Z",
        "2026-05-05T09:00:01Z",
        true,
    );
    // Ops: 1 s = 0.00 h at 100.00 = 0.00 (the client's default rate)
    let e3 = entry(
        &alice,
        ops,
        "2026-05-06T09:00:00Z",
        "2026-05-06T09:00:01Z",
        true,
    );
    // Not billable, and outside the period: not invoiced.
    let e4 = entry(
        &alice,
        web,
        "2026-05-04T11:00:00Z",
        "2026-05-04T12:00:00Z",
        false,
    );
    let e5 = entry(
        &alice,
        web,
        "2026-06-01T09:00:00Z",
        "2026-06-01T10:00:00Z",
        true,
    );
    assert_eq!(
        alice.post("/api/v1/invoices", &json!({"client_id": cid})).0,
        403
    );
    let inv = admin.post_ok(
        "/api/v1/invoices",
        &json!({"client_id": cid, "from": "2026-05-01", "to": "2026-05-31", "tax_rate": "19", "issue_date": "2026-06-02"}),
        201,
    );
    // A draft has no number yet.
    assert!(inv["number"].is_null());
    assert_eq!(inv["display_number"], format!("Draft #{}", inv["id"]));
    assert_eq!(inv["status"], "draft");
    let lines = inv["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["description"], "Web");
    assert_eq!(lines[0]["seconds"], 5401);
    assert_eq!(lines[0]["quantity"], "1.50");
    assert_eq!(lines[0]["amount"], "131.25");
    assert_eq!(lines[1]["unit_price"], "100.00");
    assert_eq!(lines[1]["quantity"], "0.00");
    assert_eq!(lines[1]["amount"], "0.00");
    // 131.25 * 19% = 24.9375 -> 24.94; total 156.19
    assert_eq!(inv["subtotal"], "131.25");
    assert_eq!(inv["tax"], "24.94");
    assert_eq!(inv["total"], "156.19");
    let iid = inv["id"].as_i64().unwrap();
    // Invoiced entries are marked and frozen; the others are not.
    for e in [e1, e3] {
        let (_, v) = alice.get(&format!("/api/v1/time-entries/{e}"));
        assert_eq!(v["invoice_id"], iid);
    }
    assert_eq!(
        admin.get(&format!("/api/v1/time-entries/{e2}")).1["invoice_id"],
        iid
    );
    for e in [e4, e5] {
        assert!(alice.get(&format!("/api/v1/time-entries/{e}")).1["invoice_id"].is_null());
    }
    assert_eq!(alice.delete(&format!("/api/v1/time-entries/{e1}")).0, 409);
    // Nothing left to bill in May.
    assert_eq!(
        admin
            .post(
                "/api/v1/invoices",
                &json!({"client_id": cid, "from": "2026-05-01", "to": "2026-05-31"})
            )
            .0,
        422
    );
    let inv2 = admin.post_ok("/api/v1/invoices", &json!({"client_id": cid}), 201);
    assert!(inv2["number"].is_null());
    // Lifecycle: draft -> sent -> paid; paid cannot be cancelled.
    let path = format!("/api/v1/invoices/{iid}/status");
    assert_eq!(admin.put(&path, &json!({"status": "paid"})).0, 409);
    let (status, sent) = admin.put(&path, &json!({"status": "sent"}));
    assert_eq!(status, 200);
    // Issuing gives the first number.
    assert_eq!(sent["number"], 1);
    // Printed by the default pattern, with the issue date's year.
    assert_eq!(sent["display_number"], "INV-2026-0001");
    assert_eq!(admin.put(&path, &json!({"status": "paid"})).0, 200);
    assert_eq!(admin.put(&path, &json!({"status": "cancelled"})).0, 409);
    assert_eq!(admin.put(&path, &json!({"status": "bogus"})).0, 422);
    assert_eq!(admin.delete(&format!("/api/v1/invoices/{iid}")).0, 409);
    // Cancelling invoice 2 releases its entry.
    let iid2 = inv2["id"].as_i64().unwrap();
    assert_eq!(
        admin
            .put(
                &format!("/api/v1/invoices/{iid2}/status"),
                &json!({"status": "cancelled"})
            )
            .0,
        200
    );
    assert!(alice.get(&format!("/api/v1/time-entries/{e5}")).1["invoice_id"].is_null());
    assert_eq!(admin.get("/api/v1/invoices").1.as_array().unwrap().len(), 2);
    assert_eq!(
        admin.get(&format!("/api/v1/invoices/{iid}")).1["total"],
        "156.19"
    );
    assert_eq!(admin.get("/api/v1/invoices/424242").0, 404);
}
