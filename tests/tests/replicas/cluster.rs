//! Three replicas of the real binary behind the shipped nginx
//! configuration (real nginx on loopback), one PostgreSQL database, a real
//! OTLP receiver and, when installed, a real Prometheus. Concurrent clients
//! write time entries and read lists while one replica is stopped with
//! SIGTERM and another killed with SIGKILL, each restarted. Afterwards the
//! database and the clients' records must agree, and sessions, tokens,
//! logout, the login limit, consent and heartbeats must behave as on one
//! server.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::{Value, json};
use tt_testkit::otlp::{OtlpReceiver, event_name};
use tt_tests::cluster::{Nginx, Outcome, Replica, client, login, ports, run_client, token};
use tt_tests::session::Browser;
use tt_tests::{PgDatabase, postgres_base_url};

use super::peers::{Prometheus, in_ci, require_tool};

const ADMIN: &str = "admin";
const PASSWORD: &str = "cluster-test-Passphrase-7";

/// nginx's path, or `None` after a loud skip (a failure under CI).
fn nginx_binary() -> Option<PathBuf> {
    tt_tests::cluster::nginx_path().or_else(|| {
        require_tool(
            "nginx",
            "apt-get install -y nginx-light",
            "the replicas behind nginx",
        )
    })
}

fn admin_telemetry(base: &str, token: &str) -> Value {
    client()
        .get(format!("{base}/api/v1/admin/telemetry"))
        .bearer_auth(token)
        .send()
        .expect("telemetry state")
        .json()
        .expect("telemetry json")
}

