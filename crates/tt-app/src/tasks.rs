//! Tasks: anyone signed in creates and edits them; deleting follows
//! `tt_domain::may_delete_task` (never with tracked time — archive instead;
//! a regular user never with other people's comments).

use tt_domain::{ProjectId, Task, TaskId, TaskUsage, may_delete_task, may_move_task};
use tt_persistence::work as repo;
pub use tt_persistence::work::TaskFields;

use crate::{Actor, App, Result, events};

/// Tasks, optionally of one project, by id.
pub fn list(app: &App, project: Option<ProjectId>) -> Result<Vec<Task>> {
    app.read(|c| Ok(repo::list_tasks(c, project)?))
}

/// One task.
pub fn get(app: &App, id: TaskId) -> Result<Task> {
    app.read(|c| Ok(repo::find_task(c, id)?))
}

/// Creates a task.
pub fn create(app: &App, actor: &Actor, fields: TaskFields) -> Result<Task> {
    let task = app.write(|c| Ok(repo::create_task(c, &fields)?))?;
    app.track(events::task_created(&task), Some(actor.id()));
    Ok(task)
}

fn usage(c: &mut tt_persistence::DbConnection, id: TaskId, actor: &Actor) -> Result<TaskUsage> {
    Ok(TaskUsage {
        tracked_entries: tt_persistence::entries::count_for_task(c, id)?,
        comments_by_others: repo::count_task_comments_by_others(c, id, actor.id())?,
    })
}

/// Replaces a task's fields; a task with tracked time stays in its
/// project. Status changes and new assignees are tracked. Returns the task
/// before and after.
pub fn update(app: &App, actor: &Actor, id: TaskId, fields: TaskFields) -> Result<(Task, Task)> {
    let (before, task) = app.write(|c| {
        tt_persistence::locks::task(c, id)?;
        let current = repo::find_task(c, id)?;
        if current.project_id != fields.project_id {
            may_move_task(usage(c, id, actor)?)?;
        }
        Ok(repo::update_task(c, id, &fields)?)
    })?;
    for event in events::task_changes(&before, &task) {
        app.track(event, Some(actor.id()));
    }
    Ok((before, task))
}

/// Deletes a task (and its comments) when the rules allow.
pub fn delete(app: &App, actor: &Actor, id: TaskId) -> Result<()> {
    let task = app.write(|c| {
        tt_persistence::locks::task(c, id)?;
        let task = repo::find_task(c, id)?;
        may_delete_task(&actor.user, usage(c, id, actor)?)?;
        repo::delete_task(c, id)?;
        Ok(task)
    })?;
    app.track(events::task_deleted(&task), Some(actor.id()));
    Ok(())
}
