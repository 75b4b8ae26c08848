//! The deployment files agree with the app: compose ports, volumes and
//! settings, the Prometheus target, the Promtail path, the collector port,
//! and every metric a Grafana panel queries is one `/metrics` exports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

use tt_testkit::in_ci;

/// Every `tt_…` metric name a dashboard query uses, without histogram
/// suffixes.
fn dashboard_metrics() -> BTreeSet<String> {
    let dir = root().join("config/deploy/grafana/dashboards");
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let dash: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for panel in dash["panels"].as_array().unwrap() {
            if panel["datasource"]["type"] != "prometheus" {
                continue;
            }
            for target in panel["targets"].as_array().unwrap() {
                let expr = target["expr"].as_str().unwrap();
                let mut rest = expr;
                while let Some(i) = rest.find("tt_") {
                    let tail = &rest[i..];
                    let end = tail
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(tail.len());
                    let name = &tail[..end];
                    let base = ["_bucket", "_sum", "_count"]
                        .iter()
                        .find_map(|s| name.strip_suffix(s))
                        .unwrap_or(name);
                    names.insert(base.to_owned());
                    rest = &tail[end..];
                }
            }
        }
    }
    names
}

#[test]
fn every_dashboard_metric_is_exported() {
    let wanted = dashboard_metrics();
    assert!(wanted.len() >= 8, "{wanted:?}");
    let app = tt_tests::spawn_app();
    // Make the request and telemetry series exist: log in (tracks an event)
    // and touch the timer.
    let user = app.user("boss", true);
    assert_eq!(user.get("/api/v1/timer").0, 200);
    let text = app
        .http
        .get(app.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let exported: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    let missing: Vec<_> = wanted.difference(&exported).collect();
    assert!(
        missing.is_empty(),
        "dashboard queries metrics /metrics does not export: {missing:?}"
    );
}

/// `docker compose config --format json` of both files, or `None` (after a
/// loud message) when the compose plugin is not installed.
fn compose_json() -> Option<serde_json::Value> {
    let out = Command::new("docker")
        .args([
            "compose",
            "-f",
            "config/deploy/docker-compose.yml",
            "-f",
            "config/deploy/docker-compose.analytics.yml",
        ])
        .args(["config", "--format", "json"])
        .current_dir(root())
        .output();
    match out {
        Ok(o) if o.status.success() => Some(serde_json::from_slice(&o.stdout).unwrap()),
        other => {
            let why = format!("{other:?}");
            assert!(
                !in_ci(),
                "docker compose is required in CI (run .ci/validate-deploy first): {why:.300}"
            );
            eprintln!(
                "\n*** SKIPPED: compose cross-check (docker compose plugin not available; see .ci/validate-deploy) ***\n"
            );
            None
        }
    }
}

#[test]
fn compose_files_agree_with_the_app_and_each_other() {
    let dockerfile = read("Dockerfile");
    for expected in [
        "DATA_DIR=/data",
        "LOG_DIR=/logs",
        "PORT=8080",
        "BIND_ADDR=0.0.0.0",
        "VOLUME [\"/data\", \"/logs\"]",
        "EXPOSE 8080",
        "/healthz",
    ] {
        assert!(dockerfile.contains(expected), "Dockerfile lacks {expected}");
    }
    // The settings the compose files set are real settings.
    let known: BTreeSet<&str> = timetracker::settings::SETTINGS
        .iter()
        .map(|s| s.env)
        .collect();
    let Some(compose) = compose_json() else {
        return;
    };
    let services = &compose["services"];
    let app = &services["app"];
    for var in app["environment"].as_object().unwrap().keys() {
        assert!(
            known.contains(var.as_str()),
            "compose sets {var}, which the app does not read"
        );
    }
    let env = |k: &str| app["environment"][k].as_str().unwrap().to_owned();
    assert_eq!(env("PORT"), "8080");
    assert_eq!(env("DATA_DIR"), "/data");
    assert_eq!(env("LOG_DIR"), "/logs");
    assert!(
        env("DATABASE_URL").contains("@db:5432/"),
        "the app must reach the db service"
    );
    assert!(services["db"].is_object());
    assert_eq!(app["ports"][0]["target"], 8080);
    let mounts: BTreeSet<(String, String)> = app["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["source"].as_str().unwrap().to_owned(),
                v["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        mounts.contains(&("app-data".into(), "/data".into())),
        "{mounts:?}"
    );
    assert!(
        mounts.contains(&("app-logs".into(), "/logs".into())),
        "{mounts:?}"
    );
    // Prometheus scrapes the app's real service name and port.
    assert!(read("config/deploy/prometheus/prometheus.yml").contains("targets: [\"app:8080\"]"));
    // Promtail reads the app's log volume at the app's log path.
    let promtail = &services["promtail"];
    assert!(
        promtail["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["source"] == "app-logs" && v["target"] == "/logs")
    );
    assert!(read("config/deploy/promtail/promtail.yml").contains("__path__: /logs/app.*.jsonl"));
    // The app sends telemetry to the collector's OTLP/HTTP port.
    assert_eq!(env("GRAFANA_OTLP_ENDPOINT"), "http://otel-collector:4318");
    assert!(read("config/deploy/otel-collector/config.yml").contains("endpoint: 0.0.0.0:4318"));
    // Grafana is provisioned with both datasources the dashboard uses.
    let ds = read("config/deploy/grafana/provisioning/datasources/datasources.yml");
    assert!(ds.contains("uid: prometheus") && ds.contains("uid: loki"));
    assert!(ds.contains("http://prometheus:9090") && ds.contains("http://loki:3100"));
    for name in ["prometheus", "loki", "grafana", "otel-collector"] {
        assert!(services[name].is_object(), "overlay lacks {name}");
    }
}

/// `docker compose config --format json` of the replicas file (with a
/// SECRET_KEY, which it requires), or `None` as for [`compose_json`].
fn replicas_compose_json() -> Option<serde_json::Value> {
    let out = Command::new("docker")
        .args(["compose", "-f", "config/deploy/docker-compose.replicas.yml"])
        .args(["config", "--format", "json"])
        .env("SECRET_KEY", "k".repeat(64))
        .current_dir(root())
        .output();
    match out {
        Ok(o) if o.status.success() => Some(serde_json::from_slice(&o.stdout).unwrap()),
        other => {
            let why = format!("{other:?}");
            assert!(
                !in_ci(),
                "docker compose is required in CI (run .ci/validate-deploy first): {why:.300}"
            );
            eprintln!(
                "\n*** SKIPPED: replicas compose cross-check (docker compose plugin not available; see .ci/validate-deploy) ***\n"
            );
            None
        }
    }
}

/// The replicas setup: three replicas with the same shared settings, each
/// with its own data and log volumes, nginx balancing exactly them, and
/// Prometheus scraping each one.
#[test]
fn replicas_compose_nginx_and_prometheus_agree() {
    let nginx = read("config/deploy/nginx/nginx.conf");
    let upstreams: Vec<&str> = nginx
        .lines()
        .filter_map(|l| l.trim().strip_prefix("server "))
        .filter(|l| l.ends_with(';'))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(upstreams, ["app-1:8080", "app-2:8080", "app-3:8080"]);
    assert!(nginx.contains("proxy_next_upstream error timeout http_502;"));
    assert!(nginx.contains("X-Forwarded-For $proxy_add_x_forwarded_for"));
    let prometheus = read("config/deploy/prometheus/prometheus.replicas.yml");
    assert!(
        prometheus.contains(r#"targets: ["app-1:8080", "app-2:8080", "app-3:8080"]"#),
        "{prometheus}"
    );
    let Some(compose) = replicas_compose_json() else {
        return;
    };
    let known: BTreeSet<&str> = timetracker::settings::SETTINGS
        .iter()
        .map(|s| s.env)
        .collect();
    let services = &compose["services"];
    let mut volumes = BTreeSet::new();
    for name in ["app-1", "app-2", "app-3"] {
        let app = &services[name];
        let env = app["environment"].as_object().unwrap();
        for var in env.keys() {
            assert!(known.contains(var.as_str()), "{name} sets unknown {var}");
        }
        assert_eq!(env["SECRET_KEY"], "k".repeat(64), "{name}");
        assert_eq!(env["PORT"], "8080");
        assert!(env["DATABASE_URL"].as_str().unwrap().contains("@db:5432/"));
        assert!(!env["TRUSTED_PROXIES"].as_str().unwrap().is_empty());
        assert!(app["ports"].is_null(), "{name} must be reached through lb");
        for v in app["volumes"].as_array().unwrap() {
            assert!(
                volumes.insert(v["source"].as_str().unwrap().to_owned()),
                "{name} shares volume {v}"
            );
        }
    }
    let lb = &services["lb"];
    assert_eq!(lb["ports"][0]["target"], 8080);
    assert!(
        lb["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["target"] == "/etc/nginx/nginx.conf")
    );
}

/// `nginx -t` accepts the shipped balancer configuration (its upstream
/// names pointed at loopback, as outside Docker they do not resolve).
#[test]
fn nginx_accepts_the_shipped_balancer_config() {
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    let Some(nginx) = nginx else {
        assert!(
            !in_ci(),
            "nginx is required in CI (apt-get install nginx-light)"
        );
        eprintln!(
            "\n*** SKIPPED: nginx -t of config/deploy/nginx/nginx.conf (nginx not installed) ***\n"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
    let conf = read("config/deploy/nginx/nginx.conf")
        .replace("app-1:8080", "127.0.0.1:1")
        .replace("app-2:8080", "127.0.0.1:2")
        .replace("app-3:8080", "127.0.0.1:3")
        .replace("listen 8080;", "listen 127.0.0.1:18080;");
    let path = dir.path().join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    let out = Command::new(nginx)
        .arg("-t")
        .arg("-p")
        .arg(format!("{}/", dir.path().display()))
        .arg("-c")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
