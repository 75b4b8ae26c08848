//! Page views: the [`page_views`] middleware records successful HTML pages
//! by route template. Every other product event is recorded by the action
//! that performs it, in `tt_app`.

use actix_session::SessionExt;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use tt_events::{Event, Route};

use crate::state::AppState;

/// Records `page.viewed` for every successful HTML page (`GET`, 200,
/// `text/html`) with its route **template** and the signed-in user's id —
/// never the concrete path or the query string.
pub(crate) async fn page_views(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let is_get = req.method() == Method::GET;
    let res = next.call(req).await?;
    if is_get && is_html_page(&res) {
        let request = res.request();
        if let (Some(state), Some(pattern)) = (
            request.app_data::<web::Data<AppState>>(),
            request.match_pattern(),
        ) {
            let user = crate::auth::session_user(&request.get_session(), state);
            let route = Route::from_template(&pattern);
            state.track(Event::PageViewed { route }, user);
        }
    }
    Ok(res)
}

fn is_html_page<B>(res: &ServiceResponse<B>) -> bool {
    res.status() == StatusCode::OK
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/html"))
}

#[cfg(test)]
mod tests {

    use tt_events::Route;

    /// Every HTML page the web UI registers has its own template in the
    /// closed `Route` list, so no page view of a real page is reported as
    /// `other`, and every template of the list is a page of the table.
    #[test]
    fn every_web_page_has_a_route_template() {
        let not_pages = [
            "/static/",
            "/favicon.ico",
            "/reports/entries.csv",
            "/profile/export",
            "/profile/tokens",
            "/admin/company/logo",
            "/invoices/{id}/pdf",
        ];
        let pages: Vec<_> = crate::web::route_table()
            .into_iter()
            .filter(|r| r.method == "GET")
            .filter(|r| !not_pages.iter().any(|p| r.path.starts_with(p)))
            .collect();
        for r in &pages {
            assert_ne!(
                Route::from_template(r.path),
                Route::Other,
                "{}: add it to tt_events::Route",
                r.path
            );
        }
        assert!(pages.len() >= 15, "found only {} pages", pages.len());
        // And the other way round: the closed list holds the route table's
        // pages and nothing else.
        for route in Route::ALL.iter().filter(|r| **r != Route::Other) {
            assert!(
                pages.iter().any(|p| Route::from_template(p.path) == *route),
                "{}: no such page in the route table; remove it from tt_events::Route",
                route.as_str()
            );
        }
    }
}
