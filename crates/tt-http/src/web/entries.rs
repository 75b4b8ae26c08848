//! Time entries: the list with a date filter, manual entry, edit, delete.
//! Only one's own entries exist here: another user's id is a 404.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tt_domain::{Period, ProjectId, TaskId, Text, TimeEntry, TimeEntryId, TimeRange};
use tt_persistence::entries::{self as repo, EntryFields};

use super::forms::{
    Opt, OptGroup, billable_choice, fmt_datetime_local, fmt_hm, opt_id, parse_datetime_local,
    parse_tags, range_from_day, req_id,
};
use super::page::{
    FormProblem, Layout, Nav, PageError, check_csrf, done, form_problem, render_status,
};
use super::view::{Catalog, EntryView};
use crate::api::reports::period_from_query;
use crate::auth::WebUser;
use crate::state::AppState;
use crate::tracking::{self, Surface};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/entries", web::get().to(list))
        .route("/entries", web::post().to(create))
        .route("/entries/{id}/edit", web::get().to(edit_page))
        .route("/entries/{id}/edit", web::post().to(update))
        .route("/entries/{id}/delete", web::post().to(delete));
}

/// Most entries one list shows.
const LIST_LIMIT: i64 = 500;

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
struct Filter {
    from: String,
    to: String,
}

/// The manual entry form: a day and two times.
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
struct AddForm {
    csrf_token: String,
    project_id: String,
    task_id: String,
    date: String,
    start_time: String,
    end_time: String,
    notes: String,
    tags: String,
    billable: String,
}

#[derive(Template)]
#[template(path = "entries.html")]
struct EntriesPage {
    l: Layout,
    rows: Vec<EntryView>,
    with_actions: bool,
    filter: Filter,
    filter_error: Option<String>,
    total: String,
    truncated: bool,
    projects: Vec<Opt>,
    task_groups: Vec<OptGroup>,
    form: AddForm,
    error: Option<String>,
}

fn fields(
    project_id: &str,
    task_id: &str,
    notes: &str,
    tags: &str,
    billable: &str,
) -> Result<EntryFields, PageError> {
    Ok(EntryFields {
        project_id: req_id("project", project_id, ProjectId::new)?,
        task_id: opt_id("task", task_id, TaskId::new)?,
        notes: Text::parse(notes).map_err(|e| PageError::Validation(e.to_string()))?,
        tags: parse_tags(tags)?,
        billable: billable_choice(billable),
    })
}

async fn show_list(
    state: &AppState,
    user: &WebUser,
    filter: Filter,
    form: AddForm,
    problem: Option<FormProblem>,
) -> Result<HttpResponse, PageError> {
    let (period, filter_error): (Option<Period>, Option<String>) =
        if filter.from.trim().is_empty() && filter.to.trim().is_empty() {
            (None, None)
        } else {
            match period_from_query(Some(&filter.from), Some(&filter.to)) {
                Ok(p) => (Some(p), None),
                Err(e) => (None, Some(e.to_string())),
            }
        };
    let uid = user.user.id;
    let entries = state
        .db(move |c| repo::list(c, uid, period, LIST_LIMIT))
        .await?;
    let catalog = Catalog::load(state).await?;
    let now = tt_persistence::now();
    let total: i64 = entries.iter().map(|e| e.seconds(now)).sum();
    let (status, error) = match problem {
        Some(p) => (p.status, Some(p.message)),
        None => (StatusCode::OK, None),
    };
    let page = EntriesPage {
        l: Layout::new(user, "Time entries", Nav::Entries)?,
        truncated: entries.len() >= usize::try_from(LIST_LIMIT).unwrap_or(usize::MAX),
        rows: entries.iter().map(|e| catalog.entry_view(e, now)).collect(),
        with_actions: true,
        filter,
        filter_error,
        total: fmt_hm(total),
        projects: catalog.project_options(),
        task_groups: catalog.task_groups(None),
        form,
        error,
    };
    render_status(status, &page)
}

/// `GET /entries?from=&to=`.
async fn list(
    state: web::Data<AppState>,
    user: WebUser,
    q: web::Query<Filter>,
) -> Result<HttpResponse, PageError> {
    let form = AddForm {
        date: tt_persistence::now().format("%Y-%m-%d").to_string(),
        billable: String::new(),
        ..AddForm::default()
    };
    show_list(&state, &user, q.into_inner(), form, None).await
}

/// `POST /entries`: a manual entry.
async fn create(
    state: web::Data<AppState>,
    user: WebUser,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &form.csrf_token)?;
    let form = form.into_inner();
    let uid = user.user.id;
    let parsed = range_from_day(&form.date, &form.start_time, &form.end_time).and_then(|r| {
        fields(
            &form.project_id,
            &form.task_id,
            &form.notes,
            &form.tags,
            &form.billable,
        )
        .map(|f| (r, f))
    });
    let result = match parsed {
        Ok((range, f)) => state
            .db(move |c| repo::create(c, uid, range, &f))
            .await
            .map_err(PageError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(e) => {
            state.track(tracking::entry_created(&e, Surface::Web), Some(uid));
            Ok(done(
                &user.session,
                "/entries",
                format!(
                    "Added {} on {}.",
                    fmt_hm(e.seconds(e.start)),
                    e.start.format("%Y-%m-%d")
                ),
            ))
        }
        Err(e) => {
            let problem = form_problem(e)?;
            show_list(&state, &user, Filter::default(), form, Some(problem)).await
        }
    }
}

