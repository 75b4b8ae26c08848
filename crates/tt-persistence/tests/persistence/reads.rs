//! The hot reads, on SQLite and PostgreSQL: what they find must not change
//! with how they are written (expiry compared after reading, counts without
//! a join, timestamps decoded by position).

use chrono::{TimeDelta, TimeZone, Utc};
use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use tt_domain::{ClientId, ProjectId, TaskStatus, UserId};
use tt_persistence::entries::{self, EntryFilter};
use tt_persistence::{PersistenceError, sessions, users};

use crate::invariants::{each_backend, entry, seed};

#[test]
fn sessions_past_their_expiry_are_not_found() {
    each_backend(|db| {
        let mut conn = db.pool.get().expect("connection");
        seed(&mut conn);
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let write = sessions::SessionWrite {
            key_hash: "k1",
            user_id: UserId::new(1),
            state: "{}",
            browser: None,
        };
        sessions::insert(&mut conn, &write, now, now + TimeDelta::hours(1)).expect("insert");
        let cases = [
            ("k1", TimeDelta::zero(), true),
            ("k1", TimeDelta::minutes(59), true),
            ("k1", TimeDelta::hours(1), false),
            ("k1", TimeDelta::days(1), false),
            ("other", TimeDelta::zero(), false),
        ];
        for (key, later, live) in cases {
            let found = sessions::load(&mut conn, key, now + later).expect("load");
            assert_eq!(found.is_some(), live, "{}: {key} after {later}", db.name);
        }
    });
}

#[test]
fn tokens_past_their_expiry_are_not_found() {
    each_backend(|db| {
        let mut conn = db.pool.get().expect("connection");
        seed(&mut conn);
        let soon = (Utc::now() + TimeDelta::hours(1)).format("%F %T");
        let past = (Utc::now() - TimeDelta::seconds(1)).format("%F %T");
        conn.batch_execute(&format!(
            "INSERT INTO api_tokens (user_id, token_hash, created_at, name, expires_at) VALUES \
               (1, 'forever', '2026-01-01 00:00:00', 'a', NULL), \
               (1, 'soon', '2026-01-01 00:00:00', 'b', '{soon}'), \
               (1, 'past', '2026-01-01 00:00:00', 'c', '{past}');"
        ))
        .expect("tokens");
        for live in ["forever", "soon"] {
            let (user, token) = users::find_by_token_hash(&mut conn, live).expect(live);
            assert_eq!(
                (user.id.get(), token.name.as_str()),
                (1, if live == "soon" { "b" } else { "a" })
            );
        }
        for gone in ["past", "unknown"] {
            assert!(
                matches!(
                    users::find_by_token_hash(&mut conn, gone),
                    Err(PersistenceError::NotFound)
                ),
                "{}: {gone}",
                db.name
            );
        }
    });
}

