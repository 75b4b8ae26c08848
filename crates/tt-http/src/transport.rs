//! How a request reached the server — over HTTPS or plain HTTP — and what
//! that means for the session cookie: `Secure` when the connection is
//! HTTPS (directly, or as a trusted reverse proxy says), never a cookie
//! the browser will silently drop without the page saying why.

use std::str::FromStr;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, web};

use crate::state::AppState;

/// When session cookies carry the `Secure` attribute (`COOKIE_SECURE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CookieSecure {
    /// When the request came over HTTPS: directly, or through a trusted
    /// reverse proxy that says so in `X-Forwarded-Proto` or `Forwarded`.
    #[default]
    Auto,
    /// Always (HTTPS only; browsers make an exception for `localhost`).
    Always,
    /// Never (plain HTTP on a trusted network).
    Never,
}

impl FromStr for CookieSecure {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(CookieSecure::Auto),
            "true" | "1" | "yes" | "on" | "always" => Ok(CookieSecure::Always),
            "false" | "0" | "no" | "off" | "never" => Ok(CookieSecure::Never),
            _ => Err(format!("{s:?} is not auto, true or false")),
        }
    }
}

impl CookieSecure {
    /// The setting's value as written in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            CookieSecure::Auto => "auto",
            CookieSecure::Always => "true",
            CookieSecure::Never => "false",
        }
    }
}

/// What the pages need to know about this request's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transport {
    /// The browser reached us over HTTPS.
    pub https: bool,
    /// The session cookie will be marked `Secure` on a plain-HTTP page of
    /// a host that is not `localhost`: the browser will drop it, and no
    /// form can be submitted.
    pub cookie_dropped: bool,
}

/// What a page says when [`Transport::cookie_dropped`].
pub(crate) const COOKIE_DROPPED_HELP: &str = "Your browser will not keep the sign-in cookie: this \
server marks it Secure (COOKIE_SECURE=true), which browsers accept only over HTTPS, and this page \
came over plain HTTP. Open the site over HTTPS, or let the server decide per request with \
COOKIE_SECURE=auto (the default) and restart it.";

/// Whether `host` (a `Host` header, port included or not) is this
/// machine, where browsers accept `Secure` cookies over plain HTTP.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `https` as the trusted proxy in front of us reports it: the first
/// `X-Forwarded-Proto` value, else `proto=` of the first `Forwarded`
/// element.
fn forwarded_https(req: &HttpRequest) -> bool {
    let headers = req.headers();
    if let Some(v) = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        return v
            .split(',')
            .next()
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    }
    headers
        .get(header::FORWARDED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|first| {
            first.split(';').any(|pair| {
                pair.split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("proto")
                        && v.trim().trim_matches('"').eq_ignore_ascii_case("https")
                })
            })
        })
}

/// How `req` reached us, under `policy` and the trusted proxies.
pub(crate) fn transport(
    req: &HttpRequest,
    policy: CookieSecure,
    trusted: &[ipnet::IpNet],
) -> Transport {
    let peer_trusted = req
        .peer_addr()
        .is_some_and(|a| trusted.iter().any(|net| net.contains(&a.ip())));
    let https = req.app_config().secure() || (peer_trusted && forwarded_https(req));
    let host = req.connection_info().host().to_owned();
    Transport {
        https,
        cookie_dropped: policy == CookieSecure::Always && !https && !is_loopback_host(&host),
    }
}

