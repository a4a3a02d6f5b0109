//! Simulated time, durations, clock times, weekday sets and weekly windows.
//!
//! The engine runs on an integer clock of milliseconds since 00:00 on the
//! scenario's start date: hour-of-week arithmetic is exact and event order total.

use std::fmt;

/// Milliseconds since 00:00 on the scenario's start date.
pub type Time = i64;

pub const SECOND: Time = 1_000;
pub const MINUTE: Time = 60 * SECOND;
pub const HOUR: Time = 60 * MINUTE;
pub const DAY: Time = 24 * HOUR;
pub const WEEK: Time = 7 * DAY;
/// The one bound on every duration a scenario or flag can give (horizon,
/// warmup, handle times, patience, delays, thresholds), and on every sampled
/// duration: 3,660 days (ten years).
///
/// The engine packs event times into 40 bits of milliseconds (about 34.8
/// years); a time is at most the horizon plus one duration, so with both
/// bounded by ten years no event time can wrap.
pub const MAX_DURATION: Time = 3660 * DAY;

/// [`MAX_DURATION`] as users write it.
pub const MAX_DURATION_TEXT: &str = "3660d (ten years)";

pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Parses a duration such as `"90s"`, `"4m"`, `"1h30m"`, `"2.5h"`, `"2d"`, `"4w"`.
pub fn parse_duration(text: &str) -> Result<Time, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if s == "0" {
        return Ok(0);
    }
    let mut total = 0f64;
    let mut rest = s;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_len == 0 {
            return Err(format!("`{s}` is not a duration: expected a number at `{rest}`"));
        }
        let number: f64 = rest[..num_len]
            .parse()
            .map_err(|_| format!("`{}` is not a number", &rest[..num_len]))?;
        rest = rest[num_len..].trim_start();
        let unit_len = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => 1,
            "s" | "sec" | "secs" | "second" | "seconds" => SECOND,
            "m" | "min" | "mins" | "minute" | "minutes" => MINUTE,
            "h" | "hour" | "hours" => HOUR,
            "d" | "day" | "days" => DAY,
            "w" | "week" | "weeks" => WEEK,
            "" => return Err(format!("`{s}` needs a unit after {number} (s, m, h, d or w)")),
            other => return Err(format!("unknown time unit `{other}` in `{s}` (use s, m, h, d or w)")),
        };
        rest = &rest[unit_len..];
        total += number * unit as f64;
    }
    if !(total <= MAX_DURATION as f64) {
        return Err(format!(
            "`{s}` is longer than {MAX_DURATION_TEXT}, the longest duration nursequeue accepts (the simulated clock holds about 34 years)"
        ));
    }
    Ok(total.round() as Time)
}

/// Writes a duration the way a user would (`5m`, `1h30m`, `90s`).
pub fn format_duration(t: Time) -> String {
    if t == 0 {
        return "0m".into();
    }
    let mut out = String::new();
    let mut rest = t;
    for (unit, name) in [(WEEK, "w"), (DAY, "d"), (HOUR, "h"), (MINUTE, "m"), (SECOND, "s"), (1, "ms")] {
        if rest >= unit {
            out += &format!("{}{}", rest / unit, name);
            rest %= unit;
        }
    }
    out
}

/// Parses a clock time `HH:MM` between `00:00` and `24:00`, as an offset from midnight.
pub fn parse_clock(text: &str) -> Result<Time, String> {
    let bad = || format!("`{text}` is not a clock time: write HH:MM between 00:00 and 24:00");
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: i64 = h.parse().map_err(|_| bad())?;
    let m: i64 = m.parse().map_err(|_| bad())?;
    if h > 24 || m > 59 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * HOUR + m * MINUTE)
}

/// A set of weekdays, bit 0 = Monday.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DaySet(pub u8);

impl DaySet {
    pub const ALL: DaySet = DaySet(0x7f);

    pub fn contains(self, weekday: usize) -> bool {
        self.0 & (1 << weekday) != 0
    }

