//! Calendar dates as days since 1970-01-01 (proleptic Gregorian), and ISO conversions.
//!
//! Series indices are `i32` day numbers: compact, totally ordered and cheap to compare.
//! The conversions are Howard Hinnant's `days_from_civil` / `civil_from_days` algorithms.
//! One home for the engine, the data gateway, the API and the web app, so every layer
//! accepts and writes exactly the same dates.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A date as days since 1970-01-01.
pub type Day = i32;

/// Days from a civil date. `month` 1–12, `day` 1–31 (not checked here).
pub fn days_from_civil(year: i32, month: u32, day: u32) -> Day {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

/// Civil date `(year, month, day)` of a day number.
pub fn civil_from_days(z: Day) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Whether `year` is a Gregorian leap year.
pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in a month.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        _ => 28,
    }
}

/// Parses a strict ISO date `YYYY-MM-DD` (years 1000–9999).
pub fn parse_iso(s: &str) -> Option<Day> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let year = digits(0..4)? as i32;
    let month = digits(5..7)?;
    let day = digits(8..10)?;
    if year < 1000 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// Writes a day number as `YYYY-MM-DD` into a stack buffer (no allocation), for years
/// 0–9999; other years (outside any dataset) are clamped to that range.
pub fn write_iso(day: Day) -> [u8; 10] {
    let (y, m, d) = civil_from_days(day);
    let y = y.clamp(0, 9999) as u32;
    let digit = |x: u32| b'0' + (x % 10) as u8;
    [
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        b'-',
        digit(m / 10),
        digit(m),
        b'-',
        digit(d / 10),
        digit(d),
    ]
}

/// Formats a day number as `YYYY-MM-DD`.
pub fn format_iso(day: Day) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A date carried as its day number and written on the wire as `"YYYY-MM-DD"`.
///
/// Run outputs hold tens of thousands of dated points; keeping the day number and writing
/// the ISO text only while serialising avoids a `String` per point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoDate(pub Day);

impl IsoDate {
    /// The day number.
    pub fn day(self) -> Day {
        self.0
    }
}

impl fmt::Display for IsoDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let buf = write_iso(self.0);
        // The buffer holds ASCII digits and dashes only.
        f.write_str(std::str::from_utf8(&buf).unwrap_or("0000-00-00"))
    }
}

impl Serialize for IsoDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let buf = write_iso(self.0);
        serializer.serialize_str(std::str::from_utf8(&buf).unwrap_or("0000-00-00"))
    }
}

impl<'de> Deserialize<'de> for IsoDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IsoVisitor;
        impl Visitor<'_> for IsoVisitor {
            type Value = IsoDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date written YYYY-MM-DD")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IsoDate, E> {
                parse_iso(v).map(IsoDate).ok_or_else(|| {
                    E::custom(format!("{v:?} is not a real date written YYYY-MM-DD"))
                })
            }
        }
        deserializer.deserialize_str(IsoVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(parse_iso("2009-01-03"), Some(14247));
        assert_eq!(format_iso(14247), "2009-01-03");
        assert_eq!(
            parse_iso("2000-02-29").map(format_iso).as_deref(),
            Some("2000-02-29")
        );
        for d in -200_000..200_000 {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    #[test]
    fn iso_date_writes_and_reads_the_wire_form() {
        for d in [-354_000, -1, 0, 14_247, 20_000, 2_932_896] {
            let text = format_iso(d);
            assert_eq!(IsoDate(d).to_string(), text);
            let json = serde_json::to_string(&IsoDate(d)).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<IsoDate>(&json).unwrap(), IsoDate(d));
        }
        let err = serde_json::from_str::<IsoDate>("\"2019-02-29\"").unwrap_err();
        assert!(err.to_string().contains("not a real date"), "{err}");
    }

    #[test]
    fn rejects_malformed_dates() {
        for s in [
            "2019-02-29",
            "2020-13-01",
            "2020-1-01",
            "20200101",
            "2020-00-10",
            "abcd-ef-gh",
            "",
        ] {
            assert_eq!(parse_iso(s), None, "{s}");
        }
    }
}
