//! The help page: how the UI works and where the documentation lives.

use actix_web::HttpResponse;
use askama::Template;

use super::page::{Layout, Nav, render};
use crate::auth::WebUser;
use crate::error::HttpError;

routes! {
    GET "/help" => help,
}

#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage {
    l: Layout,
}

/// `GET /help`.
async fn help(user: WebUser) -> Result<HttpResponse, HttpError> {
    render(&HelpPage {
        l: Layout::new(&user, "Help", Nav::Help)?,
    })
}
