//! Runtime values (dsl.md §3): scalar, series, frame, record, table, text, bool.
//!
//! Date indices are shared through `Arc` so that elementwise steps, which keep their
//! input's index, never copy it. NaN means "missing" everywhere.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde_json::{json, Map, Value as Json};

use crate::date::{self, Day};

/// The kind of a value, used for static checks and in step timings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// One f64.
    Scalar,
    /// Dated f64 values.
    Series,
    /// Dated named f64 columns.
    Frame,
    /// Named scalars.
    Record,
    /// Rows of numbers or strings.
    Table,
    /// A string.
    Text,
    /// A boolean.
    Bool,
}

impl Kind {
    /// Every kind, in documentation order.
    pub const ALL: [Kind; 7] = [
        Kind::Scalar,
        Kind::Series,
        Kind::Frame,
        Kind::Record,
        Kind::Table,
        Kind::Text,
        Kind::Bool,
    ];

    /// The DSL name of the kind.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Scalar => "scalar",
            Kind::Series => "series",
            Kind::Frame => "frame",
            Kind::Record => "record",
            Kind::Table => "table",
            Kind::Text => "text",
            Kind::Bool => "bool",
        }
    }

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of kinds an operand accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSet(u8);

impl KindSet {
    /// Only scalars.
    pub const SCALAR: KindSet = KindSet(Kind::Scalar.bit());
    /// Only series.
    pub const SERIES: KindSet = KindSet(Kind::Series.bit());
    /// Only frames.
    pub const FRAME: KindSet = KindSet(Kind::Frame.bit());
    /// Only records.
    pub const RECORD: KindSet = KindSet(Kind::Record.bit());
    /// Only tables.
    pub const TABLE: KindSet = KindSet(Kind::Table.bit());
    /// A series or a scalar (elementwise operands).
    pub const NUMERIC: KindSet = KindSet(Kind::Scalar.bit() | Kind::Series.bit());
    /// A series or a frame (dated values).
    pub const DATED: KindSet = KindSet(Kind::Series.bit() | Kind::Frame.bit());
    /// Anything.
    pub const ANY: KindSet = KindSet(0x7f);

    /// Union of two sets.
    pub const fn or(self, other: KindSet) -> KindSet {
        KindSet(self.0 | other.0)
    }

    /// Whether `kind` is in the set.
    pub fn contains(self, kind: Kind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// Names of the kinds in the set, joined with " or ".
    pub fn describe(self) -> String {
        let names: Vec<_> = Kind::ALL
            .iter()
            .filter(|k| self.contains(**k))
            .map(|k| k.name())
            .collect();
        names.join(" or ")
    }
}

/// A dated series of f64; dates strictly increasing.
///
/// Dates and values are both shared: cloning a series, or a primitive returning its
/// input unchanged (`fillna` with nothing to fill, `dropna` with nothing to drop),
/// copies no value. Code that modifies values goes through [`Series::values_mut`] or
/// [`Series::into_values`], which copy only when another series holds the same buffer.
///
/// A series also remembers how many of its values are missing once that is known: the
/// loaders count while they parse, `dropna` knows its output has none, and anything else
/// counts on first demand ([`Series::missing`]). So `count`, and `fillna`/`dropna` with
/// nothing to do, read a number instead of the values (as polars reads its null count).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Day numbers, strictly increasing, shared between values with the same index.
    pub dates: Arc<Vec<Day>>,
    /// One value per date; NaN = missing. Shared between series holding the same values.
    /// Never replaced in place: new values make a new series (or go through
    /// [`Series::values_mut`]), so the remembered missing count stays true.
    pub values: Arc<Vec<f64>>,
    missing: MissingCount,
}

/// The number of NaN values of a series, once counted. A cache, not part of the value:
/// two series with the same dates and values are equal whether or not either has counted.
#[derive(Clone, Default)]
struct MissingCount(OnceLock<usize>);

impl PartialEq for MissingCount {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Debug for MissingCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.get() {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("not counted"),
        }
    }
}

impl Series {
    /// Builds a series; the caller guarantees `dates.len() == values.len()` and order.
    pub fn new(dates: Arc<Vec<Day>>, values: Vec<f64>) -> Self {
        Self::shared(dates, Arc::new(values))
    }

    /// Builds a series on a values buffer other series may hold too (nothing is copied);
    /// the caller guarantees `dates.len() == values.len()` and order.
    pub fn shared(dates: Arc<Vec<Day>>, values: Arc<Vec<f64>>) -> Self {
        debug_assert_eq!(dates.len(), values.len());
        Self {
            dates,
            values,
            missing: MissingCount::default(),
        }
    }

