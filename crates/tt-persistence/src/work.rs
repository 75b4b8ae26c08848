//! Clients, projects, tasks and comments: the shared catalogue of work.

use chrono::NaiveDate;
use diesel::prelude::*;
use tt_domain::{
    Client, ClientId, Comment, CommentId, CommentTarget, Currency, Email, HourlyRate, Name,
    Project, ProjectId, Task, TaskId, TaskStatus, Text, UserId,
};

use crate::schema::{clients, comments, projects, tasks};
use crate::{DbConnection, FixedSqlDsl, PersistenceError, Result, id, now, to_naive, to_utc};

fn rate(cents: Option<i64>) -> Result<Option<HourlyRate>> {
    cents
        .map(|c| HourlyRate::from_cents(c).ok_or(PersistenceError::Corrupt("hourly rate")))
        .transpose()
}

fn name(s: &str) -> Result<Name> {
    Name::parse(s).map_err(|_| PersistenceError::Corrupt("name"))
}

fn text(s: &str) -> Result<Text> {
    Text::parse(s).map_err(|_| PersistenceError::Corrupt("text"))
}

// ---------------------------------------------------------------- clients

#[derive(Queryable, Selectable)]
#[diesel(table_name = clients)]
struct ClientRow {
    id: i64,
    name: String,
    email: Option<String>,
    default_rate_cents: Option<i64>,
    archived: bool,
    address: String,
    tax_id: String,
    currency: String,
}

impl ClientRow {
    fn into_domain(self) -> Result<Client> {
        Ok(Client {
            id: id(self.id, ClientId::new)?,
            name: name(&self.name)?,
            email: self
                .email
                .as_deref()
                .map(Email::parse)
                .transpose()
                .map_err(|_| PersistenceError::Corrupt("email"))?,
            default_hourly_rate: rate(self.default_rate_cents)?,
            archived: self.archived,
            address: self.address,
            tax_id: self.tax_id,
            currency: crate::currency(&self.currency)?,
        })
    }
}

/// The editable fields of a client.
#[derive(Debug, Clone)]
pub struct ClientFields {
    /// Name.
    pub name: Name,
    /// E-mail.
    pub email: Option<Email>,
    /// Default rate.
    pub default_hourly_rate: Option<HourlyRate>,
    /// Archived.
    pub archived: bool,
    /// Postal address.
    pub address: String,
    /// VAT or tax id.
    pub tax_id: String,
    /// Billing currency.
    pub currency: Currency,
}

/// Creates a client.
pub fn create_client(conn: &mut DbConnection, f: &ClientFields) -> Result<Client> {
    let new_id: i64 = diesel::insert_into(clients::table)
        .values((
            clients::name.eq(f.name.as_str()),
            clients::email.eq(f.email.as_ref().map(Email::as_str)),
            clients::default_rate_cents.eq(f.default_hourly_rate.map(|r| r.per_hour().cents())),
            clients::archived.eq(f.archived),
            clients::address.eq(&f.address),
            clients::tax_id.eq(&f.tax_id),
            clients::currency.eq(f.currency.code()),
            clients::created_at.eq(to_naive(now())),
        ))
        .returning(clients::id)
        .get_result(conn)?;
    find_client(conn, id(new_id, ClientId::new)?)
}

/// A client by id.
pub fn find_client(conn: &mut DbConnection, client_id: ClientId) -> Result<Client> {
    clients::table
        .find(client_id.get())
        .select(ClientRow::as_select())
        .first(conn)?
        .into_domain()
}

/// All clients, by name.
pub fn list_clients(conn: &mut DbConnection, include_archived: bool) -> Result<Vec<Client>> {
    let mut q = clients::table
        .select(ClientRow::as_select())
        .order(clients::name.asc())
        .into_boxed();
    if !include_archived {
        q = q.filter(clients::archived.eq(false));
    }
    q.load(conn)?
        .into_iter()
        .map(ClientRow::into_domain)
        .collect()
}

