//! Migrations bring an empty database to the schema; running them twice is
//! a no-op.

use tt_tests::{Db, PgDatabase, postgres_base_url};

/// How many migrations a backend has: one directory each.
fn on_disk(backend: &str) -> usize {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(backend);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .count()
}

fn migrate_twice(url: &str) {
    let mut conn = tt_persistence::establish(url).unwrap();
    let first = tt_persistence::run_migrations(&mut conn).unwrap();
    assert!(first >= 1);
    assert_eq!(tt_persistence::run_migrations(&mut conn).unwrap(), 0);
    // The schema is usable: the timer index exists and works.
    assert_eq!(
        tt_persistence::entries::count_running(&mut conn).unwrap(),
        0
    );
    assert_eq!(tt_persistence::users::count(&mut conn).unwrap(), 0);
}

#[test]
fn sqlite_fresh_database_migrates_once() {
    let dir = tempfile::tempdir().unwrap();
    migrate_twice(&format!("sqlite://{}", dir.path().join("t.db").display()));
    let _ = Db::Sqlite;
}

#[test]
fn postgres_fresh_database_migrates_once() {
    let Some(base) = postgres_base_url() else {
        return;
    };
    let db = PgDatabase::create(&base);
    migrate_twice(&db.url);
}

/// Upgrading a database with invoices to numbering-on-issue keeps every
/// invoice, its number, its lines and its billed entries, continues the
/// counter after the highest number, and does not hand out the id of a
/// deleted invoice again; API tokens made before they had names stay.
fn upgrade_keeps_invoices(url: &str) {
    use diesel::connection::SimpleConnection;
    let mut conn = tt_persistence::establish(url).unwrap();
    let first = tt_persistence::run_next_migration(&mut conn).unwrap();
    assert_eq!(first.as_deref(), Some("2026-11-01-000001_core"));
    let t = "'2026-01-01 00:00:00'";
    conn.batch_execute(&format!(
        "INSERT INTO users (username, email, password_hash, role, active, created_at) VALUES ('boss', 'team@example.com', '!', 'admin', TRUE, {t});
         INSERT INTO users (username, password_hash, role, active, created_at) VALUES ('deleted-user', '!', 'user', FALSE, {t});
         INSERT INTO users (username, email, password_hash, role, active, created_at) VALUES ('BOSS', 'Team@Example.com', '!', 'user', TRUE, {t});
         INSERT INTO api_tokens (user_id, token_hash, created_at) VALUES (1, 'abc', {t});
         INSERT INTO clients (name, archived, created_at) VALUES ('Acme', FALSE, {t});
         INSERT INTO projects (client_id, name, billable, hourly_rate_cents, archived, created_at) VALUES (1, 'Web', TRUE, 10000, FALSE, {t});
         INSERT INTO invoices (number, client_id, status, issue_date, tax_rate_bp, subtotal_cents, tax_cents, total_cents, created_at)
              VALUES (1, 1, 'sent', '2026-01-02', 0, 10000, 0, 10000, {t}),
                     (2, 1, 'draft', '2026-01-03', 0, 0, 0, 0, {t}),
                     (3, 1, 'draft', '2026-01-04', 0, 0, 0, 0, {t});
         DELETE FROM invoices WHERE id = 3;
         INSERT INTO invoice_lines (invoice_id, project_id, description, seconds, rate_cents, amount_cents) VALUES (1, 1, 'Web', 3600, 10000, 10000);
         INSERT INTO time_entries (user_id, project_id, start_time, end_time, notes, tags, billable, invoice_id, created_at)
              VALUES (1, 1, '2026-01-01 09:00:00', '2026-01-01 10:00:00', '', '', TRUE, 1, {t}),
                     (3, 1, '2026-01-02 09:00:00', '2026-01-02 10:00:00', '', '', TRUE, NULL, {t}),
                     (3, 1, '2026-01-03 09:00:00', '2026-01-03 10:00:00', '', '', TRUE, NULL, {t});"
    ))
    .unwrap();
    let backend = if url.starts_with("sqlite") {
        "sqlite"
    } else {
        "postgres"
    };
    assert_eq!(
        tt_persistence::run_migrations(&mut conn).unwrap(),
        on_disk(backend) - 1
    );

    // Names and e-mails that differed only in letter case: the older
    // account keeps both; the newer is renamed and loses the e-mail.
    let users = tt_persistence::users::list(&mut conn).unwrap();
    let named: Vec<(&str, Option<&str>)> = users
        .iter()
        .map(|u| (u.username.as_str(), u.email.as_ref().map(|e| e.as_str())))
        .collect();
    assert!(
        named.contains(&("boss", Some("team@example.com"))),
        "{named:?}"
    );
    assert!(named.contains(&("BOSS-renamed-3", None)), "{named:?}");

    // A token made before tokens had names keeps working, named, unexpiring.
    let boss = tt_domain::UserId::new(1).unwrap();
    let tokens = tt_persistence::users::list_tokens(&mut conn, boss).unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(
        (tokens[0].name.as_str(), tokens[0].expires_at),
        ("API token", None)
    );

    // The old placeholder is now marked as such; the admin is not.
    use diesel::prelude::*;
    use tt_persistence::schema::users;

    // Entries made before the database kept each user's count are counted
    // by the upgrade: the boss's one billed entry, the second account's two.
    let counts: Vec<(String, i64)> = users::table
        .order(users::id)
        .select((users::username, users::entry_count))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        counts,
        [
            ("boss".to_owned(), 1),
            ("deleted-user".to_owned(), 0),
            ("BOSS-renamed-3".to_owned(), 2)
        ]
    );
    // Their recent work too: one combination each (no task: key 0), with
    // the start of its latest entry.
    use tt_persistence::schema::recent_work;
    let kept: Vec<(i64, i64, i64, chrono::NaiveDateTime)> = recent_work::table
        .order(recent_work::user_id)
        .select((
            recent_work::user_id,
            recent_work::project_id,
            recent_work::task_key,
            recent_work::last_start,
        ))
        .load(&mut conn)
        .unwrap();
    let at = |s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    assert_eq!(
        kept,
        [
            (1, 1, 0, at("2026-01-01 09:00:00")),
            (3, 1, 0, at("2026-01-03 09:00:00"))
        ]
    );
    let marked: Vec<String> = users::table
        .filter(users::placeholder.eq(true))
        .select(users::username)
        .load(&mut conn)
        .unwrap();
    assert_eq!(marked, ["deleted-user"]);

    let id = |n| tt_domain::InvoiceId::new(n).unwrap();
    let sent = tt_persistence::invoices::find(&mut conn, id(1)).unwrap();
    assert_eq!((sent.number, sent.lines.len()), (Some(1), 1));
    // An invoice issued before currencies and printed numbers: euros, its
    // old number, its line's quantity in hundredths of an hour (1 h).
    let sent = tt_persistence::invoices::find(&mut conn, id(1)).unwrap();
    assert_eq!(sent.currency, tt_domain::Currency::EUR);
    assert_eq!(sent.display_number(), "INV-000001");
    assert_eq!(sent.lines[0].quantity.hundredths(), 100);
    assert_eq!(sent.totals.total.cents(), 10000);
    let draft = tt_persistence::invoices::find(&mut conn, id(2)).unwrap();
    assert_eq!(draft.number, Some(2), "an old draft keeps its number");
    assert_eq!(
        tt_persistence::invoices::billed_entries(&mut conn, id(1))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        tt_persistence::invoices::take_next_number(&mut conn).unwrap(),
        3
    );
    let eur = tt_domain::Currency::EUR;
    let no_tax = tt_domain::TaxRate::default();
    let new = tt_persistence::invoices::insert_draft(
        &mut conn,
        &tt_persistence::invoices::NewDraft {
            client: tt_domain::ClientId::new(1).unwrap(),
            issue_date: chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
            due_date: None,
            currency: eur,
            discount: tt_domain::Discount::default(),
            tax_rate: no_tax,
            totals: tt_domain::Totals::compute([], tt_domain::Discount::default(), no_tax, eur),
            notes: "",
            lines: &[],
        },
    )
    .unwrap();
    assert_eq!(new.get(), 4, "the deleted invoice's id is not reused");
    assert_eq!(
        tt_persistence::invoices::find(&mut conn, new)
            .unwrap()
            .number,
        None
    );
}

