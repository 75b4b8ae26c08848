//! Comments on projects and tasks: anyone adds, authors (and admins)
//! delete.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use tt_domain::{CommentId, CommentTarget, ProjectId, TaskId, Text};
use tt_persistence::work as repo;

use super::forms::{fmt_datetime, opt_id};
use super::page::{PageError, check_csrf, done, failed};
use super::view::user_names;
use crate::auth::WebUser;
use crate::state::AppState;
use crate::tracking;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/comments", web::post().to(create))
        .route("/comments/{id}/delete", web::post().to(delete));
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
) -> Result<Vec<CommentView>, PageError> {
    let (comments, users) = state
        .db(move |c| {
            Ok((
                repo::list_comments(c, Some(target))?,
                tt_persistence::users::list(c)?,
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
            created: fmt_datetime(c.created_at),
            can_delete: c.user_id == user.user.id || user.user.is_admin(),
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

fn target_of(form: &CommentForm) -> Result<CommentTarget, PageError> {
    let project = opt_id("project", &form.project_id, ProjectId::new)?;
    let task = opt_id("task", &form.task_id, TaskId::new)?;
    match (project, task) {
        (Some(p), None) => Ok(CommentTarget::Project(p)),
        (None, Some(t)) => Ok(CommentTarget::Task(t)),
        _ => Err(PageError::BadRequest(
            "a comment belongs to one project or one task".into(),
        )),
    }
}

/// `POST /comments`.
async fn create(
    state: web::Data<AppState>,
    user: WebUser,
    form: web::Form<CommentForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &form.csrf_token)?;
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
    let author = user.user.id;
    match state
        .db(move |c| repo::create_comment(c, author, target, &body))
        .await
    {
        Ok(comment) => {
            state.track(tracking::comment_created(&comment), Some(author));
            Ok(done(&user.session, &back, "Comment added."))
        }
        Err(e) => match PageError::from(e) {
            // The project or task does not exist (any more).
            PageError::Validation(_) => Err(PageError::NotFound),
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
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &form.csrf_token)?;
    let id = CommentId::new(path.into_inner()).ok_or(PageError::NotFound)?;
    let (actor, admin) = (user.user.id, user.user.is_admin());
    let target = state
        .db(move |c| {
            let comment = repo::find_comment(c, id)?;
            repo::delete_comment(c, actor, admin, id)?;
            Ok(comment.target)
        })
        .await?;
    state.track(tracking::comment_deleted(id, target), Some(actor));
    Ok(done(&user.session, &page_of(target), "Comment deleted."))
}
