//! Reports: totals by project, user or day over a period, and the entries
//! behind them for a CSV export. Administrators see everybody's time,
//! users their own. Money is valued by `tt_domain::bill`, the rule invoices
//! use, at each project's effective rate.

use std::collections::HashMap;

use tt_domain::{
    Calendar, GroupBy, Period, ProjectId, ReportInput, ReportKey, Summary, TimeEntry, UserId,
    effective_rate, summarize,
};
use tt_persistence::entries::RatedEntry;

use crate::{Actor, App, Result, events};

/// A summary with a label for every row.
#[derive(Debug, Clone)]
pub struct Report {
    /// How rows are grouped.
    pub group_by: GroupBy,
    /// The period covered.
    pub period: Period,
    /// Rows and totals.
    pub summary: Summary,
    /// The label of each row's key (project or user name, or the day).
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

fn load(app: &App, actor: &Actor, period: Period) -> Result<(Vec<RatedEntry>, EntryListingNames)> {
    let scope = (!actor.user.is_admin()).then_some(actor.id());
    app.read(|c| {
        let default_currency = tt_persistence::company::load(c)?.default_currency;
        let mut rated = tt_persistence::entries::rated_entries(c, scope, period)?;
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
        Ok((rated, EntryListingNames { projects, users }))
    })
}

struct EntryListingNames {
    projects: HashMap<ProjectId, String>,
    users: HashMap<UserId, String>,
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

/// The summary report of `period`, grouped by `group_by`.
pub fn summary(app: &App, actor: &Actor, period: Period, group_by: GroupBy) -> Result<Report> {
    let (rated, names) = load(app, actor, period)?;
    let calendar = app.calendar_of(&actor.user);
    let summary = summarize(rated.iter().map(report_input), group_by, &calendar);
    let labels = summary
        .rows
        .iter()
        .map(|r| {
            let label = match r.key {
                ReportKey::Project(p) => names.projects.get(&p).cloned().unwrap_or_default(),
                ReportKey::User(u) => names.users.get(&u).cloned().unwrap_or_default(),
                ReportKey::Day(d) => d.to_string(),
            };
            (r.key, label)
        })
        .collect();
    app.track(events::summary_viewed(group_by, period), Some(actor.id()));
    Ok(Report {
        group_by,
        period,
        summary,
        labels,
        calendar,
    })
}

/// The finished entries of `period` for an export (tracked as one).
pub fn export_entries(app: &App, actor: &Actor, period: Period) -> Result<EntryListing> {
    let (rated, names) = load(app, actor, period)?;
    app.track(events::csv_exported(rated.len()), Some(actor.id()));
    Ok(EntryListing {
        entries: rated.into_iter().map(|r| r.entry).collect(),
        projects: names.projects,
        users: names.users,
        calendar: app.calendar_of(&actor.user),
    })
}