#[test]
fn counts_match_the_rows_listed_with_and_without_a_client() {
    each_backend(|db| {
        let mut conn = db.pool.get().expect("connection");
        seed(&mut conn);
        conn.batch_execute(
            "INSERT INTO clients (id, name, created_at) VALUES (1, 'Acme', '2026-01-01 00:00:00'); \
             INSERT INTO projects (id, name, client_id, created_at) \
               VALUES (2, 'Borealis', 1, '2026-01-01 00:00:00');",
        )
        .expect("client and project");
        let mut sql = String::new();
        for day in 1..=9 {
            sql.push_str(&entry(
                1,
                &format!("2026-03-0{day} 09:00:00"),
                Some(&format!("2026-03-0{day} 10:00:00")),
            ));
            sql.push_str(";\n");
        }
        sql.push_str("UPDATE time_entries SET project_id = 2 WHERE start_time < '2026-03-04';");
        sql.push_str(&entry(
            2,
            "2026-03-01 09:00:00",
            Some("2026-03-01 09:30:00"),
        ));
        conn.batch_execute(&sql).expect("entries");
        let cases = [
            (
                EntryFilter {
                    user: UserId::new(1),
                    ..EntryFilter::default()
                },
                9,
            ),
            (
                EntryFilter {
                    user: UserId::new(2),
                    ..EntryFilter::default()
                },
                1,
            ),
            (EntryFilter::default(), 10),
            // Narrowed by something besides the user: not the unfiltered
            // list's query.
            (
                EntryFilter {
                    user: UserId::new(1),
                    project: ProjectId::new(2),
                    ..EntryFilter::default()
                },
                3,
            ),
            (
                EntryFilter {
                    user: UserId::new(1),
                    billable: Some(false),
                    ..EntryFilter::default()
                },
                0,
            ),
            (
                EntryFilter {
                    user: UserId::new(1),
                    client: ClientId::new(1),
                    ..EntryFilter::default()
                },
                3,
            ),
            (
                EntryFilter {
                    client: ClientId::new(1),
                    ..EntryFilter::default()
                },
                3,
            ),
        ];
        for (filter, want) in cases {
            let counted = entries::count(&mut conn, &filter).expect("count");
            let listed = entries::search(&mut conn, &filter, 0, 100)
                .expect("search")
                .len();
            let spans = entries::search_spans(&mut conn, &filter)
                .expect("spans")
                .len();
            assert_eq!(
                (counted, listed, spans),
                (want, want, want),
                "{}: {filter:?}",
                db.name
            );
            // A page and its count read together: the first two, the
            // rest, and past the end (no rows, still the count).
            for (offset, limit, rows) in [
                (0, 2, want.min(2)),
                (2, 100, want.saturating_sub(2)),
                (100, 5, 0),
            ] {
                let (page, total) =
                    entries::search_counted(&mut conn, &filter, offset, limit).expect("page");
                let alone = entries::search(&mut conn, &filter, offset, limit).expect("search");
                assert_eq!(
                    (page.iter().map(|e| e.id).collect::<Vec<_>>(), total),
                    (alone.iter().map(|e| e.id).collect::<Vec<_>>(), want),
                    "{}: {filter:?} from {offset}",
                    db.name
                );
                assert_eq!(page.len(), rows, "{}: {filter:?} from {offset}", db.name);
            }
        }
    });
}

/// A timestamp stored in another form than the one the application writes
/// (an older version, a hand edit) still reads back (SQLite stores text).
#[test]
fn timestamps_in_other_stored_forms_still_read() {
    each_backend(|db| {
        if db.name != "sqlite" {
            return;
        }
        let mut conn = db.pool.get().expect("connection");
        seed(&mut conn);
        conn.batch_execute(
            "INSERT INTO time_entries (user_id, project_id, start_time, end_time, created_at) \
             VALUES (1, 1, '2026-03-01T09:15:30.25', NULL, '2026-01-01 00:00:00')",
        )
        .expect("entry");
        let running = entries::running_timer(&mut conn, UserId::new(1).unwrap())
            .expect("read")
            .expect("running");
        assert_eq!(
            running.start,
            Utc.with_ymd_and_hms(2026, 3, 1, 9, 15, 30).unwrap() + TimeDelta::milliseconds(250)
        );
    });
}

