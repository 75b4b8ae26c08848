//! `/profile`: the signed-in user's account and the download of all their
//! data (the right to data portability).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::forms::fmt_date;
use super::page::{Layout, Nav, render_status};
use crate::auth::WebUser;
use crate::error::HttpError;
use crate::state::AppState;

routes! {
    GET "/profile" => show,
    GET "/profile/export" => export,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    l: Layout,
    username: String,
    email: String,
    role: &'static str,
    since: String,
}

/// `GET /profile`.
async fn show(user: WebUser) -> Result<HttpResponse, HttpError> {
    let page = ProfilePage {
        l: Layout::new(&user, "Your profile", Nav::Profile)?,
        username: user.user.username.to_string(),
        email: user
            .user
            .email
            .as_ref()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        role: user.user.role.as_str(),
        since: fmt_date(user.user.created_at),
    };
    render_status(actix_web::http::StatusCode::OK, &page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExportQuery {
    format: String,
}

/// `GET /profile/export?format=json|csv`: the same download as
/// `GET /api/v1/me/export`, with the browser session.
async fn export(
    state: web::Data<AppState>,
    user: WebUser,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, HttpError> {
    let format = if q.format.is_empty() {
        None
    } else {
        Some(q.format.as_str())
    };
    crate::export::export_response(&state, user.actor(), format).await
}