    /// Builds a series and counts its missing values now, while a loader that has just
    /// written them still has them in cache.
    pub fn counted(dates: Arc<Vec<Day>>, values: Vec<f64>) -> Self {
        let s = Self::new(dates, values);
        s.missing();
        s
    }

    /// This series, stating it has no missing value (the caller guarantees it, e.g. the
    /// rows `dropna` kept).
    pub fn known_complete(self) -> Self {
        debug_assert!(self.values.iter().all(|v| !v.is_nan()));
        let _ = self.missing.0.set(0);
        self
    }

    /// How many values are NaN: remembered after the first call (values are not changed
    /// in place except through [`Series::values_mut`], which forgets the count).
    pub fn missing(&self) -> usize {
        *self
            .missing
            .0
            .get_or_init(|| self.values.len() - crate::kernels::reduce::count(&self.values))
    }

    /// Builds a series from owned vectors.
    pub fn from_vecs(dates: Vec<Day>, values: Vec<f64>) -> Self {
        Self::new(Arc::new(dates), values)
    }

    /// A series with the same index and new values.
    pub fn with_values(&self, values: Vec<f64>) -> Self {
        Self::new(Arc::clone(&self.dates), values)
    }

    /// The values, to modify in place: copied first if another series shares them.
    pub fn values_mut(&mut self) -> &mut Vec<f64> {
        self.missing = MissingCount::default();
        Arc::make_mut(&mut self.values)
    }

    /// The values as an owned vector: moved out when this series is their only holder,
    /// else copied.
    pub fn into_values(self) -> Vec<f64> {
        Arc::unwrap_or_clone(self.values)
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// Dated named columns sharing one index.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Day numbers, strictly increasing.
    pub dates: Arc<Vec<Day>>,
    /// Columns in order; each as long as `dates`.
    pub columns: Vec<(String, Vec<f64>)>,
}

impl Frame {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The column `name` as a series sharing the frame's index.
    pub fn series(&self, name: &str) -> Option<Series> {
        self.column(name)
            .map(|v| Series::new(Arc::clone(&self.dates), v.to_vec()))
    }

    /// Column names.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }
}

/// Named scalars, in order (e.g. a regression result).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    /// Fields in order.
    pub fields: Vec<(String, f64)>,
}

impl Record {
    /// Builds a record from `(name, value)` pairs.
    pub fn from_pairs<S: Into<String>>(pairs: impl IntoIterator<Item = (S, f64)>) -> Self {
        Self {
            fields: pairs.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        }
    }

    /// The field called `name`.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

/// A table column: numbers, strings or dates.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Numbers; NaN = missing.
    Num(Vec<f64>),
    /// Strings.
    Text(Vec<String>),
    /// Dates (a series' or frame's index taken into a table), written as ISO `YYYY-MM-DD`
    /// text in results; kept as day numbers so that reordering or taking rows formats only
    /// the dates that are output.
    Dates(Vec<Day>),
}

impl ColumnData {
    /// Number of cells.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Num(v) => v.len(),
            ColumnData::Text(v) => v.len(),
            ColumnData::Dates(v) => v.len(),
        }
    }

    /// Whether there are no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cell at `row` as JSON (null for NaN).
    pub fn cell_json(&self, row: usize) -> Json {
        match self {
            ColumnData::Num(v) => num_json(v[row]),
            ColumnData::Text(v) => Json::String(v[row].clone()),
            ColumnData::Dates(v) => Json::String(date::format_iso(v[row])),
        }
    }
}

/// A table stored by columns, all of the same length.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Columns in order.
    pub columns: Vec<(String, ColumnData)>,
}

impl Table {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| c.len())
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnData> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// The numeric column called `name`.
    pub fn num_column(&self, name: &str) -> Option<&[f64]> {
        match self.column(name) {
            Some(ColumnData::Num(v)) => Some(v),
            _ => None,
        }
    }

    /// The text column called `name`.
    pub fn text_column(&self, name: &str) -> Option<&[String]> {
        match self.column(name) {
            Some(ColumnData::Text(v)) => Some(v),
            _ => None,
        }
    }
}

/// A runtime value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// One f64.
    Scalar(f64),
    /// Dated values.
    Series(Series),
    /// Dated named columns.
    Frame(Frame),
    /// Named scalars.
    Record(Record),
    /// Rows of numbers or strings.
    Table(Table),
    /// A string.
    Text(String),
    /// A boolean.
    Bool(bool),
}

