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