#[test]
fn sqlite_upgrade_keeps_invoices() {
    let dir = tempfile::tempdir().unwrap();
    upgrade_keeps_invoices(&format!("sqlite://{}", dir.path().join("u.db").display()));
}

#[test]
fn postgres_upgrade_keeps_invoices() {
    let Some(base) = postgres_base_url() else {
        return;
    };
    let db = PgDatabase::create(&base);
    upgrade_keeps_invoices(&db.url);
}

/// Replicas starting together on a fresh PostgreSQL database: one migrates,
/// the others wait for it and find the schema current — nobody fails and
/// nothing runs twice.
#[test]
fn postgres_replicas_migrating_together_take_turns() {
    let Some(base) = postgres_base_url() else {
        return;
    };
    let db = PgDatabase::create(&base);
    let barrier = std::sync::Barrier::new(4);
    let applied: Vec<usize> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut conn = tt_persistence::establish(&db.url).unwrap();
                    barrier.wait();
                    tt_persistence::run_migrations(&mut conn).expect("migrates or waits")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = applied.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [0, 0, 0, on_disk("postgres")], "{applied:?}");
}

/// A replica that starts while another one migrates waits until that
/// migration is over (here: until the lock it holds is released), then
/// starts on the new schema.
#[test]
fn postgres_a_replica_starting_during_a_migration_waits() {
    use diesel::RunQueryDsl;
    let Some(base) = postgres_base_url() else {
        return;
    };
    let db = PgDatabase::create(&base);
    let mut migrating = tt_persistence::establish(&db.url).unwrap();
    let lock = tt_persistence::MIGRATION_LOCK;
    diesel::sql_query(format!("SELECT pg_advisory_lock({lock})"))
        .execute(&mut migrating)
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let url = db.url.clone();
    let second = std::thread::spawn(move || {
        let mut conn = tt_persistence::establish(&url).unwrap();
        let n = tt_persistence::run_migrations(&mut conn);
        let _ = tx.send(());
        n
    });
    assert!(
        rx.recv_timeout(std::time::Duration::from_millis(800))
            .is_err(),
        "migrated while another process held the migration lock"
    );
    // The first "replica" migrates, then lets go.
    assert_eq!(
        tt_persistence::run_migrations(&mut migrating).unwrap(),
        on_disk("postgres")
    );
    diesel::sql_query(format!("SELECT pg_advisory_unlock({lock})"))
        .execute(&mut migrating)
        .unwrap();
    assert_eq!(second.join().unwrap().unwrap(), 0);
}