    /// `"Mon"`, `"Mon-Fri"`, `"Fri-Mon"` (wraps), `"Sat,Sun"`, `"all"`.
    pub fn parse(text: &str) -> Result<DaySet, String> {
        let mut bits = 0u8;
        for part in text.split(',').map(str::trim) {
            if part.eq_ignore_ascii_case("all") {
                bits = 0x7f;
                continue;
            }
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let (a, b) = (weekday_index(a)?, weekday_index(b)?);
            let mut d = a;
            loop {
                bits |= 1 << d;
                if d == b {
                    break;
                }
                d = (d + 1) % 7;
            }
        }
        Ok(DaySet(bits))
    }
}

fn weekday_index(text: &str) -> Result<usize, String> {
    let t = text.trim();
    WEEKDAYS
        .iter()
        .position(|d| d.eq_ignore_ascii_case(t) || (t.len() > 3 && t.to_ascii_lowercase().starts_with(&d.to_ascii_lowercase())))
        .ok_or_else(|| format!("`{t}` is not a weekday: use Mon, Tue, Wed, Thu, Fri, Sat, Sun, a range such as Mon-Fri, or all"))
}

/// A daily interval on some weekdays: `[from, to)` after midnight of each day in
/// `days`. When `to <= from` it crosses midnight and ends the next day, but still
/// belongs to the day it starts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub days: DaySet,
    pub from: Time,
    pub to: Time,
}

impl Window {
    /// Length of one occurrence.
    pub fn length(&self) -> Time {
        if self.to > self.from {
            self.to - self.from
        } else {
            self.to + DAY - self.from
        }
    }

    /// Start and end of the occurrence that begins on the day starting at
    /// `day_start` with weekday `weekday`, if the window is active that day.
    pub fn occurrence(&self, day_start: Time, weekday: usize) -> Option<(Time, Time)> {
        self.days
            .contains(weekday)
            .then(|| (day_start + self.from, day_start + self.from + self.length()))
    }

    /// `"Mon-Fri 07:00-16:00"`, `"all 22:00-07:00"`, or `"22:00-07:00"` (every day).
    pub fn parse(text: &str) -> Result<Window, String> {
        let t = text.trim();
        let (days, times) = match t.rsplit_once(' ') {
            Some((d, times)) => (DaySet::parse(d)?, times),
            None => (DaySet::ALL, t),
        };
        let (from, to) = times
            .split_once('-')
            .ok_or_else(|| format!("`{t}` is not a window: write e.g. \"Mon-Fri 07:00-16:00\" or \"all 22:00-07:00\""))?;
        Window::new(days, parse_clock(from)?, parse_clock(to)?)
    }

    pub fn new(days: DaySet, from: Time, to: Time) -> Result<Window, String> {
        if from == to {
            return Err("a window from a time to the same time is empty: write 00:00-24:00 for a whole day".into());
        }
        if from == 24 * HOUR {
            return Err("a window cannot start at 24:00: write 00:00".into());
        }
        if days.0 == 0 {
            return Err("no weekdays given".into());
        }
        Ok(Window { days, from, to })
    }
}

/// The scenario calendar: which weekday each simulated day is (holidays count
/// as Sundays), and calendar periods (weeks, months) for targets and settlement.
#[derive(Clone, Debug)]
pub struct Calendar {
    pub start: jiff::civil::Date,
    /// Weekday of the start date, 0 = Monday.
    pub start_weekday: usize,
    /// Day indices (from the start date) treated as Sundays, sorted.
    holidays: Vec<i64>,
}

impl Calendar {
    pub fn new(start: jiff::civil::Date) -> Calendar {
        Calendar::with_holidays(start, &[])
    }

    pub fn with_holidays(start: jiff::civil::Date, holidays: &[jiff::civil::Date]) -> Calendar {
        let mut days: Vec<i64> = holidays
            .iter()
            .filter_map(|d| start.until(*d).ok().map(|s| s.get_days() as i64))
            .collect();
        days.sort_unstable();
        days.dedup();
        Calendar {
            start,
            start_weekday: start.weekday().to_monday_zero_offset() as usize,
            holidays: days,
        }
    }

