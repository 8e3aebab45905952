//! Filters and shaping (dsl.md §5 "filters and shaping"), with pandas semantics.
//!
//! Truth values: comparisons and logic answer 1.0 (true) or 0.0 (false), never NaN.
//! Whenever a number is read as a condition (`where`, `and`, `or`, `not`), it is true when
//! it is present (not NaN) and non-zero; **a missing value (NaN) counts as false**. A
//! comparison involving NaN is false (0), as pandas' `gt`/`lt`/`eq` answer False; `ne`
//! with NaN is true, as pandas' `ne`. Two series are aligned on the union of their dates
//! (a date missing on one side compares as NaN), like pandas' flexible comparison methods.
//!
//! Values without a date order (a sort by value, unique values, the top rows) are tables:
//! they cannot be series, whose dates must increase. Their date column holds ISO dates.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::date::{civil_from_days, days_from_civil, days_in_month, format_iso, Day};
use crate::kernels::{align, radix, reduce};
use crate::primitives::common::{frame, map_numeric, series, zip_numeric};
use crate::registry::{Call, EvalError, Family, Operand, Param, Primitive, Returns};
use crate::value::{ColumnData, Frame, Kind, KindSet, Series, Table, Value};

/// The filters family.
pub static PRIMITIVES: &[&Primitive] = &[
    &SELECT, &SLICE, &WHERE, &GT, &LT, &GE, &LE, &EQ, &NE, &AND, &OR, &NOT, &FILLNA, &DROPNA,
    &SHIFT, &RESAMPLE, &ALIGN, &SORT, &UNIQUE, &TOP_N, &COMBINE,
];

const DATED: &[Operand] = &[Operand::new("x", KindSet::DATED, "series or frame")];

/// Whether a number reads as true: present and non-zero.
#[inline]
fn truthy(x: f64) -> bool {
    !x.is_nan() && x != 0.0
}

#[inline]
fn bit(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

// ------------------------------------------------------------ dated-value helpers

/// The date index of a series or frame.
fn dates_of<'a>(v: &'a Value, what: &str) -> Result<&'a Arc<Vec<Day>>, EvalError> {
    match v {
        Value::Series(s) => Ok(&s.dates),
        Value::Frame(f) => Ok(&f.dates),
        other => Err(EvalError::new(format!(
            "{what} must be a series or a frame, got a {}.",
            other.kind().name()
        ))),
    }
}

/// Applies `f` to every column of a series or frame, keeping or replacing the index.
fn map_columns(
    v: &Value,
    dates: Arc<Vec<Day>>,
    mut f: impl FnMut(&[f64]) -> Vec<f64>,
) -> Result<Value, EvalError> {
    match v {
        Value::Series(s) => Ok(Value::Series(Series::new(dates, f(&s.values)))),
        Value::Frame(fr) => Ok(Value::Frame(Frame {
            dates,
            columns: fr.columns.iter().map(|(n, c)| (n.clone(), f(c))).collect(),
        })),
        other => Err(EvalError::new(format!(
            "expected a series or a frame, got a {}.",
            other.kind().name()
        ))),
    }
}

/// The rows `lo..hi` of a series or frame.
fn take_range(v: &Value, lo: usize, hi: usize) -> Result<Value, EvalError> {
    let d = dates_of(v, "the input")?;
    let dates = Arc::new(d[lo..hi].to_vec());
    map_columns(v, dates, |c| c[lo..hi].to_vec())
}

/// The rows at positions `keep` (increasing) of a series or frame.
fn take_rows(v: &Value, keep: &[usize]) -> Result<Value, EvalError> {
    let d = dates_of(v, "the input")?;
    let dates = Arc::new(keep.iter().map(|&i| d[i]).collect());
    map_columns(v, dates, |c| keep.iter().map(|&i| c[i]).collect())
}

/// Whether no column of a dated value has a NaN (then fills and drops leave it as it is,
/// and the answer is a copy sharing its index).
fn complete(v: &Value) -> bool {
    match v {
        // A series may already know its missing count (see `Series::missing`).
        Value::Series(s) => s.missing() == 0,
        _ => columns_of(v)
            .iter()
            .all(|(_, c)| reduce::count(c) == c.len()),
    }
}

/// Every numeric column of a dated value, in order (a series is one column `value`).
fn columns_of(v: &Value) -> Vec<(&str, &[f64])> {
    match v {
        Value::Series(s) => vec![("value", s.values.as_slice())],
        Value::Frame(f) => f
            .columns
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_slice()))
            .collect(),
        _ => Vec::new(),
    }
}

// ------------------------------------------------------------ select

fn select_kind(_: &[Option<Kind>], params: &Map<String, Json>) -> Option<Kind> {
    match params.get("column") {
        Some(Json::String(_)) => Some(Kind::Series),
        Some(Json::Array(_)) => Some(Kind::Frame),
        _ => None,
    }
}

