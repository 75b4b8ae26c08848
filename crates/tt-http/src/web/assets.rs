//! The stylesheet, the one small script and the icon, embedded in the
//! binary.
//!
//! Pages link them with a content hash in the query string, so they can be
//! cached for a year and still change with every release that edits them.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};

const APP_CSS: &str = include_str!("../../static/app.css");
const PRINT_JS: &str = include_str!("../../static/print.js");
const FAVICON_SVG: &str = include_str!("../../static/favicon.svg");
const APP_JS: &str = include_str!("../../static/app.js");

routes! {
    GET "/static/app.css" => app_css,
    GET "/static/print.js" => print_js,
    GET "/static/favicon.svg" => favicon_svg,
    GET "/favicon.ico" => favicon_ico,
    GET "/static/app.js" => app_js,
}

fn short_hash(content: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, content.as_bytes());
    digest
        .as_ref()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `/static/app.css?v=<hash>`.
pub(crate) fn css_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| format!("/static/app.css?v={}", short_hash(APP_CSS)))
}

/// `/static/app.js?v=<hash>`.
pub(crate) fn app_js_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| format!("/static/app.js?v={}", short_hash(APP_JS)))
}

/// `/static/print.js?v=<hash>`.
pub(crate) fn print_js_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| format!("/static/print.js?v={}", short_hash(PRINT_JS)))
}

/// `/static/favicon.svg?v=<hash>`: linked from every page's `<head>`.
pub(crate) fn favicon_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| format!("/static/favicon.svg?v={}", short_hash(FAVICON_SVG)))
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .body(body)
}

async fn app_css() -> HttpResponse {
    asset("text/css; charset=utf-8", APP_CSS)
}

async fn app_js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", APP_JS)
}

async fn print_js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", PRINT_JS)
}

async fn favicon_svg() -> HttpResponse {
    asset("image/svg+xml", FAVICON_SVG)
}

/// Browsers ask for `/favicon.ico` on their own (bookmarks, tabs of
/// non-HTML responses): they are sent to the SVG, for a day at a time so
/// a new icon reaches them.
async fn favicon_ico() -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, favicon_href()))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400"),
        ))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_carry_a_content_hash() {
        assert!(css_href().starts_with("/static/app.css?v="));
        assert_eq!(css_href().len(), "/static/app.css?v=".len() + 12);
        assert!(print_js_href().starts_with("/static/print.js?v="));
        assert!(favicon_href().starts_with("/static/favicon.svg?v="));
        assert!(app_js_href().starts_with("/static/app.js?v="));
    }
}
