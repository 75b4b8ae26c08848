//! Report aggregation: totals by project, user, day or week over a period,
//! and which entries a report takes (billable, non-billable or both).

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    Amounts, BillableWork, Calendar, Currency, DomainError, HourlyRate, ProjectId, UserId,
    billed_amount,
};

/// How a summary report groups its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupBy {
    /// One row per project.
    Project,
    /// One row per user.
    User,
    /// One row per local day on which the entry started.
    Day,
    /// One row per week (of the reader's calendar) in which the entry
    /// started, keyed by the week's first day.
    Week,
}

impl GroupBy {
    /// Every grouping, in a stable order.
    pub const ALL: &'static [GroupBy] =
        &[GroupBy::Project, GroupBy::User, GroupBy::Day, GroupBy::Week];

    /// The name used in query strings.
    pub const fn as_str(self) -> &'static str {
        match self {
            GroupBy::Project => "project",
            GroupBy::User => "user",
            GroupBy::Day => "day",
            GroupBy::Week => "week",
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
            "week" => Ok(GroupBy::Week),
            _ => Err(DomainError::invalid(
                "group_by",
                "must be one of: project, user, day, week",
            )),
        }
    }
}

/// Which entries a report takes by their billable flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BillableFilter {
    /// Billable and non-billable alike.
    #[default]
    All,
    /// Billable entries only.
    Billable,
    /// Non-billable entries only.
    NonBillable,
}

impl BillableFilter {
    /// Every choice, in the order offered.
    pub const ALL: &'static [BillableFilter] = &[
        BillableFilter::All,
        BillableFilter::Billable,
        BillableFilter::NonBillable,
    ];

    /// The name used in query strings.
    pub const fn as_str(self) -> &'static str {
        match self {
            BillableFilter::All => "all",
            BillableFilter::Billable => "billable",
            BillableFilter::NonBillable => "non_billable",
        }
    }

    /// The entries' billable flag this asks for (`None`: either).
    pub const fn flag(self) -> Option<bool> {
        match self {
            BillableFilter::All => None,
            BillableFilter::Billable => Some(true),
            BillableFilter::NonBillable => Some(false),
        }
    }
}

impl FromStr for BillableFilter {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, DomainError> {
        BillableFilter::ALL
            .iter()
            .copied()
            .find(|b| b.as_str() == s)
            .ok_or(DomainError::invalid(
                "billable",
                "must be one of: all, billable, non_billable",
            ))
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
    /// The project's effective rate (its own, else its client's default).
    pub rate: Option<HourlyRate>,
    /// The currency of the project's client.
    pub currency: Currency,
}

/// The key of a report row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportKey {
    /// A project.
    Project(ProjectId),
    /// A user.
    User(UserId),
    /// A local day.
    Day(NaiveDate),
    /// A week, by its first day.
    Week(NaiveDate),
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
    /// What the row's billable time is worth, by the rule invoices use
    /// ([`crate::bill`]: per project, printed hours × rate), per currency.
    pub amount: Amounts,
    /// Number of entries.
    pub entries: u64,
}

/// A summary: its rows and the totals of the whole period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// One row per key, sorted by key.
    pub rows: Vec<ReportRow>,
    /// Total tracked seconds.
    pub seconds: i64,
    /// Total billable seconds.
    pub billable_seconds: i64,
    /// What all billable time is worth: exactly the subtotal invoices for
    /// these entries would have, one line per project — per currency.
    pub amount: Amounts,
}

impl ReportInput {
    fn work(&self) -> Option<BillableWork> {
        self.billable.then_some(BillableWork {
            project_id: self.project_id,
            seconds: self.seconds,
            rate: self.rate,
            currency: self.currency,
        })
    }
}