static SELECT: Primitive = Primitive {
    name: "select",
    family: Family::Filters,
    summary: "A column of a frame (→ series) or several columns (→ frame)",
    doc: "`column` as one name gives that column as a series on the frame's dates; a list of names gives a frame with those columns in the order listed. An unknown name is refused with the list of available columns.",
    reference: "pandas: df[\"close\"] / df[[\"high\", \"low\"]]",
    inputs: &[Operand::new("frame", KindSet::FRAME, "frame to take columns from")],
    params: &[Param::columns("column", "column name, or a list of names").required()],
    returns: Returns::Custom(select_kind),
    request: None,
    eval: |c| {
        let f = frame(c, 0)?;
        let (names, as_list) = c.params.columns("column")?;
        let mut cols = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(EvalError::new(format!("`column` lists `{name}` twice.")));
            }
            let col = f.column(name).ok_or_else(|| {
                EvalError::new(format!(
                    "the frame has no column `{name}`; available columns: {}.",
                    f.column_names().join(", ")
                ))
            })?;
            cols.push((name.clone(), col.to_vec()));
        }
        if !as_list {
            let (_, values) = cols.pop().expect("one name");
            return Ok(Value::Series(Series::new(Arc::clone(&f.dates), values)));
        }
        Ok(Value::Frame(Frame {
            dates: Arc::clone(&f.dates),
            columns: cols,
        }))
    },
};

// ------------------------------------------------------------ slice

static SLICE: Primitive = Primitive {
    name: "slice",
    family: Family::Filters,
    summary: "Rows between two dates (inclusive), or the first/last n rows",
    doc: "`start` and `end` keep the rows dated start ≤ date ≤ end (either may be left out), like `s.loc[start:end]`. `head` keeps the first n rows and `tail` the last n (after the date bounds, when both are given); `head` and `tail` together are refused. A start after the end is refused.",
    reference: "pandas: s.loc[start:end], s.head(n), s.tail(n)",
    inputs: DATED,
    params: &[
        Param::date("start", "first date kept (inclusive)"),
        Param::date("end", "last date kept (inclusive)"),
        Param::int("head", "keep the first n rows").min(0.0),
        Param::int("tail", "keep the last n rows").min(0.0),
    ],
    returns: Returns::LikeInput(0),
    request: None,
    eval: |c| {
        let v = c.input(0);
        let d = dates_of(v, "input 1")?;
        let start = c.params.opt_date("start")?;
        let end = c.params.opt_date("end")?;
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                return Err(EvalError::new(format!(
                    "`start` ({}) is after `end` ({}).",
                    format_iso(s),
                    format_iso(e)
                )));
            }
        }
        let mut lo = start.map_or(0, |s| d.partition_point(|&x| x < s));
        let mut hi = end.map_or(d.len(), |e| d.partition_point(|&x| x <= e));
        hi = hi.max(lo);
        match (c.params.opt_int("head")?, c.params.opt_int("tail")?) {
            (Some(_), Some(_)) => {
                return Err(EvalError::new(
                    "give either `head` or `tail`, not both.",
                ))
            }
            (Some(n), None) => hi = hi.min(lo + usize::try_from(n).unwrap_or(0)),
            (None, Some(n)) => lo = lo.max(hi.saturating_sub(usize::try_from(n).unwrap_or(0))),
            (None, None) => {}
        }
        take_range(v, lo, hi)
    },
};

// ------------------------------------------------------------ where

static WHERE: Primitive = Primitive {
    name: "where",
    family: Family::Filters,
    summary: "Keep values where a condition series is true; NaN (or drop) elsewhere",
    doc: "The condition is aligned on the first input's dates: a date the condition lacks, a NaN and a 0 are false; any other number is true. Rows where it is false become NaN (every column of a frame), or are removed with `drop: true`.",
    reference: "pandas: x.where(cond.reindex(x.index).fillna(0).ne(0)); with drop: x[mask]",
    inputs: &[
        Operand::new("x", KindSet::DATED, "values to filter"),
        Operand::new("condition", KindSet::SERIES, "true (non-zero) where values are kept"),
    ],
    params: &[Param::boolean("drop", "remove the rows instead of setting NaN").default_bool(false)],
    returns: Returns::LikeInput(0),
    request: None,
    eval: |c| {
        let x = c.input(0);
        let d = dates_of(x, "input 1")?;
        let cond = align::reindex(series(c, 1)?, d);
        let mask: Vec<bool> = cond.values.iter().map(|&v| truthy(v)).collect();
        if c.params.flag("drop")? {
            let keep: Vec<usize> = (0..mask.len()).filter(|&i| mask[i]).collect();
            return take_rows(x, &keep);
        }
        map_columns(x, Arc::clone(d), |col| {
            col.iter()
                .zip(&mask)
                .map(|(&v, &m)| if m { v } else { f64::NAN })
                .collect()
        })
    },
};

// ------------------------------------------------------------ comparisons and logic

const CMP_INPUTS: &[Operand] = &[
    Operand::new("a", KindSet::NUMERIC, "left operand"),
    Operand::new(
        "b",
        KindSet::NUMERIC,
        "right operand (or use the `value` param)",
    )
    .optional(),
];
const CMP_PARAMS: &[Param] = &[Param::number(
    "value",
    "constant right operand, used when only one input is given",
)];

/// A binary operation on two operands, or one operand and the `value` param.
fn binary(call: &Call<'_>, f: impl Fn(f64, f64) -> f64 + Copy) -> Result<Value, EvalError> {
    let a = call.input(0);
    match (call.inputs.get(1), call.params.opt_num("value")?) {
        (Some(b), None) => zip_numeric(a, b, f),
        (None, Some(v)) => zip_numeric(a, &Value::Scalar(v), f),
        (Some(_), Some(_)) => Err(EvalError::new(
            "give the right operand either as a second input or as the `value` param, not both.",
        )),
        (None, None) => Err(EvalError::new(
            "needs a right operand: a second input, or the `value` param.",
        )),
    }
}

