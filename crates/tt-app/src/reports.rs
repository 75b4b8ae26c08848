//! Reports: totals by project, user, day or week over a period, and the
//! entries behind them for a CSV export, narrowed by one filter (client,
//! project, user, tag, billable) that every surface reads with
//! [`ReportFilter::parse`]. Administrators see everybody's time and what it
//! is worth; users see their own hours and no money
//! ([`tt_domain::may_see_money`]). Money is valued by `tt_domain::bill`,
//! the rule invoices use, at each project's effective rate.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use tt_domain::{
    BillableFilter, Calendar, Client, ClientId, GroupBy, Period, Project, ProjectId, ReportInput,
    ReportKey, Summary, Tag, TimeEntry, User, UserId, effective_rate, may_see_money, summarize,
};
use tt_persistence::entries::{EntryFilter, RatedEntry};
use tt_persistence::{DbConnection, PersistenceError};

use crate::{Actor, App, AppError, Result, events, input};

/// A report's filter as typed: each field optional text, blank meaning
/// "not set" — what the web form, the API's query string and the CSV
/// download all hand to [`ReportFilter::parse`].
#[derive(Debug, Clone, Default)]
pub struct FilterText {
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today in the reader's zone).
    pub to: Option<String>,
    /// A client's id.
    pub client_id: Option<String>,
    /// A project's id.
    pub project_id: Option<String>,
    /// A user's id.
    pub user_id: Option<String>,
    /// One tag.
    pub tag: Option<String>,
    /// `all`, `billable` or `non_billable`.
    pub billable: Option<String>,
}

/// Which finished entries a report or an export covers: those that
/// started in `period` (local days of the reader), narrowed by every
/// criterion that is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFilter {
    /// When the entries started.
    pub period: Period,
    /// Only projects of this client.
    pub client: Option<ClientId>,
    /// Only this project.
    pub project: Option<ProjectId>,
    /// Only this user's time. A regular user may name only themselves;
    /// another id is refused ([`summary`], [`export_entries`]).
    pub user: Option<UserId>,
    /// Only entries carrying this tag (exactly, letter case included).
    pub tag: Option<Tag>,
    /// Billable entries, non-billable ones or both.
    pub billable: BillableFilter,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ReportFilter {
    /// Reads typed text into a filter, with the period's missing ends
    /// defaulting to the 30 days up to today in `calendar`'s zone. Only
    /// the shape is checked here; whether the ids exist and whether the
    /// reader may use them is decided by the report itself.
    pub fn parse(text: &FilterText, calendar: &Calendar) -> Result<Self> {
        Self::parse_on(text, calendar, calendar.today(crate::now()))
    }

    /// [`Self::parse`] with "today" given.
    pub fn parse_on(text: &FilterText, calendar: &Calendar, today: NaiveDate) -> Result<Self> {
        Ok(ReportFilter {
            period: input::period(text.from.as_deref(), text.to.as_deref(), calendar, today)?,
            client: input::id_text(
                "client_id",
                blank(&text.client_id).unwrap_or(""),
                ClientId::new,
            )?,
            project: input::id_text(
                "project_id",
                blank(&text.project_id).unwrap_or(""),
                ProjectId::new,
            )?,
            user: input::id_text("user_id", blank(&text.user_id).unwrap_or(""), UserId::new)?,
            tag: blank(&text.tag).map(Tag::parse).transpose()?,
            billable: blank(&text.billable)
                .map(str::parse)
                .transpose()?
                .unwrap_or_default(),
        })
    }

    /// Every finished entry of `period`.
    pub fn period(period: Period) -> Self {
        ReportFilter {
            period,
            client: None,
            project: None,
            user: None,
            tag: None,
            billable: BillableFilter::All,
        }
    }

    /// Whether anything but the period narrows the entries.
    pub fn is_narrowed(&self) -> bool {
        self.client.is_some()
            || self.project.is_some()
            || self.user.is_some()
            || self.tag.is_some()
            || self.billable != BillableFilter::All
    }
}

/// A summary with a label for every row.
#[derive(Debug, Clone)]
pub struct Report {
    /// How rows are grouped.
    pub group_by: GroupBy,
    /// The entries it covers; `filter.period` is the period.
    pub filter: ReportFilter,
    /// The period covered.
    pub period: Period,
    /// Rows and totals. For a reader who may not see money every amount
    /// is zero (and `money` is false): the figures are never computed for
    /// them, so no surface can show them by mistake.
    pub summary: Summary,
    /// Whether the reader may see what the time is worth.
    pub money: bool,
    /// The label of each row's key (project or user name, the day, or the
    /// week's first and last day).
    pub labels: HashMap<ReportKey, String>,
    /// Whose days: the reader's zone and week start.
    pub calendar: Calendar,
}

/// The entries of a period with the names to print beside them.
#[derive(Debug, Clone)]
pub struct EntryListing {
    /// Finished entries, oldest first.
    pub entries: Vec<TimeEntry>,
    /// Project names.
    pub projects: HashMap<ProjectId, String>,
    /// Usernames.
    pub users: HashMap<UserId, String>,
    /// The zone the export's times are written in: the reader's.
    pub calendar: Calendar,
}

