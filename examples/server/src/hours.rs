//! Business hours of a site: a weekly schedule in an IANA time zone, with
//! holidays. Inside hours a site is `online` or `away` (an agent connected
//! or not), outside it is `offline`.
//!
//! Local times are turned into instants by `jiff` with its bundled tz
//! database: hand-written offset arithmetic gets DST wrong (09:00 in Paris
//! is 08:00Z in winter and 07:00Z in summer), and the system's zoneinfo may
//! be missing or stale, so the bundled one makes a zone mean the same on
//! every machine.

use std::collections::BTreeSet;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Deserialize;

/// `[sites.hours]` as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursConfig {
    /// IANA zone, e.g. `Europe/Paris`.
    pub time_zone: String,
    #[serde(default)]
    pub mon: Vec<String>,
    #[serde(default)]
    pub tue: Vec<String>,
    #[serde(default)]
    pub wed: Vec<String>,
    #[serde(default)]
    pub thu: Vec<String>,
    #[serde(default)]
    pub fri: Vec<String>,
    #[serde(default)]
    pub sat: Vec<String>,
    #[serde(default)]
    pub sun: Vec<String>,
    /// Local dates (`2026-12-25`) with no hours at all.
    #[serde(default)]
    pub holidays: Vec<String>,
}

/// Minutes after local midnight, `start < end <= 1440`.
type Range = (u16, u16);

/// A parsed, checked schedule.
#[derive(Clone, Debug)]
pub struct Hours {
    tz: TimeZone,
    /// Monday first; each day's ranges sorted and apart.
    week: [Vec<Range>; 7],
    holidays: BTreeSet<Date>,
}

/// How far ahead an opening is looked for (holidays may close long runs).
const HORIZON_DAYS: i16 = 400;