impl Value {
    /// The value's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Value::Scalar(_) => Kind::Scalar,
            Value::Series(_) => Kind::Series,
            Value::Frame(_) => Kind::Frame,
            Value::Record(_) => Kind::Record,
            Value::Table(_) => Kind::Table,
            Value::Text(_) => Kind::Text,
            Value::Bool(_) => Kind::Bool,
        }
    }

    /// Points for limits and timings: series length, frame/table rows, 1 otherwise.
    pub fn len(&self) -> usize {
        match self {
            Value::Series(s) => s.len(),
            Value::Frame(f) => f.len(),
            Value::Table(t) => t.len(),
            Value::Record(r) => r.fields.len(),
            _ => 1,
        }
    }

    /// Whether the value holds no points (empty series, frame or table).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of f64 cells held (what the point limit counts).
    pub fn points(&self) -> usize {
        match self {
            Value::Series(s) => s.len(),
            Value::Frame(f) => f.len() * f.columns.len().max(1),
            Value::Table(t) => t.len() * t.columns.len().max(1),
            Value::Record(r) => r.fields.len(),
            _ => 1,
        }
    }

    /// Approximate heap bytes held, for the memory limit (shared indices counted once each).
    pub fn approx_bytes(&self) -> usize {
        match self {
            Value::Series(s) => s.len() * 12,
            Value::Frame(f) => f.len() * (4 + 8 * f.columns.len()),
            Value::Table(t) => t
                .columns
                .iter()
                .map(|(_, c)| match c {
                    ColumnData::Num(v) => v.len() * 8,
                    ColumnData::Text(v) => v.iter().map(|s| s.len() + 24).sum(),
                    ColumnData::Dates(v) => v.len() * 4,
                })
                .sum(),
            Value::Record(r) => r.fields.iter().map(|(k, _)| k.len() + 32).sum(),
            Value::Text(s) => s.len(),
            _ => 8,
        }
    }

    /// Encodes the value as tagged JSON (the golden-file and artifact format):
    /// `{"kind": "series", "dates": [...ISO...], "values": [... null for NaN ...]}`.
    pub fn to_json(&self) -> Json {
        let dates_json =
            |d: &[Day]| Json::Array(d.iter().map(|&x| date::format_iso(x).into()).collect());
        let nums = |v: &[f64]| Json::Array(v.iter().map(|&x| num_json(x)).collect());
        match self {
            Value::Scalar(x) => json!({"kind": "scalar", "value": num_json(*x)}),
            Value::Series(s) => {
                json!({"kind": "series", "dates": dates_json(&s.dates), "values": nums(&s.values)})
            }
            Value::Frame(f) => {
                let cols: Map<String, Json> = f
                    .columns
                    .iter()
                    .map(|(n, v)| (n.clone(), nums(v)))
                    .collect();
                json!({"kind": "frame", "dates": dates_json(&f.dates), "columns": cols})
            }
            Value::Record(r) => {
                let fields: Map<String, Json> = r
                    .fields
                    .iter()
                    .map(|(n, v)| (n.clone(), num_json(*v)))
                    .collect();
                json!({"kind": "record", "fields": fields})
            }
            Value::Table(t) => {
                let cols: Map<String, Json> = t
                    .columns
                    .iter()
                    .map(|(n, c)| {
                        let v = match c {
                            ColumnData::Num(v) => nums(v),
                            ColumnData::Text(v) => {
                                Json::Array(v.iter().map(|s| s.as_str().into()).collect())
                            }
                            ColumnData::Dates(v) => dates_json(v),
                        };
                        (n.clone(), v)
                    })
                    .collect();
                json!({"kind": "table", "columns": cols})
            }
            Value::Text(s) => json!({"kind": "text", "value": s}),
            Value::Bool(b) => json!({"kind": "bool", "value": b}),
        }
    }

    /// Decodes the tagged JSON of [`Value::to_json`]. Numbers may be `null` (NaN) or the
    /// strings `"nan"`, `"inf"`, `"-inf"`, so that reference scripts can write every f64.
    pub fn from_json(j: &Json) -> Result<Value, String> {
        let kind = j
            .get("kind")
            .and_then(Json::as_str)
            .ok_or("missing \"kind\"")?;
        let dates = |j: &Json| -> Result<Arc<Vec<Day>>, String> {
            let arr = j
                .get("dates")
                .and_then(Json::as_array)
                .ok_or("missing \"dates\" array")?;
            let d = arr
                .iter()
                .map(|x| {
                    x.as_str()
                        .and_then(date::parse_iso)
                        .ok_or(format!("bad date {x}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if d.windows(2).any(|w| w[0] >= w[1]) {
                return Err("dates must be strictly increasing".into());
            }
            Ok(Arc::new(d))
        };
        let nums = |j: &Json| -> Result<Vec<f64>, String> {
            j.as_array()
                .ok_or("expected an array of numbers")?
                .iter()
                .map(json_num)
                .collect()
        };
        Ok(match kind {
            "scalar" => Value::Scalar(json_num(j.get("value").ok_or("missing value")?)?),
            "series" => {
                let d = dates(j)?;
                let v = nums(j.get("values").ok_or("missing values")?)?;
                if v.len() != d.len() {
                    return Err("dates and values differ in length".into());
                }
                Value::Series(Series::new(d, v))
            }
            "frame" => {
                let d = dates(j)?;
                let cols = j
                    .get("columns")
                    .and_then(Json::as_object)
                    .ok_or("missing columns")?;
                let mut columns = Vec::new();
                for (name, c) in cols {
                    let v = nums(c)?;
                    if v.len() != d.len() {
                        return Err(format!("column {name} differs in length from dates"));
                    }
                    columns.push((name.clone(), v));
                }
                Value::Frame(Frame { dates: d, columns })
            }
            "record" => {
                let f = j
                    .get("fields")
                    .and_then(Json::as_object)
                    .ok_or("missing fields")?;
                let fields = f
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), json_num(v)?)))
                    .collect::<Result<_, String>>()?;
                Value::Record(Record { fields })
            }
            "table" => {
                let cols = j
                    .get("columns")
                    .and_then(Json::as_object)
                    .ok_or("missing columns")?;
                let mut columns = Vec::new();
                for (name, c) in cols {
                    let arr = c.as_array().ok_or("table column must be an array")?;
                    let is_text = arr.iter().any(|x| {
                        x.as_str()
                            .is_some_and(|s| !matches!(s, "nan" | "inf" | "-inf"))
                    });
                    let data = if is_text {
                        ColumnData::Text(
                            arr.iter()
                                .map(|x| x.as_str().unwrap_or("").to_string())
                                .collect(),
                        )
                    } else {
                        ColumnData::Num(nums(c)?)
                    };
                    columns.push((name.clone(), data));
                }
                Value::Table(Table { columns })
            }
            "text" => Value::Text(
                j.get("value")
                    .and_then(Json::as_str)
                    .ok_or("missing value")?
                    .into(),
            ),
            "bool" => Value::Bool(
                j.get("value")
                    .and_then(Json::as_bool)
                    .ok_or("missing value")?,
            ),
            other => return Err(format!("unknown kind {other:?}")),
        })
    }
}

