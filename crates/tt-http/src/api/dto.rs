//! Wire shapes of the API and their translation to and from the domain.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::Serialize;
use tt_app::input::id as id_of;
use tt_domain::{
    Calendar, Client, ClientId, Comment, CommentTarget, Invoice, Party, Project, ProjectId, Task,
    TaskId, TimeEntry, User, UserId, may_see_money,
};
use utoipa::ToSchema;

use super::openapi::{InvoiceStatusName, RoleName, TaskStatusName};
use crate::error::HttpError;

// ------------------------------------------------------------------ users

#[derive(Serialize, ToSchema)]
pub(crate) struct UserDto {
    id: i64,
    username: String,
    #[schema(required)]
    email: Option<String>,
    #[schema(value_type = RoleName)]
    role: &'static str,
    active: bool,
    /// An administrator reset the password; the user must choose a new one
    /// (on the web) before signing in through the API.
    must_change_password: bool,
    /// The IANA time zone the user chose; null: the installation's
    /// default applies.
    #[schema(required)]
    time_zone: Option<&'static str>,
    /// `monday`, `sunday` or `saturday`; null: the installation's default.
    #[schema(required)]
    week_start: Option<&'static str>,
    created_at: DateTime<Utc>,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        UserDto {
            id: u.id.get(),
            username: u.username.to_string(),
            email: u.email.as_ref().map(|e| e.as_str().to_owned()),
            role: u.role.as_str(),
            active: u.active,
            must_change_password: u.must_change_password,
            time_zone: u.time_zone.map(|z| z.name()),
            week_start: u.week_start.map(|w| w.as_str()),
            created_at: u.created_at,
        }
    }
}

/// An API token as its owner sees it (never the token itself).
#[derive(Serialize, ToSchema)]
pub(crate) struct TokenDto {
    #[schema(minimum = 1)]
    id: i64,
    name: String,
    created_at: DateTime<Utc>,
    /// When it stops working; null: until revoked.
    #[schema(required)]
    expires_at: Option<DateTime<Utc>>,
    /// When it was last used, to the minute; null: never.
    #[schema(required)]
    last_used_at: Option<DateTime<Utc>>,
    /// Whether this is the token the request was made with.
    current: bool,
}

