//! Number formatting for cards, tables, tooltips and counters. Display only: values sent
//! to the server are never formatted.

use serde_json::Value;

/// `1234567` → `1.2M`, `5300` → `5.3k`, small numbers unchanged.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    let (div, suffix) = if a >= 1e12 {
        (1e12, "T")
    } else if a >= 1e9 {
        (1e9, "B")
    } else if a >= 1e6 {
        (1e6, "M")
    } else if a >= 1e4 {
        (1e3, "k")
    } else {
        return trim_zeros(format!("{v:.0}"));
    };
    let x = v / div;
    let s = if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        trim_zeros(format!("{x:.1}"))
    };
    format!("{s}{suffix}")
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Integer with thin grouping: `12345` → `12,345`.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A number for a human: up to `sig` significant digits after the point for small
/// magnitudes, two decimals for ordinary ones, grouping for large ones.
pub fn smart(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1e5 {
        grouped(v.round() as i64)
    } else if a >= 1.0 {
        trim_zeros(format!("{v:.2}"))
    } else if a >= 1e-4 {
        trim_zeros(format!("{v:.4}"))
    } else {
        format!("{v:.2e}")
    }
}

/// Formats a scalar card value with the model's hint: `0.00` (fixed decimals), `0.0%`
/// (percent of a fraction), `0,0` (grouped integer); anything else falls back to [`smart`].
pub fn scalar(v: Option<f64>, format: Option<&str>) -> String {
    let Some(v) = v.filter(|v| v.is_finite()) else {
        return "—".into();
    };
    match format {
        Some(f) if f.ends_with('%') => {
            let decimals = decimals_of(f.trim_end_matches('%'));
            format!("{:.*}%", decimals, v * 100.0)
        }
        Some(f) if f.contains(',') => grouped(v.round() as i64),
        Some(f) if f.starts_with('0') => format!("{:.*}", decimals_of(f), v),
        _ => smart(v),
    }
}

fn decimals_of(pattern: &str) -> usize {
    pattern.split_once('.').map_or(0, |(_, d)| d.len().min(10))
}

/// A table cell: numbers via [`smart`], strings as they are, null as a dash.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), smart),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// Plain-text form of an input value (strings without quotes).
pub fn input_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `4.3` → `4.3`, `None` → `–`: a star average.
pub fn rating(avg: Option<f64>) -> String {
    avg.map_or_else(|| "–".into(), |a| format!("{a:.1}"))
}

/// Milliseconds for the step timings: `0.021 ms`, `1.4 ms`, `230 ms`.
pub fn millis(ms: f64) -> String {
    if ms < 0.1 {
        format!("{ms:.3} ms")
    } else if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// `1 run` / `3 runs`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", grouped(n as i64), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formats_numbers_for_people() {
        assert_eq!(compact(1_234_567.0), "1.2M");
        assert_eq!(compact(5_300.0), "5300");
        assert_eq!(compact(53_000.0), "53k");
        assert_eq!(compact(-2.0e9), "-2B");
        assert_eq!(grouped(-1_234_567), "-1,234,567");
        assert_eq!(grouped(999), "999");
        assert_eq!(smart(0.123456), "0.1235");
        assert_eq!(smart(12.5), "12.5");
        assert_eq!(smart(123456.7), "123,457");
        assert_eq!(smart(f64::NAN), "—");
    }

    #[test]
    fn scalar_formats_follow_the_hint() {
        assert_eq!(scalar(Some(0.7123), Some("0.00")), "0.71");
        assert_eq!(scalar(Some(0.0712), Some("0.0%")), "7.1%");
        assert_eq!(scalar(Some(1234.4), Some("0,0")), "1,234");
        assert_eq!(scalar(None, Some("0.00")), "—");
        assert_eq!(scalar(Some(2.0), None), "2");
    }

    #[test]
    fn cells_and_misc() {
        assert_eq!(cell(&json!(null)), "—");
        assert_eq!(cell(&json!("sharpe")), "sharpe");
        assert_eq!(cell(&json!(0.5)), "0.5");
        assert_eq!(input_value(&json!("SPX")), "SPX");
        assert_eq!(input_value(&json!(126)), "126");
        assert_eq!(rating(Some(4.26)), "4.3");
        assert_eq!(millis(0.0213), "0.021 ms");
        assert_eq!(plural(1, "run", "runs"), "1 run");
        assert_eq!(plural(1200, "run", "runs"), "1,200 runs");
    }
}
