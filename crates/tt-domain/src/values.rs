//! Value types that are parsed once at the edge and valid from then on.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};

use crate::DomainError;

/// A login name: 3–64 characters of ASCII letters, digits, `.`, `_`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Parses a username.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if !(3..=64).contains(&s.len()) {
            return Err(DomainError::invalid(
                "username",
                "must be 3 to 64 characters",
            ));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err(DomainError::invalid(
                "username",
                "may contain only letters, digits, '.', '_' and '-'",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The username as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A plausible e-mail address (one `@`, a dot in the domain, no spaces).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an e-mail address.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let bad = DomainError::invalid("email", "is not a valid e-mail address");
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad);
        }
        let (local, domain) = s.split_once('@').ok_or(bad.clone())?;
        if local.is_empty() || domain.contains('@') || !domain.contains('.') {
            return Err(bad);
        }
        if domain.starts_with('.') || domain.ends_with('.') {
            return Err(bad);
        }
        Ok(Self(s.to_owned()))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 12–1024 characters (OWASP ASVS 2.1.1) that is hard to
/// guess — the zxcvbn estimator, told the account's own name and e-mail,
/// must rate it at least "safely unguessable" (3 of 4: more than 10^10
/// guesses). Only its first 100 characters are rated (the estimator's
/// cost grows with length; a password strong in its first 100 is strong).
/// Never displayed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The fewest characters a new password may have.
    pub const MIN_CHARS: usize = 12;
    /// The lowest zxcvbn score (0–4) a new password may have.
    pub const MIN_SCORE: u8 = 3;

    /// Parses a new password for the account known by `account` (its
    /// username and e-mail: a password built from them is easy to guess).
    /// A refusal says why, and what would help.
    pub fn parse(raw: &str, account: &[&str]) -> Result<Self, DomainError> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err(DomainError::invalid(
                "password",
                "must be at least 12 characters",
            ));
        }
        if raw.len() > 1024 {
            return Err(DomainError::invalid(
                "password",
                "must be at most 1024 bytes",
            ));
        }
        let rated: String = raw.chars().take(100).collect();
        let estimate = zxcvbn::zxcvbn(&rated, account);
        if u8::from(estimate.score()) < Self::MIN_SCORE {
            // "is too easy to guess: this is a very common password. Add
            // another word or two. Uncommon words are better."
            let mut why = String::from("is too easy to guess");
            let feedback = estimate.feedback();
            if let Some(warning) = feedback.and_then(|f| f.warning()) {
                let warning = warning.to_string();
                let mut chars = warning.chars();
                if let Some(first) = chars.next() {
                    why.push_str(": ");
                    why.extend(first.to_lowercase());
                    why.push_str(chars.as_str().trim_end_matches('.'));
                }
            }
            why.push('.');
            let hints: Vec<String> = feedback
                .map(|f| f.suggestions().iter().map(ToString::to_string).collect())
                .unwrap_or_default();
            if hints.is_empty() {
                why.push_str(" Add another word or two; uncommon words are better.");
            }
            for hint in hints {
                why.push(' ');
                why.push_str(hint.trim_end_matches('.'));
                why.push('.');
            }
            return Err(DomainError::Invalid {
                field: "password",
                reason: why.into(),
            });
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret itself, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A display name for a client, project or task: trimmed, 1–200 characters,
/// no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name(String);

impl Name {
    /// Parses a name.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(DomainError::invalid("name", "must not be empty"));
        }
        if s.chars().count() > 200 {
            return Err(DomainError::invalid(
                "name",
                "must be at most 200 characters",
            ));
        }
        if s.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "name",
                "must not contain control characters",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free text (notes, comment bodies, descriptions): at most 10,000
/// characters, line breaks and tabs allowed, no other control characters
/// (a NUL byte cannot even be stored by PostgreSQL). May be empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text(String);

impl Text {
    /// The longest text accepted, in characters.
    pub const MAX_CHARS: usize = 10_000;

    /// Parses free text.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::invalid(
                "text",
                "must be at most 10000 characters",
            ));
        }
        if raw
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(DomainError::invalid(
                "text",
                "must not contain control characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Parses text that must not be empty (a comment body).
    pub fn parse_non_empty(raw: &str) -> Result<Self, DomainError> {
        if raw.trim().is_empty() {
            return Err(DomainError::invalid("body", "must not be empty"));
        }
        Self::parse(raw)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Tags on a time entry: up to 20 tags of 1–50 characters, no commas,
/// stored comma-separated and deduplicated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags(Vec<String>);

impl Tags {
    /// Parses a list of tags.
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, DomainError> {
        let mut tags: Vec<String> = Vec::new();
        for t in raw {
            let t = t.as_ref().trim();
            if t.is_empty() {
                continue;
            }
            if !Tag::is_valid(t) {
                return Err(DomainError::invalid(
                    "tags",
                    "each tag must be at most 50 characters, without commas",
                ));
            }
            if !tags.iter().any(|x| x == t) {
                tags.push(t.to_owned());
            }
        }
        if tags.len() > 20 {
            return Err(DomainError::invalid("tags", "at most 20 tags"));
        }
        Ok(Self(tags))
    }

    /// Parses the stored comma-separated form.
    pub fn from_stored(s: &str) -> Self {
        Self(
            s.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    /// The comma-separated storage form.
    pub fn to_stored(&self) -> String {
        self.0.join(",")
    }

    /// The tags.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// One tag, as a report filters by it: 1–50 characters, no commas, the
/// same rule each of [`Tags`] follows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tag(String);

impl Tag {
    /// Parses one tag (surrounding blanks dropped).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let t = raw.trim();
        if t.is_empty() {
            return Err(DomainError::invalid("tag", "must not be empty"));
        }
        if !Self::is_valid(t) {
            return Err(DomainError::invalid(
                "tag",
                "must be one tag of at most 50 characters, without commas",
            ));
        }
        Ok(Self(t.to_owned()))
    }

    fn is_valid(t: &str) -> bool {
        t.chars().count() <= 50 && !t.contains(',') && !t.chars().any(char::is_control)
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Tags {
    /// Whether `tag` is one of these (exactly, letter case included).
    pub fn contains(&self, tag: &Tag) -> bool {
        self.0.iter().any(|t| t == tag.as_str())
    }
}

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Manages users, clients, projects, invoices and the installation.
    Admin,
    /// Tracks their own time.
    User,
}

/// Status of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    /// Not started.
    Todo,
    /// Being worked on.
    InProgress,
    /// Waiting for review.
    Review,
    /// Finished.
    Done,
}

/// Status of an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvoiceStatus {
    /// Being prepared; lines may still change.
    Draft,
    /// Sent to the client.
    Sent,
    /// Paid.
    Paid,
    /// Cancelled; its entries become billable again.
    Cancelled,
}

impl InvoiceStatus {
    /// Whether the rules allow moving from `self` to `next`.
    pub fn can_become(self, next: InvoiceStatus) -> bool {
        use InvoiceStatus::*;
        matches!(
            (self, next),
            (Draft, Sent) | (Sent, Paid) | (Draft | Sent, Cancelled)
        ) || self == next
    }
}

macro_rules! closed_enum_text {
    ($ty:ident as $field:literal { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $ty {
            /// Every value, in a stable order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];

            /// The lower-case name used in storage and on the wire.
            pub const fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),* }
            }
        }

        impl FromStr for $ty {
            type Err = DomainError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($ty::$variant),)*
                    _ => Err(DomainError::Invalid {
                        field: $field,
                        reason: format!(
                            "must be one of: {}",
                            [$($text),*].join(", ")
                        )
                        .into(),
                    }),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use closed_enum_text;

closed_enum_text!(Role as "role" { Admin => "admin", User => "user" });
closed_enum_text!(TaskStatus as "status" {
    Todo => "todo",
    InProgress => "in_progress",
    Review => "review",
    Done => "done",
});
closed_enum_text!(InvoiceStatus as "status" {
    Draft => "draft",
    Sent => "sent",
    Paid => "paid",
    Cancelled => "cancelled",
});

/// The years a date may fall in: anything else is a typo (`0202`, `20026`).
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=2199;

fn check_year(field: &'static str, t: DateTime<Utc>) -> Result<(), DomainError> {
    if YEARS.contains(&t.year()) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            "must be a date between 1970 and 2199",
        ))
    }
}

/// A closed time interval with `end > start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl TimeRange {
    /// The longest single entry accepted: 7 days.
    pub const MAX_SECONDS: i64 = 7 * 24 * 3600;

    /// How far into the future an entry may end: one day, so that work
    /// logged in a time zone ahead of the server's clock is accepted, while
    /// an entry dated next month or next year is not.
    pub const FUTURE_LEEWAY: Duration = Duration::days(1);

    /// Builds a range, rejecting an end before or equal to the start and
    /// entries longer than [`Self::MAX_SECONDS`].
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, DomainError> {
        if end <= start {
            return Err(DomainError::invalid("end", "must be after the start"));
        }
        if (end - start).num_seconds() > Self::MAX_SECONDS {
            return Err(DomainError::invalid(
                "end",
                "an entry may last at most 7 days",
            ));
        }
        Ok(Self { start, end })
    }

    /// The range of a time entry: [`Self::new`]'s rules, a year in
    /// [`YEARS`], and an end at most [`Self::FUTURE_LEEWAY`] after `now`.
    /// Every surface (API, web form, CLI) builds entries through this.
    pub fn for_entry(
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        check_year("start", start)?;
        check_year("end", end)?;
        let range = Self::new(start, end)?;
        if end > now + Self::FUTURE_LEEWAY {
            return Err(DomainError::invalid(
                "end",
                "must not be more than a day in the future",
            ));
        }
        Ok(range)
    }

    /// An entry given as a day and two times of day (the web forms). An end
    /// time earlier than the start time is an **overnight** entry ending on
    /// the next day (22:00–06:00 is eight hours); equal times are rejected,
    /// never read as 24 hours. The times are wall-clock times in
    /// `calendar`'s zone (a time the clocks skip is refused). Then
    /// [`Self::for_entry`]'s rules apply.
    pub fn on_day(
        calendar: &crate::Calendar,
        date: NaiveDate,
        start: NaiveTime,
        end: NaiveTime,
        now: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        if start == end {
            return Err(DomainError::invalid(
                "end",
                "must differ from the start (an end before the start means the next day)",
            ));
        }
        let end_day = if end < start {
            date.succ_opt()
                .ok_or(DomainError::invalid("end", "is out of range"))?
        } else {
            date
        };
        let start_at = calendar.instant("start", date.and_time(start))?;
        let end_at = calendar.instant("end", end_day.and_time(end))?;
        Self::for_entry(start_at, end_at, now)
    }

    /// The corrected start of a running timer: not in the future (a
    /// timer counts time that has passed) and at most [`Self::MAX_SECONDS`]
    /// ago, so that stopping it now makes an entry the rules accept.
    pub fn timer_start(
        start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, DomainError> {
        check_year("start", start)?;
        if start > now {
            return Err(DomainError::invalid(
                "start",
                "a running timer cannot start in the future",
            ));
        }
        if (now - start).num_seconds() > Self::MAX_SECONDS {
            return Err(DomainError::invalid(
                "start",
                "a running timer may have started at most 7 days ago",
            ));
        }
        Ok(start)
    }

    /// Start of the range.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// End of the range.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// Length in whole seconds.
    pub fn seconds(&self) -> i64 {
        (self.end - self.start).num_seconds()
    }
}

/// A report or export period: `from <= to`, at most ~10 years.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

impl Period {
    /// Builds a period.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Self, DomainError> {
        check_year("from", from)?;
        // `to` is exclusive: a period may end on the last day of 2199.
        check_year("to", to - Duration::seconds(1))?;
        if to < from {
            return Err(DomainError::invalid(
                "to",
                "must not be before the start date",
            ));
        }
        if (to - from).num_days() > 3700 {
            return Err(DomainError::invalid(
                "to",
                "a period may span at most 10 years",
            ));
        }
        Ok(Self { from, to })
    }

    /// Inclusive start.
    pub fn from(&self) -> DateTime<Utc> {
        self.from
    }

    /// Exclusive end.
    pub fn to(&self) -> DateTime<Utc> {
        self.to
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn usernames() {
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("alice smith").is_err());
        assert_eq!(
            Username::parse(" alice.s-1 ").map(|u| u.to_string()),
            Ok("alice.s-1".into())
        );
    }

    #[test]
    fn emails() {
        for bad in ["", "a", "a@b", "@b.c", "a@@b.c", "a b@c.d", "a@.c", "a@c."] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert!(Email::parse("a.b+c@example.org").is_ok());
    }

    #[test]
    fn names_and_text() {
        assert!(Name::parse("   ").is_err());
        assert!(Name::parse(&"x".repeat(201)).is_err());
        assert!(Name::parse("a\u{0007}b").is_err());
        assert_eq!(
            Name::parse("  Acme ").map(|n| n.to_string()),
            Ok("Acme".into())
        );
        assert!(Text::parse(&"x".repeat(10_001)).is_err());
        assert!(Text::parse("a\u{0}b").is_err());
        assert!(Text::parse("bell\u{7}").is_err());
        assert!(Text::parse("two\nlines\r\n\tindented").is_ok());
        assert!(Text::parse_non_empty(" \n").is_err());
    }

    #[test]
    fn password_debug_is_redacted() {
        let p = Password::parse("correct horse battery", &[]).expect("valid");
        assert_eq!(format!("{p:?}"), "Password(***)");
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        let why = |raw: &str, account: &[&str]| match Password::parse(raw, account) {
            Err(DomainError::Invalid { reason, .. }) => reason,
            other => panic!("{raw:?} accepted: {other:?}"),
        };
        assert_eq!(why("short", &[]), "must be at least 12 characters");
        // Long enough, but among the most common passwords.
        assert!(why("password1234", &[]).starts_with("is too easy to guess"));
        // Made of the account's own name: guessable only because of it.
        assert!(Password::parse("margaretha-1985", &[]).is_ok());
        assert!(why("margaretha-1985", &["margaretha"]).starts_with("is too easy to guess"));
        // Repetition is no strength.
        let repeated = why("abcabcabcabcabc", &[]);
        assert!(
            repeated.starts_with("is too easy to guess: repeats like"),
            "{repeated}"
        );
        assert!(repeated.ends_with('.'), "{repeated}");
    }

    #[test]
    fn tags_roundtrip() {
        let t = Tags::parse(&["a", " b ", "a", ""]).expect("valid");
        assert_eq!(t.to_stored(), "a,b");
        assert_eq!(Tags::from_stored("a,b"), t);
        assert!(Tags::parse(&["x,y"]).is_err());
        let tag = Tag::parse(" b ").expect("tag");
        assert_eq!(tag.as_str(), "b");
        assert!(t.contains(&tag));
        assert!(!t.contains(&Tag::parse("B").expect("tag")));
        for bad in ["", "  ", "x,y", &"z".repeat(51), "a\nb"] {
            assert!(Tag::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Tag::parse(&"z".repeat(50)).is_ok());
    }

    #[test]
    fn closed_enums_roundtrip() {
        for s in TaskStatus::ALL {
            assert_eq!(s.as_str().parse::<TaskStatus>(), Ok(*s));
        }
        assert!("doing".parse::<TaskStatus>().is_err());
        assert!("ADMIN".parse::<Role>().is_err());
    }

    #[test]
    fn invoice_transitions() {
        use InvoiceStatus::*;
        assert!(Draft.can_become(Sent));
        assert!(Sent.can_become(Paid));
        assert!(!Paid.can_become(Draft));
        assert!(!Paid.can_become(Cancelled));
        assert!(!Cancelled.can_become(Sent));
    }

    #[test]
    fn time_ranges() {
        let t0 = Utc
            .with_ymd_and_hms(2026, 1, 1, 9, 0, 0)
            .single()
            .expect("valid date");
        assert!(TimeRange::new(t0, t0).is_err());
        assert!(TimeRange::new(t0, t0 - chrono::Duration::seconds(1)).is_err());
        assert!(TimeRange::new(t0, t0 + chrono::Duration::days(8)).is_err());
        let r = TimeRange::new(t0, t0 + chrono::Duration::minutes(90)).expect("valid");
        assert_eq!(r.seconds(), 5400);
    }

    #[test]
    fn entry_ranges_have_sane_years_and_no_far_future() {
        let now = Utc
            .with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
            .single()
            .expect("date");
        let at = |y, m, d, h| {
            Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
                .single()
                .expect("date")
        };
        assert!(TimeRange::for_entry(at(2026, 6, 1, 9), at(2026, 6, 1, 10), now).is_ok());
        // Tomorrow morning in a zone ahead of UTC is fine; next year is not.
        assert!(TimeRange::for_entry(at(2026, 6, 2, 9), at(2026, 6, 2, 10), now).is_ok());
        assert!(TimeRange::for_entry(at(2027, 6, 1, 9), at(2027, 6, 1, 10), now).is_err());
        assert!(TimeRange::for_entry(at(1900, 6, 1, 9), at(1900, 6, 1, 10), now).is_err());
    }

    #[test]
    fn a_day_and_two_times() {
        let now = Utc
            .with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
            .single()
            .expect("date");
        let day = NaiveDate::from_ymd_opt(2026, 5, 4).expect("date");
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("time");
        let r =
            TimeRange::on_day(&crate::Calendar::UTC, day, t(9, 0), t(10, 30), now).expect("valid");
        assert_eq!(r.seconds(), 5400);
        let night = TimeRange::on_day(&crate::Calendar::UTC, day, t(22, 0), t(6, 0), now)
            .expect("overnight");
        assert_eq!(night.seconds(), 8 * 3600);
        assert_eq!(
            night.end().date_naive(),
            NaiveDate::from_ymd_opt(2026, 5, 5).expect("date")
        );
        assert!(TimeRange::on_day(&crate::Calendar::UTC, day, t(9, 0), t(9, 0), now).is_err());
        // A running timer's corrected start.
        assert!(TimeRange::timer_start(now - Duration::hours(3), now).is_ok());
        assert!(TimeRange::timer_start(now + Duration::minutes(1), now).is_err());
        assert!(TimeRange::timer_start(now - Duration::days(8), now).is_err());
        // A night shift in New York across the end of daylight saving time
        // lasts an hour longer than the clock faces say.
        let ny = crate::Calendar::new(
            crate::Zone::parse("America/New_York").expect("zone"),
            crate::WeekStart::Sunday,
        );
        let later = Utc
            .with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
            .single()
            .expect("date");
        let halloween = NaiveDate::from_ymd_opt(2026, 10, 31).expect("date");
        let shift = TimeRange::on_day(&ny, halloween, t(22, 0), t(6, 0), later).expect("shift");
        assert_eq!(shift.seconds(), 9 * 3600);
        assert_eq!(
            shift.start(),
            Utc.with_ymd_and_hms(2026, 11, 1, 2, 0, 0)
                .single()
                .expect("date")
        );
    }
}
