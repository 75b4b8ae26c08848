//! Invoices a company can send: a company profile, clients billed in EUR
//! and in JPY, time lines, a custom line and a discount give the same
//! figures on the page, in the API and in the PDF (read back with
//! `pdftotext`), on SQLite and PostgreSQL; issuing numbers them by the
//! pattern and records sender and recipient as they were.

use std::process::Command;

use tt_tests::session::Browser;
use tt_tests::{Api, TestApp, json, on_both_backends};

on_both_backends!(
    an_invoice_reads_the_same_everywhere,
    the_logo_is_checked_and_kept,
    time_becomes_lines_per_project_task_or_entry,
);

/// The PDF's text, by poppler's `pdftotext`; `None` (loudly) where it is
/// not installed, never in CI.
fn pdf_text(pdf: &[u8], dir: &std::path::Path) -> Option<String> {
    let found = Command::new("pdftotext").arg("-v").output().is_ok();
    if !found {
        assert!(
            !tt_testkit::in_ci(),
            "pdftotext is missing in CI (apt-get install poppler-utils)"
        );
        eprintln!("\n*** SKIPPED: PDF text check (apt-get install poppler-utils) ***\n");
        return None;
    }
    let path = dir.join("invoice.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    Some(String::from_utf8(out.stdout).unwrap())
}

fn pdf_of(api: &Api, id: i64) -> Vec<u8> {
    let resp = api
        .request(reqwest::Method::GET, &format!("/api/v1/invoices/{id}/pdf"))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    resp.bytes().unwrap().to_vec()
}

fn an_invoice_reads_the_same_everywhere(app: &TestApp) {
    let admin = app.user("boss", true);
    let (s, company) = admin.put(
        "/api/v1/admin/company",
        &json!({
            "name": "Müller & Søn Consulting GmbH",
            "address": "Hauptstraße 5\n10115 Berlin",
            "tax_id": "DE123456789",
            "email": "billing@mueller.example",
            "bank_details": "IBAN DE89 3704 0044 0532 0130 00",
            "payment_terms_days": 14,
            "default_tax_rate": "19",
            "footer": "Registered in Berlin HRB 12345",
            "default_currency": "EUR",
            "number_pattern": "INV-{YYYY}-{seq:04}"
        }),
    );
    assert_eq!(s, 200, "{company}");
    for bad in [
        json!({"number_pattern": "INV-{YYYY}"}),
        json!({"default_currency": "EURO"}),
        json!({"payment_terms_days": 400}),
        json!({"name": "two\nlines"}),
    ] {
        assert_eq!(admin.put("/api/v1/admin/company", &bad).0, 422, "{bad}");
    }
    assert_eq!(app.user("alice", false).get("/api/v1/admin/company").0, 403);

    let eur_client = admin.post_ok(
        "/api/v1/clients",
        &json!({"name": "Acme GmbH", "address": "Marktplatz 1\n80331 München", "tax_id": "DE999999999"}),
        201,
    );
    assert_eq!(eur_client["currency"], "EUR", "the company's default");
    let jpy_client = admin.post_ok(
        "/api/v1/clients",
        &json!({"name": "Sample Trading K.K.", "address": "1-1 Marunouchi\nTokyo", "currency": "jpy"}),
        201,
    );
    assert_eq!(jpy_client["currency"], "JPY");
    let project = |client: &serde_json::Value, name: &str, rate: &str| {
        admin.post_ok(
            "/api/v1/projects",
            &json!({"name": name, "client_id": client["id"], "hourly_rate": rate}),
            201,
        )["id"]
            .as_i64()
            .unwrap()
    };
    let web = project(&eur_client, "Website", "95");
    let consulting = project(&jpy_client, "Consulting", "9500");
    // 7.51 h = 27,036 s on each, on two days.
    for (pid, day) in [(web, 4), (consulting, 5)] {
        admin.post_ok(
            "/api/v1/time-entries",
            &json!({"project_id": pid, "start": format!("2026-05-{day:02}T08:00:00Z"),
                    "end": format!("2026-05-{day:02}T15:30:36Z")}),
            201,
        );
    }

    // EUR: 7.51 h × 95.00 = 713.45; 2 × 49.90 = 99.80; subtotal 813.25;
    // 10 % discount 81.33; net 731.92; 19 % (the default) 139.06; 870.98.
    let eur = admin.post_ok(
        "/api/v1/invoices",
        &json!({
            "client_id": eur_client["id"], "issue_date": "2026-06-02", "discount": "10",
            "custom_lines": [{"description": "Server hosting", "quantity": "2", "unit_price": "49.90"}],
            "notes": "Thank you!"
        }),
        201,
    );
    assert_eq!(eur["currency"], "EUR");
    assert_eq!(
        eur["due_date"], "2026-06-16",
        "issue date + 14 days of terms"
    );
    let lines = eur["lines"].as_array().unwrap();
    assert_eq!(
        (
            lines[0]["quantity"].as_str(),
            lines[0]["unit_price"].as_str(),
            lines[0]["amount"].as_str()
        ),
        (Some("7.51"), Some("95.00"), Some("713.45"))
    );
    assert_eq!(lines[1]["kind"], "custom");
    assert_eq!(lines[1]["amount"], "99.80");
    for (field, value) in [
        ("subtotal", "813.25"),
        ("discount_amount", "81.33"),
        ("net", "731.92"),
        ("tax_rate", "19.00"),
        ("tax", "139.06"),
        ("total", "870.98"),
    ] {
        assert_eq!(eur[field], value, "{field}");
    }
    // JPY: 7.51 h × 9,500.00 = 71,345 yen; 19 % = 13,556 (13,555.55); 84,901.
    let jpy = admin.post_ok(
        "/api/v1/invoices",
        &json!({"client_id": jpy_client["id"], "issue_date": "2026-06-02"}),
        201,
    );
    assert_eq!(
        (
            jpy["currency"].as_str(),
            jpy["lines"][0]["amount"].as_str(),
            jpy["tax"].as_str(),
            jpy["total"].as_str()
        ),
        (Some("JPY"), Some("71345"), Some("13556"), Some("84901"))
    );

    // Issuing numbers them by the pattern, in order.
    let issue = |inv: &serde_json::Value| {
        let (s, v) = admin.put(
            &format!("/api/v1/invoices/{}/status", inv["id"]),
            &json!({"status": "sent"}),
        );
        assert_eq!(s, 200, "{v}");
        v
    };
    let eur = issue(&eur);
    let jpy = issue(&jpy);
    assert_eq!(eur["display_number"], "INV-2026-0001");
    assert_eq!(jpy["display_number"], "INV-2026-0002");
    assert_eq!(eur["sender"]["name"], "Müller & Søn Consulting GmbH");
    assert_eq!(eur["recipient"]["tax_id"], "DE999999999");

    // The company renames itself: issued invoices keep what they said.
    let (s, _) = admin.put(
        "/api/v1/admin/company",
        &json!({"name": "New Name AG", "default_currency": "EUR"}),
    );
    assert_eq!(s, 200);
    let again = admin.get(&format!("/api/v1/invoices/{}", eur["id"])).1;
    assert_eq!(again["sender"]["name"], "Müller & Søn Consulting GmbH");

    // The page shows the same strings.
    let b = Browser::new(&app.base);
    b.sign_in("boss", "a-long-password");
    let page = b.page(&format!("/invoices/{}", eur["id"])).body;
    for s in [
        "INV-2026-0001",
        "Søn Consulting GmbH",
        "Hauptstraße 5",
        "Acme GmbH",
        "7.51 h",
        "95.00",
        "713.45",
        "Server hosting",
        "99.80",
        "813.25",
        "-81.33",
        "731.92",
        "139.06",
        "870.98",
        "2026-06-16",
        "IBAN DE89",
        "Thank you!",
    ] {
        assert!(page.contains(s), "{s:?} missing from the page");
    }
    let page = b.page(&format!("/invoices/{}", jpy["id"])).body;
    assert!(page.contains("71,345") && page.contains("84,901") && !page.contains("71,345.00"));
    // The page's PDF link is the API's PDF.
    let from_page = b.get(&format!("/invoices/{}/pdf", eur["id"]));
    assert_eq!(from_page.status, 200);
    assert_eq!(from_page.header("content-type"), "application/pdf");

    // The PDF: sender, recipient, number, every line and the totals.
    let pdf = pdf_of(&admin, eur["id"].as_i64().unwrap());
    assert!(pdf.starts_with(b"%PDF-"));
    if let Some(text) = pdf_text(&pdf, app.dir.path()) {
        for s in [
            "Müller & Søn Consulting GmbH",
            "Hauptstraße 5",
            "DE123456789",
            "Acme GmbH",
            "München",
            "DE999999999",
            "INV-2026-0001",
            "2026-06-02",
            "2026-06-16",
            "Website",
            "7.51 h",
            "95.00",
            "713.45",
            "Server hosting",
            "2.00",
            "49.90",
            "99.80",
            "813.25",
            "Discount 10.00%",
            "-81.33",
            "731.92",
            "Tax 19.00%",
            "139.06",
            "Total EUR",
            "870.98",
            "IBAN DE89",
            "Thank you!",
            "Registered in Berlin",
        ] {
            assert!(text.contains(s), "{s:?} missing from the PDF:\n{text}");
        }
    }
    let pdf = pdf_of(&admin, jpy["id"].as_i64().unwrap());
    if let Some(text) = pdf_text(&pdf, app.dir.path()) {
        for s in [
            "INV-2026-0002",
            "Sample Trading K.K.",
            "9,500.00",
            "71,345",
            "13,556",
            "Total JPY",
            "84,901",
        ] {
            assert!(text.contains(s), "{s:?} missing from the PDF:\n{text}");
        }
    }
    // Not an admin, not an invoice: no PDF.
    let alice = app.login("alice", "a-long-password");
    assert_eq!(
        alice.get(&format!("/api/v1/invoices/{}/pdf", eur["id"])).0,
        403
    );
    assert_eq!(admin.get("/api/v1/invoices/999999/pdf").0, 404);
}

fn the_logo_is_checked_and_kept(app: &TestApp) {
    let admin = app.user("boss", true);
    let put = |bytes: &[u8], ctype: &str| {
        admin
            .request(reqwest::Method::PUT, "/api/v1/admin/company/logo")
            .header("content-type", ctype)
            .body(bytes.to_vec())
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    // A 1×1 PNG.
    let png: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    assert_eq!(put(b"GIF89a....", "image/png"), 422, "not a PNG");
    assert_eq!(put(png, "text/plain"), 415);
    assert_eq!(put(&vec![0x89; 300 * 1024], "image/png"), 413);
    assert_eq!(put(png, "image/png"), 200);
    assert_eq!(admin.get("/api/v1/admin/company").1["has_logo"], true);
    // The settings page shows it, served as an image.
    let b = Browser::new(&app.base);
    b.sign_in("boss", "a-long-password");
    assert!(
        b.page("/admin/company")
            .body
            .contains("/admin/company/logo")
    );
    let img = b.get("/admin/company/logo");
    assert_eq!((img.status, img.header("content-type")), (200, "image/png"));
    assert_eq!(admin.delete("/api/v1/admin/company/logo").0, 200);
    assert_eq!(admin.get("/api/v1/admin/company").1["has_logo"], false);
    assert_eq!(b.get("/admin/company/logo").status, 404);
}

fn time_becomes_lines_per_project_task_or_entry(app: &TestApp) {
    let admin = app.user("boss", true);
    let client = admin.post_ok(
        "/api/v1/clients",
        &json!({"name": "Acme", "default_hourly_rate": "100"}),
        201,
    );
    let pid = admin.post_ok(
        "/api/v1/projects",
        &json!({"name": "Web", "client_id": client["id"]}),
        201,
    )["id"]
        .as_i64()
        .unwrap();
    let task = admin.post_ok(
        "/api/v1/tasks",
        &json!({"name": "Design", "project_id": pid}),
        201,
    )["id"]
        .as_i64()
        .unwrap();
    // 1 h on the task, 0.5 h on the task, 0.25 h without a task.
    for (day, end, task, notes) in [
        ("04", "10:00:00", Some(task), "mock-ups"),
        ("05", "09:30:00", Some(task), "review"),
        ("06", "09:15:00", None, ""),
    ] {
        admin.post_ok(
            "/api/v1/time-entries",
            &json!({"project_id": pid, "task_id": task, "notes": notes,
                    "start": format!("2026-05-{day}T09:00:00Z"), "end": format!("2026-05-{day}T{end}Z")}),
            201,
        );
    }
    let draft = |grouping: &str| {
        admin.post_ok(
            "/api/v1/invoices",
            &json!({"client_id": client["id"], "grouping": grouping}),
            201,
        )
    };
    let delete = |inv: &serde_json::Value| {
        assert_eq!(
            admin.delete(&format!("/api/v1/invoices/{}", inv["id"])).0,
            204
        );
    };
    let lines = |inv: &serde_json::Value| -> Vec<(String, String, String)> {
        inv["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["description"].as_str().unwrap().to_owned(),
                    l["quantity"].as_str().unwrap().to_owned(),
                    l["amount"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let by_task = draft("task");
    assert_eq!(
        lines(&by_task),
        [
            ("Web".to_owned(), "0.25".to_owned(), "25.00".to_owned()),
            (
                "Web — Design".to_owned(),
                "1.50".to_owned(),
                "150.00".to_owned()
            ),
        ]
    );
    delete(&by_task);
    let by_entry = draft("entry");
    assert_eq!(
        lines(&by_entry),
        [
            (
                "2026-05-04 · Web — mock-ups".to_owned(),
                "1.00".to_owned(),
                "100.00".to_owned()
            ),
            (
                "2026-05-05 · Web — review".to_owned(),
                "0.50".to_owned(),
                "50.00".to_owned()
            ),
            (
                "2026-05-06 · Web".to_owned(),
                "0.25".to_owned(),
                "25.00".to_owned()
            ),
        ]
    );
    assert_eq!(by_entry["total"], "175.00");
    delete(&by_entry);
    assert_eq!(
        admin
            .post(
                "/api/v1/invoices",
                &json!({"client_id": client["id"], "grouping": "month"})
            )
            .0,
        422
    );
    // The schema's pattern holds: a blank grouping is not "the default".
    assert_eq!(
        admin
            .post(
                "/api/v1/invoices",
                &json!({"client_id": client["id"], "grouping": ""})
            )
            .0,
        422
    );
    // A fee alone, leaving the time for later; a due date before the issue
    // date is refused.
    let fee = admin.post_ok(
        "/api/v1/invoices",
        &json!({"client_id": client["id"], "include_time": false,
                "custom_lines": [{"description": "Retainer", "quantity": "1", "unit_price": "500"}]}),
        201,
    );
    assert_eq!(
        lines(&fee),
        [(
            "Retainer".to_owned(),
            "1.00".to_owned(),
            "500.00".to_owned()
        )]
    );
    assert_eq!(
        admin
            .post(
                "/api/v1/invoices",
                &json!({"client_id": client["id"], "issue_date": "2026-06-10", "due_date": "2026-06-01"})
            )
            .0,
        422
    );
    for bad in [
        json!({"description": "", "quantity": "1", "unit_price": "1"}),
        json!({"description": "x", "quantity": "0", "unit_price": "1"}),
        json!({"description": "x", "quantity": "1", "unit_price": "1.999"}),
    ] {
        let (s, _) = admin.post(
            "/api/v1/invoices",
            &json!({"client_id": client["id"], "include_time": false, "custom_lines": [bad]}),
        );
        assert_eq!(s, 422, "{bad}");
    }
}
