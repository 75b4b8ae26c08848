//! Crash safety: a writer process saving in a tight loop is killed with
//! SIGKILL at random moments, hundreds of times; after every kill the file
//! must be exactly one of the documents the writer could have written.
//!
//! The writer is this very test binary, re-executed with an environment
//! variable that turns [`writer_process_child`] into the writing loop, so
//! the test needs nothing outside the crate.

#![allow(clippy::expect_used, reason = "a failed expectation is a failed test")]

use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tt_consent::DeployerPolicy;
use tt_installation::{FileBackend, Installation, InstallationBackend, InstallationConfig};

/// Set (to the directory to write in) only in the re-executed writer.
const WRITER_DIR_ENV: &str = "TT_INSTALLATION_CRASH_WRITER_DIR";
const READY: &str = "TT-INSTALLATION-WRITER-READY";
const KILLS: usize = 300;
/// A writer left behind by a dying parent stops by itself after this long.
const WRITER_LIFETIME: Duration = Duration::from_secs(30);

/// The two states the writer alternates between. They differ in size, so a
/// torn or half-written file cannot pass for either.
fn documents() -> [InstallationConfig; 2] {
    let doc = |setup: bool, detailed: serde_json::Value| {
        let value = serde_json::json!({
            "schema_version": 1,
            "install_id": "0b3c2f0e-8f5b-4c55-9a2e-6d0f1c2b3a49",
            "telemetry_salt": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "setup_complete": setup,
            "setup_completed_at": if setup { serde_json::json!("2026-01-01T00:00:00Z") } else { serde_json::Value::Null },
            "base_consent": null,
            "detailed_consent": detailed,
            "first_seen_at": "2026-01-01T00:00:00Z",
            "first_seen_sent_at": null
        });
        InstallationConfig::from_json(value.to_string().as_bytes(), "fixture").expect("fixture")
    };
    [
        doc(false, serde_json::Value::Null),
        doc(
            true,
            serde_json::json!({
                "granted": true,
                "decided_by": format!("user:{}", "9".repeat(2000)),
                "decided_at": "2026-01-02T03:04:05.678Z"
            }),
        ),
    ]
}

/// In the re-executed binary: save the two documents alternately until
/// killed. In a normal test run: nothing.
#[test]
fn writer_process_child() {
    let Some(dir) = std::env::var_os(WRITER_DIR_ENV) else {
        return;
    };
    let backend = FileBackend::new(dir);
    let [a, b] = documents();
    let started = Instant::now();
    // Both write paths: plain saves and read-modify-write updates.
    backend.save(&b).expect("first save");
    println!("{READY}");
    let mut write_a = true;
    while started.elapsed() < WRITER_LIFETIME {
        if write_a {
            backend.save(&a).expect("save");
        } else {
            backend.update(&mut |_| Some(b.clone())).expect("update");
        }
        write_a = !write_a;
    }
}

/// A small xorshift generator: random enough for kill timing, and the seed
/// is printed so a failure can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn check_state(
    dir: &Path,
    expected: &[Vec<u8>; 2],
    docs: &[InstallationConfig; 2],
    kill: usize,
) -> usize {
    let path = dir.join("installation.json");
    let bytes = fs::read(&path).unwrap_or_else(|e| panic!("kill {kill}: file gone: {e}"));
    let which = expected
        .iter()
        .position(|e| *e == bytes)
        .unwrap_or_else(|| {
            panic!(
                "kill {kill}: file is neither state ({} bytes): {:?}",
                bytes.len(),
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            )
        });
    let loaded = FileBackend::new(dir)
        .load()
        .unwrap_or_else(|e| panic!("kill {kill}: load failed: {e}"))
        .expect("present");
    assert_eq!(loaded, docs[which], "kill {kill}");

    // Nothing but the document, the lock file and (maybe) an abandoned
    // temporary file, which loading ignores.
    for entry in fs::read_dir(dir).expect("list") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            matches!(
                &*name,
                "installation.json" | "installation.json.lock" | "installation.json.tmp"
            ),
            "kill {kill}: stray file {name}"
        );
    }

    // The dead writer's lock went with it.
    let lock = OpenOptions::new()
        .write(true)
        .open(dir.join("installation.json.lock"))
        .expect("lock file exists");
    lock.try_lock()
        .unwrap_or_else(|e| panic!("kill {kill}: lock still held: {e:?}"));
    drop(lock);
    which
}

#[test]
fn sigkill_at_random_moments_never_leaves_a_torn_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = documents();
    let expected = [
        docs[0].to_json("a").expect("encode"),
        docs[1].to_json("b").expect("encode"),
    ];
    assert_ne!(expected[0].len(), expected[1].len());
    FileBackend::new(dir.path())
        .save(&docs[0])
        .expect("initial save");

    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1;
    println!("kill timing seed: {seed}");
    let mut rng = XorShift(seed);
    let exe = std::env::current_exe().expect("test binary");
    let started = Instant::now();
    let mut seen = [0usize; 2];
    let mut with_tmp = 0usize;

    for kill in 0..KILLS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_safety::writer_process_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(WRITER_DIR_ENV, dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn writer");

        // Wait until the writer is inside its loop, then kill it a random
        // few hundred microseconds to a few milliseconds later.
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        loop {
            line.clear();
            let n = stdout.read_line(&mut line).expect("read writer stdout");
            if n == 0 {
                let _ = child.kill();
                let _ = child.wait();
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("kill {kill}: writer exited before it was ready: {err}");
            }
            // libtest prints "test writer_process_child ... " before it.
            if line.trim_end().ends_with(READY) {
                break;
            }
        }
        std::thread::sleep(Duration::from_micros(rng.next() % 4_000));
        child.kill().expect("SIGKILL the writer");
        let status = child.wait().expect("reap the writer");
        assert!(
            !status.success(),
            "kill {kill}: the writer must die by the signal"
        );

        if dir.path().join("installation.json.tmp").exists() {
            with_tmp += 1;
        }
        seen[check_state(dir.path(), &expected, &docs, kill)] += 1;
    }

    println!(
        "{KILLS} kills in {:?}: state A {} times, state B {} times, temp file left {} times",
        started.elapsed(),
        seen[0],
        seen[1],
        with_tmp
    );
    // The writer really did write both states between kills.
    assert!(seen[0] > 0 && seen[1] > 0, "{seen:?}");

    // After all that, the installation still opens and accepts changes.
    let install = Installation::open_in_dir(dir.path(), DeployerPolicy::Unset, true).expect("open");
    assert_eq!(install.install_id(), docs[0].install_id);
    install
        .set_consent(tt_consent::ConsentLevel::Base, false, "user:1")
        .expect("write after crashes");
}
