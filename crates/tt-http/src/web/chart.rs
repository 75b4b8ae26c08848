//! The geometry of the reports page's chart, drawn by the template as
//! inline SVG (no script): columns over time for days and weeks, bars side
//! by side for projects and users. Pure arithmetic on seconds, so the
//! numbers are tested here; the page only prints them.
//!
//! The SVG is as wide as its container (`width="100%"`): horizontal places
//! are percentages, heights are pixels, so text keeps its size from a phone
//! to a wide screen. What would not fit on a narrow screen (every day's
//! label, the values above the columns) carries the class `wide-only`,
//! which the stylesheet hides below 40rem.

use chrono::{Duration, NaiveDate};

use super::forms::fmt_hm;

/// Height of the plotting area of a column chart, in pixels.
pub(crate) const PLOT_HEIGHT: f64 = 180.0;
/// Room above the plot for the values printed over the columns.
const PLOT_TOP: f64 = 18.0;
/// Where the columns stand.
pub(crate) const BASELINE: f64 = PLOT_TOP + PLOT_HEIGHT;
/// The whole column chart: the plot and one line of labels under it.
pub(crate) const COLUMNS_HEIGHT: f64 = BASELINE + 22.0;
/// One bar of a bar chart with its label line.
const BAR_ROW: f64 = 40.0;
/// The thickness of a bar.
pub(crate) const BAR_THICKNESS: f64 = 14.0;
/// Days or weeks beyond which columns are too thin to read.
pub(crate) const MAX_COLUMNS: usize = 93;
/// Projects or users drawn at most (the largest); the table lists all.
pub(crate) const MAX_BARS: usize = 12;
/// Characters of a bar's label before it is shortened: on a phone, and on
/// a wide screen.
const LABEL_CHARS: usize = 36;
const WIDE_LABEL_CHARS: usize = 110;
/// The widths, in pixels, a column chart is planned for: a wide screen's
/// plot and a phone's (390 px less the page's margins and the axis).
const WIDE_PX: usize = 1060;
const NARROW_PX: usize = 300;
/// Space one label below a column needs ("Mar 30"), and one value above.
const TICK_PX: usize = 52;
const VALUE_PX: usize = 44;

/// One value to draw: a label for the axis or the bar, a longer one for
/// its tooltip, and the seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Datum {
    pub short: String,
    pub long: String,
    pub seconds: i64,
}

/// What to draw.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Chart {
    /// Nothing to draw: no time at all.
    Empty,
    /// More days or weeks than [`MAX_COLUMNS`].
    TooMany,
    /// Columns over time.
    Columns(Columns),
    /// Bars side by side.
    Bars(Bars),
}

/// A column chart: gridlines with their values and one column per slot.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Columns {
    pub grid: Vec<GridLine>,
    pub columns: Vec<Column>,
}

/// A horizontal line across the plot at `y`, labelled with its hours.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GridLine {
    pub y: f64,
    pub label: String,
}

/// One day or week. Without time it has no column (`height` 0) but keeps
/// its place, so gaps show.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Column {
    /// Left edge and width of the column, and the centre of its slot, in
    /// percent of the plot's width.
    pub x: f64,
    pub width: f64,
    pub center: f64,
    /// Top and height in pixels.
    pub y: f64,
    pub height: f64,
    pub value: String,
    pub title: String,
    /// The label under it, if this slot is labelled at all.
    pub tick: Option<String>,
    /// Whether that label is dropped on narrow screens.
    pub tick_wide_only: bool,
    /// Whether the value above it is printed: never, or only on wide
    /// screens, or always.
    pub show_value: bool,
    pub value_wide_only: bool,
}

/// A bar chart: one row per project or user, largest first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bars {
    pub bars: Vec<Bar>,
    /// How many were left out (beyond [`MAX_BARS`]).
    pub hidden: usize,
    pub height: f64,
}

/// One row: its label above a bar whose length is in percent of the
/// widest bar.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bar {
    /// The label on a phone, and on a wide screen (the same when short).
    pub label: String,
    pub wide_label: String,
    pub title: String,
    pub value: String,
    pub label_y: f64,
    pub bar_y: f64,
    pub width: f64,
}

/// The axis's step: the smallest of these round amounts (in seconds) that
/// four gridlines can reach `max` with.
pub(crate) fn axis_step(max: i64) -> i64 {
    const HOURS: [i64; 22] = [
        1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 150, 200, 250, 500,
    ];
    let needed = (max.max(1) + 3) / 4;
    [900, 1800]
        .into_iter()
        .chain(HOURS.iter().map(|h| h * 3600))
        .find(|&step| step >= needed)
        .unwrap_or_else(|| {
            // Beyond 2,000 hours: whole hundreds of hours.
            let hundred = 100 * 3600;
            (needed + hundred - 1) / hundred * hundred
        })
}

