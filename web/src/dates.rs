//! Calendar dates as day numbers (days since 1970-01-01), the same convention as the engine,
//! so the chart can place points on a linear time axis and the form can check ISO dates with
//! exactly the server's rules (a real date, year ≥ 1000, written `YYYY-MM-DD`).

/// Days since 1970-01-01.
pub type Day = i32;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in `month` (1–12) of `year`.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Day number of a civil date (proleptic Gregorian; Howard Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> Day {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date `(year, month, day)` of a day number.
pub fn civil_from_days(z: Day) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parses `YYYY-MM-DD` (a real calendar date, year ≥ 1000), like the server does.
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

/// Formats a day number as `YYYY-MM-DD`.
pub fn format_iso(day: Day) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Short English month name, e.g. `Mar`.
pub fn month_name(month: u32) -> &'static str {
    MONTHS[(month.clamp(1, 12) - 1) as usize]
}

/// Human date, e.g. `4 Mar 2021`.
pub fn format_human(day: Day) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{d} {} {y}", month_name(m))
}

/// Readable form of an RFC 3339 timestamp: `2026-11-22 01:02` (UTC), or the input as is.
pub fn format_timestamp(ts: &str) -> String {
    if ts.len() >= 16 && ts.as_bytes()[10] == b'T' {
        format!("{} {}", &ts[..10], &ts[11..16])
    } else {
        ts.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_impossible_dates() {
        assert_eq!(parse_iso("1970-01-01"), Some(0));
        assert_eq!(parse_iso("2000-03-01"), Some(11_017));
        for d in [-800_000, -1, 0, 59, 11_016, 20_000, 2_000_000] {
            assert_eq!(
                parse_iso(&format_iso(d)),
                if d < -354_000 { None } else { Some(d) }
            );
        }
        for bad in [
            "2021-02-29",
            "2020-13-01",
            "2020-1-01",
            "0999-01-01",
            "2020-01-00",
            "abcd-ef-gh",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
        assert_eq!(
            parse_iso("2020-02-29").map(format_human).as_deref(),
            Some("29 Feb 2020")
        );
    }

    #[test]
    fn timestamps_are_shortened() {
        assert_eq!(format_timestamp("2026-11-22T01:02:03Z"), "2026-11-22 01:02");
        assert_eq!(format_timestamp("yesterday"), "yesterday");
    }
}