/// The lists' order, newest first and ties by the newest id, as the index
/// in that order gives it: pages of entries that share a start time
/// neither repeat nor skip one, and the short list and the week's spans
/// agree with them.
#[test]
fn entries_sharing_a_start_page_in_id_order() {
    each_backend(|db| {
        let mut conn = db.pool.get().expect("connection");
        seed(&mut conn);
        let same = "2026-11-30 09:00:00";
        let inserts = [
            entry(1, "2026-11-29 09:00:00", Some("2026-11-29 10:00:00")),
            entry(1, same, Some("2026-11-30 09:30:00")),
            entry(2, same, Some("2026-11-30 10:00:00")),
            entry(1, same, Some("2026-11-30 10:00:00")),
            entry(1, "2026-11-30 11:00:00", None),
            entry(1, same, Some("2026-11-30 09:15:00")),
        ];
        conn.batch_execute(&format!("{};", inserts.join(";")))
            .expect("entries");
        let f = EntryFilter {
            user: UserId::new(1),
            ..EntryFilter::default()
        };
        let ids = |rows: Vec<tt_domain::TimeEntry>| -> Vec<i64> {
            rows.iter().map(|e| e.id.get()).collect()
        };
        let mut paged = Vec::new();
        for offset in [0, 2, 4] {
            paged.extend(ids(entries::search(&mut conn, &f, offset, 2).expect("page")));
        }
        assert_eq!(paged, [5, 6, 4, 2, 1], "{}", db.name);
        let latest = entries::list(&mut conn, UserId::new(1).unwrap(), None, 3).expect("list");
        assert_eq!(ids(latest), [5, 6, 4], "{}", db.name);
        let at = |d, h| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
        let spans =
            entries::spans_started(&mut conn, UserId::new(1).unwrap(), at(30, 0), at(30, 11))
                .expect("spans");
        assert_eq!(spans.len(), 3, "{}: {spans:?}", db.name);
    });
}

/// The overlap check finds the earliest entry sharing time with a span —
/// a finished one before the running one, the running one for any time
/// after its start, never one that only touches the span, never another
/// user's — reading the (user, end) index.
#[test]
fn the_earliest_overlapping_entry_of_the_user() {
    each_backend(|db| {
        let mut conn = db.pool.get().expect("connection");
        seed(&mut conn);
        let inserts = [
            entry(1, "2026-11-29 09:00:00", Some("2026-11-29 10:00:00")),
            entry(1, "2026-11-30 10:00:00", Some("2026-11-30 11:00:00")),
            entry(1, "2026-11-30 09:00:00", Some("2026-11-30 10:00:00")),
            entry(1, "2026-11-30 12:00:00", None),
            entry(2, "2026-11-28 08:00:00", Some("2026-11-30 23:00:00")),
        ];
        conn.batch_execute(&format!("{};", inserts.join(";")))
            .expect("entries");
        let at = |d, h, m| Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap();
        let user = UserId::new(1).unwrap();
        let cases = [
            ((at(30, 9, 30), at(30, 10, 30)), None, Some(3)),
            ((at(30, 9, 30), at(30, 10, 30)), Some(3), Some(2)),
            ((at(30, 10, 0), at(30, 10, 30)), None, Some(2)),
            ((at(30, 11, 0), at(30, 11, 30)), None, None),
            ((at(30, 11, 30), at(30, 12, 30)), None, Some(4)),
            ((at(30, 13, 0), at(30, 14, 0)), None, Some(4)),
            ((at(30, 13, 0), at(30, 14, 0)), Some(4), None),
            ((at(29, 0, 0), at(30, 23, 0)), None, Some(1)),
            ((at(28, 0, 0), at(28, 9, 0)), None, None),
        ];
        for ((start, end), except, expected) in cases {
            let except = except.map(|id| tt_domain::TimeEntryId::new(id).unwrap());
            let found =
                entries::first_overlapping(&mut conn, user, start, end, except).expect("overlap");
            assert_eq!(
                found.map(|e| e.id.get()),
                expected,
                "{}: {start}..{end} except {except:?}",
                db.name
            );
        }
        // The query reads the end index (SQLite's plan; PostgreSQL picks by
        // its statistics).
        if db.name == "sqlite" {
            let plan = sqlite_plan(
                &mut conn,
                "SELECT id FROM time_entries \
                 WHERE user_id = 1 AND end_time > '2026-11-30 12:00:00' \
                 AND start_time < '2026-11-30 13:00:00' AND id <> 0 \
                 ORDER BY end_time, id LIMIT 1",
            );
            assert!(
                plan.iter().any(|d| d.contains("time_entries_user_end")),
                "{plan:?}"
            );
        }
    });
}

