//! A scripted session of every tracked action, through the JSON API and
//! through the web UI (forms with CSRF tokens, like a browser without
//! JavaScript), against any running TimeTracker — the in-process test app or
//! the real binary (`tt-scripted-session`, used by `.ci/otelsink-check`).
//!
//! Every free-text field it fills in — usernames, e-mail addresses, client,
//! project and task names, descriptions, notes, tags, comments, passwords —
//! is a unique canary string ([`Canaries`]), so a test can prove that none of
//! them ever reaches the telemetry receiver.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

pub use tt_testkit::http::{Api, Browser, Page, form_encode, percent_encode};

/// Unique marker strings planted in every free-text field of the session.
#[derive(Debug, Clone)]
pub struct Canaries {
    /// A random tag making this run's canaries unique.
    pub run: String,
}

impl Canaries {
    /// Fresh canaries for one run.
    pub fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let n = u64::try_from(nanos % u128::from(u64::MAX)).unwrap_or(0)
            ^ (u64::from(std::process::id()) << 32);
        Canaries {
            run: format!("{n:016x}"),
        }
    }

    /// Canaries with a given run tag (letters, digits and `-` only).
    pub fn with_run(run: &str) -> Self {
        Canaries {
            run: run.to_owned(),
        }
    }

    /// The canary for one field, e.g. `canary-project-<run>`.
    pub fn of(&self, what: &str) -> String {
        format!("canary-{what}-{}", self.run)
    }

    /// An e-mail address canary.
    pub fn email(&self, who: &str) -> String {
        format!("canary-{who}-{}@example.org", self.run)
    }

    /// The username of the administrator the session signs in as.
    pub fn admin(&self) -> String {
        self.of("admin")
    }

    /// The administrator's password (a canary too).
    pub fn admin_password(&self) -> String {
        self.of("password")
    }

    /// Every canary the session may have written: each must never leave the
    /// server. The common marker `canary-` plus the run tag is enough to
    /// find any of them, but each is listed for clear failure messages.
    pub fn all(&self) -> Vec<String> {
        let mut all: Vec<String> = [
            "admin",
            "password",
            "user",
            "client",
            "client2",
            "project",
            "project2",
            "desc",
            "task",
            "task2",
            "note",
            "tag",
            "comment",
            "doomed",
            "webclient",
            "webproject",
            "webtask",
            "webnote",
            "webtag",
            "webcomment",
            "webuser",
            "webdesc",
        ]
        .iter()
        .map(|w| self.of(w))
        .collect();
        for who in ["user", "client", "doomed", "webuser", "webclient"] {
            all.push(self.email(who));
        }
        all.push(self.run.clone());
        all
    }
}

impl Default for Canaries {
    fn default() -> Self {
        Self::new()
    }
}

/// What the session did.
#[derive(Debug, Default, Clone)]
pub struct SessionReport {
    /// The catalog names of the events the session's actions should emit.
    pub events: BTreeSet<&'static str>,
    /// The route templates of the HTML pages it viewed.
    pub pages: BTreeSet<&'static str>,
}

