//! Comments on projects and tasks: anyone adds, authors (and admins)
//! delete.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use tt_domain::{CommentId, CommentTarget, ProjectId, TaskId, Text};

use super::forms::fmt_datetime;
use super::page::{done, failed};
use super::view::user_names;
use crate::auth::{CsrfForm, WebUser};
use crate::error::HttpError;
use crate::state::AppState;

routes! {
    POST "/comments" => create,
    POST "/comments/{id}/delete" => delete,
}

/// A comment as shown under a project or task.
#[derive(Debug)]
pub(crate) struct CommentView {
    pub id: i64,
    pub author: String,
    pub body: String,
    pub created: String,
    pub can_delete: bool,
}

/// The comments on `target`, oldest first.
pub(crate) async fn load(
    state: &AppState,
    user: &WebUser,
    target: CommentTarget,
) -> Result<Vec<CommentView>, HttpError> {
    let (comments, users) = state
        .run(move |app| {
            Ok((
                tt_app::comments::list(app, Some(target))?,
                tt_app::users::directory(app)?,
            ))
        })
        .await?;
    let names = user_names(&users);
    Ok(comments
        .iter()
        .map(|c| CommentView {
            id: c.id.get(),
            author: names
                .get(&c.user_id)
                .cloned()
                .unwrap_or_else(|| "(deleted user)".into()),
            body: c.body.as_str().to_owned(),
            created: fmt_datetime(&user.calendar, c.created_at),
            can_delete: tt_domain::may_delete_comment(&user.user, c).is_ok(),
        })
        .collect())
}

fn page_of(target: CommentTarget) -> String {
    match target {
        CommentTarget::Project(p) => format!("/projects/{p}#comments"),
        CommentTarget::Task(t) => format!("/tasks/{t}#comments"),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CommentForm {
    csrf_token: String,
    project_id: String,
    task_id: String,
    body: String,
}

fn target_of(form: &CommentForm) -> Result<CommentTarget, HttpError> {
    let project = tt_app::input::id_text("project_id", &form.project_id, ProjectId::new)?;
    let task = tt_app::input::id_text("task_id", &form.task_id, TaskId::new)?;
    match (project, task) {
        (Some(p), None) => Ok(CommentTarget::Project(p)),
        (None, Some(t)) => Ok(CommentTarget::Task(t)),
        _ => Err(HttpError::bad_request(
            "bad_request",
            "a comment belongs to one project or one task",
        )),
    }
}

/// `POST /comments`.
async fn create(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<CommentForm>,
) -> Result<HttpResponse, HttpError> {
    let target = target_of(&form)?;
    let back = page_of(target);
    let body = match Text::parse_non_empty(&form.body) {
        Ok(b) => b,
        Err(_) if form.body.trim().is_empty() => {
            return Ok(failed(
                &user.session,
                &back,
                "Write something before adding a comment.",
            ));
        }
        Err(e) => return Ok(failed(&user.session, &back, e.to_string())),
    };
    let _author = user.user.id;
    match state
        .run({
            let actor = user.actor();
            move |app| tt_app::comments::create(app, &actor, target, body)
        })
        .await
    {
        Ok(_comment) => Ok(done(&user.session, &back, "Comment added.")),
        Err(e) => match e {
            // The project or task does not exist (any more).
            HttpError::Validation(_) => Err(HttpError::NotFound),
            other => Err(other),
        },
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeleteForm {
    csrf_token: String,
}

/// `POST /comments/{id}/delete`: the author's or an admin's.
async fn delete(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    _form: CsrfForm<DeleteForm>,
) -> Result<HttpResponse, HttpError> {
    let id = CommentId::new(path.into_inner()).ok_or(HttpError::NotFound)?;
    let actor = user.actor();
    let target = state
        .run(move |app| tt_app::comments::delete(app, &actor, id))
        .await?
        .target;
    Ok(done(&user.session, &page_of(target), "Comment deleted."))
}

crate::auth::csrf_protected!(CommentForm, DeleteForm);
