//! Calendar dates as day numbers (days since 1970-01-01). The conversions and the ISO rules
//! are `auster_types::date`, the very code the server validates with, so the form accepts
//! exactly what the server accepts; this module adds the human-readable forms.

pub use auster_types::date::{
    civil_from_days, days_from_civil, days_in_month, format_iso, parse_iso, Day,
};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

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