/// What a report form offers to filter by.
#[derive(Debug, Clone)]
pub struct FilterChoices {
    /// Every client, archived ones too (old time is reported).
    pub clients: Vec<Client>,
    /// Every project, archived ones too.
    pub projects: Vec<Project>,
    /// Everybody, for an administrator; nobody for a regular user, who
    /// only ever sees their own time.
    pub users: Vec<User>,
}

/// The choices of the report form for `actor`.
pub fn filter_choices(app: &App, actor: &Actor) -> Result<FilterChoices> {
    app.read(|c| {
        Ok(FilterChoices {
            clients: tt_persistence::work::list_clients(c, true)?,
            projects: tt_persistence::work::list_projects(c, None, true)?,
            users: if actor.user.is_admin() {
                tt_persistence::users::list(c)?
            } else {
                Vec::new()
            },
        })
    })
}

/// Whose time `actor` reads under `filter`: an administrator everybody's
/// or the user they name; a regular user only their own — naming anybody
/// else is refused, whether that account exists or not.
fn scope(actor: &Actor, filter: &ReportFilter) -> Result<Option<UserId>> {
    if actor.user.is_admin() {
        return Ok(filter.user);
    }
    if let Some(u) = filter.user {
        tt_domain::may_view_time_of(&actor.user, u)?;
    }
    Ok(Some(actor.id()))
}