impl TokenDto {
    pub(crate) fn new(t: tt_app::auth::TokenInfo, current: Option<i64>) -> Self {
        TokenDto {
            current: Some(t.id) == current,
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// A token just made: its description and, this once, the token.
#[derive(Serialize, ToSchema)]
pub(crate) struct NewTokenDto {
    /// Send as `Authorization: Bearer <token>`; not shown again.
    #[schema(pattern = "^tt_")]
    token: String,
    #[serde(flatten)]
    info: TokenDto,
}

impl NewTokenDto {
    pub(crate) fn new(info: tt_app::auth::TokenInfo, token: String) -> Self {
        NewTokenDto {
            token,
            info: TokenDto::new(info, None),
        }
    }
}

// ---------------------------------------------------------------- clients

#[derive(Serialize, ToSchema)]
pub(crate) struct ClientDto {
    id: i64,
    name: String,
    #[schema(required)]
    email: Option<String>,
    /// The client's default hourly rate, `null` when it has none.
    /// **Administrators only:** absent for other users, who see no money.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, pattern = r"^-?[0-9]+\.[0-9]{2}$")]
    default_hourly_rate: Option<Option<String>>,
    archived: bool,
    /// Postal address printed on invoices (lines separated by `\n`).
    address: String,
    /// VAT or tax id printed on invoices.
    tax_id: String,
    /// ISO 4217 code the client is billed in.
    #[schema(pattern = "^[A-Z]{3}$")]
    currency: &'static str,
}

impl ClientDto {
    /// A client as `reader` may see it: its rate only for those who may
    /// see money ([`tt_domain::may_see_money`]).
    pub(crate) fn new(c: &Client, reader: &User) -> Self {
        ClientDto {
            id: c.id.get(),
            name: c.name.to_string(),
            email: c.email.as_ref().map(|e| e.as_str().to_owned()),
            default_hourly_rate: may_see_money(reader)
                .then(|| c.default_hourly_rate.map(|r| r.per_hour().to_string())),
            archived: c.archived,
            address: c.address.clone(),
            tax_id: c.tax_id.clone(),
            currency: c.currency.code(),
        }
    }
}

// ---------------------------------------------------------------- projects

#[derive(Serialize, ToSchema)]
pub(crate) struct ProjectDto {
    id: i64,
    #[schema(required)]
    client_id: Option<i64>,
    name: String,
    description: String,
    billable: bool,
    /// The project's own hourly rate, `null` when it bills at its
    /// client's default. **Administrators only:** absent for other users,
    /// who see no money.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, pattern = r"^-?[0-9]+\.[0-9]{2}$")]
    hourly_rate: Option<Option<String>>,
    archived: bool,
}

impl ProjectDto {
    /// A project as `reader` may see it: its rate only for those who may
    /// see money ([`tt_domain::may_see_money`]).
    pub(crate) fn new(p: &Project, reader: &User) -> Self {
        ProjectDto {
            id: p.id.get(),
            client_id: p.client_id.map(ClientId::get),
            name: p.name.to_string(),
            description: p.description.as_str().to_owned(),
            billable: p.billable,
            hourly_rate: may_see_money(reader)
                .then(|| p.hourly_rate.map(|r| r.per_hour().to_string())),
            archived: p.archived,
        }
    }
}

// ------------------------------------------------------------------ tasks

#[derive(Serialize, ToSchema)]
pub(crate) struct TaskDto {
    id: i64,
    project_id: i64,
    name: String,
    description: String,
    #[schema(value_type = TaskStatusName)]
    status: &'static str,
    #[schema(required)]
    assignee_id: Option<i64>,
    #[schema(required)]
    due_date: Option<NaiveDate>,
    archived: bool,
}

impl From<&Task> for TaskDto {
    fn from(t: &Task) -> Self {
        TaskDto {
            id: t.id.get(),
            project_id: t.project_id.get(),
            name: t.name.to_string(),
            description: t.description.as_str().to_owned(),
            status: t.status.as_str(),
            assignee_id: t.assignee_id.map(UserId::get),
            due_date: t.due_date,
            archived: t.archived,
        }
    }
}

// --------------------------------------------------------------- comments

#[derive(Serialize, ToSchema)]
pub(crate) struct CommentDto {
    id: i64,
    user_id: i64,
    #[schema(required)]
    project_id: Option<i64>,
    #[schema(required)]
    task_id: Option<i64>,
    body: String,
    created_at: DateTime<Utc>,
}

impl From<&Comment> for CommentDto {
    fn from(c: &Comment) -> Self {
        let (project_id, task_id) = match c.target {
            CommentTarget::Project(p) => (Some(p.get()), None),
            CommentTarget::Task(t) => (None, Some(t.get())),
        };
        CommentDto {
            id: c.id.get(),
            user_id: c.user_id.get(),
            project_id,
            task_id,
            body: c.body.as_str().to_owned(),
            created_at: c.created_at,
        }
    }
}

/// Exactly one of `project_id` and `task_id`.
pub(crate) fn comment_target(
    project_id: Option<i64>,
    task_id: Option<i64>,
) -> Result<CommentTarget, HttpError> {
    match (project_id, task_id) {
        (Some(p), None) => Ok(CommentTarget::Project(id_of(
            "project_id",
            p,
            ProjectId::new,
        )?)),
        (None, Some(t)) => Ok(CommentTarget::Task(id_of("task_id", t, TaskId::new)?)),
        _ => Err(HttpError::Validation(
            "give exactly one of project_id and task_id".into(),
        )),
    }
}

// ----------------------------------------------------------- time entries

#[derive(Serialize, ToSchema)]
pub(crate) struct EntryDto {
    id: i64,
    user_id: i64,
    project_id: i64,
    #[schema(required)]
    task_id: Option<i64>,
    /// RFC 3339 with the reader's UTC offset at that moment, e.g.
    /// `2026-03-08T09:00:00-04:00`.
    #[serde(serialize_with = "rfc3339::one")]
    start: DateTime<FixedOffset>,
    /// As `start`; null while the timer runs.
    #[schema(required)]
    #[serde(serialize_with = "rfc3339::optional")]
    end: Option<DateTime<FixedOffset>>,
    duration_seconds: i64,
    running: bool,
    notes: String,
    tags: Vec<String>,
    billable: bool,
    #[schema(required)]
    invoice_id: Option<i64>,
}

/// Times as chrono writes them (RFC 3339, fractions only where there are
/// any), formatted once and written as one string. chrono's own
/// `Serialize` hands serde_json a `Display`, which escapes the text one
/// digit at a time: a seventh of the entry list's cost. The common case
/// (years 0–9999, whole-minute offsets, no leap second) is written into a
/// stack buffer; anything else goes through chrono.
mod rfc3339 {
    use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, Timelike};
    use serde::Serializer;

    /// `YYYY-MM-DDTHH:MM:SS.fffffffff+HH:MM` is the longest: 35 bytes.
    struct Text {
        buf: [u8; 35],
        len: usize,
    }

    impl Text {
        fn digits(&mut self, value: u32, width: usize) {
            let mut v = value;
            for i in (0..width).rev() {
                self.buf[self.len + i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
            self.len += width;
        }

        fn byte(&mut self, b: u8) {
            self.buf[self.len] = b;
            self.len += 1;
        }

        fn as_str(&self) -> &str {
            // Only ASCII digits and separators are ever written.
            std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
        }
    }

    /// The text of `t`, or `None` where chrono must write it.
    fn fast(t: &DateTime<FixedOffset>) -> Option<Text> {
        let offset = t.offset().local_minus_utc();
        // Once: each accessor of `DateTime` would add the offset again.
        let local = t.naive_local();
        let (date, time) = (local.date(), local.time());
        let year = u32::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
        let nanos = time.nanosecond();
        if nanos >= 1_000_000_000 || offset % 60 != 0 {
            return None;
        }
        let mut out = Text {
            buf: [0; 35],
            len: 0,
        };
        out.digits(year, 4);
        out.byte(b'-');
        out.digits(date.month(), 2);
        out.byte(b'-');
        out.digits(date.day(), 2);
        out.byte(b'T');
        out.digits(time.hour(), 2);
        out.byte(b':');
        out.digits(time.minute(), 2);
        out.byte(b':');
        out.digits(time.second(), 2);
        if nanos != 0 {
            out.byte(b'.');
            match nanos {
                n if n % 1_000_000 == 0 => out.digits(n / 1_000_000, 3),
                n if n % 1_000 == 0 => out.digits(n / 1_000, 6),
                n => out.digits(n, 9),
            }
        }
        if offset == 0 {
            out.byte(b'Z');
        } else {
            out.byte(if offset < 0 { b'-' } else { b'+' });
            let minutes = offset.unsigned_abs() / 60;
            out.digits(minutes / 60, 2);
            out.byte(b':');
            out.digits(minutes % 60, 2);
        }
        Some(out)
    }

    fn write<S: Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
        match fast(t) {
            Some(text) => s.serialize_str(text.as_str()),
            None => s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        }
    }

    pub(super) fn one<S: Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
        write(t, s)
    }

    pub(super) fn optional<S: Serializer>(
        t: &Option<DateTime<FixedOffset>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        struct Time<'a>(&'a DateTime<FixedOffset>);
        impl serde::Serialize for Time<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                write(self.0, s)
            }
        }
        match t {
            Some(t) => s.serialize_some(&Time(t)),
            None => s.serialize_none(),
        }
    }

    #[cfg(test)]
    mod tests {
        use chrono::{DateTime, FixedOffset};

        /// The same text as chrono's own `Serialize`, fractions included.
        #[test]
        fn writes_what_chrono_writes() {
            for t in [
                "2026-03-08T09:00:00-04:00",
                "2026-03-08T09:00:00.5+05:30",
                "1999-12-31T23:59:59.123456789Z",
                "2026-11-01T01:30:00.000001-07:00",
                "0000-01-01T00:00:00+00:00",
                "9999-12-31T23:59:59.999+14:00",
                "2016-12-31T23:59:60Z",
                "2026-06-30T12:00:00.010-00:30",
            ] {
                let t = DateTime::<FixedOffset>::parse_from_rfc3339(t).unwrap();
                same_as_chrono(&t);
            }
            // Offsets with seconds, years beyond four digits and leap
            // seconds take chrono's path; the rest the fast one. Both
            // must write what chrono writes.
            let seconds = [0, 1, 59, 86_399, 1_700_000_000, -1, -62_135_596_800];
            let nanos = [
                0,
                1,
                999,
                1_000,
                120_000,
                7_000_000,
                999_999_999,
                1_500_000_000,
            ];
            let offsets = [
                0, 60, -60, 3600, -3600, 19_800, -34_200, 50_400, -43_200, 45, -3_599,
            ];
            for s in seconds {
                for n in nanos {
                    for o in offsets {
                        // A leap second exists only at a minute's end.
                        let Some(utc) = DateTime::from_timestamp(s, n) else {
                            assert!(n >= 1_000_000_000, "{s} {n}");
                            continue;
                        };
                        let t = utc.with_timezone(&FixedOffset::east_opt(o).unwrap());
                        same_as_chrono(&t);
                    }
                }
            }
            let far = DateTime::from_timestamp(300_000_000_000, 0).unwrap();
            same_as_chrono(&far.fixed_offset());
            let mut none = Vec::new();
            super::optional(&None, &mut serde_json::Serializer::new(&mut none)).unwrap();
            assert_eq!(none, b"null");
        }

        fn same_as_chrono(t: &DateTime<FixedOffset>) {
            let expected = serde_json::to_string(t).unwrap();
            let mut ours = Vec::new();
            super::one(t, &mut serde_json::Serializer::new(&mut ours)).unwrap();
            assert_eq!(String::from_utf8(ours).unwrap(), expected, "{t:?}");
            let mut some = Vec::new();
            super::optional(&Some(*t), &mut serde_json::Serializer::new(&mut some)).unwrap();
            assert_eq!(String::from_utf8(some).unwrap(), expected, "{t:?}");
        }
    }
}