fn tenth(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn thousandth(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// How a column's height follows its seconds on an axis up to `top`:
/// at least a pixel for any time at all, so a short day is not mistaken
/// for none.
pub(crate) fn column_height(seconds: i64, top: i64) -> f64 {
    if seconds <= 0 || top <= 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)] // seconds are far below 2^52
    let h = tenth(seconds as f64 / top as f64 * PLOT_HEIGHT);
    h.max(1.0)
}

/// Every `n`th slot is labelled: as few as keep `px` pixels between
/// labels across `width` pixels.
fn every(slots: usize, px: usize, width: usize) -> usize {
    (slots * px).div_ceil(width).max(1)
}

/// Columns for days or weeks, in order.
pub(crate) fn columns(data: &[Datum]) -> Chart {
    let n = data.len();
    if n > MAX_COLUMNS {
        return Chart::TooMany;
    }
    let max = data.iter().map(|d| d.seconds).max().unwrap_or(0);
    if max <= 0 {
        return Chart::Empty;
    }
    let step = axis_step(max);
    let top = 4 * step;
    let grid = (0..=4)
        .map(|k| GridLine {
            y: tenth(BASELINE - PLOT_HEIGHT * f64::from(k) / 4.0),
            label: fmt_hm(i64::from(k) * step),
        })
        .collect();
    let wide_every = every(n, TICK_PX, WIDE_PX);
    let narrow_every = wide_every * every(n, TICK_PX, NARROW_PX).div_ceil(wide_every);
    let values_wide = n * VALUE_PX <= WIDE_PX;
    let values_narrow = n * VALUE_PX <= NARROW_PX;
    #[allow(clippy::cast_precision_loss)] // at most MAX_COLUMNS
    let slot = 100.0 / n as f64;
    let columns = data
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let height = column_height(d.seconds, top);
            #[allow(clippy::cast_precision_loss)]
            let left = i as f64 * slot;
            let labelled = i % wide_every == 0;
            Column {
                x: thousandth(left + slot * 0.15),
                width: thousandth(slot * 0.7),
                center: thousandth(left + slot / 2.0),
                y: tenth(BASELINE - height),
                height,
                value: fmt_hm(d.seconds),
                title: format!("{}: {}", d.long, fmt_hm(d.seconds)),
                tick: labelled.then(|| d.short.clone()),
                tick_wide_only: i % narrow_every != 0,
                show_value: values_wide && d.seconds > 0,
                value_wide_only: !values_narrow,
            }
        })
        .collect();
    Chart::Columns(Columns { grid, columns })
}

fn shorten(label: &str, chars: usize) -> String {
    if label.chars().count() <= chars {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(chars - 1).collect();
        s.push('…');
        s
    }
}

/// Bars for projects or users, the largest first (ties in the order
/// given), at most [`MAX_BARS`].
pub(crate) fn bars(data: &[Datum]) -> Chart {
    let mut sorted: Vec<&Datum> = data.iter().filter(|d| d.seconds > 0).collect();
    let Some(max) = sorted.iter().map(|d| d.seconds).max() else {
        return Chart::Empty;
    };
    sorted.sort_by_key(|d| std::cmp::Reverse(d.seconds));
    let hidden = sorted.len().saturating_sub(MAX_BARS);
    sorted.truncate(MAX_BARS);
    let bars: Vec<Bar> = sorted
        .iter()
        .enumerate()
        .map(|(i, d)| {
            #[allow(clippy::cast_precision_loss)]
            let row = i as f64 * BAR_ROW;
            #[allow(clippy::cast_precision_loss)]
            let width = thousandth(d.seconds as f64 / max as f64 * 100.0).max(0.5);
            Bar {
                label: shorten(&d.short, LABEL_CHARS),
                wide_label: shorten(&d.short, WIDE_LABEL_CHARS),
                title: format!("{}: {}", d.long, fmt_hm(d.seconds)),
                value: fmt_hm(d.seconds),
                label_y: row + 14.0,
                bar_y: row + 20.0,
                width,
            }
        })
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let height = bars.len() as f64 * BAR_ROW;
    Chart::Bars(Bars {
        bars,
        hidden,
        height,
    })
}

/// One slot per day (`step_days` 1) or week (7) from `first` through
/// `last`, with the seconds `value` gives for its first day — zero where
/// nothing was tracked. Stops at [`MAX_COLUMNS`] + 1 slots: enough for
/// [`columns`] to say there are too many.
pub(crate) fn slots(
    first: NaiveDate,
    last: NaiveDate,
    step_days: i64,
    value: impl Fn(NaiveDate) -> i64,
) -> Vec<(NaiveDate, i64)> {
    let mut out = Vec::new();
    let mut day = first;
    while day <= last && out.len() <= MAX_COLUMNS {
        out.push((day, value(day)));
        day += Duration::days(step_days);
    }
    out
}