/// Replaces a client's fields.
pub fn update_client(
    conn: &mut DbConnection,
    client_id: ClientId,
    f: &ClientFields,
) -> Result<Client> {
    let n = diesel::update(clients::table.find(client_id.get()))
        .set((
            clients::name.eq(f.name.as_str()),
            clients::email.eq(f.email.as_ref().map(Email::as_str)),
            clients::default_rate_cents.eq(f.default_hourly_rate.map(|r| r.per_hour().cents())),
            clients::archived.eq(f.archived),
            clients::address.eq(&f.address),
            clients::tax_id.eq(&f.tax_id),
            clients::currency.eq(f.currency.code()),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(PersistenceError::NotFound);
    }
    find_client(conn, client_id)
}

/// Archives or restores a client, leaving its other fields alone.
pub fn set_client_archived(
    conn: &mut DbConnection,
    client_id: ClientId,
    archived: bool,
) -> Result<Client> {
    let n = diesel::update(clients::table.find(client_id.get()))
        .set(clients::archived.eq(archived))
        .execute(conn)?;
    if n == 0 {
        return Err(PersistenceError::NotFound);
    }
    find_client(conn, client_id)
}

/// Deletes a client that nothing refers to.
pub fn delete_client(conn: &mut DbConnection, client_id: ClientId) -> Result<()> {
    deleted(diesel::delete(clients::table.find(client_id.get())).execute(conn))
}

fn deleted(r: std::result::Result<usize, diesel::result::Error>) -> Result<()> {
    match r.map_err(PersistenceError::from)? {
        0 => Err(PersistenceError::NotFound),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------- projects

#[derive(Queryable, Selectable)]
#[diesel(table_name = projects)]
struct ProjectRow {
    id: i64,
    client_id: Option<i64>,
    name: String,
    description: String,
    billable: bool,
    hourly_rate_cents: Option<i64>,
    archived: bool,
}

impl ProjectRow {
    fn into_domain(self) -> Result<Project> {
        Ok(Project {
            id: id(self.id, ProjectId::new)?,
            client_id: self.client_id.map(|c| id(c, ClientId::new)).transpose()?,
            name: name(&self.name)?,
            description: text(&self.description)?,
            billable: self.billable,
            hourly_rate: rate(self.hourly_rate_cents)?,
            archived: self.archived,
        })
    }
}

/// The editable fields of a project.
#[derive(Debug, Clone)]
pub struct ProjectFields {
    /// Client.
    pub client_id: Option<ClientId>,
    /// Name.
    pub name: Name,
    /// Description.
    pub description: Text,
    /// Billable by default.
    pub billable: bool,
    /// Rate.
    pub hourly_rate: Option<HourlyRate>,
    /// Archived.
    pub archived: bool,
}

fn ensure_client(conn: &mut DbConnection, client_id: Option<ClientId>) -> Result<()> {
    if let Some(c) = client_id {
        find_client(conn, c).map_err(|e| match e {
            PersistenceError::NotFound => PersistenceError::Invalid("client does not exist"),
            other => other,
        })?;
    }
    Ok(())
}

/// Creates a project.
pub fn create_project(conn: &mut DbConnection, f: &ProjectFields) -> Result<Project> {
    crate::connection::write_transaction(conn, |conn| {
        ensure_client(conn, f.client_id)?;
        let new_id: i64 = diesel::insert_into(projects::table)
            .values((
                projects::client_id.eq(f.client_id.map(ClientId::get)),
                projects::name.eq(f.name.as_str()),
                projects::description.eq(f.description.as_str()),
                projects::billable.eq(f.billable),
                projects::hourly_rate_cents.eq(f.hourly_rate.map(|r| r.per_hour().cents())),
                projects::archived.eq(f.archived),
                projects::created_at.eq(to_naive(now())),
            ))
            .returning(projects::id)
            .get_result(conn)?;
        find_project(conn, id(new_id, ProjectId::new)?)
    })
}

/// A project by id.
pub fn find_project(conn: &mut DbConnection, project_id: ProjectId) -> Result<Project> {
    let row: ProjectRow = crate::native!(conn, c => projects::table
        .find(project_id.get())
        .select(ProjectRow::as_select())
        .fixed_sql()
        .get_result(c))?;
    row.into_domain()
}

/// Projects, by name, optionally of one client.
pub fn list_projects(
    conn: &mut DbConnection,
    client_id: Option<ClientId>,
    include_archived: bool,
) -> Result<Vec<Project>> {
    let rows: Vec<ProjectRow> = crate::native!(conn, c => {
        let all = projects::table
            .select(ProjectRow::as_select())
            .order(projects::name.asc());
        if client_id.is_none() && include_archived {
            // Every page's catalog: a static shape (see `native!`).
            all.fixed_sql().load(c)
        } else {
            let mut q = all.into_boxed();
            if let Some(client) = client_id {
                q = q.filter(projects::client_id.eq(client.get()));
            }
            if !include_archived {
                q = q.filter(projects::archived.eq(false));
            }
            q.load(c)
        }
    })?;
    rows.into_iter().map(ProjectRow::into_domain).collect()
}

/// Replaces a project's fields.
pub fn update_project(
    conn: &mut DbConnection,
    project_id: ProjectId,
    f: &ProjectFields,
) -> Result<Project> {
    crate::connection::write_transaction(conn, |conn| {
        ensure_client(conn, f.client_id)?;
        let n = diesel::update(projects::table.find(project_id.get()))
            .set((
                projects::client_id.eq(f.client_id.map(ClientId::get)),
                projects::name.eq(f.name.as_str()),
                projects::description.eq(f.description.as_str()),
                projects::billable.eq(f.billable),
                projects::hourly_rate_cents.eq(f.hourly_rate.map(|r| r.per_hour().cents())),
                projects::archived.eq(f.archived),
            ))
            .execute(conn)?;
        if n == 0 {
            return Err(PersistenceError::NotFound);
        }
        find_project(conn, project_id)
    })
}

/// Deletes a project that has no time, tasks or comments.
pub fn delete_project(conn: &mut DbConnection, project_id: ProjectId) -> Result<()> {
    deleted(diesel::delete(projects::table.find(project_id.get())).execute(conn))
}

// ---------------------------------------------------------------- tasks

#[derive(Queryable, Selectable)]
#[diesel(table_name = tasks)]
struct TaskRow {
    id: i64,
    project_id: i64,
    name: String,
    description: String,
    status: String,
    assignee_id: Option<i64>,
    due_date: Option<NaiveDate>,
    archived: bool,
}

/// A task's status as stored.
pub(crate) fn task_status(stored: &str) -> Result<TaskStatus> {
    stored
        .parse::<TaskStatus>()
        .map_err(|_| PersistenceError::Corrupt("status"))
}

impl TaskRow {
    fn into_domain(self) -> Result<Task> {
        Ok(Task {
            id: id(self.id, TaskId::new)?,
            project_id: id(self.project_id, ProjectId::new)?,
            name: name(&self.name)?,
            description: text(&self.description)?,
            status: task_status(&self.status)?,
            assignee_id: self.assignee_id.map(|u| id(u, UserId::new)).transpose()?,
            due_date: self.due_date,
            archived: self.archived,
        })
    }
}

/// The editable fields of a task.
#[derive(Debug, Clone)]
pub struct TaskFields {
    /// Project.
    pub project_id: ProjectId,
    /// Name.
    pub name: Name,
    /// Description.
    pub description: Text,
    /// Status.
    pub status: TaskStatus,
    /// Assignee.
    pub assignee_id: Option<UserId>,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Archived tasks are hidden from pickers and accept no new time;
    /// `None` keeps the current value (a new task is not archived).
    pub archived: Option<bool>,
}

fn ensure_task_refs(conn: &mut DbConnection, f: &TaskFields) -> Result<()> {
    let missing = |what| {
        move |e| match e {
            PersistenceError::NotFound => PersistenceError::Conflict(what),
            other => other,
        }
    };
    find_project(conn, f.project_id).map_err(missing("project does not exist"))?;
    if let Some(u) = f.assignee_id {
        crate::users::find(conn, u).map_err(missing("assignee does not exist"))?;
    }
    Ok(())
}

/// Creates a task.
pub fn create_task(conn: &mut DbConnection, f: &TaskFields) -> Result<Task> {
    crate::connection::write_transaction(conn, |conn| {
        ensure_task_refs(conn, f)?;
        let new_id: i64 = diesel::insert_into(tasks::table)
            .values((
                tasks::project_id.eq(f.project_id.get()),
                tasks::name.eq(f.name.as_str()),
                tasks::description.eq(f.description.as_str()),
                tasks::status.eq(f.status.as_str()),
                tasks::assignee_id.eq(f.assignee_id.map(UserId::get)),
                tasks::due_date.eq(f.due_date),
                tasks::archived.eq(f.archived.unwrap_or(false)),
                tasks::created_at.eq(to_naive(now())),
            ))
            .returning(tasks::id)
            .get_result(conn)?;
        find_task(conn, id(new_id, TaskId::new)?)
    })
}

/// A task by id.
pub fn find_task(conn: &mut DbConnection, task_id: TaskId) -> Result<Task> {
    let row: TaskRow = crate::native!(conn, c => tasks::table
        .find(task_id.get())
        .select(TaskRow::as_select())
        .fixed_sql()
        .get_result(c))?;
    row.into_domain()
}

/// Tasks, optionally of one project, by id.
pub fn list_tasks(conn: &mut DbConnection, project_id: Option<ProjectId>) -> Result<Vec<Task>> {
    let rows: Vec<TaskRow> = crate::native!(conn, c => {
        let all = tasks::table
            .select(TaskRow::as_select())
            .order(tasks::id.asc());
        match project_id {
            // Every page's catalog: a static shape (see `native!`).
            None => all.fixed_sql().load(c),
            Some(p) => all
                .filter(tasks::project_id.eq(p.get()))
                .fixed_sql()
                .load(c),
        }
    })?;
    rows.into_iter().map(TaskRow::into_domain).collect()
}

/// Replaces a task's fields; returns the task before and after.
pub fn update_task(
    conn: &mut DbConnection,
    task_id: TaskId,
    f: &TaskFields,
) -> Result<(Task, Task)> {
    crate::connection::write_transaction(conn, |conn| {
        let before = find_task(conn, task_id)?;
        ensure_task_refs(conn, f)?;
        diesel::update(tasks::table.find(task_id.get()))
            .set((
                tasks::project_id.eq(f.project_id.get()),
                tasks::name.eq(f.name.as_str()),
                tasks::description.eq(f.description.as_str()),
                tasks::status.eq(f.status.as_str()),
                tasks::assignee_id.eq(f.assignee_id.map(UserId::get)),
                tasks::due_date.eq(f.due_date),
                tasks::archived.eq(f.archived.unwrap_or(before.archived)),
            ))
            .execute(conn)?;
        Ok((before, find_task(conn, task_id)?))
    })
}

/// How many comments on `task` were written by someone other than `author`.
pub fn count_task_comments_by_others(
    conn: &mut DbConnection,
    task: TaskId,
    author: UserId,
) -> Result<i64> {
    Ok(comments::table
        .filter(comments::task_id.eq(task.get()))
        .filter(comments::user_id.ne(author.get()))
        .count()
        .get_result(conn)?)
}

/// Deletes a task and its comments.
pub fn delete_task(conn: &mut DbConnection, task_id: TaskId) -> Result<()> {
    crate::connection::write_transaction(conn, |conn| {
        diesel::delete(comments::table.filter(comments::task_id.eq(task_id.get())))
            .execute(conn)?;
        deleted(diesel::delete(tasks::table.find(task_id.get())).execute(conn))
    })
}

// ---------------------------------------------------------------- comments

#[derive(Queryable, Selectable)]
#[diesel(table_name = comments)]
struct CommentRow {
    id: i64,
    user_id: i64,
    project_id: Option<i64>,
    task_id: Option<i64>,
    body: String,
    created_at: chrono::NaiveDateTime,
}

impl CommentRow {
    fn into_domain(self) -> Result<Comment> {
        let target = match (self.project_id, self.task_id) {
            (Some(p), None) => CommentTarget::Project(id(p, ProjectId::new)?),
            (None, Some(t)) => CommentTarget::Task(id(t, TaskId::new)?),
            _ => return Err(PersistenceError::Corrupt("comment target")),
        };
        Ok(Comment {
            id: id(self.id, CommentId::new)?,
            user_id: id(self.user_id, UserId::new)?,
            target,
            body: text(&self.body)?,
            created_at: to_utc(self.created_at),
        })
    }
}

fn target_columns(t: CommentTarget) -> (Option<i64>, Option<i64>) {
    match t {
        CommentTarget::Project(p) => (Some(p.get()), None),
        CommentTarget::Task(t) => (None, Some(t.get())),
    }
}

/// Adds a comment by `author` on `target`.
pub fn create_comment(
    conn: &mut DbConnection,
    author: UserId,
    target: CommentTarget,
    body: &Text,
) -> Result<Comment> {
    crate::connection::write_transaction(conn, |conn| {
        let exists = match target {
            CommentTarget::Project(p) => find_project(conn, p).map(drop),
            CommentTarget::Task(t) => find_task(conn, t).map(drop),
        };
        exists.map_err(|e| match e {
            PersistenceError::NotFound => {
                PersistenceError::Invalid("comment target does not exist")
            }
            other => other,
        })?;
        let (p, t) = target_columns(target);
        let new_id: i64 = diesel::insert_into(comments::table)
            .values((
                comments::user_id.eq(author.get()),
                comments::project_id.eq(p),
                comments::task_id.eq(t),
                comments::body.eq(body.as_str()),
                comments::created_at.eq(to_naive(now())),
            ))
            .returning(comments::id)
            .get_result(conn)?;
        find_comment(conn, id(new_id, CommentId::new)?)
    })
}

/// A comment by id.
pub fn find_comment(conn: &mut DbConnection, comment_id: CommentId) -> Result<Comment> {
    comments::table
        .find(comment_id.get())
        .select(CommentRow::as_select())
        .first(conn)?
        .into_domain()
}

/// Comments on a target (or all), oldest first.
pub fn list_comments(
    conn: &mut DbConnection,
    target: Option<CommentTarget>,
) -> Result<Vec<Comment>> {
    let mut q = comments::table
        .select(CommentRow::as_select())
        .order(comments::id.asc())
        .into_boxed();
    match target {
        Some(CommentTarget::Project(p)) => q = q.filter(comments::project_id.eq(p.get())),
        Some(CommentTarget::Task(t)) => q = q.filter(comments::task_id.eq(t.get())),
        None => {}
    }
    q.load(conn)?
        .into_iter()
        .map(CommentRow::into_domain)
        .collect()
}

/// Replaces a comment's body (the caller checked who may).
pub fn update_comment(
    conn: &mut DbConnection,
    comment_id: CommentId,
    body: &Text,
) -> Result<Comment> {
    let n = diesel::update(comments::table.find(comment_id.get()))
        .set(comments::body.eq(body.as_str()))
        .execute(conn)?;
    if n == 0 {
        return Err(PersistenceError::NotFound);
    }
    find_comment(conn, comment_id)
}

/// Deletes a comment (the caller checked who may).
pub fn delete_comment(conn: &mut DbConnection, comment_id: CommentId) -> Result<()> {
    deleted(diesel::delete(comments::table.find(comment_id.get())).execute(conn))
}

/// Every comment written by `author`, oldest first (for data exports).
pub fn list_comments_by_author(conn: &mut DbConnection, author: UserId) -> Result<Vec<Comment>> {
    comments::table
        .filter(comments::user_id.eq(author.get()))
        .order(comments::id.asc())
        .select(CommentRow::as_select())
        .load(conn)?
        .into_iter()
        .map(CommentRow::into_domain)
        .collect()
}