impl EntryDto {
    /// The entry with its times in `calendar`'s zone.
    pub(crate) fn new(e: &TimeEntry, now: DateTime<Utc>, calendar: &Calendar) -> Self {
        EntryDto {
            id: e.id.get(),
            user_id: e.user_id.get(),
            project_id: e.project_id.get(),
            task_id: e.task_id.map(TaskId::get),
            start: calendar.with_offset(e.start),
            end: e.end.map(|t| calendar.with_offset(t)),
            duration_seconds: e.seconds(now),
            running: e.is_running(),
            notes: e.notes.as_str().to_owned(),
            tags: e.tags.as_slice().to_vec(),
            billable: e.billable,
            invoice_id: e.invoice_id.map(|i| i.get()),
        }
    }
}

// --------------------------------------------------------------- invoices

/// One line: `quantity × unit_price = amount`, exactly.
#[derive(Serialize, ToSchema)]
pub(crate) struct InvoiceLineDto {
    /// `time` (tracked; quantity in hours) or `custom`.
    #[schema(pattern = "^(time|custom)$")]
    kind: &'static str,
    #[schema(required)]
    project_id: Option<i64>,
    description: String,
    /// Exact tracked seconds (0 for custom lines).
    seconds: i64,
    /// Two decimals: the quantity the amount is computed from.
    #[schema(pattern = r"^[0-9]+\.[0-9]{2}$")]
    quantity: String,
    /// Two decimals, per hour for time lines.
    #[schema(pattern = r"^[0-9]+\.[0-9]{2}$")]
    unit_price: String,
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]{1,3})?$")]
    amount: String,
}