    /// Weekday (0 = Monday) of simulated day `day`, 6 on a holiday.
    pub fn weekday_of_day(&self, day: i64) -> usize {
        if !self.holidays.is_empty() && self.holidays.binary_search(&day).is_ok() {
            return 6;
        }
        (self.start_weekday + day.rem_euclid(7) as usize) % 7
    }

    /// Hour of the week (0 = Monday 00:00–01:00) at time `t`, holidays as Sundays.
    pub fn hour_of_week(&self, t: Time) -> usize {
        self.weekday_of_day(t.div_euclid(DAY)) * 24 + (t.rem_euclid(DAY) / HOUR) as usize
    }

    /// Date of the simulated day `day` (0 = the start date).
    /// Saturates at the calendar's ends (validation keeps simulated days far from them).
    pub fn date_of_day(&self, day: i64) -> jiff::civil::Date {
        jiff::Span::new()
            .try_days(day)
            .ok()
            .and_then(|span| self.start.checked_add(span).ok())
            .unwrap_or(if day < 0 { jiff::civil::Date::MIN } else { jiff::civil::Date::MAX })
    }

    /// Day index of a date (may be negative or beyond the horizon).
    pub fn day_of_date(&self, date: jiff::civil::Date) -> i64 {
        self.start.until(date).map(|s| s.get_days() as i64).unwrap_or(0)
    }

    /// Start times of the calendar periods that begin within `[from, to)`, plus
    /// the period containing `from`: Monday-based weeks, calendar months, days.
    pub fn period_starts(&self, period: CalendarPeriod, from: Time, to: Time) -> Vec<Time> {
        let first_day = from.div_euclid(DAY);
        let mut starts = vec![];
        let mut day = first_day;
        // Walk back to the start of the period containing `from`.
        while !self.is_period_start(period, day) {
            day -= 1;
        }
        while day * DAY < to {
            starts.push(day * DAY);
            day += 1;
            // Bounded by `to`, so a calendar end can never make this loop forever.
            while day * DAY < to && !self.is_period_start(period, day) {
                day += 1;
            }
        }
        starts
    }

    fn is_period_start(&self, period: CalendarPeriod, day: i64) -> bool {
        match period {
            CalendarPeriod::Day => true,
            CalendarPeriod::Week => (self.start_weekday as i64 + day).rem_euclid(7) == 0,
            CalendarPeriod::Month => self.date_of_day(day).day() == 1,
        }
    }