/// A number as JSON: finite numbers as numbers, NaN and infinities as `null` (dsl.md §3).
pub fn num_json(x: f64) -> Json {
    serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
}

/// Reads a JSON number, `null` (NaN) or `"nan"`/`"inf"`/`"-inf"`.
pub fn json_num(j: &Json) -> Result<f64, String> {
    match j {
        Json::Null => Ok(f64::NAN),
        Json::Number(n) => n.as_f64().ok_or_else(|| format!("bad number {n}")),
        Json::String(s) => match s.as_str() {
            "nan" => Ok(f64::NAN),
            "inf" => Ok(f64::INFINITY),
            "-inf" => Ok(f64::NEG_INFINITY),
            _ => Err(format!("expected a number, got {s:?}")),
        },
        other => Err(format!("expected a number, got {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gappy() -> Series {
        Series::from_vecs(vec![1, 2, 3, 4], vec![1.0, f64::NAN, 3.0, f64::NAN])
    }

    #[test]
    fn the_missing_count_is_counted_once_and_forgotten_when_values_change() {
        let s = gappy();
        assert_eq!(format!("{:?}", s.missing), "not counted");
        assert_eq!(s.missing(), 2);
        assert_eq!(format!("{:?}", s.missing), "2");
        // A clone shares the values and what is known of them.
        let mut t = s.clone();
        assert_eq!(format!("{:?}", t.missing), "2");
        t.values_mut()[1] = 2.0;
        assert_eq!(format!("{:?}", t.missing), "not counted");
        assert_eq!(t.missing(), 1);
        assert_eq!(s.missing(), 2, "the original keeps its values and count");
        let counted = Series::counted(Arc::new(vec![1, 2]), vec![f64::NAN, f64::NAN]);
        assert_eq!(format!("{:?}", counted.missing), "2");
        assert_eq!(Series::from_vecs(vec![], vec![]).missing(), 0);
    }

    #[test]
    fn equality_ignores_whether_the_missing_count_is_known() {
        // (NaN is unequal to itself, so the compared values have none.)
        let a = Series::from_vecs(vec![1, 2], vec![1.0, 2.0]);
        let b = Series::from_vecs(vec![1, 2], vec![1.0, 2.0]);
        a.missing();
        assert_eq!(a, b);
        assert_ne!(a, Series::from_vecs(vec![1, 2], vec![1.0, 3.0]));
    }

    #[test]
    fn a_series_stated_complete_knows_it_has_no_missing_value() {
        let s = Series::from_vecs(vec![1, 2], vec![1.0, 2.0]).known_complete();
        assert_eq!(format!("{:?}", s.missing), "0");
        assert_eq!(s.missing(), 0);
    }
}