fn entry_id(raw: i64) -> Result<TimeEntryId, PageError> {
    TimeEntryId::new(raw).ok_or(PageError::NotFound)
}

/// The edit form: start and end as `datetime-local`.
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
struct EditForm {
    csrf_token: String,
    project_id: String,
    task_id: String,
    start: String,
    end: String,
    notes: String,
    tags: String,
    billable: String,
}

impl EditForm {
    fn from_entry(e: &TimeEntry) -> Self {
        EditForm {
            csrf_token: String::new(),
            project_id: e.project_id.to_string(),
            task_id: e.task_id.map(|t| t.to_string()).unwrap_or_default(),
            start: fmt_datetime_local(e.start),
            end: e.end.map(fmt_datetime_local).unwrap_or_default(),
            notes: e.notes.as_str().to_owned(),
            tags: e.tags.as_slice().join(", "),
            billable: if e.billable { "yes" } else { "no" }.to_owned(),
        }
    }
}

#[derive(Template)]
#[template(path = "entry_edit.html")]
struct EditPage {
    l: Layout,
    id: i64,
    running: bool,
    projects: Vec<Opt>,
    task_groups: Vec<OptGroup>,
    form: EditForm,
    error: Option<String>,
}

async fn show_edit(
    state: &AppState,
    user: &WebUser,
    entry: &TimeEntry,
    form: EditForm,
    problem: Option<FormProblem>,
) -> Result<HttpResponse, PageError> {
    let catalog = Catalog::load(state).await?;
    let mut projects = catalog.project_options();
    // An entry on a since-archived project still shows its project.
    if !projects
        .iter()
        .any(|o| o.value == entry.project_id.to_string())
    {
        projects.push(Opt::new(
            entry.project_id,
            catalog.project_name(entry.project_id),
        ));
    }
    let (status, error) = match problem {
        Some(p) => (p.status, Some(p.message)),
        None => (StatusCode::OK, None),
    };
    let page = EditPage {
        l: Layout::new(user, "Edit entry", Nav::Entries)?,
        id: entry.id.get(),
        running: entry.is_running(),
        projects,
        task_groups: catalog.task_groups(entry.task_id),
        form,
        error,
    };
    render_status(status, &page)
}

async fn find_own(state: &AppState, user: &WebUser, raw: i64) -> Result<TimeEntry, PageError> {
    let (uid, id) = (user.user.id, entry_id(raw)?);
    Ok(state.db(move |c| repo::find(c, uid, id)).await?)
}

/// `GET /entries/{id}/edit`.
async fn edit_page(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let entry = find_own(&state, &user, path.into_inner()).await?;
    if entry.invoice_id.is_some() {
        return Err(PageError::Conflict(
            "this entry is on an invoice and cannot be changed".into(),
        ));
    }
    let form = EditForm::from_entry(&entry);
    show_edit(&state, &user, &entry, form, None).await
}

fn edit_range(form: &EditForm, running: bool) -> Result<Option<TimeRange>, PageError> {
    if running {
        return Ok(None);
    }
    let start = parse_datetime_local("start", &form.start)?;
    let end = parse_datetime_local("end", &form.end)?;
    TimeRange::new(start, end)
        .map(Some)
        .map_err(|e| PageError::Validation(e.to_string()))
}

/// `POST /entries/{id}/edit`.
async fn update(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &form.csrf_token)?;
    let form = form.into_inner();
    let entry = find_own(&state, &user, path.into_inner()).await?;
    let (uid, id) = (user.user.id, entry.id);
    let parsed = edit_range(&form, entry.is_running()).and_then(|r| {
        fields(
            &form.project_id,
            &form.task_id,
            &form.notes,
            &form.tags,
            &form.billable,
        )
        .map(|f| (r, f))
    });
    let result = match parsed {
        Ok((range, f)) => state
            .db(move |c| repo::update(c, uid, id, range, &f))
            .await
            .map_err(PageError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(updated) => {
            state.track(tracking::entry_updated(&updated, Surface::Web), Some(uid));
            let back = if entry.is_running() { "/" } else { "/entries" };
            Ok(done(&user.session, back, "Entry saved."))
        }
        Err(e) => {
            let problem = form_problem(e)?;
            show_edit(&state, &user, &entry, form, Some(problem)).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeleteForm {
    csrf_token: String,
}

/// `POST /entries/{id}/delete`.
async fn delete(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &form.csrf_token)?;
    let (uid, id) = (user.user.id, entry_id(path.into_inner())?);
    match state
        .db(move |c| repo::delete(c, uid, id))
        .await
        .map_err(PageError::from)
    {
        Ok(()) => {
            state.track(tracking::entry_deleted(id, Surface::Web), Some(uid));
            Ok(done(&user.session, "/entries", "Entry deleted."))
        }
        Err(PageError::Conflict(msg)) => Ok(super::page::failed(&user.session, "/entries", msg)),
        Err(e) => Err(e),
    }
}
