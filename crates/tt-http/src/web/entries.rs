//! Time entries: the list with a date filter, manual entry, edit, delete.
//! The list shows one's own entries; another user's entry is a 404, except
//! to administrators, who may edit anyone's (`tt_domain::may_modify_entry`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tt_app::entries::EntryTimes;
use tt_domain::{Period, TimeEntry, TimeEntryId};

use super::forms::{Opt, OptGroup, fmt_hm};
use super::page::{FormProblem, Layout, Nav, done, form_problem, render_status};
use super::view::{Catalog, EntryView};
use crate::auth::{CsrfForm, WebUser};
use crate::error::HttpError;
use crate::state::AppState;
use tt_app::input;

routes! {
    GET "/entries" => list,
    POST "/entries" => create,
    GET "/entries/{id}/edit" => edit_page,
    POST "/entries/{id}/edit" => update,
    POST "/entries/{id}/delete" => delete,
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

/// A day and two times of day, as both entry forms ask for them.
fn day_times(date: &str, start: &str, end: &str) -> Result<EntryTimes, HttpError> {
    Ok(EntryTimes::Day {
        date: input::date("date", date)?,
        start: input::time_of_day("start", start)?,
        end: input::time_of_day("end", end)?,
    })
}

async fn show_list(
    state: &AppState,
    user: &WebUser,
    filter: Filter,
    form: AddForm,
    problem: Option<FormProblem>,
) -> Result<HttpResponse, HttpError> {
    let calendar = user.calendar;
    let (period, filter_error): (Option<Period>, Option<String>) =
        if filter.from.trim().is_empty() && filter.to.trim().is_empty() {
            (None, None)
        } else {
            match input::period_until_today(Some(&filter.from), Some(&filter.to), &calendar) {
                Ok(p) => (Some(p), None),
                Err(e) => (None, Some(e.to_string())),
            }
        };
    let _uid = user.user.id;
    let entries = state
        .run({
            let actor = user.actor();
            move |app| tt_app::entries::list(app, &actor, period, LIST_LIMIT)
        })
        .await?;
    let catalog = Catalog::load(state).await?;
    let now = tt_app::now();
    let total: i64 = entries.iter().map(|e| e.seconds(now)).sum();
    let (status, error) = match problem {
        Some(p) => (p.status, Some(p.message)),
        None => (StatusCode::OK, None),
    };
    let page = EntriesPage {
        l: Layout::new(user, "Time entries", Nav::Entries)?,
        truncated: entries.len() >= usize::try_from(LIST_LIMIT).unwrap_or(usize::MAX),
        rows: entries
            .iter()
            .map(|e| catalog.entry_view(e, now, &calendar))
            .collect(),
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
) -> Result<HttpResponse, HttpError> {
    let form = AddForm {
        date: user.calendar.today(tt_app::now()).to_string(),
        billable: String::new(),
        ..AddForm::default()
    };
    show_list(&state, &user, q.into_inner(), form, None).await
}

/// `POST /entries`: a manual entry.
async fn create(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<AddForm>,
) -> Result<HttpResponse, HttpError> {
    let form = form.into_inner();
    let _uid = user.user.id;
    let parsed = day_times(&form.date, &form.start_time, &form.end_time).and_then(|r| {
        crate::inputs::entry_details(
            &form.project_id,
            &form.task_id,
            &form.notes,
            &form.tags,
            &form.billable,
        )
        .map(|f| (r, f))
    });
    let result = match parsed {
        Ok((range, f)) => {
            state
                .run({
                    let actor = user.actor();
                    move |app| tt_app::entries::create(app, &actor, f, range)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(e) => Ok(done(
            &user.session,
            "/entries",
            format!(
                "Added {} on {}.",
                fmt_hm(e.seconds(e.start)),
                e.start.format("%Y-%m-%d")
            ),
        )),
        Err(e) => {
            let problem = form_problem(e)?;
            show_list(&state, &user, Filter::default(), form, Some(problem)).await
        }
    }
}

fn entry_id(raw: i64) -> Result<TimeEntryId, HttpError> {
    TimeEntryId::new(raw).ok_or(HttpError::NotFound)
}

/// The edit form: start and end as `datetime-local`.
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
struct EditForm {
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

impl EditForm {
    fn from_entry(e: &TimeEntry) -> Self {
        EditForm {
            csrf_token: String::new(),
            project_id: e.project_id.to_string(),
            task_id: e.task_id.map(|t| t.to_string()).unwrap_or_default(),
            date: e.start.format("%Y-%m-%d").to_string(),
            start_time: e.start.format("%H:%M").to_string(),
            end_time: e
                .end
                .map(|t| t.format("%H:%M").to_string())
                .unwrap_or_default(),
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
) -> Result<HttpResponse, HttpError> {
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

async fn find_own(state: &AppState, user: &WebUser, raw: i64) -> Result<TimeEntry, HttpError> {
    let (_uid, id) = (user.user.id, entry_id(raw)?);
    state
        .run({
            let actor = user.actor();
            move |app| tt_app::entries::get(app, &actor, id)
        })
        .await
}

/// `GET /entries/{id}/edit`.
async fn edit_page(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let entry = find_own(&state, &user, path.into_inner()).await?;
    // The form of an entry nobody may change is no use: say why instead.
    tt_domain::may_modify_entry(&user.user, &entry)?;
    let form = EditForm::from_entry(&entry);
    show_edit(&state, &user, &entry, form, None).await
}

/// The times the edit form asks to set: none for a running timer, and none
/// when the date and times are left as shown — an entry longer than a day,
/// or with seconds, keeps its exact times when only its notes change.
fn edit_times(form: &EditForm, entry: &TimeEntry) -> Result<Option<EntryTimes>, HttpError> {
    let shown = EditForm::from_entry(entry);
    let untouched = (&form.date, &form.start_time, &form.end_time)
        == (&shown.date, &shown.start_time, &shown.end_time);
    if entry.is_running() || untouched {
        return Ok(None);
    }
    day_times(&form.date, &form.start_time, &form.end_time).map(Some)
}

/// `POST /entries/{id}/edit`.
async fn update(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    form: CsrfForm<EditForm>,
) -> Result<HttpResponse, HttpError> {
    let form = form.into_inner();
    let entry = find_own(&state, &user, path.into_inner()).await?;
    let (_uid, id) = (user.user.id, entry.id);
    let parsed = edit_times(&form, &entry).and_then(|r| {
        crate::inputs::entry_details(
            &form.project_id,
            &form.task_id,
            &form.notes,
            &form.tags,
            &form.billable,
        )
        .map(|f| (r, f))
    });
    let result = match parsed {
        Ok((range, f)) => {
            state
                .run({
                    let actor = user.actor();
                    move |app| tt_app::entries::update(app, &actor, id, f, range)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_updated) => {
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
    _form: CsrfForm<DeleteForm>,
) -> Result<HttpResponse, HttpError> {
    let (_uid, id) = (user.user.id, entry_id(path.into_inner())?);
    match state
        .run({
            let actor = user.actor();
            move |app| tt_app::entries::delete(app, &actor, id)
        })
        .await
    {
        Ok(()) => Ok(done(&user.session, "/entries", "Entry deleted.")),
        Err(HttpError::Conflict(msg)) => Ok(super::page::failed(&user.session, "/entries", msg)),
        Err(e) => Err(e),
    }
}

crate::auth::csrf_protected!(AddForm, DeleteForm, EditForm);
