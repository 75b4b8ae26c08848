//! The help page: how the UI works and where the documentation lives.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::page::{Layout, Nav, PageError, render};
use crate::auth::WebUser;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/help", web::get().to(help));
}

#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage {
    l: Layout,
}

/// `GET /help`.
async fn help(user: WebUser) -> Result<HttpResponse, PageError> {
    render(&HelpPage {
        l: Layout::new(&user, "Help", Nav::Help)?,
    })
}
