//! Time entries: the list by day and week (filters, pages), manual entry,
//! edit, delete after a question. The list shows one's own entries, or an
//! administrator's pick of person; another user's entry is a 404, except to
//! administrators, who may correct anyone's (`tt_domain::may_modify_entry`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tt_app::entries::EntryTimes;
use tt_domain::{TimeEntry, TimeEntryId};

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
    GET "/entries/{id}/delete" => confirm_delete,
    POST "/entries/{id}/delete" => delete,
}

/// What the list shows: a period, a project, a client, a tag, billable
/// or not, and for administrators whose entries; and which page.
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
struct Filter {
    from: String,
    to: String,
    project_id: String,
    client_id: String,
    tag: String,
    billable: String,
    user_id: String,
    page: String,
}

impl Filter {
    fn parse(&self, cal: &tt_domain::Calendar) -> Result<tt_app::entries::EntryQuery, HttpError> {
        Ok(tt_app::entries::EntryQuery {
            user: input::id_text("user_id", &self.user_id, tt_domain::UserId::new)?,
            period: input::opt_period(Some(&self.from), Some(&self.to), cal)?,
            project: input::id_text("project_id", &self.project_id, tt_domain::ProjectId::new)?,
            client: input::id_text("client_id", &self.client_id, tt_domain::ClientId::new)?,
            tag: Some(self.tag.trim().to_owned()).filter(|t| !t.is_empty()),
            billable: crate::inputs::billable_choice(&self.billable),
            page: self.page.trim().parse().unwrap_or(1),
            per_page: tt_app::entries::PAGE_SIZE,
            totals: true,
        })
    }

    /// The query string of this filter on another page.
    fn href(&self, page: usize) -> String {
        let mut parts: Vec<String> = [
            ("from", &self.from),
            ("to", &self.to),
            ("project_id", &self.project_id),
            ("client_id", &self.client_id),
            ("tag", &self.tag),
            ("billable", &self.billable),
            ("user_id", &self.user_id),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", super::forms::url_encode(v.trim())))
        .collect();
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            "/entries".to_owned()
        } else {
            format!("/entries?{}", parts.join("&"))
        }
    }

