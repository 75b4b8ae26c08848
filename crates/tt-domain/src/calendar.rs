//! Local time: the IANA time zone a person works in and the first day of
//! their week. Instants are stored in UTC; every date a person types or
//! reads ("today", "this week", a report day, 09:00 on a form) is in their
//! zone, with daylight-saving changes applied by the IANA database.

use std::fmt;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

use crate::{DomainError, Period};

/// An IANA time zone such as `Europe/Berlin` or `America/New_York`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone(Tz);

/// The regions whose zones are offered for choosing (plus `UTC`): the
/// canonical `Area/Location` names, without the legacy aliases (`US/…`,
/// `Etc/…`, `EST5EDT`) that only old configurations use. Those still parse.
const OFFERED_AREAS: &[&str] = &[
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
];

impl Zone {
    /// Coordinated Universal Time.
    pub const UTC: Zone = Zone(Tz::UTC);

    /// Parses an IANA zone name; letter case is forgiven (`europe/berlin`).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if let Ok(tz) = s.parse::<Tz>() {
            return Ok(Zone(tz));
        }
        chrono_tz::TZ_VARIANTS
            .iter()
            .find(|tz| tz.name().eq_ignore_ascii_case(s))
            .map(|tz| Zone(*tz))
            .ok_or(DomainError::invalid(
                "time_zone",
                "is not a time zone name such as Europe/Berlin or America/New_York",
            ))
    }

    /// The IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The zones a person is offered, sorted by name, `UTC` first.
    pub fn offered() -> impl Iterator<Item = Zone> {
        std::iter::once(Zone::UTC).chain(
            chrono_tz::TZ_VARIANTS
                .iter()
                .filter(|tz| OFFERED_AREAS.iter().any(|a| tz.name().starts_with(a)))
                .map(|tz| Zone(*tz)),
        )
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone::UTC
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The day a week starts on: Monday (ISO 8601, most of the world) or
/// Sunday (the Americas, Japan) or Saturday (parts of the Middle East).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WeekStart {
    /// Monday.
    #[default]
    Monday,
    /// Sunday.
    Sunday,
    /// Saturday.
    Saturday,
}

impl WeekStart {
    /// Every choice, in the order offered.
    pub const ALL: &'static [WeekStart] =
        &[WeekStart::Monday, WeekStart::Sunday, WeekStart::Saturday];

    /// The stored and typed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            WeekStart::Monday => "monday",
            WeekStart::Sunday => "sunday",
            WeekStart::Saturday => "saturday",
        }
    }

    /// A readable label.
    pub const fn label(self) -> &'static str {
        match self {
            WeekStart::Monday => "Monday",
            WeekStart::Sunday => "Sunday",
            WeekStart::Saturday => "Saturday",
        }
    }

    /// Parses `monday`, `sunday` or `saturday` (any letter case).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        WeekStart::ALL
            .iter()
            .copied()
            .find(|w| w.as_str().eq_ignore_ascii_case(s))
            .ok_or(DomainError::invalid(
                "week_start",
                "must be monday, sunday or saturday",
            ))
    }

    fn weekday(self) -> Weekday {
        match self {
            WeekStart::Monday => Weekday::Mon,
            WeekStart::Sunday => Weekday::Sun,
            WeekStart::Saturday => Weekday::Sat,
        }
    }
}

/// How one person reads time: their zone and the first day of their week.
/// Every "today", "this week", report day and typed time goes through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Calendar {
    zone: Zone,
    week_start: WeekStart,
}

impl Calendar {
    /// UTC with weeks from Monday.
    pub const UTC: Calendar = Calendar {
        zone: Zone::UTC,
        week_start: WeekStart::Monday,
    };

    /// A calendar.
    pub const fn new(zone: Zone, week_start: WeekStart) -> Self {
        Calendar { zone, week_start }
    }

    /// The zone.
    pub const fn zone(&self) -> Zone {
        self.zone
    }

    /// The first day of the week.
    pub const fn week_start(&self) -> WeekStart {
        self.week_start
    }

    /// An instant as wall-clock time in this zone.
    pub fn local(&self, t: DateTime<Utc>) -> DateTime<Tz> {
        t.with_timezone(&self.zone.0)
    }

