//! A scripted session of every tracked action, through the JSON API and
//! through the web UI (forms with CSRF tokens, like a browser without
//! JavaScript), against any running TimeTracker — the in-process test app or
//! the real binary (`tt-scripted-session`, used by `.ci/otelsink-check`).
//!
//! Every free-text field it fills in — usernames, e-mail addresses, client,
//! project and task names, descriptions, notes, tags, comments, passwords —
//! is a unique canary string ([`Canaries`]), so a test can prove that none of
//! them ever reaches the telemetry receiver.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

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

fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("HTTP client")
}

/// The API client of every suite: bearer-token requests to one base URL.
#[derive(Debug, Clone)]
pub struct Api {
    http: Client,
    base: String,
    /// The bearer token, once signed in (or set by a test).
    pub token: Option<String>,
}

impl Api {
    /// An anonymous client for `base` (`http://host:port`).
    pub fn new(base: &str) -> Self {
        Self::with_client(client(), base)
    }

    /// An anonymous client for `base` that sends through `http`.
    pub fn with_client(http: Client, base: &str) -> Self {
        Api {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token: None,
        }
    }

    /// The same client with `token` as its bearer token.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// A request with the token attached, to send as the test likes.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let rb = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    fn send(&self, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
        let mut rb = self.request(method, path);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let resp = rb.send().expect("API request");
        let status = resp.status().as_u16();
        let text = resp.text().expect("API body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    /// GET → (status, body).
    pub fn get(&self, path: &str) -> (u16, Value) {
        self.send(Method::GET, path, None)
    }

    /// POST JSON → (status, body).
    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(Method::POST, path, Some(body))
    }

    /// PUT JSON → (status, body).
    pub fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(Method::PUT, path, Some(body))
    }

    /// DELETE → (status, body).
    pub fn delete(&self, path: &str) -> (u16, Value) {
        self.send(Method::DELETE, path, None)
    }

    /// Sends and asserts the status; returns the body.
    pub fn expect(&self, method: Method, path: &str, body: Option<&Value>, status: u16) -> Value {
        let (s, b) = self.send(method.clone(), path, body);
        assert_eq!(s, status, "{method} {path} → {b}");
        b
    }

    /// POST and expect `status`; returns the body.
    pub fn post_ok(&self, path: &str, body: &Value, status: u16) -> Value {
        self.expect(Method::POST, path, Some(body), status)
    }

    /// Signs in with username and password; keeps the token.
    pub fn login(&mut self, username: &str, password: &str) {
        let body = self.expect(
            Method::POST,
            "/api/v1/auth/login",
            Some(&json!({"username": username, "password": password})),
            200,
        );
        self.token = Some(body["token"].as_str().expect("token").to_owned());
    }
}

/// One web response, read completely.
#[derive(Debug)]
pub struct Page {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: String,
}

impl Page {
    /// The `Location` header (empty if none).
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// A response header (empty if absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a 303 redirect to `to`.
    pub fn assert_redirect(&self, to: &str) {
        assert_eq!(
            self.status, 303,
            "expected a redirect to {to}:\n{}",
            self.body
        );
        assert_eq!(self.location(), to);
    }

    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no CSRF token in page:\n{}", self.body))
            + marker.len();
        let end = self.body[start..].find('"').expect("token end") + start;
        self.body[start..end].to_owned()
    }

    /// The number at the end of the redirect target, e.g. `/projects/7`.
    pub fn id_in_location(&self) -> i64 {
        id_in(self.location())
    }
}