macro_rules! compare_primitive {
    ($ident:ident, $name:literal, $summary:literal, $reference:literal, $nan:literal, $f:expr) => {
        static $ident: Primitive = Primitive {
            name: $name,
            family: Family::Filters,
            summary: $summary,
            doc: concat!(
                "1 where the comparison holds, else 0. Two series are aligned on the union of their dates (a date missing on one side counts as NaN); a scalar (second input or `value`) is broadcast. ",
                $nan
            ),
            reference: $reference,
            inputs: CMP_INPUTS,
            params: CMP_PARAMS,
            returns: Returns::Elementwise,
            request: None,
            eval: |c| binary(c, $f),
        };
    };
}

compare_primitive!(
    GT,
    "gt",
    "a > b → 1/0",
    "pandas: a.gt(b).astype(float)",
    "Anything compared with NaN gives 0 (pandas answers False).",
    |a, b| bit(a > b)
);
compare_primitive!(
    LT,
    "lt",
    "a < b → 1/0",
    "pandas: a.lt(b).astype(float)",
    "Anything compared with NaN gives 0 (pandas answers False).",
    |a, b| bit(a < b)
);
compare_primitive!(
    GE,
    "ge",
    "a ≥ b → 1/0",
    "pandas: a.ge(b).astype(float)",
    "Anything compared with NaN gives 0 (pandas answers False).",
    |a, b| bit(a >= b)
);
compare_primitive!(
    LE,
    "le",
    "a ≤ b → 1/0",
    "pandas: a.le(b).astype(float)",
    "Anything compared with NaN gives 0 (pandas answers False).",
    |a, b| bit(a <= b)
);
compare_primitive!(
    EQ,
    "eq",
    "a = b → 1/0",
    "pandas: a.eq(b).astype(float)",
    "NaN equals nothing, not even NaN: 0 (pandas answers False).",
    |a, b| bit(a == b)
);
compare_primitive!(
    NE,
    "ne",
    "a ≠ b → 1/0",
    "pandas: a.ne(b).astype(float)",
    "NaN differs from everything, even NaN: 1 (pandas answers True).",
    |a, b| bit(a != b)
);

static AND: Primitive = Primitive {
    name: "and",
    family: Family::Filters,
    summary: "Logical and of two conditions → 1/0",
    doc: "1 where both operands are true (present and non-zero), else 0. NaN and dates missing on one side count as false. Series are aligned on the union of their dates; a scalar is broadcast.",
    reference: "pandas: (a.notna() & a.ne(0)) & (b.notna() & b.ne(0)) on aligned series",
    inputs: CMP_INPUTS,
    params: CMP_PARAMS,
    returns: Returns::Elementwise,
    request: None,
    eval: |c| binary(c, |a, b| bit(truthy(a) && truthy(b))),
};

static OR: Primitive = Primitive {
    name: "or",
    family: Family::Filters,
    summary: "Logical or of two conditions → 1/0",
    doc: "1 where either operand is true (present and non-zero), else 0. NaN and dates missing on one side count as false. Series are aligned on the union of their dates; a scalar is broadcast.",
    reference: "pandas: (a.notna() & a.ne(0)) | (b.notna() & b.ne(0)) on aligned series",
    inputs: CMP_INPUTS,
    params: CMP_PARAMS,
    returns: Returns::Elementwise,
    request: None,
    eval: |c| binary(c, |a, b| bit(truthy(a) || truthy(b))),
};

static NOT: Primitive = Primitive {
    name: "not",
    family: Family::Filters,
    summary: "Logical not of a condition → 1/0",
    doc: "1 where the operand is false (0 or NaN — a missing value counts as false, so its negation is 1), 0 where it is true.",
    reference: "pandas: (~(s.notna() & s.ne(0))).astype(float)",
    inputs: &[Operand::new("x", KindSet::NUMERIC, "condition series or scalar")],
    params: &[],
    returns: Returns::LikeInput(0),
    request: None,
    eval: |c| map_numeric(c.input(0), |x| bit(!truthy(x))),
};

// ------------------------------------------------------------ missing values

/// Forward fill with at most `limit` consecutive fills after each present value.
fn ffill(col: &[f64], limit: usize) -> Vec<f64> {
    let mut out = col.to_vec();
    let mut last = f64::NAN;
    let mut run = 0usize;
    for v in &mut out {
        if v.is_nan() {
            if !last.is_nan() && run < limit {
                *v = last;
            }
            run += 1;
        } else {
            last = *v;
            run = 0;
        }
    }
    out
}

/// Backward fill, the mirror of [`ffill`].
fn bfill(col: &[f64], limit: usize) -> Vec<f64> {
    let mut rev: Vec<f64> = col.iter().rev().copied().collect();
    rev = ffill(&rev, limit);
    rev.reverse();
    rev
}

