//! Reading the bundled CSV layout: a header row, ISO dates in the first column, numbers
//! (empty or `.` = missing) in the others, dates strictly ascending.

use auster_engine::date;

/// A parsed CSV: dates and named numeric columns.
#[derive(Debug, Clone, PartialEq)]
pub struct DatedColumns {
    /// Day numbers, strictly ascending.
    pub dates: Vec<i32>,
    /// Columns after the date column, in file order.
    pub columns: Vec<(String, Vec<f64>)>,
}

/// Parses CSV text. `origin` names the file in error messages.
pub fn parse_dated_csv(text: &str, origin: &str) -> Result<DatedColumns, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| format!("{origin} is empty"))?;
    let names: Vec<&str> = header.trim().split(',').map(str::trim).collect();
    if names.first().map(|n| n.to_ascii_lowercase()) != Some("date".into()) {
        return Err(format!(
            "{origin}: the first column must be `date`, found {:?}",
            names.first()
        ));
    }
    let mut dates = Vec::new();
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); names.len() - 1];
    for (ln, line) in lines {
        let mut cells = line.trim().split(',');
        let d = cells.next().unwrap_or("");
        let day = date::parse_iso(d.trim())
            .ok_or_else(|| format!("{origin}:{}: bad date {d:?}", ln + 1))?;
        if dates.last().is_some_and(|&p| p >= day) {
            return Err(format!(
                "{origin}:{}: dates must be strictly ascending ({d})",
                ln + 1
            ));
        }
        dates.push(day);
        for (k, col) in cols.iter_mut().enumerate() {
            let cell = cells.next().unwrap_or("").trim();
            let x = if cell.is_empty() || cell == "." || cell.eq_ignore_ascii_case("nan") {
                f64::NAN
            } else {
                cell.parse::<f64>().map_err(|_| {
                    format!(
                        "{origin}:{}: column {} is not a number: {cell:?}",
                        ln + 1,
                        names[k + 1]
                    )
                })?
            };
            col.push(x);
        }
    }
    Ok(DatedColumns {
        dates,
        columns: names[1..].iter().map(|s| s.to_string()).zip(cols).collect(),
    })
}
