//! Report aggregation: totals by project, user or day over a period.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};

use crate::{DomainError, HourlyRate, Money, ProjectId, UserId, invoice_line_amount};

/// How a summary report groups its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupBy {
    /// One row per project.
    Project,
    /// One row per user.
    User,
    /// One row per UTC day on which the entry started.
    Day,
}

impl GroupBy {
    /// The name used in query strings.
    pub const fn as_str(self) -> &'static str {
        match self {
            GroupBy::Project => "project",
            GroupBy::User => "user",
            GroupBy::Day => "day",
        }
    }
}

impl FromStr for GroupBy {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, DomainError> {
        match s {
            "project" => Ok(GroupBy::Project),
            "user" => Ok(GroupBy::User),
            "day" => Ok(GroupBy::Day),
            _ => Err(DomainError::invalid(
                "group_by",
                "must be one of: project, user, day",
            )),
        }
    }
}

/// The facts of one finished entry that a report needs.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput {
    /// Who worked.
    pub user_id: UserId,
    /// On what.
    pub project_id: ProjectId,
    /// When it started.
    pub start: DateTime<Utc>,
    /// How long, in seconds.
    pub seconds: i64,
    /// Whether it is billable.
    pub billable: bool,
    /// The project's rate, if any.
    pub rate: Option<HourlyRate>,
}

/// The key of a report row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportKey {
    /// A project.
    Project(ProjectId),
    /// A user.
    User(UserId),
    /// A UTC day.
    Day(NaiveDate),
}

/// One row of a summary report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// What the row is about.
    pub key: ReportKey,
    /// Total tracked seconds.
    pub seconds: i64,
    /// Billable seconds.
    pub billable_seconds: i64,
    /// Billable amount at the project rates.
    pub amount: Money,
    /// Number of entries.
    pub entries: u64,
}

/// Sums entries into rows, sorted by key.
pub fn summarize(
    entries: impl IntoIterator<Item = ReportInput>,
    group_by: GroupBy,
) -> Vec<ReportRow> {
    let mut rows: BTreeMap<ReportKey, ReportRow> = BTreeMap::new();
    for e in entries {
        let key = match group_by {
            GroupBy::Project => ReportKey::Project(e.project_id),
            GroupBy::User => ReportKey::User(e.user_id),
            GroupBy::Day => ReportKey::Day(e.start.date_naive()),
        };
        let row = rows.entry(key).or_insert(ReportRow {
            key,
            seconds: 0,
            billable_seconds: 0,
            amount: Money::ZERO,
            entries: 0,
        });
        row.seconds += e.seconds;
        row.entries += 1;
        if e.billable {
            row.billable_seconds += e.seconds;
            if let Some(rate) = e.rate {
                row.amount = row.amount + invoice_line_amount(e.seconds, rate);
            }
        }
    }
    rows.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn groups_and_sums() {
        let p1 = ProjectId::new(1).expect("id");
        let p2 = ProjectId::new(2).expect("id");
        let u = UserId::new(1).expect("id");
        let day = |d| {
            Utc.with_ymd_and_hms(2026, 3, d, 10, 0, 0)
                .single()
                .expect("date")
        };
        let rate = HourlyRate::parse("60").ok();
        let input = [
            ReportInput {
                user_id: u,
                project_id: p1,
                start: day(1),
                seconds: 3600,
                billable: true,
                rate,
            },
            ReportInput {
                user_id: u,
                project_id: p1,
                start: day(2),
                seconds: 1800,
                billable: false,
                rate,
            },
            ReportInput {
                user_id: u,
                project_id: p2,
                start: day(2),
                seconds: 60,
                billable: true,
                rate: None,
            },
        ];
        let by_project = summarize(input, GroupBy::Project);
        assert_eq!(by_project.len(), 2);
        assert_eq!(by_project[0].seconds, 5400);
        assert_eq!(by_project[0].billable_seconds, 3600);
        assert_eq!(by_project[0].amount, Money::from_cents(6000));
        assert_eq!(by_project[1].amount, Money::ZERO);
        let by_day = summarize(input, GroupBy::Day);
        assert_eq!(
            by_day.iter().map(|r| r.entries).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(summarize(input, GroupBy::User).len(), 1);
    }
}