#[test]
fn three_replicas_behind_nginx_behave_as_one_server() {
    let Some(pg) = postgres_base_url() else {
        return;
    };
    let Some(nginx) = nginx_binary() else {
        return;
    };
    tt_tests::init_tls();
    let receiver = OtlpReceiver::start();
    let db = PgDatabase::create(&pg);
    let root = tempfile::tempdir().unwrap();
    let mut replicas: Vec<Replica> =
        tt_tests::cluster::replicas(None, root.path(), &db.url, 3, |env| {
            env.var("LOGIN_MAX_FAILURES", "5")
                .var("GRAFANA_OTLP_ENDPOINT", receiver.url())
                .var("TELEMETRY_HEARTBEAT_INTERVAL", "2s")
                .var("TELEMETRY_TEST_SHORT_INTERVALS", "true")
                .var("INSTALLATION_REFRESH_SECONDS", "1")
                .var("SHUTDOWN_DRAIN_SECONDS", "0")
                .var("DB_POOL_SIZE", "4")
        });
    let ports = ports(&replicas);
    replicas[0].env.setup(ADMIN, PASSWORD, true, true);
    let started = Instant::now();
    for r in &mut replicas {
        r.process = Some(r.env.serve());
    }
    let lb = Nginx::start(&nginx, &ports);

    // Users and a project, through the load balancer.
    let admin = token(&lb.base, ADMIN, PASSWORD);
    let http = client();
    let post = |path: &str, body: Value| -> Value {
        let r = http
            .post(format!("{}{path}", lb.base))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "POST {path}");
        r.json().unwrap()
    };
    let project = post("/api/v1/projects", json!({"name": "Cluster"}))["id"]
        .as_i64()
        .unwrap();
    let clients = 12;
    let tokens: Vec<String> = (0..clients)
        .map(|n| {
            let name = format!("worker{n}");
            post(
                "/api/v1/users",
                json!({"username": name, "password": "worker-Passphrase-3"}),
            );
            token(&lb.base, &name, "worker-Passphrase-3")
        })
        .collect();

    // ------------------------------------------------ the run with kills
    let stop = Arc::new(AtomicBool::new(false));
    let events: Arc<Mutex<Vec<(&'static str, Instant)>>> = Arc::default();
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let workers: Vec<_> = tokens
            .iter()
            .enumerate()
            .map(|(n, t)| {
                let (stop, base) = (&stop, &lb.base);
                s.spawn(move || run_client(base, t, project, n, stop))
            })
            .collect();
        std::thread::sleep(Duration::from_secs(2));
        // SIGTERM: drained, restarted once it has exited.
        events.lock().unwrap().push(("sigterm", Instant::now()));
        replicas[1].restart_gracefully();
        events.lock().unwrap().push(("restarted-1", Instant::now()));
        std::thread::sleep(Duration::from_secs(2));
        // SIGKILL: requests in flight there are lost; restarted at once.
        events.lock().unwrap().push(("sigkill", Instant::now()));
        replicas[2].kill_and_restart();
        events.lock().unwrap().push(("restarted-2", Instant::now()));
        std::thread::sleep(Duration::from_secs(3));
        stop.store(true, Ordering::SeqCst);
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let events = events.lock().unwrap().clone();
    let at = |name: &str| events.iter().find(|(n, _)| *n == name).unwrap().1;

    // Every acknowledged entry is stored exactly once; nothing twice.
    let mut conn = tt_persistence::establish(&db.url).unwrap();
    use tt_persistence::schema::time_entries;
    let stored: Vec<(i64, String)> = time_entries::table
        .select((time_entries::id, time_entries::notes))
        .load(&mut conn)
        .unwrap();
    let mut by_notes: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (id, notes) in &stored {
        by_notes.entry(notes.as_str()).or_default().push(*id);
    }
    let duplicates: Vec<_> = by_notes.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(duplicates.is_empty(), "stored twice: {duplicates:?}");
    let writes: Vec<&Outcome> = outcomes.iter().filter(|o| o.write).collect();
    let acked: Vec<&Outcome> = writes
        .iter()
        .copied()
        .filter(|o| o.acked.is_some())
        .collect();
    for o in &acked {
        assert_eq!(
            by_notes.get(o.notes.as_str()),
            Some(&vec![o.acked.unwrap()]),
            "acknowledged {} is not stored once under its id",
            o.notes
        );
    }
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.failure.is_some()).collect();
    let failed_but_stored = failed
        .iter()
        .filter(|o| o.write && by_notes.contains_key(o.notes.as_str()))
        .count();
    assert_eq!(stored.len(), acked.len() + failed_but_stored);
    // Failures only around the SIGKILL, only writes (nginx retries reads
    // on another replica), at most one in flight per client.
    let kill = at("sigkill");
    let window_end = at("restarted-2") + Duration::from_secs(1);
    let term = at("sigterm");
    let timeline: Vec<String> = failed
        .iter()
        .map(|o| {
            let ms = |t: Instant| {
                o.at.checked_duration_since(t).map_or_else(
                    || -(t.duration_since(o.at).as_millis() as i64),
                    |d| d.as_millis() as i64,
                )
            };
            format!(
                "{:?}: {} ms after SIGTERM, {} ms after SIGKILL",
                o.failure,
                ms(term),
                ms(kill)
            )
        })
        .collect();
    eprintln!(
        "failures: {timeline:#?}; events: {:?}",
        events
            .iter()
            .map(|(n, t)| (n, t.duration_since(term)))
            .collect::<Vec<_>>()
    );
    for o in &failed {
        assert!(
            o.at >= kill && o.at <= window_end,
            "a failure outside the kill: {:?} at {:?} after the kill",
            o.failure,
            o.at.checked_duration_since(kill)
        );
        assert!(o.write, "a read failed: {:?}", o.failure);
    }
    assert!(failed.len() <= clients, "{} failures", failed.len());
    eprintln!(
        "cluster run: {} requests ({} writes, {} acknowledged) with 3 replicas, SIGTERM and SIGKILL; \
         {} failed (all writes in flight on the killed replica; {} of them stored anyway)",
        outcomes.len(),
        writes.len(),
        acked.len(),
        failed.len(),
        failed_but_stored
    );
    assert!(acked.len() >= clients * 5, "the workload barely ran");

    let bases: Vec<String> = replicas.iter().map(Replica::base).collect();

    // A browser session made on one replica works on all; logout on one
    // ends it on all at once.
    let browser = Browser::signed_in(&bases[0], ADMIN, PASSWORD);
    let cookie = browser.session_cookie().expect("session cookie");
    let on = |base: &str| {
        let b = Browser::new(base);
        b.set_session_cookie(&cookie);
        b
    };
    for base in &bases {
        assert_eq!(on(base).get("/").status, 200, "session on {base}");
    }
    let other = on(&bases[1]);
    let out = other.submit("/logout", &[]);
    assert_eq!(out.status, 303, "{}", out.body);
    for base in [&bases[0], &bases[2]] {
        let page = on(base).get("/");
        assert_eq!(page.status, 303, "signed out everywhere: {base}");
        assert!(page.location().starts_with("/login"), "{}", page.location());
    }

    // An API token made on one replica works on all; its logout on one
    // ends it on all. (Every sign-in counts against the limit of five per
    // user and address, so each user signs in only a few times here.)
    let t = token(&bases[0], "worker0", "worker-Passphrase-3");
    let me = |base: &str| {
        client()
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    for base in &bases {
        assert_eq!(me(base), 200, "token on {base}");
    }
    let out = client()
        .post(format!("{}/api/v1/auth/logout", bases[2]))
        .bearer_auth(&t)
        .send()
        .unwrap();
    assert_eq!(out.status().as_u16(), 204);
    for base in &bases {
        assert_eq!(me(base), 401, "revoked everywhere: {base}");
    }

    // The login limit (5) holds across replicas: 15 parallel wrong
    // guesses through the balancer, spread over all three.
    post(
        "/api/v1/users",
        json!({"username": "target", "password": "target-Passphrase-5"}),
    );
    let barrier = std::sync::Barrier::new(15);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..15)
            .map(|i| {
                let (barrier, bases) = (&barrier, &bases);
                s.spawn(move || {
                    barrier.wait();
                    login(&client(), &bases[i % 3], "target", "wrong-guess").0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 10), "{statuses:?}");

    // Consent withdrawn on one replica: every replica follows within a
    // measured time, and nothing detailed is sent after that.
    let admin_direct = admin.clone();
    for base in &bases {
        assert_eq!(
            admin_telemetry(base, &admin_direct)["detailed"]["enabled"],
            true
        );
    }
    let withdrawn_at = Instant::now();
    let r = client()
        .put(format!("{}/api/v1/admin/telemetry", bases[0]))
        .bearer_auth(&admin_direct)
        .json(&json!({"detailed": false}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let mut propagation = Duration::ZERO;
    for base in &bases[1..] {
        while admin_telemetry(base, &admin_direct)["detailed"]["enabled"] != false {
            assert!(
                withdrawn_at.elapsed() < Duration::from_secs(10),
                "{base} still has detailed consent"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        propagation = propagation.max(withdrawn_at.elapsed());
    }
    eprintln!("consent withdrawal effective on every replica after {propagation:?}");
    assert!(
        propagation <= Duration::from_secs(3),
        "{propagation:?} (refresh interval 1 s)"
    );
    let everywhere = Instant::now();
    for (i, base) in bases.iter().enumerate() {
        // Detailed events if consent still held: a sign-in and a token.
        token(base, &format!("worker{}", i + 1), "worker-Passphrase-3");
    }
    std::thread::sleep(Duration::from_secs(3));
    let late: Vec<String> = receiver
        .requests()
        .iter()
        .filter(|r| r.at > everywhere && r.accepted())
        .flat_map(|r| r.records().into_iter().map(event_name).collect::<Vec<_>>())
        .filter(|n| !n.starts_with("base_telemetry."))
        .collect();
    assert!(late.is_empty(), "sent after withdrawal: {late:?}");

    // Heartbeats: at most one per 2 s interval for the installation, from
    // three replicas and two restarts.
    let elapsed = started.elapsed().as_secs_f64();
    let mut beats: Vec<Instant> = receiver
        .requests()
        .iter()
        .flat_map(|r| {
            r.records()
                .into_iter()
                .filter(|rec| event_name(rec) == "base_telemetry.heartbeat")
                .map(|_| r.at)
                .collect::<Vec<_>>()
        })
        .collect();
    beats.sort();
    let most = (elapsed / 2.0).floor() as usize + 2;
    assert!(
        (3..=most).contains(&beats.len()),
        "{} heartbeats in {elapsed:.1} s (at most {most})",
        beats.len()
    );
    for pair in beats.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(
            gap >= Duration::from_millis(1000),
            "two heartbeats {gap:?} apart"
        );
    }

    // A real Prometheus scrapes all three replicas; the dashboard's
    // queries answer per replica and in total.
    if let Some(prometheus) = require_tool(
        "prometheus",
        "apt-get install -y --no-install-recommends prometheus",
        "Prometheus scraping the replicas",
    ) {
        let targets: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
        let server = Prometheus::start_many(&prometheus, &targets, None);
        let up = server.query_until_found(
            r#"count(up{job="timetracker"} == 1) == 3"#,
            Duration::from_secs(60),
        );
        assert_eq!(up.len(), 1, "{up:?}");
        let per_replica = server.query_until_found(
            r#"count(sum by (instance) (tt_http_requests_total{job="timetracker"})) == 3"#,
            Duration::from_secs(30),
        );
        assert_eq!(per_replica.len(), 1, "{per_replica:?}");
        // Every query of the shipped dashboard has data from the replicas
        // (but the 5xx rate: there are none), and the by-replica panel
        // shows each of the three.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dashboard: Value = serde_json::from_str(
            &std::fs::read_to_string(
                root.join("config/deploy/grafana/dashboards/timetracker.json"),
            )
            .unwrap(),
        )
        .unwrap();
        for panel in dashboard["panels"].as_array().unwrap() {
            if panel["datasource"]["type"] != "prometheus" {
                continue;
            }
            for target in panel["targets"].as_array().unwrap() {
                let expr = target["expr"].as_str().unwrap();
                if expr.contains(r#"status=~"5..""#) {
                    continue;
                }
                // One series per replica: the one restarted on a new port
                // joins once Prometheus has scraped it twice.
                let per_replica = expr.starts_with("sum by (instance)");
                let series = if per_replica { 3 } else { 1 };
                let result = server.query_until(expr, series, Duration::from_secs(30));
                if per_replica {
                    assert_eq!(result.len(), 3, "{expr}: {result:?}");
                }
            }
        }
    } else {
        assert!(!in_ci());
    }
}
