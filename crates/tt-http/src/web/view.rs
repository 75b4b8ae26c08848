//! View models shared by several pages: the catalogue of projects and tasks
//! (for pickers and for naming things in tables) and time entry rows.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tt_domain::{Calendar, Project, ProjectId, Task, TaskId, TaskStatus, TimeEntry, User, UserId};

use super::forms::{Opt, OptGroup, fmt_date, fmt_datetime, fmt_hm, fmt_time};
use crate::auth::WebUser;
use crate::error::HttpError;
use crate::state::AppState;

/// Every project (archived too, to name old entries) and task.
#[derive(Debug)]
pub(crate) struct Catalog {
    pub projects: Vec<Project>,
    pub tasks: Vec<Task>,
}

impl Catalog {
    pub(crate) async fn load(state: &AppState) -> Result<Self, HttpError> {
        state.read(Catalog::fetch).await
    }

    /// The projects and tasks, read on the calling thread.
    pub(crate) fn fetch(app: &tt_app::App) -> tt_app::Result<Self> {
        Ok(Catalog {
            projects: tt_app::catalog::projects(app, None, true)?,
            tasks: tt_app::tasks::list(app, None)?,
        })
    }

    pub(crate) fn project_name(&self, id: ProjectId) -> String {
        self.projects
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| format!("Project #{id}"), |p| p.name.to_string())
    }

    pub(crate) fn task_name(&self, id: TaskId) -> String {
        self.tasks
            .iter()
            .find(|t| t.id == id)
            .map_or_else(|| format!("Task #{id}"), |t| t.name.to_string())
    }

    /// Projects that accept time.
    pub(crate) fn project_options(&self) -> Vec<Opt> {
        self.projects
            .iter()
            .filter(|p| !p.archived)
            .map(|p| Opt::new(p.id, p.name.as_str()))
            .collect()
    }

    /// Open tasks of open projects, grouped by project. `keep` stays listed
    /// even if done (the task an entry already has).
    pub(crate) fn task_groups(&self, keep: Option<TaskId>) -> Vec<OptGroup> {
        self.projects
            .iter()
            .filter(|p| !p.archived)
            .filter_map(|p| {
                let options: Vec<Opt> = self
                    .tasks
                    .iter()
                    .filter(|t| t.project_id == p.id)
                    .filter(|t| (t.status != TaskStatus::Done && !t.archived) || Some(t.id) == keep)
                    .map(|t| Opt::new(t.id, t.name.as_str()))
                    .collect();
                (!options.is_empty()).then(|| OptGroup {
                    label: p.name.to_string(),
                    project: p.id.to_string(),
                    options,
                })
            })
            .collect()
    }

    /// An entry as `viewer` reads it: in their zone, marked as theirs or not.
    pub(crate) fn entry_view(
        &self,
        e: &TimeEntry,
        now: DateTime<Utc>,
        viewer: &WebUser,
    ) -> EntryView {
        let cal: &Calendar = &viewer.calendar;
        EntryView {
            id: e.id.get(),
            date: fmt_date(cal, e.start),
            start: fmt_time(cal, e.start),
            end: e.end.map(|t| {
                if cal.date_of(t) == cal.date_of(e.start) {
                    fmt_time(cal, t)
                } else {
                    fmt_datetime(cal, t)
                }
            }),
            duration: fmt_hm(e.seconds(now)),
            project: self.project_name(e.project_id),
            project_id: e.project_id.get(),
            task: e.task_id.map(|t| self.task_name(t)),
            notes: e.notes.as_str().to_owned(),
            tags: e.tags.as_slice().join(", "),
            billable: e.billable,
            invoiced: e.invoice_id.is_some(),
            running: e.is_running(),
            own: e.user_id == viewer.user.id,
            changed: None,
        }
    }
}

/// A time entry as shown in tables.
#[derive(Debug, Clone)]
pub(crate) struct EntryView {
    pub id: i64,
    pub date: String,
    pub start: String,
    pub end: Option<String>,
    pub duration: String,
    pub project: String,
    pub project_id: i64,
    pub task: Option<String>,
    pub notes: String,
    pub tags: String,
    pub billable: bool,
    pub invoiced: bool,
    pub running: bool,
    /// The viewer's own entry (an administrator sees others' too).
    pub own: bool,
    /// An administrator's correction: who and when, in words.
    pub changed: Option<String>,
}

/// Usernames by id, for authors and assignees.
pub(crate) fn user_names(users: &[User]) -> HashMap<UserId, String> {
    users
        .iter()
        .map(|u| (u.id, u.username.to_string()))
        .collect()
}

/// Active users as select options.
pub(crate) fn user_options(users: &[User]) -> Vec<Opt> {
    users
        .iter()
        .filter(|u| u.active)
        .map(|u| Opt::new(u.id, u.username.as_str()))
        .collect()
}

/// Task statuses as select options, with readable labels.
pub(crate) fn status_options() -> Vec<Opt> {
    TaskStatus::ALL
        .iter()
        .map(|s| Opt::new(s.as_str(), status_label(*s)))
        .collect()
}

pub(crate) fn status_label(s: TaskStatus) -> &'static str {
    match s {
        TaskStatus::Todo => "To do",
        TaskStatus::InProgress => "In progress",
        TaskStatus::Review => "In review",
        TaskStatus::Done => "Done",
    }
}