    /// Label of the month containing `day`, e.g. `2024-03`.
    pub fn month_label(&self, day: i64) -> String {
        let d = self.date_of_day(day);
        format!("{:04}-{:02}", d.year(), d.month())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalendarPeriod {
    Day,
    Week,
    Month,
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let clock = |t: Time| format!("{:02}:{:02}", t / HOUR, (t % HOUR) / MINUTE);
        write!(f, "{:07b} {}-{}", self.days.0, clock(self.from), clock(self.to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(90 * SECOND));
        assert_eq!(parse_duration("4m"), Ok(4 * MINUTE));
        assert_eq!(parse_duration("1h30m"), Ok(90 * MINUTE));
        assert_eq!(parse_duration("2.5h"), Ok(150 * MINUTE));
        assert_eq!(parse_duration("4w"), Ok(28 * DAY));
        assert_eq!(parse_duration("0m"), Ok(0));
        assert_eq!(parse_duration("4 minutes"), Ok(4 * MINUTE));
        assert_eq!(parse_duration("1 h 30 m"), Ok(90 * MINUTE));
        assert!(parse_duration("4").is_err());
        assert!(parse_duration("-4m").is_err());
        assert!(parse_duration("4x").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("999999w").is_err());
        // One bound for every duration: ten years, well inside the packed clock.
        assert_eq!(parse_duration("3660d"), Ok(MAX_DURATION));
        assert!(parse_duration("3660d1ms").unwrap_err().contains("3660d"));
        assert!(parse_duration("1818w1d").is_err());
        assert!(parse_duration(&"9".repeat(400)).is_err());
        const {
            assert!(
                2 * MAX_DURATION < 1 << 40,
                "horizon plus one duration fits the engine's 40-bit clock"
            )
        };
        assert_eq!(format_duration(90 * MINUTE), "1h30m");
        assert_eq!(format_duration(5 * MINUTE), "5m");
    }

    #[test]
    fn clocks_days_windows() {
        assert_eq!(parse_clock("07:30"), Ok(7 * HOUR + 30 * MINUTE));
        assert_eq!(parse_clock("24:00"), Ok(DAY));
        assert!(parse_clock("24:01").is_err());
        assert!(parse_clock("7").is_err());
        assert_eq!(DaySet::parse("Mon-Fri"), Ok(DaySet(0b0011111)));
        assert_eq!(DaySet::parse("Sat-Sun"), Ok(DaySet(0b1100000)));
        assert_eq!(DaySet::parse("Fri-Mon"), Ok(DaySet(0b1110001)));
        assert_eq!(DaySet::parse("all"), Ok(DaySet::ALL));
        assert!(DaySet::parse("Mon-Fry").is_err());
        let night = Window::parse("all 22:00-07:00").unwrap();
        assert_eq!(night.length(), 9 * HOUR);
        assert_eq!(night.occurrence(DAY, 1), Some((DAY + 22 * HOUR, 2 * DAY + 7 * HOUR)));
        let day = Window::parse("Mon-Fri 07:00-16:00").unwrap();
        assert_eq!(day.occurrence(5 * DAY, 5), None);
        assert!(Window::parse("Mon 08:00-08:00").is_err());
        assert_eq!(Window::parse("00:00-24:00").unwrap().length(), DAY);
    }

    #[test]
    fn the_calendar_ends_saturate() {
        let cal = Calendar::new(jiff::civil::date(9999, 12, 5));
        assert_eq!(cal.date_of_day(100), jiff::civil::Date::MAX);
        assert_eq!(cal.date_of_day(i64::MAX), jiff::civil::Date::MAX);
        assert_eq!(cal.date_of_day(i64::MIN), jiff::civil::Date::MIN);
        // Used to loop (and panic) looking for a month start after 9999-12-31.
        let months = cal.period_starts(CalendarPeriod::Month, 0, 60 * DAY);
        assert_eq!(months, vec![-4 * DAY]);
    }

    #[test]
    fn calendar_weekdays() {
        let cal = Calendar::new(jiff::civil::date(2024, 3, 4)); // a Monday
        assert_eq!(cal.start_weekday, 0);
        assert_eq!(cal.weekday_of_day(6), 6);
        let wed = Calendar::new(jiff::civil::date(2024, 3, 6));
        assert_eq!(wed.hour_of_week(0), 48);
        assert_eq!(wed.hour_of_week(5 * DAY), (48 + 120) % 168);
        let xmas = Calendar::with_holidays(jiff::civil::date(2024, 12, 23), &[jiff::civil::date(2024, 12, 25)]);
        assert_eq!(xmas.weekday_of_day(2), 6, "a holiday counts as a Sunday");
        assert_eq!(xmas.weekday_of_day(3), 3);
        assert_eq!(xmas.hour_of_week(2 * DAY + 5 * HOUR), 6 * 24 + 5);
        // Months starting 2024-03-04: March (partial), April, May.
        let months = cal.period_starts(CalendarPeriod::Month, 0, 80 * DAY);
        assert_eq!(months, vec![-3 * DAY, 28 * DAY, 58 * DAY]);
        let weeks = wed.period_starts(CalendarPeriod::Week, 0, 14 * DAY);
        assert_eq!(weeks, vec![-2 * DAY, 5 * DAY, 12 * DAY]);
    }
}