/// A person's list narrowed to a project still walks their entries in
/// list order and stops after its page (SQLite's plan): the index on
/// (user, project, task, start) that keeps the recent work, with two equal
/// columns, would have all of that project's entries sorted first.
#[test]
fn a_list_narrowed_to_a_project_reads_in_list_order() {
    each_backend(|db| {
        if db.name != "sqlite" {
            // PostgreSQL picks by its statistics.
            return;
        }
        let mut conn = db.pool.get().expect("connection");
        let plan = sqlite_plan(
            &mut conn,
            "SELECT * FROM time_entries \
             WHERE user_id = 1 AND project_id = 2 \
             ORDER BY start_time DESC, id DESC LIMIT 20 OFFSET 0",
        );
        assert!(
            plan.iter().any(|d| d.contains("time_entries_user_order"))
                && !plan.iter().any(|d| d.contains("TEMP B-TREE")),
            "{plan:?}"
        );
    });
}

#[derive(diesel::QueryableByName)]
struct PlanRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

/// SQLite's plan for `query`: one line per step (`EXPLAIN QUERY PLAN`).
fn sqlite_plan(conn: &mut tt_persistence::DbConnection, query: &str) -> Vec<String> {
    diesel::sql_query(format!("EXPLAIN QUERY PLAN {query}"))
        .load::<PlanRow>(conn)
        .expect("plan")
        .into_iter()
        .map(|r| r.detail)
        .collect()
}

/// The recent work: each project/task combination once, in the order of
/// its newest entry, however far back that is, at most `limit`.
#[test]
fn recent_work_lists_each_combination_once_newest_first() {
    each_backend(|db| {
        let mut conn = db.pool.get().expect("connection");
        seed(&mut conn);
        conn.batch_execute(
            "INSERT INTO projects (id, name, created_at) VALUES (2, 'Borealis', '2026-01-01 00:00:00');
             INSERT INTO tasks (id, project_id, name, status, created_at) VALUES
                 (1, 1, 'Design', 'todo', '2026-01-01 00:00:00'),
                 (2, 2, 'Build', 'todo', '2026-01-01 00:00:00');",
        )
        .expect("work");
        // Oldest first, one an hour: (project, task). (1, 1) was last worked
        // on 200 entries ago and still counts, last.
        let combos = [(1, Some(1)), (2, None)]
            .into_iter()
            .chain((0..196).map(|_| (1, None)))
            .chain([(2, Some(2)), (2, None), (1, None), (2, Some(2))]);
        let inserts: Vec<String> = combos
            .enumerate()
            .map(|(i, (p, t))| {
                let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
                    + TimeDelta::hours(i as i64);
                let task = t.map_or("NULL".to_owned(), |t: i64| t.to_string());
                format!(
                    "INSERT INTO time_entries (user_id, project_id, task_id, start_time, end_time, created_at) \
                     VALUES (1, {p}, {task}, '{}', '{}', '2026-01-01 00:00:00')",
                    start.format("%Y-%m-%d %H:%M:%S"),
                    (start + TimeDelta::minutes(30)).format("%Y-%m-%d %H:%M:%S"),
                )
            })
            .collect();
        conn.batch_execute(&format!("{};", inserts.join(";")))
            .expect("entries");
        conn.batch_execute(&entry(2, "2026-12-01 09:00:00", None))
            .expect("another user's");
        let user = UserId::new(1).unwrap();
        let ids = |combos: Vec<entries::RecentWork>| {
            combos
                .into_iter()
                .map(|w| (w.project.get(), w.task.map(|t| t.get())))
                .collect::<Vec<_>>()
        };
        let all = ids(entries::recent_work(&mut conn, user, 10).expect("recent"));
        assert_eq!(
            all,
            [(2, Some(2)), (1, None), (2, None), (1, Some(1))],
            "{}",
            db.name
        );
        let two = ids(entries::recent_work(&mut conn, user, 2).expect("recent"));
        assert_eq!(two, [(2, Some(2)), (1, None)], "{}", db.name);
        let none = entries::recent_work(&mut conn, UserId::new(3).unwrap(), 5).expect("recent");
        assert!(none.is_empty(), "{}", db.name);
        // Each combination comes with its project's and task's state.
        conn.batch_execute(
            "UPDATE projects SET archived = TRUE WHERE id = 1;
             UPDATE tasks SET status = 'done' WHERE id = 2;
             UPDATE tasks SET archived = TRUE WHERE id = 1;",
        )
        .expect("close");
        let states: Vec<_> = entries::recent_work(&mut conn, user, 10)
            .expect("recent")
            .into_iter()
            .map(|w| (w.project_archived, w.task_state))
            .collect();
        assert_eq!(
            states,
            [
                (false, Some((false, TaskStatus::Done))),
                (true, None),
                (false, None),
                (true, Some((true, TaskStatus::Todo))),
            ],
            "{}",
            db.name
        );
    });
}

