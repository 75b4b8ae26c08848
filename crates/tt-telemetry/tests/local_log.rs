//! Every tracked event is written to the local structured log, sent or not,
//! and debug mode writes the payload there instead of sending it. Uses a
//! process-wide JSON subscriber, so it runs in a child process of its own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;
use tt_consent::ConsentLevel;
use tt_telemetry::Id;
use tt_telemetry::{Outcome, Telemetry, UserId};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn lines(&self) -> Vec<serde_json::Value> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

#[test]
fn tracked_events_are_logged_locally_and_debug_payloads_too() {
    run_isolated("local_log::isolated_local_log");
}

#[test]
#[ignore = "run in a child process by tracked_events_are_logged_locally_and_debug_payloads_too"]
fn isolated_local_log() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::INFO)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let event = Event::TaskStatusChanged {
        task_id: Id::new(5),
        project_id: Id::new(2),
        old_status: Status::InProgress,
        new_status: Status::Done,
    };

    // Consent off: logged, not queued.
    let off = Telemetry::new(config(None), Switches::new(false, false), identity()).unwrap();
    off.track(event, Some(UserId::new(4)));
    off.shutdown();

    // Debug mode with consent: logged, queued, and the payload logged.
    let mut c = config(None);
    c.debug = true;
    let debug = Telemetry::new(c, Switches::new(false, true), identity()).unwrap();
    debug.track(event, Some(UserId::new(4)));
    assert!(eventually(Duration::from_secs(5), || {
        debug
            .status()
            .count(ConsentLevel::Detailed, Outcome::DebugLogged)
            == 1
    }));
    debug.shutdown();

    let lines = buffer.lines();
    let tracked: Vec<_> = lines
        .iter()
        .filter(|l| l["target"] == "tt_telemetry::event")
        .collect();
    assert_eq!(tracked.len(), 2, "{lines:#?}");
    for (line, queued) in tracked.iter().zip([false, true]) {
        let f = &line["fields"];
        assert_eq!(f["event_type"], "task.status_changed");
        assert_eq!(f["level"], "detailed");
        assert_eq!(f["user_id"], 4);
        assert_eq!(f["queued"], queued);
        let props: serde_json::Value =
            serde_json::from_str(f["properties"].as_str().unwrap()).unwrap();
        assert_eq!(
            props,
            serde_json::json!({"task_id": 5, "project_id": 2, "old_status": "in_progress", "new_status": "done"})
        );
    }

    let payloads: Vec<_> = lines
        .iter()
        .filter(|l| l["target"] == "tt_telemetry::debug")
        .collect();
    assert_eq!(payloads.len(), 1);
    let payload: serde_json::Value =
        serde_json::from_str(payloads[0]["fields"]["payload"].as_str().unwrap()).unwrap();
    let text = payload.to_string();
    assert!(text.contains("task.status_changed"), "{text}");
    assert!(text.contains("in_progress") || text.contains("done"));
}