static FILLNA: Primitive = Primitive {
    name: "fillna",
    family: Family::Filters,
    summary: "Replace missing values by a constant or by the previous/next value",
    doc: "Either `value` (every NaN becomes it) or `method`: `ffill` carries the last present value forward, `bfill` carries the next one backward; NaNs before the first (after the last) present value stay NaN. `limit` caps how many consecutive NaNs are filled after (before) each present value, as pandas' ffill(limit=…). Frames are filled column by column.",
    reference: "pandas: s.fillna(value), s.ffill(limit=…), s.bfill(limit=…)",
    inputs: DATED,
    params: &[
        Param::number("value", "constant that replaces missing values"),
        Param::one_of("method", &["ffill", "bfill"], "fill from the previous (ffill) or next (bfill) present value"),
        Param::int("limit", "most consecutive missing values filled (with `method`)").min(1.0),
    ],
    returns: Returns::LikeInput(0),
    request: None,
    eval: |c| {
        let v = c.input(0);
        let d = Arc::clone(dates_of(v, "input 1")?);
        let limit = c.params.opt_int("limit")?;
        match (c.params.opt_num("value")?, c.params.opt_text("method")?) {
            (Some(_), Some(_)) => Err(EvalError::new("give either `value` or `method`, not both.")),
            (None, None) => Err(EvalError::new("`fillna` needs `value` (a number) or `method` (ffill or bfill).")),
            (Some(x), None) => {
                if limit.is_some() {
                    return Err(EvalError::new("`limit` applies only with `method` (ffill or bfill)."));
                }
                if complete(v) {
                    return Ok(v.clone());
                }
                map_columns(v, d, |col| col.iter().map(|&y| if y.is_nan() { x } else { y }).collect())
            }
            (None, Some(m)) => {
                let lim = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
                if matches!(m, "ffill" | "bfill") && complete(v) {
                    return Ok(v.clone());
                }
                match m {
                    "ffill" => map_columns(v, d, |col| ffill(col, lim)),
                    "bfill" => map_columns(v, d, |col| bfill(col, lim)),
                    other => Err(EvalError::new(format!("`method` must be ffill or bfill, got {other:?}."))),
                }
            }
        }
    },
};

static DROPNA: Primitive = Primitive {
    name: "dropna",
    family: Family::Filters,
    summary: "Remove rows with missing values",
    doc: "A series loses its NaN points. A frame loses the rows where any column is NaN (`how: any`, the default) or where every column is NaN (`how: all`).",
    reference: "pandas: s.dropna(), df.dropna(how=…)",
    inputs: DATED,
    params: &[Param::one_of("how", &["any", "all"], "for frames: drop a row when any / all of its columns are missing").default_text("any")],
    returns: Returns::LikeInput(0),
    request: None,
    eval: |c| {
        let v = c.input(0);
        let n = dates_of(v, "input 1")?.len();
        let all = c.params.opt_text("how")? == Some("all");
        if complete(v) {
            return Ok(v.clone());
        }
        let cols = columns_of(v);
        let keep: Vec<usize> = (0..n)
            .filter(|&i| {
                if all {
                    cols.iter().any(|(_, col)| !col[i].is_nan())
                } else {
                    cols.iter().all(|(_, col)| !col[i].is_nan())
                }
            })
            .collect();
        Ok(match take_rows(v, &keep)? {
            Value::Series(s) => Value::Series(s.known_complete()),
            other => other,
        })
    },
};

static SHIFT: Primitive = Primitive {
    name: "shift",
    family: Family::Filters,
    summary: "Move values forward (or back) by a number of rows",
    doc: "Positive `periods` moves each value to a later row (the first `periods` rows become NaN); negative moves it to an earlier row (the last rows become NaN). Dates stay where they are.",
    reference: "pandas: s.shift(periods)",
    inputs: DATED,
    params: &[Param::int("periods", "rows to move by (negative moves back)").default_int(1)],
    returns: Returns::LikeInput(0),
    request: None,
    eval: |c| {
        let v = c.input(0);
        let d = Arc::clone(dates_of(v, "input 1")?);
        let k = c.params.int("periods")?;
        map_columns(v, d, |col| {
            // Each output value written once: the NaN run, then one copy of the rest.
            let n = col.len();
            let m = usize::try_from(k.unsigned_abs()).unwrap_or(usize::MAX).min(n);
            let mut out = Vec::with_capacity(n);
            if k >= 0 {
                out.resize(m, f64::NAN);
                out.extend_from_slice(&col[..n - m]);
            } else {
                out.extend_from_slice(&col[m..]);
                out.resize(n, f64::NAN);
            }
            out
        })
    },
};

// ------------------------------------------------------------ resample

/// The period-end date (label) of the period holding `d`.
fn period_end(freq: &str, d: Day) -> Day {
    match freq {
        // Weeks end on Sunday (pandas "W" = "W-SUN"); 1970-01-01 was a Thursday.
        "W" => d + (7 - (d + 4).rem_euclid(7)) % 7,
        _ => {
            let (y, m, _) = civil_from_days(d);
            let (y, m) = match freq {
                "M" => (y, m),
                "Q" => (y, m.div_ceil(3) * 3),
                _ => (y, 12),
            };
            days_from_civil(y, m, days_in_month(y, m))
        }
    }
}

/// Aggregates one bin's values, skipping NaN (`sum` of nothing is 0, the rest NaN).
fn aggregate(how: &str, vals: &[f64]) -> f64 {
    let mut present = vals.iter().copied().filter(|v| !v.is_nan());
    match how {
        "first" => present.next().unwrap_or(f64::NAN),
        "last" => present.next_back().unwrap_or(f64::NAN),
        "sum" => present.sum(),
        "mean" => {
            let (s, n) = present.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
            if n == 0 {
                f64::NAN
            } else {
                s / n as f64
            }
        }
        "max" => present.reduce(f64::max).unwrap_or(f64::NAN),
        _ => present.reduce(f64::min).unwrap_or(f64::NAN),
    }
}

