//! Table logic shared by the result tables and the downloads: ordering rows by a column
//! (numbers numerically, text alphabetically, missing values last) and CSV export of
//! series (one row per date, one column per series) and tables.

use std::cmp::Ordering;

use auster_types::{IsoDate, SeriesOutput, TableOutput};
use serde_json::Value;

/// Compares two cells: numbers before text, missing last.
pub fn cmp_cells(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or(f64::NAN)
            .total_cmp(&y.as_f64().unwrap_or(f64::NAN)),
        (Value::Number(_), _) => Ordering::Less,
        (_, Value::Number(_)) => Ordering::Greater,
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (x, y) => x.to_string().cmp(&y.to_string()),
    }
}

/// Row order for sorting by column `col`; ascending or descending, missing values last
/// either way, ties in original order.
pub fn sorted_order(rows: &[Vec<Value>], col: usize, ascending: bool) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..rows.len()).collect();
    let null = Value::Null;
    idx.sort_by(|&i, &j| {
        let a = rows[i].get(col).unwrap_or(&null);
        let b = rows[j].get(col).unwrap_or(&null);
        match (a.is_null(), b.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ if ascending => cmp_cells(a, b),
            _ => cmp_cells(b, a),
        }
    });
    idx
}

/// Quotes a CSV field when it needs it (RFC 4180). A leading `=`, `+`, `-` or `@` in text
/// gets a `'` so spreadsheets do not evaluate a downloaded cell as a formula.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '@']) || (s.starts_with('-') && s.parse::<f64>().is_err()) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Series as CSV: `date,<label>…`, one row per date of any series, blanks for missing.
pub fn series_csv(series: &[SeriesOutput]) -> String {
    let mut dates: Vec<IsoDate> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    dates.sort_unstable();
    dates.dedup();
    let lookup: Vec<std::collections::HashMap<IsoDate, Option<f64>>> = series
        .iter()
        .map(|s| s.points.iter().copied().collect())
        .collect();
    let mut out = String::from("date");
    for s in series {
        out.push(',');
        out.push_str(&csv_field(&s.label));
    }
    out.push('\n');
    for d in dates {
        out.push_str(&d.to_string());
        for m in &lookup {
            out.push(',');
            if let Some(Some(v)) = m.get(&d) {
                out.push_str(&v.to_string());
            }
        }
        out.push('\n');
    }
    out
}

/// A table as CSV with its header row.
pub fn table_csv(t: &TableOutput) -> String {
    let mut out = t
        .columns
        .iter()
        .map(|c| csv_field(c))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    for row in &t.rows {
        out.push_str(
            &row.iter()
                .map(|v| csv_field(&cell_text(v)))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_numbers_text_and_missing() {
        let rows = vec![
            vec![json!("b"), json!(2.0)],
            vec![json!("A"), json!(null)],
            vec![json!("c"), json!(-1)],
        ];
        assert_eq!(sorted_order(&rows, 1, true), [2, 0, 1]);
        assert_eq!(sorted_order(&rows, 1, false), [0, 2, 1]);
        assert_eq!(sorted_order(&rows, 0, true), [1, 0, 2]);
        assert_eq!(sorted_order(&rows, 5, true), [0, 1, 2]);
    }

    #[test]
    fn csv_exports_are_well_formed() {
        let s = |id: &str, pts: &[(&str, Option<f64>)]| SeriesOutput {
            id: id.into(),
            label: format!("{id}, \"q\""),
            color: None,
            points: pts
                .iter()
                .map(|(d, v)| (IsoDate(auster_types::date::parse_iso(d).unwrap()), *v))
                .collect(),
            downsampled_from: None,
        };
        let csv = series_csv(&[
            s("a", &[("2020-01-02", Some(1.5)), ("2020-01-01", None)]),
            s(
                "b",
                &[("2020-01-02", Some(-2.0)), ("2020-01-03", Some(3.0))],
            ),
        ]);
        assert_eq!(
            csv,
            "date,\"a, \"\"q\"\"\",\"b, \"\"q\"\"\"\n2020-01-01,,\n2020-01-02,1.5,-2\n2020-01-03,,3\n"
        );
        let t = TableOutput {
            id: "t".into(),
            label: None,
            columns: vec!["metric".into(), "value".into()],
            rows: vec![
                vec![json!("=cmd()"), json!(0.5)],
                vec![json!("-x"), json!(null)],
            ],
        };
        assert_eq!(table_csv(&t), "metric,value\n'=cmd(),0.5\n'-x,\n");
        assert_eq!(csv_field("-1.5"), "-1.5");
    }
}