/// A number for an SVG attribute: at most three decimals, no trailing
/// zeros (`12.5`, `3.333`, `180`).
pub(crate) fn num(v: f64) -> String {
    let s = format!("{:.3}", thousandth(v));
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datum(short: &str, seconds: i64) -> Datum {
        Datum {
            short: short.to_owned(),
            long: format!("long {short}"),
            seconds,
        }
    }

    fn hours(h: &[f64]) -> Vec<Datum> {
        h.iter()
            .enumerate()
            .map(|(i, h)| {
                #[allow(clippy::cast_possible_truncation)]
                let s = (h * 3600.0).round() as i64;
                datum(&format!("d{i}"), s)
            })
            .collect()
    }

    fn column_chart(data: &[Datum]) -> Columns {
        match columns(data) {
            Chart::Columns(c) => c,
            other => panic!("expected columns, got {other:?}"),
        }
    }

    #[test]
    fn axis_steps_are_round_and_reach_the_maximum() {
        let cases = [
            (0, 900),
            (60, 900),
            (3600, 900),
            (3601, 1800),
            (7200, 1800),
            (7201, 3600),
            (8 * 3600, 2 * 3600),
            (9 * 3600, 3 * 3600),
            (41 * 3600, 12 * 3600),
            (160 * 3600, 40 * 3600),
            (2000 * 3600, 500 * 3600),
            (2001 * 3600, 600 * 3600),
        ];
        for (max, step) in cases {
            assert_eq!(axis_step(max), step, "max {max}");
        }
    }

    #[test]
    fn column_heights_follow_the_axis() {
        // Largest 8 h: step 2 h, axis to 8 h = 180 px.
        let c = column_chart(&hours(&[8.0, 4.0, 2.0, 0.0, 1.0 / 60.0, 7.5]));
        let heights: Vec<f64> = c.columns.iter().map(|c| c.height).collect();
        assert_eq!(heights, vec![180.0, 90.0, 45.0, 0.0, 1.0, 168.8]);
        let tops: Vec<f64> = c.columns.iter().map(|c| c.y).collect();
        assert_eq!(tops, vec![18.0, 108.0, 153.0, 198.0, 197.0, 29.2]);
        let grid: Vec<(f64, &str)> = c.grid.iter().map(|g| (g.y, g.label.as_str())).collect();
        assert_eq!(
            grid,
            vec![
                (198.0, "0:00"),
                (153.0, "2:00"),
                (108.0, "4:00"),
                (63.0, "6:00"),
                (18.0, "8:00")
            ]
        );
        // 5 h 10 min: four steps of 2 h reach it.
        let c = column_chart(&hours(&[31.0 / 6.0, 3.0]));
        let heights: Vec<f64> = c.columns.iter().map(|c| c.height).collect();
        assert_eq!(heights, vec![116.3, 67.5]);
        assert_eq!(c.grid[4].label, "8:00");
    }

    #[test]
    fn columns_share_the_width() {
        let c = column_chart(&hours(&[1.0, 2.0, 3.0, 4.0]));
        let places: Vec<(f64, f64, f64)> =
            c.columns.iter().map(|c| (c.x, c.width, c.center)).collect();
        assert_eq!(
            places,
            vec![
                (3.75, 17.5, 12.5),
                (28.75, 17.5, 37.5),
                (53.75, 17.5, 62.5),
                (78.75, 17.5, 87.5)
            ]
        );
        assert_eq!(c.columns[1].title, "long d1: 2:00");
        assert_eq!(c.columns[1].value, "2:00");
        // Four columns: every label and value, on any screen.
        assert!(
            c.columns
                .iter()
                .all(|c| c.tick.is_some() && !c.tick_wide_only)
        );
        assert!(c.columns.iter().all(|c| c.show_value && !c.value_wide_only));
        let three = column_chart(&hours(&[1.0, 1.0, 1.0]));
        assert_eq!(three.columns[1].width, 23.333);
        assert_eq!(num(three.columns[1].x), "38.333");
    }

    #[test]
    fn labels_thin_out_as_columns_grow() {
        // 31 days: every other label on a wide screen, every 6th on a phone.
        let month = column_chart(&hours(&[1.0; 31]));
        let wide: Vec<usize> = (0..31)
            .filter(|&i| month.columns[i].tick.is_some())
            .collect();
        let narrow: Vec<usize> = (0..31)
            .filter(|&i| month.columns[i].tick.is_some() && !month.columns[i].tick_wide_only)
            .collect();
        assert_eq!(wide, (0..31).step_by(2).collect::<Vec<_>>());
        assert_eq!(narrow, vec![0, 6, 12, 18, 24, 30]);
        // Values fit above up to 24 columns on a wide screen, 6 on a phone.
        assert!(month.columns.iter().all(|c| !c.show_value));
        let weeks = column_chart(&hours(&[1.0; 9]));
        assert!(
            weeks
                .columns
                .iter()
                .all(|c| c.show_value && c.value_wide_only)
        );
        // 90 days: every 5th label wide, every 20th on a phone.
        let quarter = column_chart(&hours(&[1.0; 90]));
        let wide: Vec<usize> = (0..90)
            .filter(|&i| quarter.columns[i].tick.is_some())
            .collect();
        let narrow: Vec<usize> = (0..90)
            .filter(|&i| quarter.columns[i].tick.is_some() && !quarter.columns[i].tick_wide_only)
            .collect();
        assert_eq!(wide, (0..90).step_by(5).collect::<Vec<_>>());
        assert_eq!(narrow, vec![0, 20, 40, 60, 80]);
    }

    #[test]
    fn nothing_or_too_much_is_said_so() {
        assert_eq!(columns(&[]), Chart::Empty);
        assert_eq!(columns(&hours(&[0.0, 0.0])), Chart::Empty);
        assert_eq!(columns(&hours(&[1.0; 94])), Chart::TooMany);
        // Too many whatever they hold: the slots stop before the time.
        assert_eq!(columns(&hours(&[0.0; 94])), Chart::TooMany);
        assert!(matches!(columns(&hours(&[1.0; 93])), Chart::Columns(_)));
        assert_eq!(bars(&hours(&[0.0])), Chart::Empty);
    }

    #[test]
    fn bars_are_largest_first_and_relative_to_the_largest() {
        let data = vec![
            datum("Atlas", 3600),
            datum("Borealis", 4 * 3600),
            datum("Idle", 0),
            datum("Comet", 2 * 3600 + 30 * 60),
            datum("Dust", 30),
        ];
        let Chart::Bars(b) = bars(&data) else {
            panic!("bars")
        };
        let rows: Vec<(&str, f64, f64, f64, &str)> = b
            .bars
            .iter()
            .map(|b| {
                (
                    b.label.as_str(),
                    b.width,
                    b.label_y,
                    b.bar_y,
                    b.value.as_str(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("Borealis", 100.0, 14.0, 20.0, "4:00"),
                ("Comet", 62.5, 54.0, 60.0, "2:30"),
                ("Atlas", 25.0, 94.0, 100.0, "1:00"),
                ("Dust", 0.5, 134.0, 140.0, "0:00"),
            ]
        );
        assert_eq!((b.height, b.hidden), (160.0, 0));
        assert_eq!(b.bars[1].title, "long Comet: 2:30");
    }

    #[test]
    fn bars_stop_at_twelve_and_long_names_are_shortened() {
        let data: Vec<Datum> = (1..=15).map(|i| datum(&format!("P{i}"), i * 60)).collect();
        let Chart::Bars(b) = bars(&data) else {
            panic!("bars")
        };
        assert_eq!((b.bars.len(), b.hidden, b.height), (12, 3, 480.0));
        assert_eq!(b.bars[0].label, "P15");
        assert_eq!(b.bars[11].label, "P4");
        let long = "A project with a very long name indeed, longer than a phone";
        let Chart::Bars(b) = bars(&[datum(long, 60)]) else {
            panic!("bars")
        };
        assert_eq!(b.bars[0].label, "A project with a very long name ind…");
        assert_eq!(b.bars[0].label.chars().count(), 36);
        assert_eq!(b.bars[0].wide_label, long);
        assert!(b.bars[0].title.starts_with("long A project"));
        let longer = "x".repeat(200);
        let Chart::Bars(b) = bars(&[datum(&longer, 60)]) else {
            panic!("bars")
        };
        assert_eq!(b.bars[0].wide_label.chars().count(), 110);
        assert!(b.bars[0].wide_label.ends_with("x…"));
    }

    #[test]
    fn slots_fill_the_gaps() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 3, day).expect("date");
        let days = slots(d(1), d(4), 1, |x| if x == d(3) { 60 } else { 0 });
        assert_eq!(days, vec![(d(1), 0), (d(2), 0), (d(3), 60), (d(4), 0)]);
        let weeks = slots(d(1), d(20), 7, |_| 1);
        assert_eq!(weeks, vec![(d(1), 1), (d(8), 1), (d(15), 1)]);
        let long = slots(
            d(1),
            NaiveDate::from_ymd_opt(2027, 3, 1).expect("date"),
            1,
            |_| 1,
        );
        assert_eq!(long.len(), MAX_COLUMNS + 1);
    }

    #[test]
    fn numbers_for_attributes() {
        assert_eq!(num(12.5), "12.5");
        assert_eq!(num(180.0), "180");
        assert_eq!(num(100.0 / 3.0), "33.333");
        assert_eq!(num(0.0), "0");
    }
}
