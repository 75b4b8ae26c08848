//! Comments on projects and tasks: anyone signed in writes them; only the
//! author edits; the author or an administrator deletes.

use tt_domain::{Comment, CommentId, CommentTarget, Text, may_delete_comment, may_edit_comment};
use tt_persistence::work as repo;

use crate::{Actor, App, Result, events};

/// Comments on a target (or all), oldest first.
pub fn list(app: &App, target: Option<CommentTarget>) -> Result<Vec<Comment>> {
    app.read(|c| Ok(repo::list_comments(c, target)?))
}

/// One comment.
pub fn get(app: &App, id: CommentId) -> Result<Comment> {
    app.read(|c| Ok(repo::find_comment(c, id)?))
}

/// Posts a comment.
pub fn create(app: &App, actor: &Actor, target: CommentTarget, body: Text) -> Result<Comment> {
    let comment = app.write(|c| Ok(repo::create_comment(c, actor.id(), target, &body)?))?;
    app.track(events::comment_created(&comment), Some(actor.id()));
    Ok(comment)
}

/// Edits one's own comment.
pub fn update(app: &App, actor: &Actor, id: CommentId, body: Text) -> Result<Comment> {
    app.write(|c| {
        let current = repo::find_comment(c, id)?;
        may_edit_comment(&actor.user, &current)?;
        Ok(repo::update_comment(c, id, &body)?)
    })
}

/// Deletes a comment; returns it (its target says where it was).
pub fn delete(app: &App, actor: &Actor, id: CommentId) -> Result<Comment> {
    let comment = app.write(|c| {
        let current = repo::find_comment(c, id)?;
        may_delete_comment(&actor.user, &current)?;
        repo::delete_comment(c, id)?;
        Ok(current)
    })?;
    app.track(
        events::comment_deleted(id, comment.target),
        Some(actor.id()),
    );
    Ok(comment)
}