static RESAMPLE: Primitive = Primitive {
    name: "resample",
    family: Family::Filters,
    summary: "Down-sample to weekly, monthly, quarterly or yearly values",
    doc: "Each row goes to the period that ends on or after its date: weeks ending Sunday (W), calendar months (M), quarters (Q), years (Y); the output is dated at the period ends, with every period from the first to the last (an empty one gives NaN, or 0 for `sum`, as pandas). `how` aggregates the present values of a period: last, first, mean, sum, max, min (NaN skipped). A frame is resampled column by column with the same `how`.",
    reference: "pandas: s.resample('W'|'ME'|'QE'|'YE', label='right', closed='right').last() (or first/mean/sum/max/min)",
    inputs: DATED,
    params: &[
        Param::one_of("freq", &["W", "M", "Q", "Y"], "target frequency: weekly (to Sunday), monthly, quarterly, yearly").required(),
        Param::one_of("how", &["last", "first", "mean", "sum", "max", "min"], "aggregation of each period").default_text("last"),
    ],
    returns: Returns::LikeInput(0),
    request: None,
    eval: |c| {
        let v = c.input(0);
        let d = dates_of(v, "input 1")?;
        let freq = c.params.text("freq")?;
        let how = c.params.opt_text("how")?.unwrap_or("last");
        // Rows are date-sorted, so each period's rows form one run: bins[k] = (label, lo, hi).
        let mut bins: Vec<(Day, usize, usize)> = Vec::new();
        let mut i = 0;
        while i < d.len() {
            let label = period_end(freq, d[i]);
            let hi = i + d[i..].partition_point(|&x| x <= label);
            if let Some(&(prev, _, end)) = bins.last() {
                // Periods between two occupied ones are present and empty.
                let mut gap = period_end(freq, prev + 1);
                while gap < label {
                    bins.push((gap, end, end));
                    gap = period_end(freq, gap + 1);
                }
            }
            bins.push((label, i, hi));
            i = hi;
        }
        let dates = Arc::new(bins.iter().map(|b| b.0).collect());
        map_columns(v, dates, |col| bins.iter().map(|&(_, lo, hi)| aggregate(how, &col[lo..hi])).collect())
    },
};

// ------------------------------------------------------------ align and combine

/// Column names from the `names` param, or `s1, s2, …`; checked for count and duplicates.
fn column_names(call: &Call<'_>, count: usize) -> Result<Vec<String>, EvalError> {
    let names = if call.params.has("names") {
        call.params.columns("names")?.0
    } else {
        (1..=count).map(|i| format!("s{i}")).collect()
    };
    if names.len() != count {
        return Err(EvalError::new(format!(
            "`names` has {} names for {count} inputs; give one name per input.",
            names.len()
        )));
    }
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(EvalError::new(format!("`names` lists `{n}` twice.")));
        }
    }
    Ok(names)
}

/// The sorted union of several date lists.
fn union_all<'a>(lists: impl Iterator<Item = &'a Arc<Vec<Day>>>) -> Arc<Vec<Day>> {
    let mut acc: Option<Arc<Vec<Day>>> = None;
    for l in lists {
        acc = Some(match acc {
            None => Arc::clone(l),
            Some(a) if Arc::ptr_eq(&a, l) || a == *l => a,
            Some(a) => align::union(&a, l).dates,
        });
    }
    acc.unwrap_or_default()
}

static ALIGN: Primitive = Primitive {
    name: "align",
    family: Family::Filters,
    summary: "Two series side by side on a common index → frame",
    doc: "The index is the union of both series' dates (`join: outer`, the default), their intersection (`inner`), or the first (`left`) or second (`right`) series' dates; a series lacking a date gets NaN there. Columns are named by `names` (two names), else `s1` and `s2`.",
    reference: "pandas: a.align(b, join=…) put into one DataFrame",
    inputs: &[
        Operand::new("a", KindSet::SERIES, "first series"),
        Operand::new("b", KindSet::SERIES, "second series"),
    ],
    params: &[
        Param::one_of("join", &["outer", "inner", "left", "right"], "which dates to keep").default_text("outer"),
        Param::columns("names", "the two column names (default s1, s2)"),
    ],
    returns: Returns::Fixed(Kind::Frame),
    request: None,
    eval: |c| {
        let (a, b) = (series(c, 0)?, series(c, 1)?);
        let names = column_names(c, 2)?;
        let dates = match c.params.opt_text("join")?.unwrap_or("outer") {
            "inner" => {
                let u = align::union(&a.dates, &b.dates);
                let keep: Vec<Day> = (0..u.dates.len())
                    .filter(|&i| u.left[i].is_some() && u.right[i].is_some())
                    .map(|i| u.dates[i])
                    .collect();
                Arc::new(keep)
            }
            "left" => Arc::clone(&a.dates),
            "right" => Arc::clone(&b.dates),
            _ => union_all([&a.dates, &b.dates].into_iter()),
        };
        let columns = names
            .into_iter()
            .zip([a, b])
            .map(|(n, s)| (n, align::reindex(s, &dates).into_values()))
            .collect();
        Ok(Value::Frame(Frame { dates, columns }))
    },
};