/// The whole script: the JSON API first, then the web UI. `base` is the
/// app's URL; the administrator `canaries.admin()` with password
/// `canaries.admin_password()` must exist.
pub fn scripted_session(base: &str, canaries: &Canaries) -> SessionReport {
    let mut report = SessionReport::default();
    api_session(base, canaries, &mut report);
    web_session(base, canaries, &mut report);
    report
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

/// Every tracked action through `/api/v1`.
pub fn api_session(base: &str, c: &Canaries, report: &mut SessionReport) {
    let ev = &mut report.events;
    let mut api = Api::new(base);
    let (s, _) = api.post(
        "/api/v1/auth/login",
        &json!({"username": c.admin(), "password": c.of("wrong-password")}),
    );
    assert_eq!(s, 401);
    ev.insert("auth.login_failed");
    api.login(&c.admin(), &c.admin_password());
    ev.extend(["auth.login", "auth.api_token_created"]);

    let user = api.expect(
        Method::POST,
        "/api/v1/users",
        Some(
            &json!({"username": c.of("user"), "password": c.of("password"),
                     "email": c.email("user"), "role": "user"}),
        ),
        201,
    );
    let uid = id(&user);
    ev.insert("admin.user_created");
    api.expect(
        Method::PUT,
        &format!("/api/v1/users/{uid}"),
        Some(&json!({"role": "admin", "active": true})),
        200,
    );
    api.expect(
        Method::PUT,
        &format!("/api/v1/users/{uid}"),
        Some(&json!({"role": "user", "active": true})),
        200,
    );
    ev.insert("admin.user_role_changed");

    let client = api.expect(
        Method::POST,
        "/api/v1/clients",
        Some(&json!({"name": c.of("client"), "email": c.email("client"), "default_hourly_rate": "80"})),
        201,
    );
    let cid = id(&client);
    ev.insert("client.created");
    api.expect(
        Method::PUT,
        &format!("/api/v1/clients/{cid}"),
        Some(&json!({"name": c.of("client2"), "email": c.email("client"), "default_hourly_rate": "85"})),
        200,
    );
    ev.insert("client.updated");

    let project = api.expect(
        Method::POST,
        "/api/v1/projects",
        Some(
            &json!({"name": c.of("project"), "client_id": cid, "description": c.of("desc"),
                     "hourly_rate": "100"}),
        ),
        201,
    );
    let pid = id(&project);
    ev.insert("project.created");
    api.expect(
        Method::PUT,
        &format!("/api/v1/projects/{pid}"),
        Some(
            &json!({"name": c.of("project2"), "client_id": cid, "description": c.of("desc"),
                     "hourly_rate": "100"}),
        ),
        200,
    );
    ev.insert("project.updated");

    let task = api.expect(
        Method::POST,
        "/api/v1/tasks",
        Some(&json!({"project_id": pid, "name": c.of("task"), "description": c.of("desc")})),
        201,
    );
    let tid = id(&task);
    ev.insert("task.created");
    api.expect(
        Method::PUT,
        &format!("/api/v1/tasks/{tid}"),
        Some(
            &json!({"project_id": pid, "name": c.of("task"), "status": "in_progress",
                     "assignee_id": uid, "due_date": "2030-01-31"}),
        ),
        200,
    );
    ev.extend(["task.status_changed", "task.assigned"]);

    let comment = api.expect(
        Method::POST,
        "/api/v1/comments",
        Some(&json!({"task_id": tid, "body": c.of("comment")})),
        201,
    );
    ev.insert("comment.created");
    api.expect(
        Method::DELETE,
        &format!("/api/v1/comments/{}", id(&comment)),
        None,
        204,
    );
    ev.insert("comment.deleted");

    api.expect(
        Method::POST,
        "/api/v1/timer/start",
        Some(&json!({"project_id": pid, "task_id": tid, "notes": c.of("note"), "tags": [c.of("tag")]})),
        201,
    );
    api.expect(Method::POST, "/api/v1/timer/stop", None, 200);
    ev.extend(["timer.started", "timer.stopped"]);

    let entry = api.expect(
        Method::POST,
        "/api/v1/time-entries",
        Some(
            &json!({"project_id": pid, "task_id": tid, "start": "2024-02-01T09:00:00Z",
                     "end": "2024-02-01T10:30:00Z", "notes": c.of("note"), "tags": [c.of("tag")],
                     "billable": true}),
        ),
        201,
    );
    ev.insert("time_entry.created");
    api.expect(
        Method::PUT,
        &format!("/api/v1/time-entries/{}", id(&entry)),
        Some(&json!({"project_id": pid, "start": "2024-02-01T09:00:00Z", "end": "2024-02-01T11:00:00Z",
                     "notes": c.of("note"), "tags": [c.of("tag")], "billable": true})),
        200,
    );
    ev.insert("time_entry.updated");
    let scratch = api.expect(
        Method::POST,
        "/api/v1/time-entries",
        Some(&json!({"project_id": pid, "start": "2024-01-05T09:00:00Z", "end": "2024-01-05T09:15:00Z",
                     "notes": c.of("note")})),
        201,
    );
    api.expect(
        Method::DELETE,
        &format!("/api/v1/time-entries/{}", id(&scratch)),
        None,
        204,
    );
    ev.insert("time_entry.deleted");

    let invoice = api.expect(
        Method::POST,
        "/api/v1/invoices",
        Some(
            &json!({"client_id": cid, "from": "2024-02-01", "to": "2024-02-29", "tax_rate": "19"}),
        ),
        201,
    );
    ev.insert("invoice.created");
    api.expect(
        Method::PUT,
        &format!("/api/v1/invoices/{}/status", id(&invoice)),
        Some(&json!({"status": "sent"})),
        200,
    );
    ev.insert("invoice.status_changed");

    api.expect(
        Method::GET,
        "/api/v1/reports/summary?from=2024-01-01&to=2024-03-31&group_by=user",
        None,
        200,
    );
    ev.insert("report.summary_viewed");
    let (s, _) = api.get("/api/v1/reports/entries.csv?from=2024-01-01&to=2024-03-31");
    assert_eq!(s, 200);
    ev.insert("report.csv_exported");

    let doomed = api.expect(
        Method::POST,
        "/api/v1/tasks",
        Some(&json!({"project_id": pid, "name": c.of("task2")})),
        201,
    );
    api.expect(
        Method::DELETE,
        &format!("/api/v1/tasks/{}", id(&doomed)),
        None,
        204,
    );
    ev.insert("task.deleted");
    let spare = api.expect(
        Method::POST,
        "/api/v1/projects",
        Some(&json!({"name": c.of("project2")})),
        201,
    );
    api.expect(
        Method::DELETE,
        &format!("/api/v1/projects/{}", id(&spare)),
        None,
        204,
    );
    ev.insert("project.deleted");
    api.expect(
        Method::PUT,
        &format!("/api/v1/projects/{pid}"),
        Some(&json!({"name": c.of("project2"), "client_id": cid, "archived": true})),
        200,
    );
    ev.insert("project.archived");
    api.expect(
        Method::PUT,
        &format!("/api/v1/clients/{cid}"),
        Some(&json!({"name": c.of("client2"), "archived": true})),
        200,
    );
    ev.insert("client.archived");

    let gone = api.expect(
        Method::POST,
        "/api/v1/users",
        Some(
            &json!({"username": c.of("doomed"), "password": c.of("password"),
                     "email": c.email("doomed"), "role": "user"}),
        ),
        201,
    );
    api.expect(
        Method::DELETE,
        &format!("/api/v1/users/{}?entries=delete", id(&gone)),
        None,
        200,
    );
    ev.insert("admin.user_deleted");
    for format in ["json", "csv"] {
        let (s, _) = api.get(&format!("/api/v1/me/export?format={format}"));
        assert_eq!(s, 200, "export {format}");
    }
    ev.insert("admin.data_exported");

    api.expect(Method::POST, "/api/v1/auth/logout", None, 204);
    ev.extend(["auth.logout", "auth.api_token_revoked"]);
}

/// Every tracked action through the web UI, visiting every page.
pub fn web_session(base: &str, c: &Canaries, report: &mut SessionReport) {
    let ev = &mut report.events;
    let pages = &mut report.pages;
    let b = Browser::new(base);
    let form = b.page("/login");
    pages.insert("/login");
    let p = b.post(
        "/login",
        &[
            ("csrf_token", &form.csrf()),
            ("username", &c.admin()),
            ("password", &c.of("wrong-password")),
            ("next", "/"),
        ],
    );
    assert_eq!(p.status, 401, "{}", p.body);
    ev.insert("auth.login_failed");
    b.sign_in(&c.admin(), &c.admin_password());
    ev.insert("auth.login");
    ev.insert("page.viewed");

    b.page("/help");
    pages.insert("/help");

    // Clients.
    b.page("/clients");
    pages.insert("/clients");
    b.submit_ok(
        "/clients",
        &[
            ("name", &c.of("webclient")),
            ("email", &c.email("webclient")),
            ("default_hourly_rate", "90"),
        ],
    );
    ev.insert("client.created");
    let clients_page = b.page("/clients?archived=1");
    let cid = last_id_after(&clients_page.body, "/clients/", "/edit");
    b.page(&format!("/clients/{cid}/edit"));
    pages.insert("/clients/{id}/edit");
    b.submit_ok(
        &format!("/clients/{cid}/edit"),
        &[
            ("name", &c.of("webclient")),
            ("email", &c.email("webclient")),
            ("default_hourly_rate", "95"),
        ],
    );
    ev.insert("client.updated");

    // Projects.
    b.page("/projects");
    pages.insert("/projects");
    let cid_s = cid.to_string();
    let p = b.submit_ok(
        "/projects",
        &[
            ("name", &c.of("webproject")),
            ("client_id", &cid_s),
            ("description", &c.of("webdesc")),
            ("billable", "on"),
            ("hourly_rate", "120"),
        ],
    );
    ev.insert("project.created");
    let pid = p.id_in_location();
    let pid_s = pid.to_string();
    b.page(&format!("/projects/{pid}"));
    pages.insert("/projects/{id}");
    b.page(&format!("/projects/{pid}/edit"));
    pages.insert("/projects/{id}/edit");
    b.submit_ok(
        &format!("/projects/{pid}/edit"),
        &[
            ("name", &c.of("webproject")),
            ("client_id", &cid_s),
            ("description", &c.of("webdesc")),
            ("billable", "on"),
            ("hourly_rate", "125"),
        ],
    );
    ev.insert("project.updated");

    // Timer on the dashboard.
    b.page("/");
    pages.insert("/");
    b.submit_ok(
        "/timer/start",
        &[("project_id", &pid_s), ("notes", &c.of("webnote"))],
    );
    b.submit_ok("/timer/stop", &[]);
    ev.extend(["timer.started", "timer.stopped"]);

    // Entries.
    b.page("/entries");
    pages.insert("/entries");
    let entry = [
        ("project_id", pid_s.as_str()),
        ("date", "2024-03-05"),
        ("start_time", "09:00"),
        ("end_time", "11:00"),
        ("billable", "yes"),
    ];
    let note = c.of("webnote");
    let tag = c.of("webtag");
    let mut fields = entry.to_vec();
    fields.extend([("notes", note.as_str()), ("tags", tag.as_str())]);
    b.submit_ok("/entries", &fields);
    ev.insert("time_entry.created");
    let list = b.page("/entries?from=2024-03-05&to=2024-03-05");
    let eid = last_id_after(&list.body, "/entries/", "/edit");
    b.page(&format!("/entries/{eid}/edit"));
    pages.insert("/entries/{id}/edit");
    b.submit_ok(
        &format!("/entries/{eid}/edit"),
        &[
            ("project_id", &pid_s),
            ("date", "2024-03-05"),
            ("start_time", "09:00"),
            ("end_time", "11:30"),
            ("notes", &note),
            ("tags", &tag),
            ("billable", "yes"),
        ],
    );
    ev.insert("time_entry.updated");
    b.submit_ok(
        "/entries",
        &[
            ("project_id", &pid_s),
            ("date", "2024-04-09"),
            ("start_time", "08:00"),
            ("end_time", "08:30"),
            ("notes", &note),
        ],
    );
    let list = b.page("/entries?from=2024-04-09&to=2024-04-09");
    let scratch = last_id_after(&list.body, "/entries/", "/edit");
    b.submit_ok(&format!("/entries/{scratch}/delete"), &[]);
    ev.insert("time_entry.deleted");

    // Tasks and comments.
    b.page("/tasks");
    pages.insert("/tasks");
    let p = b.submit_ok(
        "/tasks",
        &[
            ("project_id", &pid_s),
            ("name", &c.of("webtask")),
            ("description", &c.of("webdesc")),
            ("status", "todo"),
        ],
    );
    ev.insert("task.created");
    let tid = p.id_in_location();
    let tid_s = tid.to_string();
    b.page(&format!("/tasks/{tid}"));
    pages.insert("/tasks/{id}");
    let assignee = {
        let users = b.page("/admin/users");
        pages.insert("/admin/users");
        last_id_after(&users.body, "/admin/users/", "\"")
    };
    b.submit_ok(
        &format!("/tasks/{tid}"),
        &[
            ("project_id", &pid_s),
            ("name", &c.of("webtask")),
            ("status", "review"),
            ("assignee_id", &assignee.to_string()),
        ],
    );
    ev.extend(["task.status_changed", "task.assigned"]);
    b.submit_ok(
        "/comments",
        &[("task_id", &tid_s), ("body", &c.of("webcomment"))],
    );
    ev.insert("comment.created");
    let task_page = b.page(&format!("/tasks/{tid}"));
    let comment = last_id_after(&task_page.body, "/comments/", "/delete");
    b.submit_ok(&format!("/comments/{comment}/delete"), &[]);
    ev.insert("comment.deleted");
    b.submit_ok(
        "/comments",
        &[("project_id", &pid_s), ("body", &c.of("webcomment"))],
    );
    b.submit_ok(&format!("/tasks/{tid}/delete"), &[]);
    ev.insert("task.deleted");

    // Invoices from the billable entry of 2024-03-05.
    b.page("/invoices");
    pages.insert("/invoices");
    let p = b.submit_ok(
        "/invoices",
        &[
            ("client_id", &cid_s),
            ("from", "2024-03-01"),
            ("to", "2024-03-31"),
            ("tax_rate", "10"),
            ("issue_date", "2024-04-01"),
        ],
    );
    ev.insert("invoice.created");
    let iid = p.id_in_location();
    b.page(&format!("/invoices/{iid}"));
    b.page(&format!("/invoices/{iid}/print"));
    pages.extend(["/invoices/{id}", "/invoices/{id}/print"]);
    ev.insert("invoice.viewed");
    b.submit_ok(&format!("/invoices/{iid}/status"), &[("status", "sent")]);
    ev.insert("invoice.status_changed");

    // Reports.
    b.page("/reports?from=2024-03-01&to=2024-03-31&group_by=day");
    pages.insert("/reports");
    ev.insert("report.summary_viewed");
    let csv = b.get("/reports/entries.csv?from=2024-03-01&to=2024-03-31");
    assert_eq!(csv.status, 200);
    ev.insert("report.csv_exported");

    // Archiving through the web UI.
    b.submit_ok(
        &format!("/projects/{pid}/edit"),
        &[
            ("name", &c.of("webproject")),
            ("client_id", &cid_s),
            ("billable", "on"),
            ("archived", "on"),
        ],
    );
    ev.insert("project.archived");
    b.submit_ok(&format!("/clients/{cid}/archive"), &[("archived", "1")]);
    ev.insert("client.archived");

    // Admin: users.
    b.submit_ok(
        "/admin/users",
        &[
            ("username", &c.of("webuser")),
            ("email", &c.email("webuser")),
            ("password", &c.of("password")),
            ("role", "user"),
        ],
    );
    ev.insert("admin.user_created");
    let users = b.page("/admin/users");
    let new_user = last_id_after(&users.body, "/admin/users/", "\"");
    b.submit_ok(
        &format!("/admin/users/{new_user}"),
        &[("role", "admin"), ("active", "on")],
    );
    ev.insert("admin.user_role_changed");

    b.page("/admin/telemetry");
    pages.insert("/admin/telemetry");

    b.submit_ok("/logout", &[]);
    ev.insert("auth.logout");
}

/// The numbers `n` in `{prefix}{n}{suffix}` occurring in `body`.
fn ids_between(body: &str, prefix: &str, suffix: &str) -> Vec<i64> {
    body.match_indices(prefix)
        .filter_map(|(i, _)| {
            let rest = &body[i + prefix.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let after = &rest[digits.len()..];
            (!digits.is_empty() && after.starts_with(suffix))
                .then(|| digits.parse().ok())
                .flatten()
        })
        .collect()
}

fn last_id_after(body: &str, prefix: &str, suffix: &str) -> i64 {
    ids_between(body, prefix, suffix)
        .into_iter()
        .max()
        .unwrap_or_else(|| panic!("no {prefix}N{suffix} in page:\n{body}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_between_markers() {
        let body = r#"<form action="/admin/users/7" method="post"><a href="/entries/12/edit">"#;
        assert_eq!(ids_between(body, "/admin/users/", "\""), [7]);
        assert_eq!(ids_between(body, "/entries/", "/edit"), [12]);
    }

    #[test]
    fn canaries_are_unique_and_valid_usernames() {
        let a = Canaries::new();
        assert!(a.all().iter().all(|s| s.contains(&a.run)));
        assert!(a.admin().len() <= 64);
        assert!(
            a.admin()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        );
    }
}