/// The reads of a `read_together` scope share one snapshot on SQLite (a
/// write committed meanwhile is seen once the scope ends), nested scopes
/// join the outer one, and a scope that panics still ends its read
/// transaction. On PostgreSQL each read sees every commit before it.
#[test]
fn reads_together_share_one_snapshot_until_their_scope_ends() {
    each_backend(|db| {
        let mut conn = db.pool.get().expect("connection");
        seed(&mut conn);
        let count = || db.pool.read(|c| entries::count(c, &EntryFilter::default()));
        let mut add = |day: u32| {
            let start = format!("2026-03-{day:02} 09:00:00");
            let end = format!("2026-03-{day:02} 10:00:00");
            conn.batch_execute(&entry(1, &start, Some(&end)))
                .expect("entry");
        };
        add(1);
        let seen = db
            .pool
            .read_together(|| {
                let before = count()?;
                add(2);
                let nested = db.pool.read_together(count)?;
                Ok::<_, PersistenceError>((before, nested, count()?))
            })
            .expect("together");
        let after = count().expect("count");
        if db.name == "sqlite" {
            assert_eq!((seen, after), ((1, 1, 1), 2), "one snapshot");
        } else {
            assert_eq!((seen, after), ((1, 2, 2), 2), "each read its own");
        }
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            db.pool.read_together(|| -> Result<(), PersistenceError> {
                count()?;
                panic!("inside the scope");
            })
        }));
        assert!(panicked.is_err());
        add(3);
        assert_eq!(count().expect("count"), 3, "{}: the scope ended", db.name);
    });
}

/// [`seed`] and a task (id 7, "Design") of the project.
fn seed_with_task(conn: &mut tt_persistence::DbConnection) {
    seed(conn);
    conn.batch_execute(
        "INSERT INTO tasks (id, project_id, name, status, created_at) \
           VALUES (7, 1, 'Design', 'todo', '2026-01-01 00:00:00');",
    )
    .expect("task");
}

/// A user and their running timer with its project's and task's names come
/// in one statement: nothing when no timer runs (finished entries and
/// another user's timer are not theirs), the names when one does.
#[test]
fn a_user_comes_with_their_running_timer_and_its_names() {
    each_backend(|db| {
        let mut conn = db.pool.get().expect("connection");
        seed_with_task(&mut conn);
        let mut sql = entry(1, "2026-03-01 09:00:00", Some("2026-03-01 10:00:00"));
        sql.push_str(";\n");
        sql.push_str(&entry(2, "2026-03-02 09:00:00", None));
        conn.batch_execute(&sql).expect("entries");
        let one = UserId::new(1).unwrap();
        let (user, running) = entries::user_and_running(&mut conn, one).expect("user");
        assert_eq!(user.id, one, "{}", db.name);
        assert!(running.is_none(), "{}: no timer runs", db.name);

        conn.batch_execute(&entry(1, "2026-03-03 09:00:00", None))
            .expect("running");
        let (_, running) = entries::user_and_running(&mut conn, one).expect("user");
        let running = running.expect("the running timer");
        assert_eq!(
            (
                running.entry.user_id,
                running.entry.end,
                running.project.as_str(),
                running.task
            ),
            (one, None, "Atlas", None),
            "{}",
            db.name
        );
        conn.batch_execute(
            "UPDATE time_entries SET task_id = 7 WHERE end_time IS NULL AND user_id = 1",
        )
        .expect("task set");
        let (_, running) = entries::user_and_running(&mut conn, one).expect("user");
        assert_eq!(
            running.expect("running").task.as_deref(),
            Some("Design"),
            "{}",
            db.name
        );
        assert!(matches!(
            entries::user_and_running(&mut conn, UserId::new(99).unwrap()),
            Err(PersistenceError::NotFound)
        ));
    });
}