/// Notes the request's [`Transport`] for the pages and, under
/// `COOKIE_SECURE=auto`, marks the cookies of an HTTPS response `Secure`
/// and tells the browser to stay on HTTPS (`Strict-Transport-Security`);
/// under `true`, every response carries that header.
pub(crate) async fn secure_cookies(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let (policy, t) = match req.app_data::<web::Data<AppState>>() {
        Some(state) => {
            let policy = state.settings.cookie_secure;
            (
                policy,
                transport(req.request(), policy, &state.settings.trusted_proxies),
            )
        }
        None => (
            CookieSecure::Never,
            transport(req.request(), CookieSecure::Never, &[]),
        ),
    };
    req.extensions_mut().insert(t);
    // The session middleware, next inside, keeps the user it loads with
    // the session in this request's slot (see `session_store`).
    let mut res =
        crate::session_store::with_loaded_user_slot(async move { next.call(req).await }).await?;
    let hsts = match policy {
        CookieSecure::Always => true,
        CookieSecure::Auto => t.https,
        CookieSecure::Never => false,
    };
    let headers = res.headers_mut();
    if policy == CookieSecure::Auto && t.https {
        let cookies: Vec<HeaderValue> = headers.get_all(header::SET_COOKIE).cloned().collect();
        if !cookies.is_empty() {
            headers.remove(header::SET_COOKIE);
            for c in cookies {
                let marked = match c.to_str() {
                    Ok(text) if !has_secure(text) => {
                        HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(c)
                    }
                    _ => c,
                };
                headers.append(header::SET_COOKIE, marked);
            }
        }
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    Ok(res)
}

fn has_secure(cookie: &str) -> bool {
    cookie
        .split(';')
        .skip(1)
        .any(|attr| attr.trim().eq_ignore_ascii_case("secure"))
}

/// What a page must say about this request's cookie, if the browser is
/// going to drop it.
pub(crate) fn cookie_warning(req: &HttpRequest) -> Option<&'static str> {
    req.extensions()
        .get::<Transport>()
        .filter(|t| t.cookie_dropped)
        .map(|_| COOKIE_DROPPED_HELP)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn settings_values() {
        let parse = |s: &str| s.parse::<CookieSecure>();
        assert_eq!(parse("auto"), Ok(CookieSecure::Auto));
        assert_eq!(parse(" TRUE "), Ok(CookieSecure::Always));
        assert_eq!(parse("false"), Ok(CookieSecure::Never));
        assert!(parse("sometimes").is_err());
    }

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "localhost:8080",
            "app.localhost",
            "127.0.0.1:80",
            "[::1]:8080",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "timetracker.lan",
            "192.168.1.20:8080",
            "[fe80::1]:80",
            "localhost.example",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    fn proxy() -> Vec<ipnet::IpNet> {
        vec!["10.0.0.0/8".parse().expect("net")]
    }

    #[test]
    fn https_only_as_a_trusted_proxy_says() {
        let via = |peer: &str, name: &str, value: &str| {
            let req = TestRequest::default()
                .peer_addr(peer.parse().expect("addr"))
                .insert_header(("host", "tt.example.com"))
                .insert_header((name, value))
                .to_http_request();
            transport(&req, CookieSecure::Auto, &proxy()).https
        };
        assert!(via("10.0.0.5:4000", "x-forwarded-proto", "https"));
        assert!(via("10.0.0.5:4000", "forwarded", "for=1.2.3.4;proto=https"));
        assert!(!via("10.0.0.5:4000", "x-forwarded-proto", "http"));
        // Anybody else can claim it; nobody believes them.
        assert!(!via("203.0.113.9:4000", "x-forwarded-proto", "https"));
    }

    #[test]
    fn a_dropped_cookie_is_noticed_on_plain_http_to_a_lan_host() {
        let plain = |host: &str, policy| {
            let req = TestRequest::default()
                .peer_addr("192.168.1.7:5000".parse().expect("addr"))
                .insert_header(("host", host))
                .to_http_request();
            transport(&req, policy, &[]).cookie_dropped
        };
        assert!(plain("timetracker.lan:8080", CookieSecure::Always));
        assert!(!plain("localhost:8080", CookieSecure::Always));
        assert!(!plain("timetracker.lan:8080", CookieSecure::Auto));
        assert!(!plain("timetracker.lan:8080", CookieSecure::Never));
    }
}