    fn is_narrowed(&self) -> bool {
        [
            &self.from,
            &self.to,
            &self.project_id,
            &self.client_id,
            &self.tag,
            &self.billable,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }
}

/// One day of the list: its entries and what they add up to.
#[derive(Debug)]
struct DayGroup {
    label: String,
    total: String,
    rows: Vec<EntryView>,
}

/// One week of the list.
#[derive(Debug)]
struct WeekGroup {
    label: String,
    total: String,
    days: Vec<DayGroup>,
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
    weeks: Vec<WeekGroup>,
    filter: Filter,
    filter_error: Option<String>,
    /// Whose entries, when not the viewer's own.
    owner_name: Option<String>,
    count: usize,
    total: String,
    page: usize,
    pages: usize,
    newer_href: Option<String>,
    older_href: Option<String>,
    narrowed: bool,
    projects: Vec<Opt>,
    all_projects: Vec<Opt>,
    clients: Vec<Opt>,
    users: Vec<Opt>,
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
    let cal = user.calendar;
    let (query, filter_error) = match filter.parse(&cal) {
        Ok(q) => (q, None),
        Err(e) => (
            tt_app::entries::EntryQuery {
                totals: true,
                ..Default::default()
            },
            Some(e.to_string()),
        ),
    };
    let actor = user.actor();
    let admin = user.user.is_admin();
    let (found, clients, users) = state
        .run(move |app| {
            let found = tt_app::entries::search(app, &actor, &query)?;
            let clients = tt_app::catalog::clients(app, true)?;
            // Names for "corrected by"; the person picker is for admins.
            let users = tt_app::users::directory(app)?;
            Ok((found, clients, users))
        })
        .await?;
    let catalog = Catalog::load(state).await?;
    let now = tt_app::now();
    let names = super::view::user_names(&users);
    let total_of = |totals: &[(chrono::NaiveDate, i64)], key| {
        fmt_hm(
            totals
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(0, |(_, s)| *s),
        )
    };
    let mut weeks: Vec<WeekGroup> = Vec::new();
    for e in &found.entries {
        let day = cal.date_of(e.start);
        let week = cal.week_of(day);
        let mut view = catalog.entry_view(e, now, user);
        if let Some((by, at)) = e.changed.filter(|(by, _)| *by != Some(e.user_id)) {
            let who = by
                .and_then(|b| names.get(&b).cloned())
                .unwrap_or_else(|| "an administrator".to_owned());
            view.changed = Some(format!(
                "corrected by {who} on {}",
                super::forms::fmt_datetime(&cal, at)
            ));
        }
        let week_label = format!("Week from {}", week.format("%a %Y-%m-%d"));
        if weeks.last().is_none_or(|w| w.label != week_label) {
            weeks.push(WeekGroup {
                label: week_label,
                total: total_of(&found.week_totals, week),
                days: Vec::new(),
            });
        }
        let Some(w) = weeks.last_mut() else { continue };
        let day_label = day.format("%a %Y-%m-%d").to_string();
        if w.days.last().is_none_or(|d| d.label != day_label) {
            w.days.push(DayGroup {
                label: day_label,
                total: total_of(&found.day_totals, day),
                rows: Vec::new(),
            });
        }
        if let Some(d) = w.days.last_mut() {
            d.rows.push(view);
        }
    }
    let (status, error) = match problem {
        Some(p) => (p.status, Some(p.message)),
        None => (StatusCode::OK, None),
    };
    let own = found.owner == user.user.id;
    let page = EntriesPage {
        l: Layout::new(user, "Time entries", Nav::Entries)?,
        weeks,
        owner_name: (!own).then(|| {
            names
                .get(&found.owner)
                .cloned()
                .unwrap_or_else(|| format!("user #{}", found.owner))
        }),
        count: found.count,
        total: fmt_hm(found.seconds),
        page: found.page,
        pages: found.pages,
        newer_href: (found.page > 1).then(|| filter.href(found.page - 1)),
        older_href: (found.page < found.pages).then(|| filter.href(found.page + 1)),
        narrowed: filter.is_narrowed(),
        filter,
        filter_error,
        projects: catalog.project_options(),
        all_projects: catalog
            .projects
            .iter()
            .map(|p| Opt::new(p.id, p.name.as_str()))
            .collect(),
        clients: clients
            .iter()
            .map(|c| Opt::new(c.id, c.name.as_str()))
            .collect(),
        users: if admin {
            super::view::user_options(&users)
        } else {
            Vec::new()
        },
        task_groups: catalog.task_groups(None),
        form,
        error,
    };
    render_status(status, &page)
}

/// `GET /entries?from=&to=&project_id=&client_id=&tag=&billable=&user_id=&page=`.
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
                super::forms::fmt_date(&user.calendar, e.start)
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

/// The edit form: a day and two times of day, in the reader's zone.
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
    /// The form as an entry fills it, in the reader's zone.
    fn from_entry(e: &TimeEntry, cal: &tt_domain::Calendar) -> Self {
        EditForm {
            csrf_token: String::new(),
            project_id: e.project_id.to_string(),
            task_id: e.task_id.map(|t| t.to_string()).unwrap_or_default(),
            date: super::forms::fmt_date(cal, e.start),
            start_time: super::forms::fmt_time(cal, e.start),
            end_time: e
                .end
                .map(|t| super::forms::fmt_time(cal, t))
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
    let form = EditForm::from_entry(&entry, &user.calendar);
    show_edit(&state, &user, &entry, form, None).await
}

/// The times the edit form asks to set: none for a running timer, and none
/// when the date and times are left as shown — an entry longer than a day,
/// or with seconds, keeps its exact times when only its notes change.
fn edit_times(
    form: &EditForm,
    entry: &TimeEntry,
    cal: &tt_domain::Calendar,
) -> Result<Option<EntryTimes>, HttpError> {
    let shown = EditForm::from_entry(entry, cal);
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
    let parsed = edit_times(&form, &entry, &user.calendar).and_then(|r| {
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

#[derive(Template)]
#[template(path = "entry_delete.html")]
struct DeletePage {
    l: Layout,
    e: EntryView,
}

/// `GET /entries/{id}/delete`: what would be lost, and the button.
async fn confirm_delete(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let entry = find_own(&state, &user, path.into_inner()).await?;
    tt_domain::may_modify_entry(&user.user, &entry)?;
    let catalog = Catalog::load(&state).await?;
    let page = DeletePage {
        l: Layout::new(&user, "Delete entry", Nav::Entries)?,
        e: catalog.entry_view(&entry, tt_app::now(), &user),
    };
    render_status(StatusCode::OK, &page)
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
