//! Plain HTTP clients every suite shares: [`Api`] (JSON with a bearer
//! token) and [`Browser`] (HTML forms with the session cookie kept by hand),
//! with the percent-encoding both use.

use std::cell::RefCell;
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

/// The client the suites use: no redirects followed, a minute at most.
pub fn client() -> Client {
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

/// A form body (`application/x-www-form-urlencoded`).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_from_redirect_targets() {
        assert_eq!(id_in("/tasks/42#comments"), 42);
        assert_eq!(id_in("/projects/9"), 9);
        assert_eq!(form_encode(&[("a b", "x&y=é")]), "a%20b=x%26y%3D%C3%A9");
    }
}