/// A session is read with its signed-in user and their running timer, and
/// finds the same user and timer as reading them on their own: nothing
/// for an anonymous session, the user without a timer, with their timer
/// and its task, never another user's timer.
#[test]
fn a_session_comes_with_its_user_and_their_running_timer() {
    each_backend(|db| {
        let mut conn = db.pool.get().expect("connection");
        seed_with_task(&mut conn);
        let now = Utc::now();
        for (key, user) in [("anon", None), ("ada", UserId::new(1))] {
            let write = sessions::SessionWrite {
                key_hash: key,
                user_id: user,
                state: "{}",
                browser: None,
            };
            sessions::insert(&mut conn, &write, now, now + TimeDelta::hours(1)).expect("insert");
        }
        let one = UserId::new(1).unwrap();
        // Reads the session "ada" and checks it against the user read alone.
        let agrees = |conn: &mut tt_persistence::DbConnection, step: &str| {
            let (session, signed_in) = sessions::load(conn, "ada", now)
                .expect("load")
                .expect("live");
            let (user, running) = signed_in.expect("signed in");
            let (alone, alone_running) = entries::user_and_running(conn, one).expect("user");
            assert_eq!(session.user_id, Some(one), "{}: {step}", db.name);
            assert_eq!(
                (user.id, &user.username, user.role, user.active),
                (alone.id, &alone.username, alone.role, alone.active),
                "{}: {step}",
                db.name
            );
            let names = |r: &Option<entries::RunningEntry>| {
                r.as_ref().map(|r| {
                    (
                        r.entry.id,
                        r.entry.user_id,
                        r.project.clone(),
                        r.task.clone(),
                    )
                })
            };
            assert_eq!(
                names(&running),
                names(&alone_running),
                "{}: {step}",
                db.name
            );
            running
        };
        let (_, anonymous) = sessions::load(&mut conn, "anon", now)
            .expect("load")
            .expect("live");
        assert!(anonymous.is_none(), "{}: nobody signed in", db.name);

        // Another user's running timer is not theirs.
        conn.batch_execute(&entry(2, "2026-03-02 09:00:00", None))
            .expect("bob's timer");
        assert!(agrees(&mut conn, "no timer").is_none(), "{}", db.name);
        conn.batch_execute(&entry(1, "2026-03-03 09:00:00", None))
            .expect("ada's timer");
        let running = agrees(&mut conn, "a timer").expect("running");
        assert_eq!(
            (running.project.as_str(), running.task),
            ("Atlas", None),
            "{}",
            db.name
        );
        conn.batch_execute(
            "UPDATE time_entries SET task_id = 7 WHERE end_time IS NULL AND user_id = 1",
        )
        .expect("task set");
        let running = agrees(&mut conn, "a timer with a task").expect("running");
        assert_eq!(running.task.as_deref(), Some("Design"), "{}", db.name);
        assert!(
            sessions::load(&mut conn, "ada", now + TimeDelta::hours(2))
                .expect("load")
                .is_none(),
            "{}: expired",
            db.name
        );
    });
}
