//! Properties of the parsers and the billing rule, over generated input:
//! no input panics, nothing invalid gets through, and what is printed
//! reads back as the same value.

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use proptest::prelude::*;

use crate::{
    Amounts, BillableHours, BillableWork, Currency, HourlyRate, Money, Name, ProjectId, TaxRate,
    Text, TimeRange, bill, billed_amount, line_amount,
};

proptest! {
    /// Any text at all: the parsers answer, never panic.
    #[test]
    fn parsers_never_panic(s in any::<String>()) {
        let _ = HourlyRate::parse(&s);
        let _ = TaxRate::parse(&s);
        let _ = Money::parse(&s);
        let _ = Name::parse(&s);
        let _ = Text::parse(&s);
        let _ = crate::Username::parse(&s);
        let _ = crate::Email::parse(&s);
    }

    /// A rate printed with two decimals parses back to itself.
    #[test]
    fn rates_round_trip(cents in 0_i64..=10_000_000) {
        let rate = HourlyRate::from_cents(cents).expect("in range");
        let printed = rate.per_hour().to_string();
        prop_assert_eq!(HourlyRate::parse(&printed), Ok(rate));
    }

    /// Names and texts never keep a control character (line breaks and
    /// tabs are text's only exceptions), and a name is trimmed and short.
    #[test]
    fn no_control_characters_get_in(s in any::<String>()) {
        if let Ok(n) = Name::parse(&s) {
            prop_assert!(!n.as_str().chars().any(char::is_control));
            prop_assert_eq!(n.as_str(), n.as_str().trim());
            prop_assert!(n.as_str().chars().count() <= 200);
        }
        if let Ok(t) = Text::parse(&s) {
            prop_assert!(!t.as_str().chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')));
        }
    }

    /// A day and two different times always give an entry of more than
    /// nothing and less than a day, starting on that day.
    #[test]
    fn day_entries_are_shorter_than_a_day(
        day in 0_i64..20_000,
        a in 0_u32..86_400,
        b in 0_u32..86_400,
    ) {
        prop_assume!(a / 60 != b / 60);
        let date = NaiveDate::from_ymd_opt(1971, 1, 1).expect("date") + chrono::Duration::days(day);
        let t = |s: u32| NaiveTime::from_num_seconds_from_midnight_opt(s / 60 * 60, 0).expect("time");
        let far_future = Utc.with_ymd_and_hms(2199, 1, 1, 0, 0, 0).single().expect("date");
        let r = TimeRange::on_day(&crate::Calendar::UTC, date, t(a), t(b), far_future).expect("valid");
        prop_assert!(r.seconds() > 0 && r.seconds() < 86_400);
        prop_assert_eq!(r.start().date_naive(), date);
    }

    /// Billing: the total is the sum of the lines per currency, each line
    /// is its printed hours times its rate, and the order of the work does
    /// not matter.
    #[test]
    fn billing_adds_up_in_any_order(
        work in proptest::collection::vec((1_i64..5, 0_i64..40_000, proptest::option::of(0_i64..50_000)), 0..40),
    ) {
        let jpy = Currency::parse("JPY").expect("jpy");
        let work: Vec<BillableWork> = work
            .into_iter()
            .map(|(p, seconds, rate)| BillableWork {
                project_id: ProjectId::new(p).expect("id"),
                seconds,
                rate: rate.and_then(HourlyRate::from_cents),
                // A project has one currency: odd projects bill in yen.
                currency: if p % 2 == 1 { jpy } else { Currency::EUR },
            })
            .collect();
        let lines = bill(work.clone());
        let total: Amounts = lines.iter().map(|l| (l.currency, l.amount)).collect();
        prop_assert_eq!(billed_amount(work.clone()), total.clone());
        for l in &lines {
            prop_assert_eq!(l.hours, BillableHours::from_seconds(l.seconds));
            prop_assert_eq!(
                l.amount,
                l.rate.map_or(Money::ZERO, |r| line_amount(l.hours, r, l.currency))
            );
        }
        let mut reversed = work;
        reversed.reverse();
        prop_assert_eq!(billed_amount(reversed), total);
    }
}