fn id_in(location: &str) -> i64 {
    location
        .split('#')
        .next()
        .unwrap_or("")
        .rsplit('/')
        .find_map(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {location:?}"))
}

/// Every byte but the unreserved characters of RFC 3986.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes everything but the unreserved characters (RFC 3986),
/// for a query string or a form body.
pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

pub fn form_encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A browser session: keeps the session cookie by hand (it is `Secure`, so
/// a cookie jar would not send it over plain HTTP) and inspects redirects
/// instead of following them.
#[derive(Debug)]
pub struct Browser {
    http: Client,
    base: String,
    cookie: RefCell<Option<String>>,
    headers: RefCell<HeaderMap>,
}

impl Browser {
    /// A browser without a session.
    pub fn new(base: &str) -> Self {
        Browser {
            http: client(),
            base: base.trim_end_matches('/').to_owned(),
            cookie: RefCell::new(None),
            headers: RefCell::new(HeaderMap::new()),
        }
    }

    /// Sends `name: value` with every request from now on (a browser's
    /// `User-Agent`, say).
    pub fn set_header(&self, name: reqwest::header::HeaderName, value: &str) {
        self.headers
            .borrow_mut()
            .insert(name, value.parse().expect("header value"));
    }

    /// Uses a session cookie taken from another browser.
    pub fn set_session_cookie(&self, value: &str) {
        *self.cookie.borrow_mut() = Some(value.to_owned());
    }

    /// Sends any request with this session's cookie, keeping the cookie
    /// the server sets.
    pub fn send(&self, rb: RequestBuilder) -> Page {
        let rb = rb.headers(self.headers.borrow().clone());
        let rb = match self.cookie.borrow().as_ref() {
            Some(c) => rb.header(COOKIE, format!("tt_session={c}")),
            None => rb,
        };
        let resp = rb.send().expect("web request");
        for sc in resp.headers().get_all(SET_COOKIE) {
            let sc = sc.to_str().expect("ascii cookie");
            if let Some(rest) = sc.strip_prefix("tt_session=") {
                let value = rest.split(';').next().unwrap_or("");
                *self.cookie.borrow_mut() = (!value.is_empty()).then(|| value.to_owned());
            }
        }
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().expect("web body");
        Page {
            status,
            headers,
            body,
        }
    }

    /// GET a page.
    pub fn get(&self, path: &str) -> Page {
        self.send(self.http.get(format!("{}{path}", self.base)))
    }

    /// GET a page and assert 200.
    pub fn page(&self, path: &str) -> Page {
        let p = self.get(path);
        assert_eq!(p.status, 200, "GET {path}:\n{}", p.body);
        p
    }

    /// POST a form as is.
    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_raw(path, form_encode(fields))
    }

    /// POSTs a raw body as a form.
    pub fn post_raw(&self, path: &str, body: String) -> Page {
        self.send(
            self.http
                .post(format!("{}{path}", self.base))
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body),
        )
    }

    /// The value of the session cookie, if the server has set one.
    pub fn session_cookie(&self) -> Option<String> {
        self.cookie.borrow().clone()
    }

    /// Whether the server has given this browser a session cookie.
    pub fn has_session(&self) -> bool {
        self.cookie.borrow().is_some()
    }

    /// A fresh CSRF token from a page of this session (`/help`).
    pub fn token(&self) -> String {
        self.page("/help").csrf()
    }

    /// POSTs a form with the CSRF token of the page at `page_path`; the
    /// answer is returned as is.
    pub fn submit_from(&self, page_path: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.page(page_path).csrf();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(path, &all)
    }

    /// POSTs a form with a fresh CSRF token (from `/help`); the answer is
    /// returned as is.
    pub fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.submit_from("/help", path, fields)
    }

    /// [`Self::submit`], asserting the Post/Redirect/Get answer.
    pub fn submit_ok(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let p = self.submit(path, fields);
        assert_eq!(p.status, 303, "POST {path}:\n{}", p.body);
        p
    }

    /// A new browser, signed in through the login form.
    pub fn signed_in(base: &str, username: &str, password: &str) -> Self {
        let b = Browser::new(base);
        b.sign_in(username, password);
        b
    }

    /// Signs in through the login form.
    pub fn sign_in(&self, username: &str, password: &str) {
        let form = self.page("/login");
        let p = self.post(
            "/login",
            &[
                ("csrf_token", &form.csrf()),
                ("username", username),
                ("password", password),
                ("next", "/"),
            ],
        );
        assert_eq!(p.status, 303, "sign in as {username}:\n{}", p.body);
    }
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
        assert_eq!(id_in("/tasks/42#comments"), 42);
        assert_eq!(id_in("/projects/9"), 9);
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