/// Who sends or receives an invoice.
#[derive(Serialize, ToSchema)]
pub(crate) struct PartyDto {
    name: String,
    address: String,
    tax_id: String,
    email: String,
    bank_details: String,
}

impl From<&Party> for PartyDto {
    fn from(p: &Party) -> Self {
        PartyDto {
            name: p.name.clone(),
            address: p.address.clone(),
            tax_id: p.tax_id.clone(),
            email: p.email.clone(),
            bank_details: p.bank_details.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct InvoiceDto {
    id: i64,
    /// The counter's value once issued; null for drafts.
    #[schema(required)]
    number: Option<i64>,
    /// The number as printed (`INV-2026-0007`), or `Draft #7`.
    display_number: String,
    client_id: i64,
    #[schema(value_type = InvoiceStatusName)]
    status: &'static str,
    issue_date: NaiveDate,
    #[schema(required)]
    due_date: Option<NaiveDate>,
    /// ISO 4217 code of every amount on it.
    #[schema(pattern = "^[A-Z]{3}$")]
    currency: &'static str,
    /// Percent, two decimals.
    #[schema(pattern = r"^[0-9]+\.[0-9]{2}$")]
    discount: String,
    /// Percent, two decimals.
    #[schema(pattern = r"^[0-9]+\.[0-9]{2}$")]
    tax_rate: String,
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]{1,3})?$")]
    subtotal: String,
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]{1,3})?$")]
    discount_amount: String,
    /// Subtotal minus discount: what the tax is computed on.
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]{1,3})?$")]
    net: String,
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]{1,3})?$")]
    tax: String,
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]{1,3})?$")]
    total: String,
    notes: String,
    /// With one invoice; absent from lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    lines: Option<Vec<InvoiceLineDto>>,
    /// With one invoice: as recorded when it was issued, or the current
    /// details for a draft.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    sender: Option<PartyDto>,
    /// With one invoice, like `sender`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    recipient: Option<PartyDto>,
}