fn minutes(hhmm: &str) -> Option<u16> {
    let (h, m) = hhmm.split_once(':')?;
    let digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

fn range(text: &str) -> Option<Range> {
    let (start, end) = text.split_once('-')?;
    let (start, end) = (minutes(start.trim())?, minutes(end.trim())?);
    (start < end).then_some((start, end))
}

impl Hours {
    /// Checks a schedule; errors name the field and what is wrong.
    pub fn parse(c: &HoursConfig) -> Result<Hours, String> {
        let tz = TimeZone::get(&c.time_zone)
            .map_err(|_| format!("hours.time_zone: {:?} is not an IANA time zone", c.time_zone))?;
        let days = [
            ("mon", &c.mon),
            ("tue", &c.tue),
            ("wed", &c.wed),
            ("thu", &c.thu),
            ("fri", &c.fri),
            ("sat", &c.sat),
            ("sun", &c.sun),
        ];
        let mut week: [Vec<Range>; 7] = Default::default();
        for (i, (name, texts)) in days.into_iter().enumerate() {
            let mut ranges = texts
                .iter()
                .map(|t| {
                    range(t).ok_or_else(|| {
                        format!("hours.{name}: {t:?} is not HH:MM-HH:MM (start before end, 00:00 to 24:00)")
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            ranges.sort_unstable();
            if ranges.windows(2).any(|w| w[1].0 < w[0].1) {
                return Err(format!("hours.{name}: ranges overlap"));
            }
            week[i] = ranges;
        }
        let holidays = c
            .holidays
            .iter()
            .map(|d| d.parse::<Date>().map_err(|_| format!("hours.holidays: {d:?} is not a date (YYYY-MM-DD)")))
            .collect::<Result<_, _>>()?;
        Ok(Hours { tz, week, holidays })
    }

    fn ranges(&self, day: Date) -> &[Range] {
        if self.holidays.contains(&day) {
            return &[];
        }
        &self.week[day.weekday().to_monday_zero_offset() as usize]
    }

    /// The instant (ms) of `minute` after local midnight of `day`; times in
    /// a DST gap move forward by the gap, repeated times take the first.
    fn instant(&self, day: Date, minute: u16) -> Option<i64> {
        let at = |d: Date, m: u16| DateTime::from_parts(d, jiff::civil::time((m / 60) as i8, (m % 60) as i8, 0, 0));
        let local = if minute == 1440 { at(day.tomorrow().ok()?, 0) } else { at(day, minute) };
        Some(local.to_zoned_datetime(self.tz.clone()).ok()?.timestamp().as_millisecond())
    }

    fn local_date(&self, now_ms: i64) -> Option<(Date, u16)> {
        let local = Timestamp::from_millisecond(now_ms).ok()?.to_zoned_datetime(self.tz.clone());
        Some((local.date(), local.hour() as u16 * 60 + local.minute() as u16))
    }

    /// Inside hours at `now_ms`.
    pub fn is_open(&self, now_ms: i64) -> bool {
        let Some((day, minute)) = self.local_date(now_ms) else { return false };
        self.ranges(day).iter().any(|&(start, end)| start <= minute && minute < end)
    }

    /// Every boundary instant after `now_ms` in order: (ms, opens).
    fn boundaries(&self, now_ms: i64) -> impl Iterator<Item = (i64, bool)> + '_ {
        let today = self.local_date(now_ms).map(|(d, _)| d);
        // From yesterday: a range ending at 24:00 ends on the next local date.
        let days = today
            .into_iter()
            .flat_map(|d| (-1..HORIZON_DAYS).filter_map(move |n| d.checked_add(jiff::Span::new().days(n)).ok()));
        days.flat_map(move |day| {
            self.ranges(day)
                .iter()
                .flat_map(move |&(start, end)| [(self.instant(day, start), true), (self.instant(day, end), false)])
        })
        .filter_map(|(at, opens)| Some((at?, opens)))
        .filter(move |&(at, _)| at > now_ms)
    }

    /// When the hours next begin after `now_ms`, if they ever do.
    pub fn next_open(&self, now_ms: i64) -> Option<i64> {
        self.boundaries(now_ms).find(|&(at, opens)| opens && !self.is_open(at - 1)).map(|(at, _)| at)
    }

    /// The next instant after `now_ms` at which hours begin or end.
    pub fn next_change(&self, now_ms: i64) -> Option<i64> {
        let open = self.is_open(now_ms);
        self.boundaries(now_ms).map(|(at, _)| at).find(|&at| self.is_open(at) != open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::rfc3339;

    fn hours(tz: &str, week: &[(&str, &[&str])], holidays: &[&str]) -> Result<Hours, String> {
        let mut c = HoursConfig { time_zone: tz.into(), ..HoursConfig::default() };
        for (day, ranges) in week {
            let ranges = ranges.iter().map(|r| r.to_string()).collect();
            match *day {
                "mon" => c.mon = ranges,
                "tue" => c.tue = ranges,
                "sat" => c.sat = ranges,
                "sun" => c.sun = ranges,
                _ => unreachable!(),
            }
        }
        c.holidays = holidays.iter().map(|h| h.to_string()).collect();
        Hours::parse(&c)
    }

    fn ms(rfc: &str) -> i64 {
        rfc.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn schedules_are_checked() {
        assert!(hours("Europe/Paris", &[("mon", &["09:00-12:00", "13:00-17:30"])], &["2026-12-25"]).is_ok());
        assert!(hours("UTC", &[("mon", &["00:00-24:00"])], &[]).is_ok());
        let err = |tz, week: &[(&str, &[&str])], hol: &[&str]| hours(tz, week, hol).unwrap_err();
        assert!(err("Mars/Olympus", &[], &[]).contains("hours.time_zone"));
        for bad in [
            "9:00-12:00",
            "12:00-09:00",
            "09:00-09:00",
            "09:00-24:01",
            "25:00-26:00",
            "09:60-10:00",
            "0900-1000",
            "09:00",
        ] {
            assert!(err("UTC", &[("tue", &[bad])], &[]).contains("hours.tue"), "{bad}");
        }
        assert!(err("UTC", &[("mon", &["09:00-12:00", "11:00-13:00"])], &[]).contains("overlap"));
        assert!(err("UTC", &[], &["2026-02-30"]).contains("hours.holidays"));
    }

    #[test]
    fn opening_and_closing_follow_local_time_across_dst() {
        let h = hours("Europe/Paris", &[("mon", &["09:00-12:00", "13:00-17:30"])], &["2026-03-23"]).unwrap();
        // Monday 2026-03-16, winter: 09:00 CET is 08:00Z.
        assert!(!h.is_open(ms("2026-03-16T07:59:59Z")));
        assert!(h.is_open(ms("2026-03-16T08:00:00Z")));
        assert!(!h.is_open(ms("2026-03-16T11:30:00Z")), "lunch");
        assert_eq!(rfc3339(h.next_change(ms("2026-03-16T10:00:00Z")).unwrap()), "2026-03-16T11:00:00.000Z");
        assert_eq!(rfc3339(h.next_open(ms("2026-03-16T11:30:00Z")).unwrap()), "2026-03-16T12:00:00.000Z");
        // After Monday's hours: the next Monday is a holiday, then DST
        // begins (29 March): 09:00 CEST on the 30th is 07:00Z.
        assert_eq!(rfc3339(h.next_open(ms("2026-03-16T17:00:00Z")).unwrap()), "2026-03-30T07:00:00.000Z");
        assert!(!h.is_open(ms("2026-03-23T09:00:00Z")), "holiday");
        // Never open: no next opening.
        let closed = hours("UTC", &[], &[]).unwrap();
        assert_eq!((closed.next_open(0), closed.next_change(0)), (None, None));
    }

    #[test]
    fn adjoining_ranges_are_one_opening() {
        let h = hours("UTC", &[("sun", &["20:00-24:00"]), ("mon", &["00:00-02:00"])], &[]).unwrap();
        // 2026-03-01 is a Sunday.
        assert_eq!(rfc3339(h.next_open(ms("2026-03-01T12:00:00Z")).unwrap()), "2026-03-01T20:00:00.000Z");
        assert_eq!(rfc3339(h.next_change(ms("2026-03-01T21:00:00Z")).unwrap()), "2026-03-02T02:00:00.000Z");
    }
}
