//! The settings reference, generated from [`Settings`] so it cannot drift:
//! `timetracker config docs` writes `docs/admin/configuration/settings.md`,
//! and a test fails when that file is stale.

use std::fmt::Write as _;

use crate::settings::{ENV_VARS, Settings};

/// What each setting means, by key. Every key of [`ENV_VARS`] has one (a
/// test checks both ways).
pub const DESCRIPTIONS: &[(&str, &str)] = &[
    (
        "database_url",
        "`postgres://…` for PostgreSQL, otherwise a SQLite file (`sqlite://` prefix optional). Default: `<data_dir>/timetracker.db`.",
    ),
    (
        "bind_addr",
        "Address to listen on; `0.0.0.0` for all interfaces.",
    ),
    ("port", "Port to listen on; `0` picks a free one."),
    ("data_dir", "Database, secret key and `installation.json`."),
    (
        "log_dir",
        "Directory of `app.jsonl` and its daily rotations.",
    ),
    (
        "secret_key",
        "Signs and encrypts session cookies (at least 64 characters). Generated once into `<data_dir>/secret_key` when unset. Replicas must share it.",
    ),
    (
        "cookie_secure",
        "When session cookies are marked `Secure`: `auto` when the request came over HTTPS (directly, or through a proxy in `TRUSTED_PROXIES` that says so in `X-Forwarded-Proto` or `Forwarded`); `true` always (HTTPS only; browsers make an exception for `http://localhost`, and a plain-HTTP login page says why it cannot work); `false` never. `Strict-Transport-Security` is sent with `Secure` cookies.",
    ),
    ("session_ttl_hours", "Lifetime of a browser login session."),
    (
        "default_time_zone",
        "IANA time zone (e.g. `Europe/Berlin`, `America/New_York`) in which users who have not chosen their own on their profile type and read times; \"today\", weeks and report days follow it. Storage is always UTC.",
    ),
    (
        "week_start",
        "First day of the week (`monday`, `sunday` or `saturday`) for users who have not chosen their own: \"this week\" on the dashboard and weekly totals.",
    ),
    (
        "login_max_failures",
        "Login attempts per username and client address within the window (a hundred times as many per address) before `429` with `Retry-After`. Counted before the password is checked, in the database, so replicas share the count; failures from one address never lock the user out from another.",
    ),
    (
        "login_window_minutes",
        "The window of the login limits (a sliding allowance).",
    ),
    (
        "trusted_proxies",
        "Reverse proxies whose `X-Forwarded-For` names the client, as addresses or networks (`127.0.0.1,10.0.0.0/8`). Empty: the TCP peer is the client and the header is ignored.",
    ),
    (
        "db_pool_size",
        "Maximum database connections per server process.",
    ),
    ("workers", "HTTP worker threads; `0` means one per CPU."),
    (
        "shutdown_drain_seconds",
        "On SIGTERM or SIGINT: seconds during which `/readyz` already answers `503` while new connections are still served, so a load balancer that polls `/readyz` stops sending traffic first. Set it above the balancer's check interval (Kubernetes, Traefik, HAProxy); `0` closes the listener at once (nginx, which retries refused connections on another replica).",
    ),
    (
        "shutdown_timeout_seconds",
        "Once the listener is closed: seconds the requests in flight get to finish. Then queued telemetry is sent (at most 5 s more) and the logs are flushed; the process exits 0. Give the orchestrator's stop grace period more than drain + timeout + 10 s.",
    ),
    (
        "log_level",
        "Log filter, e.g. `info` or `tt_http=debug,info`.",
    ),
    (
        "log_format",
        "Console log format: `text`, `json` or `off`. The JSON file log is always written.",
    ),
    (
        "log_retention_files",
        "Daily log files kept in `log_dir`; `0` keeps all.",
    ),
    (
        "log_client_ip",
        "Include the client address in access-log lines (off: addresses are personal data).",
    ),
    (
        "metrics_token",
        "Bearer token required by `GET /metrics`; unset leaves it open.",
    ),
    (
        "metrics_enabled",
        "Count requests and serve `GET /metrics`. `false` records nothing and answers `/metrics` with 404.",
    ),
    (
        "otel_exporter_otlp_endpoint",
        "Your own OpenTelemetry collector (OTLP/HTTP base URL, e.g. `http://collector:4318`): one span per request goes to `<endpoint>/v1/traces`, incoming `traceparent` headers are honoured and log lines carry the `trace_id`. Unset: no tracing. The product telemetry sink never reads any `OTEL_*` variable. The exporter also honours the standard `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` variables.",
    ),
    (
        "otel_exporter_otlp_traces_endpoint",
        "Full URL for spans; overrides `otel_exporter_otlp_endpoint`.",
    ),
    ("otel_service_name", "`service.name` of the exported spans."),
    (
        "installation_config_dir",
        "Directory of `installation.json` (identity and consent). Default: `data_dir`. On PostgreSQL the database holds the shared copy and this file only seeds it.",
    ),
    (
        "installation_refresh_seconds",
        "How often a replica re-reads the shared installation state.",
    ),
    (
        "do_not_track",
        "`1` switches all telemetry off; no UI can turn it back on.",
    ),
    (
        "enable_telemetry",
        "`false` switches all telemetry off; `true` gives base (heartbeat) consent for unattended installs. Detailed analytics always need an administrator's opt-in.",
    ),
    (
        "grafana_otlp_endpoint",
        "OTLP/HTTP endpoint of the telemetry sink (`/v1/logs` is appended when the path is missing). Empty disables an endpoint embedded in an official build.",
    ),
    (
        "grafana_otlp_token",
        "Token for the sink: `instance:token` (Grafana Cloud, sent as Basic) or a bearer token.",
    ),
    (
        "grafana_otlp_protocol",
        "`http/protobuf` (default) or `http/json`.",
    ),
    (
        "telemetry_debug",
        "Write telemetry payloads to the log instead of sending them.",
    ),
    (
        "telemetry_heartbeat_interval",
        "Interval of the base heartbeat, e.g. `24h` (default), `90m`, or seconds (at least 60). However many replicas run, and however often they restart, the installation sends one heartbeat per interval: each one is claimed in the shared database first.",
    ),
    (
        "telemetry_test_short_intervals",
        "**For tests only.** Accept heartbeat intervals down to one second, so a test can watch several intervals pass. Never set it in production.",
    ),
    (
        "sentry_dsn",
        "Sentry DSN for error reports. Empty disables a DSN embedded in an official build (which is used only while detailed consent holds).",
    ),
    (
        "sentry_traces_rate",
        "Share of requests traced to Sentry, 0.0–1.0.",
    ),
    (
        "sentry_environment",
        "Sentry environment name (default `production`).",
    ),
];