fn percent(bp: i64) -> String {
    format!("{}.{:02}", bp / 100, bp % 100)
}

impl InvoiceDto {
    /// An invoice in a list (no lines, no parties).
    pub(crate) fn summary(i: &Invoice) -> Self {
        let cur = i.currency;
        let t = &i.totals;
        InvoiceDto {
            id: i.id.get(),
            number: i.number,
            display_number: i.display_number(),
            client_id: i.client_id.get(),
            status: i.status.as_str(),
            issue_date: i.issue_date,
            due_date: i.due_date,
            currency: cur.code(),
            discount: percent(i.discount.basis_points()),
            tax_rate: percent(i.tax_rate.basis_points()),
            subtotal: cur.decimal(t.subtotal),
            discount_amount: cur.decimal(t.discount),
            net: cur.decimal(t.net),
            tax: cur.decimal(t.tax),
            total: cur.decimal(t.total),
            notes: i.notes.clone(),
            lines: None,
            sender: None,
            recipient: None,
        }
    }

    /// One invoice with its lines and who sends and receives it.
    pub(crate) fn full(d: &tt_app::invoices::InvoiceDocument) -> Self {
        let i = &d.invoice;
        let cur = i.currency;
        InvoiceDto {
            lines: Some(
                i.lines
                    .iter()
                    .map(|l| InvoiceLineDto {
                        kind: l.kind.as_str(),
                        project_id: l.project_id.map(ProjectId::get),
                        description: l.description.clone(),
                        seconds: l.seconds,
                        quantity: l.quantity.to_string(),
                        unit_price: l.unit_price.to_string(),
                        amount: cur.decimal(l.amount),
                    })
                    .collect(),
            ),
            sender: Some(PartyDto::from(&d.sender)),
            recipient: Some(PartyDto::from(&d.recipient)),
            ..InvoiceDto::summary(i)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::export::hours;

    #[test]
    fn hours_round_half_up() {
        assert_eq!(hours(0), "0.00");
        assert_eq!(hours(5400), "1.50");
        assert_eq!(hours(18), "0.01");
        assert_eq!(hours(17), "0.00");
    }
}