    /// An instant with this zone's UTC offset at that moment (what the API
    /// writes: RFC 3339 with the offset, e.g. `2026-03-08T01:30:00-05:00`).
    pub fn with_offset(&self, t: DateTime<Utc>) -> DateTime<FixedOffset> {
        let local = self.local(t);
        local.with_timezone(&local.offset().fix())
    }

    /// The local date of an instant.
    pub fn date_of(&self, t: DateTime<Utc>) -> NaiveDate {
        self.local(t).date_naive()
    }

    /// Today's date here.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        self.date_of(now)
    }

    /// The first day of the week that contains `day`.
    pub fn week_of(&self, day: NaiveDate) -> NaiveDate {
        let back = (7 + day.weekday().num_days_from_monday()
            - self.week_start.weekday().num_days_from_monday())
            % 7;
        day - Duration::days(i64::from(back))
    }

    /// The first instant of a local day. Where the clocks jump over
    /// midnight (e.g. `America/Santiago` in September) the day starts when
    /// the jump lands.
    pub fn start_of_day(&self, day: NaiveDate) -> DateTime<Utc> {
        let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        // Gaps last at most a few hours; look for the first local time
        // that exists, a quarter of an hour at a time.
        (0..=16)
            .find_map(|q| {
                match self
                    .zone
                    .0
                    .from_local_datetime(&(midnight + Duration::minutes(15 * q)))
                {
                    LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                        Some(t.with_timezone(&Utc))
                    }
                    LocalResult::None => None,
                }
            })
            .unwrap_or_else(|| midnight.and_utc())
    }

    /// The instants of the local days `from` to `to`, both included.
    pub fn period(&self, from: NaiveDate, to: NaiveDate) -> Result<Period, DomainError> {
        if to < from {
            return Err(DomainError::invalid(
                "to",
                "must not be before the start date",
            ));
        }
        let after = to
            .succ_opt()
            .ok_or(DomainError::invalid("to", "is out of range"))?;
        Period::new(self.start_of_day(from), self.start_of_day(after))
    }

    /// The local days of a period built by [`Self::period`]: its first and
    /// its last (inclusive) day.
    pub fn days_of(&self, period: &Period) -> (NaiveDate, NaiveDate) {
        let first = self.date_of(period.from());
        let last = self.date_of(period.to() - Duration::seconds(1)).max(first);
        (first, last)
    }

    /// The instant a person means by a local date and time. In the hour
    /// the clocks go back, the time happens twice: the first is meant. In
    /// the hour they go forward, it does not exist: refused, saying so.
    pub fn instant(
        &self,
        field: &'static str,
        local: NaiveDateTime,
    ) -> Result<DateTime<Utc>, DomainError> {
        match self.zone.0.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.with_timezone(&Utc)),
            LocalResult::None => Err(DomainError::Invalid {
                field,
                reason: format!(
                    "{} does not exist on {} in {}: the clocks moved forward then",
                    local.format("%H:%M"),
                    local.format("%Y-%m-%d"),
                    self.zone
                )
                .into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn zone(name: &str) -> Zone {
        Zone::parse(name).expect("zone")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("instant").to_utc()
    }

    fn at(d: NaiveDate, h: u32, m: u32) -> NaiveDateTime {
        d.and_time(NaiveTime::from_hms_opt(h, m, 0).expect("time"))
    }

    #[test]
    fn zone_names() {
        assert_eq!(zone("Europe/Berlin").name(), "Europe/Berlin");
        assert_eq!(zone(" asia/kolkata ").name(), "Asia/Kolkata");
        assert_eq!(zone("UTC"), Zone::UTC);
        for bad in ["", "Berlin", "Europe/Nowhere", "+05:30", "Mars/Olympus"] {
            assert!(Zone::parse(bad).is_err(), "{bad:?}");
        }
        let offered: Vec<&str> = Zone::offered().map(|z| z.name()).collect();
        assert_eq!(offered[0], "UTC");
        assert!(offered.contains(&"America/New_York"));
        assert!(!offered.contains(&"US/Eastern"));
        assert!(Zone::parse("US/Eastern").is_ok());
    }

    #[test]
    fn today_follows_the_zone() {
        // 03:30 UTC on 1 Dec is still 30 Nov in New York, already 1 Dec
        // (09:00) in Kolkata.
        let now = utc("2026-12-01T03:30:00Z");
        let ny = Calendar::new(zone("America/New_York"), WeekStart::Monday);
        let kolkata = Calendar::new(zone("Asia/Kolkata"), WeekStart::Monday);
        assert_eq!(ny.today(now), date(2026, 11, 30));
        assert_eq!(kolkata.today(now), date(2026, 12, 1));
        assert_eq!(Calendar::UTC.today(now), date(2026, 12, 1));
        assert_eq!(
            ny.with_offset(now).to_rfc3339(),
            "2026-11-30T22:30:00-05:00"
        );
        assert_eq!(
            kolkata.with_offset(now).to_rfc3339(),
            "2026-12-01T09:00:00+05:30"
        );
    }

    #[test]
    fn weeks_start_where_people_say() {
        // 2026-12-02 is a Wednesday.
        let wed = date(2026, 12, 2);
        let cal = |w| Calendar::new(Zone::UTC, w);
        assert_eq!(cal(WeekStart::Monday).week_of(wed), date(2026, 11, 30));
        assert_eq!(cal(WeekStart::Sunday).week_of(wed), date(2026, 11, 29));
        assert_eq!(cal(WeekStart::Saturday).week_of(wed), date(2026, 11, 28));
        // The first day is its own week's start.
        let sun = date(2026, 11, 29);
        assert_eq!(cal(WeekStart::Sunday).week_of(sun), sun);
        assert_eq!(cal(WeekStart::Monday).week_of(sun), date(2026, 11, 23));
        assert_eq!(WeekStart::parse("Sunday"), Ok(WeekStart::Sunday));
        assert!(WeekStart::parse("friday").is_err());
    }

    #[test]
    fn days_are_local_and_dst_days_have_their_real_length() {
        let ny = Calendar::new(zone("America/New_York"), WeekStart::Monday);
        // 8 March 2026: clocks go forward at 02:00; the day has 23 hours.
        let p = ny
            .period(date(2026, 3, 8), date(2026, 3, 8))
            .expect("period");
        assert_eq!(p.from(), utc("2026-03-08T05:00:00Z"));
        assert_eq!(p.to(), utc("2026-03-09T04:00:00Z"));
        // 1 November 2026: clocks go back; the day has 25 hours.
        let p = ny
            .period(date(2026, 11, 1), date(2026, 11, 1))
            .expect("period");
        assert_eq!((p.to() - p.from()).num_hours(), 25);
        assert_eq!(ny.days_of(&p), (date(2026, 11, 1), date(2026, 11, 1)));
        assert!(ny.period(date(2026, 3, 9), date(2026, 3, 8)).is_err());
    }

    #[test]
    fn a_day_that_starts_after_midnight() {
        // Santiago skipped 00:00–01:00 on 6 September 2026.
        let santiago = Calendar::new(zone("America/Santiago"), WeekStart::Monday);
        assert_eq!(
            santiago.start_of_day(date(2026, 9, 6)),
            utc("2026-09-06T04:00:00Z")
        );
    }

    #[test]
    fn typed_times_in_gaps_and_overlaps() {
        let ny = Calendar::new(zone("America/New_York"), WeekStart::Monday);
        let gap = ny.instant("start", at(date(2026, 3, 8), 2, 30));
        assert_eq!(
            gap.map_err(|e| e.to_string()),
            Err("Start: 02:30 does not exist on 2026-03-08 in America/New_York: the clocks moved forward then".into())
        );
        // 01:30 on 1 November happens twice: the first (EDT) is meant.
        assert_eq!(
            ny.instant("start", at(date(2026, 11, 1), 1, 30)),
            Ok(utc("2026-11-01T05:30:00Z"))
        );
        let kolkata = Calendar::new(zone("Asia/Kolkata"), WeekStart::Monday);
        assert_eq!(
            kolkata.instant("start", at(date(2026, 12, 1), 0, 30)),
            Ok(utc("2026-11-30T19:00:00Z"))
        );
    }
}
