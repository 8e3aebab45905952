//! Small helpers shared by providers: today's day number, tolerant JSON field readers and
//! identifier checks.

use std::time::{SystemTime, UNIX_EPOCH};

use auster_engine::date::{self, Day};
use serde_json::Value as Json;

/// Today (UTC) as a day number.
pub fn today() -> Day {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (secs / 86_400) as Day
}

/// ISO text of an optional day, or `what` when absent.
pub(crate) fn iso_or(day: Option<Day>, what: &str) -> String {
    day.map_or_else(|| what.to_string(), date::format_iso)
}

/// A number from JSON that may be a number or a numeric string; NaN when absent or not
/// numeric (providers omit fields freely).
pub(crate) fn num(j: Option<&Json>) -> f64 {
    match j {
        Some(Json::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(Json::String(s)) => s.trim().parse().unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

/// Checks a ticker, series id or asset: 1–32 characters of `A-Z a-z 0-9 . _ - : ^`.
/// Returns it upper-cased.
pub(crate) fn check_id(what: &str, id: &str) -> Result<String, String> {
    let ok = !id.is_empty()
        && id.len() <= 32
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '^'))
        && !id.contains("..");
    if ok {
        Ok(id.to_ascii_uppercase())
    } else {
        Err(format!(
            "{what} {id:?} is not valid: use 1 to 32 letters, digits or . _ - : ^"
        ))
    }
}

/// Checks `start <= end` when both are given.
pub(crate) fn check_range(start: Option<Day>, end: Option<Day>) -> Result<(), String> {
    match (start, end) {
        (Some(s), Some(e)) if s > e => Err(format!(
            "start_date {} is after end_date {}",
            date::format_iso(s),
            date::format_iso(e)
        )),
        _ => Ok(()),
    }
}