static COMBINE: Primitive = Primitive {
    name: "combine",
    family: Family::Filters,
    summary: "Several series → one frame on the union of their dates",
    doc: "Each input becomes a column; the index is the union of all dates and a series lacking a date gets NaN there. Steps only pass values, not their ids, so column names come from `names` (one per input, in order), else `s1, s2, …`.",
    reference: "pandas: pd.concat([s1, s2, …], axis=1, keys=names) (outer join, sorted)",
    inputs: &[Operand::new("series", KindSet::SERIES, "a series (one or more)").variadic()],
    params: &[Param::columns("names", "column names, one per input (default s1, s2, …)")],
    returns: Returns::Fixed(Kind::Frame),
    request: None,
    eval: |c| {
        let all: Vec<&Series> = (0..c.inputs.len()).map(|i| series(c, i)).collect::<Result<_, _>>()?;
        let names = column_names(c, all.len())?;
        let dates = union_all(all.iter().map(|s| &s.dates));
        let columns = names
            .into_iter()
            .zip(all)
            .map(|(n, s)| (n, align::reindex(s, &dates).into_values()))
            .collect();
        Ok(Value::Frame(Frame { dates, columns }))
    },
};

// ------------------------------------------------------------ tables: sort, unique, top_n

/// One column of a row set being ordered, borrowed from the input.
enum Col<'a> {
    /// A series' or frame's index, formatted as ISO dates only for the rows output.
    Dates(&'a [Day]),
    Num(&'a [f64]),
    Text(&'a [String]),
}

/// Named columns of a row set being ordered.
type Cols<'a> = Vec<(&'a str, Col<'a>)>;

/// The columns of a series (`date, value`), frame (`date` then its columns) or table, and
/// the numeric key column to order by: `column`, or `value` for a series.
fn sortable<'a>(v: &'a Value, column: Option<&str>) -> Result<(Cols<'a>, &'a [f64]), EvalError> {
    let (cols, default_key): (Cols<'_>, _) = match v {
        Value::Series(s) => (
            vec![
                ("date", Col::Dates(&s.dates)),
                ("value", Col::Num(&s.values)),
            ],
            Some("value"),
        ),
        Value::Frame(f) => {
            let mut cols = vec![("date", Col::Dates(f.dates.as_slice()))];
            cols.extend(f.columns.iter().map(|(n, c)| (n.as_str(), Col::Num(c))));
            (cols, None)
        }
        Value::Table(t) => (
            t.columns
                .iter()
                .map(|(n, c)| {
                    let c = match c {
                        ColumnData::Num(v) => Col::Num(v),
                        ColumnData::Text(v) => Col::Text(v),
                        ColumnData::Dates(v) => Col::Dates(v),
                    };
                    (n.as_str(), c)
                })
                .collect(),
            None,
        ),
        other => {
            return Err(EvalError::new(format!(
                "expected a series, frame or table, got a {}.",
                other.kind().name()
            )))
        }
    };
    let key_name = column.or(default_key).ok_or_else(|| {
        EvalError::new(format!(
            "name the column to order by with `column` (one of: {}).",
            cols.iter()
                .filter(|(_, c)| matches!(c, Col::Num(_)))
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let key = match cols.iter().find(|(n, _)| *n == key_name) {
        Some((_, Col::Num(k))) => *k,
        Some(_) => {
            return Err(EvalError::new(format!(
                "column `{key_name}` holds text; order by a numeric column."
            )))
        }
        None => {
            return Err(EvalError::new(format!(
                "there is no column `{key_name}`; available columns: {}.",
                cols.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            )))
        }
    };
    Ok((cols, key))
}

/// The rows `idx` of `cols`, in that order, as a table.
fn take_table(cols: &[(&str, Col<'_>)], idx: &[usize]) -> Table {
    Table {
        columns: cols
            .iter()
            .map(|(n, c)| {
                let c = match c {
                    Col::Dates(d) => ColumnData::Dates(idx.iter().map(|&i| d[i]).collect()),
                    Col::Num(v) => ColumnData::Num(idx.iter().map(|&i| v[i]).collect()),
                    Col::Text(v) => ColumnData::Text(idx.iter().map(|&i| v[i].clone()).collect()),
                };
                (n.to_string(), c)
            })
            .collect(),
    }
}

/// Row order by `key`, NaN rows left out: stable (ties in input order; −0 and +0 tie, as
/// in pandas), ascending or descending. With `limit`, only the first `limit` rows of that
/// order (selected first, then sorted).
fn order_present(key: &[f64], ascending: bool, limit: Option<usize>) -> Vec<usize> {
    // Each present value becomes an integer with the same order (−0 and +0 alike, as
    // pandas ties them), inverted for descending. The whole order is a stable radix sort
    // of (key, row) pairs built in row order; a limited one selects first, then sorts the
    // few pairs left, where the row number breaks ties.
    let ordered = |x: f64| {
        let bits = if x == 0.0 { 0u64 } else { x.to_bits() };
        let k = if bits >> 63 == 1 {
            !bits
        } else {
            bits | (1 << 63)
        };
        if ascending {
            k
        } else {
            !k
        }
    };
    if limit.is_none() {
        if let Ok(rows) = u32::try_from(key.len()) {
            let present = (0..rows)
                .zip(key)
                .filter(|(_, k)| !k.is_nan())
                .map(|(i, &k)| (ordered(k), i));
            let pairs = radix::sorted_by_key(present);
            return pairs.into_iter().map(|p| p.1 as usize).collect();
        }
    }
    let mut pairs: Vec<(u64, usize)> = key
        .iter()
        .enumerate()
        .filter(|(_, k)| !k.is_nan())
        .map(|(i, &k)| (ordered(k), i))
        .collect();
    if let Some(n) = limit {
        if n == 0 {
            return Vec::new();
        }
        if n < pairs.len() {
            pairs.select_nth_unstable(n - 1);
            pairs.truncate(n);
        }
    }
    pairs.sort_unstable();
    pairs.into_iter().map(|p| p.1).collect()
}

/// Row order by `key`: stable, NaN last, ascending or descending.
fn order(key: &[f64], ascending: bool) -> Vec<usize> {
    let mut idx = order_present(key, ascending, None);
    idx.extend((0..key.len()).filter(|&i| key[i].is_nan()));
    idx
}

const TABLE_INPUT: &[Operand] = &[Operand::new(
    "x",
    KindSet::SERIES.or(KindSet::FRAME).or(KindSet::TABLE),
    "series, frame or table",
)];

static SORT: Primitive = Primitive {
    name: "sort",
    family: Family::Filters,
    summary: "Rows ordered by value → table",
    doc: "A series becomes a table `date, value` ordered by value; a frame (a `date` column first) or a table is ordered by its numeric `column`. Stable (ties keep their date order), NaN last. The result is a table because a series' dates must stay in increasing order.",
    reference: "pandas: s.sort_values(ascending=…, kind='stable', na_position='last')",
    inputs: TABLE_INPUT,
    params: &[
        Param::boolean("ascending", "smallest first (false: largest first)").default_bool(true),
        Param::text("column", "column to order by (frames and tables)"),
    ],
    returns: Returns::Fixed(Kind::Table),
    request: None,
    eval: |c| {
        let (cols, key) = sortable(c.input(0), c.params.opt_text("column")?)?;
        let idx = order(key, c.params.flag("ascending")?);
        Ok(Value::Table(take_table(&cols, &idx)))
    },
};

static TOP_N: Primitive = Primitive {
    name: "top_n",
    family: Family::Filters,
    summary: "The n rows with the largest (or smallest) values → table",
    doc: "Rows ordered by `column` (a series: its values), largest first unless `ascending`, then the first `n`; rows whose key is NaN are left out, ties keep their original order (pandas nlargest/nsmallest with keep='first'). Series and frames gain a leading `date` column.",
    reference: "pandas: df.nlargest(n, column) / df.nsmallest(n, column)",
    inputs: TABLE_INPUT,
    params: &[
        Param::int("n", "rows kept").default_int(10).min(1.0),
        Param::text("column", "column to rank by (frames and tables)"),
        Param::boolean("ascending", "smallest first (false: largest first)").default_bool(false),
    ],
    returns: Returns::Fixed(Kind::Table),
    request: None,
    eval: |c| {
        let (cols, key) = sortable(c.input(0), c.params.opt_text("column")?)?;
        let n = c.params.usize("n")?;
        let idx = order_present(key, c.params.flag("ascending")?, Some(n));
        Ok(Value::Table(take_table(&cols, &idx)))
    },
};

static UNIQUE: Primitive = Primitive {
    name: "unique",
    family: Family::Filters,
    summary: "Distinct values with their counts → table `value count`",
    doc: "One row per distinct value in order of first appearance, with how many times it occurs. NaN is one value of its own (listed where it first appears, counted); 0 and −0 are the same value. Returned as a table (values have no single date).",
    reference: "pandas: pd.unique(s) with s.value_counts(dropna=False)",
    inputs: &[Operand::new("x", KindSet::SERIES, "series")],
    params: &[],
    returns: Returns::Fixed(Kind::Table),
    request: None,
    eval: |c| {
        let s = series(c, 0)?;
        // Sized for half the points up front (prices are mostly distinct), so the table
        // grows at most once.
        let mut slot: HashMap<u64, usize, BitsHash> =
            HashMap::with_capacity_and_hasher(s.values.len() / 2, BitsHash);
        let (mut values, mut counts): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
        for &v in s.values.iter() {
            // One key per value: every NaN alike, and +0 with −0.
            let key = if v.is_nan() { u64::MAX } else if v == 0.0 { 0 } else { v.to_bits() };
            let k = *slot.entry(key).or_insert_with(|| {
                values.push(if v == 0.0 { 0.0 } else { v });
                counts.push(0.0);
                values.len() - 1
            });
            counts[k] += 1.0;
        }
        Ok(Value::Table(Table {
            columns: vec![("value".into(), ColumnData::Num(values)), ("count".into(), ColumnData::Num(counts))],
        }))
    },
};

/// Hashing for `unique`'s keys, which are the bits of one f64: a 64×64→128-bit multiply
/// folded to 64 bits mixes every input bit into the high and low bits the table uses.
/// Far cheaper than the default SipHash; the keys are numbers from the model's own data,
/// so flooding resistance buys nothing here.
#[derive(Clone, Copy, Default)]
struct BitsHash;

impl std::hash::BuildHasher for BitsHash {
    type Hasher = BitsHasher;
    fn build_hasher(&self) -> BitsHasher {
        BitsHasher(0)
    }
}

/// The [`BitsHash`] hasher: holds the mixed key.
struct BitsHasher(u64);

impl std::hash::Hasher for BitsHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b) ^ self.0.rotate_left(8));
        }
    }
    fn write_u64(&mut self, k: u64) {
        let m = u128::from(k ^ self.0) * 0x9E37_79B9_7F4A_7C15u128;
        self.0 = (m as u64) ^ ((m >> 64) as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::parse_iso;

    #[test]
    fn orders_are_stable_with_nan_last_and_limits_select_the_same_rows() {
        let key: Vec<f64> = (0..500)
            .map(|i| match i % 9 {
                0 => f64::NAN,
                1 => 0.0,
                2 => -0.0,
                _ => ((i * 37) % 11) as f64,
            })
            .collect();
        for ascending in [true, false] {
            // The reference: a stable sort of the row numbers.
            let mut want: Vec<usize> = (0..key.len()).filter(|&i| !key[i].is_nan()).collect();
            want.sort_by(|&a, &b| {
                let o = if ascending {
                    key[a].partial_cmp(&key[b])
                } else {
                    key[b].partial_cmp(&key[a])
                };
                o.unwrap_or(std::cmp::Ordering::Equal)
            });
            let present = want.clone();
            want.extend((0..key.len()).filter(|&i| key[i].is_nan()));
            assert_eq!(order(&key, ascending), want);
            for n in [0, 1, 7, 100, 444, 445, 1000] {
                let got = order_present(&key, ascending, Some(n));
                assert_eq!(got, present[..n.min(present.len())].to_vec());
            }
        }
    }

    fn day(s: &str) -> Day {
        parse_iso(s).expect("date")
    }

    #[test]
    fn period_ends_are_sunday_month_quarter_and_year_ends() {
        // 2024-03-03 is a Sunday: it closes its own week.
        assert_eq!(period_end("W", day("2024-03-03")), day("2024-03-03"));
        assert_eq!(period_end("W", day("2024-03-04")), day("2024-03-10"));
        assert_eq!(period_end("M", day("2024-02-10")), day("2024-02-29"));
        assert_eq!(period_end("Q", day("2024-04-01")), day("2024-06-30"));
        assert_eq!(period_end("Q", day("2024-12-31")), day("2024-12-31"));
        assert_eq!(period_end("Y", day("1969-07-20")), day("1969-12-31"));
        assert_eq!(period_end("W", day("1969-12-31")), day("1970-01-04"));
    }

    #[test]
    fn fills_respect_their_limit_and_leave_the_edges() {
        let n = f64::NAN;
        let got = ffill(&[n, 1.0, n, n, n, 2.0, n], 2);
        let want = [n, 1.0, 1.0, 1.0, n, 2.0, 2.0];
        for (g, w) in got.iter().zip(want) {
            assert!(g == &w || (g.is_nan() && w.is_nan()), "{got:?}");
        }
        let got = bfill(&[n, 1.0, n, 2.0, n], usize::MAX);
        assert_eq!(&got[..4], &[1.0, 1.0, 2.0, 2.0]);
        assert!(got[4].is_nan());
    }

    /// `fillna` with nothing to fill and `dropna` with nothing to drop hand back the
    /// input's values buffer itself (no copy); with something to do they build new values
    /// and leave the input's untouched.
    #[test]
    fn fill_and_drop_share_a_complete_input_and_copy_otherwise() {
        use crate::params::Params;
        let run = |p: &Primitive, input: &Value, params: serde_json::Value| {
            let params = Params::bind(p, params.as_object().expect("object")).expect("params");
            (p.eval)(&Call {
                inputs: &[input],
                params: &params,
                data: None,
            })
            .expect("eval")
        };
        let values = |v: &Value| match v {
            Value::Series(s) => Arc::clone(&s.values),
            other => panic!("expected a series, got {other:?}"),
        };
        let full = Value::Series(Series::from_vecs(vec![1, 2, 3], vec![1.0, 2.0, 3.0]));
        let gap = Value::Series(Series::from_vecs(vec![1, 2, 3], vec![1.0, f64::NAN, 3.0]));
        let cases = [
            (
                &FILLNA,
                serde_json::json!({"method": "ffill"}),
                vec![1.0, 1.0, 3.0],
            ),
            (
                &FILLNA,
                serde_json::json!({"value": 0.0}),
                vec![1.0, 0.0, 3.0],
            ),
            (&DROPNA, serde_json::json!({}), vec![1.0, 3.0]),
        ];
        for (p, params, want) in cases {
            let same = run(p, &full, params.clone());
            assert!(Arc::ptr_eq(&values(&same), &values(&full)), "{}", p.name);
            let filled = run(p, &gap, params);
            assert!(!Arc::ptr_eq(&values(&filled), &values(&gap)), "{}", p.name);
            assert_eq!(*values(&filled), want, "{}", p.name);
            assert!(values(&gap)[1].is_nan(), "{}: input modified", p.name);
        }
        // What dropna keeps has no missing value, and it says so without a count.
        let kept = run(&DROPNA, &gap, serde_json::json!({}));
        assert!(format!("{kept:?}").contains("missing: 0"), "{kept:?}");
    }

    #[test]
    fn truth_treats_nan_as_false() {
        assert!(!truthy(f64::NAN) && !truthy(0.0) && !truthy(-0.0));
        assert!(truthy(-3.0) && truthy(f64::INFINITY));
    }
}