/// An id in a filter that names nothing is a mistake worth saying, not an
/// empty report.
fn must_exist<T>(field: &str, found: std::result::Result<T, PersistenceError>) -> Result<()> {
    match found {
        Ok(_) => Ok(()),
        Err(PersistenceError::NotFound) => Err(AppError::invalid_field(
            field,
            format!(
                "there is no such {}",
                tt_domain::field_label(field).to_lowercase()
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

fn check_ids(c: &mut DbConnection, filter: &ReportFilter, user: Option<UserId>) -> Result<()> {
    if let Some(id) = filter.client {
        must_exist("client_id", tt_persistence::work::find_client(c, id))?;
    }
    if let Some(id) = filter.project {
        must_exist("project_id", tt_persistence::work::find_project(c, id))?;
    }
    if let Some(id) = user {
        must_exist("user_id", tt_persistence::users::find(c, id))?;
    }
    Ok(())
}

struct Names {
    projects: HashMap<ProjectId, String>,
    users: HashMap<UserId, String>,
}

fn load(app: &App, actor: &Actor, filter: &ReportFilter) -> Result<(Vec<RatedEntry>, Names)> {
    let user = scope(actor, filter)?;
    app.read(|c| {
        check_ids(c, filter, user)?;
        let default_currency = tt_persistence::company::load(c)?.default_currency;
        let selection = EntryFilter {
            user,
            period: Some(filter.period),
            project: filter.project,
            client: filter.client,
            tag: filter.tag.as_ref().map(|t| t.as_str().to_owned()),
            billable: filter.billable.flag(),
        };
        let mut rated = tt_persistence::entries::rated_entries(c, &selection)?;
        for r in &mut rated {
            r.currency.get_or_insert(default_currency);
        }
        let projects = tt_persistence::work::list_projects(c, None, true)?
            .into_iter()
            .map(|p| (p.id, p.name.to_string()))
            .collect();
        let users = tt_persistence::users::list(c)?
            .into_iter()
            .map(|u| (u.id, u.username.to_string()))
            .collect();
        Ok((rated, Names { projects, users }))
    })
}

/// What a rated entry contributes to a report (its currency filled in
/// with the company default by [`load`] when its project has no client).
pub fn report_input(r: &RatedEntry) -> ReportInput {
    let e = &r.entry;
    ReportInput {
        user_id: e.user_id,
        project_id: e.project_id,
        start: e.start,
        seconds: e.seconds(e.start),
        billable: e.billable,
        rate: effective_rate(r.project_rate, r.client_rate),
        currency: r.currency.unwrap_or_default(),
    }
}

/// The label of a week: its first and last day.
pub fn week_label(first: NaiveDate) -> String {
    format!("{first} – {}", first + Duration::days(6))
}

/// The summary report of the entries `filter` takes, grouped by
/// `group_by`.
pub fn summary(
    app: &App,
    actor: &Actor,
    filter: &ReportFilter,
    group_by: GroupBy,
) -> Result<Report> {
    let (rated, names) = load(app, actor, filter)?;
    let calendar = app.calendar_of(&actor.user);
    let money = may_see_money(&actor.user);
    let inputs = rated.iter().map(report_input).map(|mut i| {
        if !money {
            // Valued at nothing: what the time is worth is not computed
            // for a reader who may not see it.
            i.rate = None;
        }
        i
    });
    let summary = summarize(inputs, group_by, &calendar);
    let labels = summary
        .rows
        .iter()
        .map(|r| {
            let label = match r.key {
                ReportKey::Project(p) => names.projects.get(&p).cloned().unwrap_or_default(),
                ReportKey::User(u) => names.users.get(&u).cloned().unwrap_or_default(),
                ReportKey::Day(d) => d.to_string(),
                ReportKey::Week(d) => week_label(d),
            };
            (r.key, label)
        })
        .collect();
    debug_assert!(money || summary.amount.is_zero());
    app.track(
        events::summary_viewed(group_by, filter.period),
        Some(actor.id()),
    );
    Ok(Report {
        group_by,
        filter: filter.clone(),
        period: filter.period,
        summary,
        money,
        labels,
        calendar,
    })
}

/// The finished entries `filter` takes, for an export (tracked as one).
pub fn export_entries(app: &App, actor: &Actor, filter: &ReportFilter) -> Result<EntryListing> {
    let (rated, names) = load(app, actor, filter)?;
    app.track(events::csv_exported(rated.len()), Some(actor.id()));
    Ok(EntryListing {
        entries: rated.into_iter().map(|r| r.entry).collect(),
        projects: names.projects,
        users: names.users,
        calendar: app.calendar_of(&actor.user),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(pairs: &[(&str, &str)]) -> FilterText {
        let mut t = FilterText::default();
        for (k, v) in pairs {
            let v = Some((*v).to_owned());
            match *k {
                "from" => t.from = v,
                "to" => t.to = v,
                "client_id" => t.client_id = v,
                "project_id" => t.project_id = v,
                "user_id" => t.user_id = v,
                "tag" => t.tag = v,
                "billable" => t.billable = v,
                _ => unreachable!("{k}"),
            }
        }
        t
    }

    fn parse(pairs: &[(&str, &str)]) -> std::result::Result<ReportFilter, String> {
        let today = NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
        ReportFilter::parse_on(&text(pairs), &Calendar::UTC, today).map_err(|e| e.to_string())
    }

    #[test]
    fn blank_fields_mean_everything_in_the_last_30_days() {
        let all = parse(&[]).expect("empty");
        let blanks = parse(&[
            ("from", " "),
            ("client_id", ""),
            ("project_id", "  "),
            ("user_id", ""),
            ("tag", " "),
            ("billable", ""),
        ])
        .expect("blanks");
        assert_eq!(all, blanks);
        assert!(!all.is_narrowed());
        assert_eq!(all.billable, BillableFilter::All);
        let (first, last) = Calendar::UTC.days_of(&all.period);
        assert_eq!(
            (first.to_string(), last.to_string()),
            ("2026-06-01".to_owned(), "2026-06-30".to_owned())
        );
    }

    #[test]
    fn every_field_is_read_into_its_type() {
        let f = parse(&[
            ("from", "2026-03-01"),
            ("to", "2026-03-31"),
            ("client_id", " 3 "),
            ("project_id", "7"),
            ("user_id", "2"),
            ("tag", " on site "),
            ("billable", "non_billable"),
        ])
        .expect("valid");
        assert_eq!(f.client.map(ClientId::get), Some(3));
        assert_eq!(f.project.map(ProjectId::get), Some(7));
        assert_eq!(f.user.map(UserId::get), Some(2));
        assert_eq!(f.tag.as_ref().map(Tag::as_str), Some("on site"));
        assert_eq!(f.billable, BillableFilter::NonBillable);
        assert!(f.is_narrowed());
        assert_eq!(
            parse(&[("billable", "billable")]).map(|f| f.billable),
            Ok(BillableFilter::Billable)
        );
    }

    #[test]
    fn bad_input_names_the_field() {
        let cases: [(&[(&str, &str)], &str); 10] = [
            (
                &[("from", "2026-02-30")],
                "Start date: expected a date as YYYY-MM-DD",
            ),
            (
                &[("from", "2026-04-01"), ("to", "2026-03-01")],
                "End date: must not be before the start date",
            ),
            (&[("client_id", "abc")], "Client: must be a positive id"),
            (&[("client_id", "0")], "Client: must be a positive id"),
            (&[("project_id", "-4")], "Project: must be a positive id"),
            (&[("user_id", "1.5")], "Person: must be a positive id"),
            (
                &[("tag", "a,b")],
                "Tag: must be one tag of at most 50 characters, without commas",
            ),
            (
                &[("billable", "yes")],
                "Billing: must be one of: all, billable, non_billable",
            ),
            (
                &[("billable", "Billable")],
                "Billing: must be one of: all, billable, non_billable",
            ),
            (
                &[("client_id", "99999999999999999999")],
                "Client: must be a positive id",
            ),
        ];
        for (input, message) in cases {
            assert_eq!(parse(input).err().as_deref(), Some(message), "{input:?}");
        }
    }

    #[test]
    fn weeks_are_labelled_by_their_days() {
        let first = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
        assert_eq!(week_label(first), "2026-03-01 – 2026-03-07");
    }
}