/// The Markdown reference of every setting, with its environment variable
/// and default.
pub fn settings_markdown() -> String {
    let defaults = toml::Table::try_from(Settings::default()).unwrap_or_default();
    let mut out = String::from(
        "# Settings reference\n\n\
         <!-- Generated by `timetracker config docs`; do not edit by hand. -->\n\n\
         Settings come from built-in defaults, then every `config/*.toml` file in name\n\
         order (directory from `CONFIG_DIR`, default `config`), then these environment\n\
         variables. `timetracker config show` prints the effective values with secrets\n\
         redacted.\n\n\
         | environment variable | key in `config/*.toml` | default | meaning |\n\
         |---|---|---|---|\n",
    );
    for (var, key) in ENV_VARS {
        let default = match defaults.get(*key) {
            Some(toml::Value::String(s)) if s.is_empty() || s == "***" => "—".to_owned(),
            Some(toml::Value::String(s)) => format!("`{s}`"),
            Some(v) => format!("`{v}`"),
            None => "—".to_owned(),
        };
        let meaning = DESCRIPTIONS
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, d)| *d);
        let _ = writeln!(out, "| `{var}` | `{key}` | {default} | {meaning} |");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_is_described_and_nothing_else() {
        for (var, key) in ENV_VARS {
            assert!(
                DESCRIPTIONS.iter().any(|(k, _)| k == key),
                "{var} ({key}) has no description"
            );
        }
        for (key, _) in DESCRIPTIONS {
            assert!(
                ENV_VARS.iter().any(|(_, k)| k == key),
                "description for unknown setting {key}"
            );
        }
    }

    #[test]
    fn the_reference_in_docs_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs/admin/configuration/settings.md");
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == settings_markdown(),
            "{} is stale: run `cargo run -p timetracker -- config docs > docs/admin/configuration/settings.md`",
            path.display()
        );
    }
}