/// Sums entries into rows, sorted by key, and totals. Days are the local
/// days of `calendar` on which the entries started; weeks start on its
/// first weekday.
pub fn summarize(
    entries: impl IntoIterator<Item = ReportInput>,
    group_by: GroupBy,
    calendar: &Calendar,
) -> Summary {
    let mut groups: BTreeMap<ReportKey, Vec<ReportInput>> = BTreeMap::new();
    let mut all = Vec::new();
    for e in entries {
        let key = match group_by {
            GroupBy::Project => ReportKey::Project(e.project_id),
            GroupBy::User => ReportKey::User(e.user_id),
            GroupBy::Day => ReportKey::Day(calendar.date_of(e.start)),
            GroupBy::Week => ReportKey::Week(calendar.week_of(calendar.date_of(e.start))),
        };
        groups.entry(key).or_default().push(e);
        all.push(e);
    }
    let rows = groups
        .into_iter()
        .map(|(key, list)| ReportRow {
            key,
            seconds: list.iter().map(|e| e.seconds).sum(),
            billable_seconds: list.iter().filter(|e| e.billable).map(|e| e.seconds).sum(),
            amount: billed_amount(list.iter().filter_map(ReportInput::work)),
            entries: list.len() as u64,
        })
        .collect();
    Summary {
        rows,
        seconds: all.iter().map(|e| e.seconds).sum(),
        billable_seconds: all.iter().filter(|e| e.billable).map(|e| e.seconds).sum(),
        amount: billed_amount(all.iter().filter_map(ReportInput::work)),
    }
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
                currency: Currency::EUR,
            },
            ReportInput {
                user_id: u,
                project_id: p1,
                start: day(2),
                seconds: 1800,
                billable: false,
                rate,
                currency: Currency::EUR,
            },
            ReportInput {
                user_id: u,
                project_id: p2,
                start: day(2),
                seconds: 60,
                billable: true,
                rate: None,
                currency: Currency::EUR,
            },
        ];
        let by_project = summarize(input, GroupBy::Project, &Calendar::UTC).rows;
        assert_eq!(by_project.len(), 2);
        assert_eq!(by_project[0].seconds, 5400);
        assert_eq!(by_project[0].billable_seconds, 3600);
        assert_eq!(by_project[0].amount.to_string(), "60.00 EUR");
        assert!(by_project[1].amount.is_zero());
        let by_day = summarize(input, GroupBy::Day, &Calendar::UTC).rows;
        assert_eq!(
            by_day.iter().map(|r| r.entries).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(
            summarize(input, GroupBy::User, &Calendar::UTC).rows.len(),
            1
        );
        assert_eq!(
            summarize(input, GroupBy::Day, &Calendar::UTC)
                .amount
                .to_string(),
            "60.00 EUR"
        );
        // 22:00 UTC on 1 March is 03:30 on 2 March in Kolkata and 17:00 on
        // 1 March in New York: each person's report puts it on their day.
        let late = ReportInput {
            start: Utc
                .with_ymd_and_hms(2026, 3, 1, 22, 0, 0)
                .single()
                .expect("date"),
            ..input[0]
        };
        let day_in = |zone: &str| {
            let cal = Calendar::new(
                crate::Zone::parse(zone).expect("zone"),
                crate::WeekStart::Monday,
            );
            summarize([late], GroupBy::Day, &cal).rows[0].key
        };
        let d = |n| ReportKey::Day(chrono::NaiveDate::from_ymd_opt(2026, 3, n).expect("date"));
        assert_eq!(day_in("Asia/Kolkata"), d(2));
        assert_eq!(day_in("America/New_York"), d(1));
    }

    #[test]
    fn weeks_start_on_the_readers_first_weekday() {
        let p = ProjectId::new(1).expect("id");
        let u = UserId::new(1).expect("id");
        // Saturday 7, Sunday 8 and Monday 9 March 2026, at noon UTC.
        let at = |d| ReportInput {
            user_id: u,
            project_id: p,
            start: Utc
                .with_ymd_and_hms(2026, 3, d, 12, 0, 0)
                .single()
                .expect("date"),
            seconds: 3600,
            billable: true,
            rate: None,
            currency: Currency::EUR,
        };
        let input = [at(7), at(8), at(9)];
        let weeks = |start: crate::WeekStart| {
            let cal = Calendar::new(crate::Zone::UTC, start);
            summarize(input, GroupBy::Week, &cal)
                .rows
                .into_iter()
                .map(|r| (r.key, r.seconds))
                .collect::<Vec<_>>()
        };
        let w = |d| ReportKey::Week(NaiveDate::from_ymd_opt(2026, 3, d).expect("date"));
        assert_eq!(
            weeks(crate::WeekStart::Monday),
            vec![(w(2), 7200), (w(9), 3600)]
        );
        assert_eq!(
            weeks(crate::WeekStart::Sunday),
            vec![(w(1), 3600), (w(8), 7200)]
        );
        assert_eq!(weeks(crate::WeekStart::Saturday), vec![(w(7), 10800)]);
    }

    #[test]
    fn grouping_and_billable_names() {
        for g in GroupBy::ALL {
            assert_eq!(g.as_str().parse::<GroupBy>(), Ok(*g));
        }
        assert!("month".parse::<GroupBy>().is_err());
        assert_eq!(
            BillableFilter::ALL
                .iter()
                .map(|b| (b.as_str(), b.flag()))
                .collect::<Vec<_>>(),
            vec![
                ("all", None),
                ("billable", Some(true)),
                ("non_billable", Some(false))
            ]
        );
        for b in BillableFilter::ALL {
            assert_eq!(b.as_str().parse::<BillableFilter>(), Ok(*b));
        }
        for bad in ["", "yes", "true", "Billable", "non-billable"] {
            assert!(bad.parse::<BillableFilter>().is_err(), "{bad:?}");
        }
    }
}
