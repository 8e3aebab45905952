//! The result of a run (interfaces.md §4).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::date::IsoDate;

/// Everything a run produced, as returned by `POST /api/models/run` and `auster run`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// Stored run id; `null` when nothing was stored (e.g. `auster run`).
    pub run_id: Option<String>,
    /// Slug of the model that ran.
    pub model_slug: String,
    /// Version of the model that ran.
    pub version: u32,
    /// Outcome.
    pub status: RunStatus,
    /// The inputs after defaults were applied.
    pub inputs: Map<String, Value>,
    /// Charts, tables and number cards.
    pub outputs: RunOutputs,
    /// Per-step timings, in execution order.
    pub steps: Vec<StepTiming>,
    /// The data the run saw, with content hashes.
    pub data_sources: Vec<DataSourceRef>,
    /// Whether this result was served from the run cache.
    #[serde(default)]
    pub cached: bool,
    /// Engine time in milliseconds.
    pub runtime_ms: f64,
    /// Credits charged.
    #[serde(default)]
    pub cost: u32,
    /// Version of the engine that computed the result.
    pub engine_version: String,
    /// Error message when `status` is `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Outcome of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Completed.
    Success,
    /// Failed; see `error`.
    Error,
}

/// The visible outputs of a run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RunOutputs {
    /// Charted series.
    pub series: Vec<SeriesOutput>,
    /// Tables.
    pub tables: Vec<TableOutput>,
    /// Number cards.
    pub scalars: Vec<ScalarOutput>,
}

/// A charted series: `[ISO date, value-or-null]` points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesOutput {
    /// Output id.
    pub id: String,
    /// Legend label.
    pub label: String,
    /// CSS colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Points, written `["YYYY-MM-DD", value]`; NaN and infinities are `null`.
    pub points: Vec<(IsoDate, Option<f64>)>,
    /// Set when the points were thinned for display; the full data is in the run's artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downsampled_from: Option<usize>,
}

/// A table of numbers and strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableOutput {
    /// Output id.
    pub id: String,
    /// Caption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows: numbers (null for NaN) or strings.
    pub rows: Vec<Vec<Value>>,
}

/// A number card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalarOutput {
    /// Output id.
    pub id: String,
    /// Card label.
    pub label: String,
    /// The number; null when NaN or infinite.
    pub value: Option<f64>,
    /// Display format hint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// Timing and shape of one executed step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepTiming {
    /// Step id.
    pub id: String,
    /// Operation name.
    pub operation: String,
    /// Milliseconds spent in the step.
    pub ms: f64,
    /// Kind of the value produced (`series`, `frame`, …).
    pub kind: String,
    /// Number of points (rows for frames and tables; 1 for scalars).
    pub len: usize,
}

/// One dataset a run read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSourceRef {
    /// `bundled`, `synthetic`, `fred`, `polygon`, …
    pub provider: String,
    /// E.g. `market/SPX`.
    pub dataset: String,
    /// Hex SHA-256 of the data as the engine received it.
    pub hash: String,
}

impl RunOutputs {
    /// Appends this value's JSON to `out`: the same bytes as `serde_json::to_vec(self)`
    /// (a test holds them equal), written directly.
    ///
    /// A run answer carries tens of thousands of `["YYYY-MM-DD", number]` points; going
    /// through serde's generic tuple, string-escaping and small-write machinery per point
    /// was the largest cost of an uncached API run. Ids, labels, tables and scalars still
    /// go through serde_json: they are few, and may hold any text.
    pub fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        // A point is at most 40 bytes (`["YYYY-MM-DD",` 14, a shortest round-trip f64 up
        // to 24, `],` 2): reserving that once avoids regrowing a buffer of hundreds of KB.
        let points: usize = self.series.iter().map(|s| s.points.len()).sum();
        out.reserve(points * 40 + 512);
        out.extend_from_slice(b"{\"series\":[");
        for (i, s) in self.series.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            s.write_json(out)?;
        }
        out.extend_from_slice(b"],\"tables\":");
        serde_json::to_writer(&mut *out, &self.tables)?;
        out.extend_from_slice(b",\"scalars\":");
        serde_json::to_writer(&mut *out, &self.scalars)?;
        out.push(b'}');
        Ok(())
    }
}

impl SeriesOutput {
    /// Appends this series' JSON to `out`, byte for byte what its `Serialize` writes with
    /// serde_json (see [`RunOutputs::write_json`]).
    pub fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        out.extend_from_slice(b"{\"id\":");
        serde_json::to_writer(&mut *out, &self.id)?;
        out.extend_from_slice(b",\"label\":");
        serde_json::to_writer(&mut *out, &self.label)?;
        if let Some(color) = &self.color {
            out.extend_from_slice(b",\"color\":");
            serde_json::to_writer(&mut *out, color)?;
        }
        out.extend_from_slice(b",\"points\":[");
        let mut number = zmij::Buffer::new();
        for (i, (day, value)) in self.points.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // An ISO date never needs escaping.
            out.extend_from_slice(b"[\"");
            out.extend_from_slice(&crate::date::write_iso(day.0));
            out.extend_from_slice(b"\",");
            match value {
                Some(v) if v.is_finite() => {
                    out.extend_from_slice(number.format_finite(*v).as_bytes())
                }
                _ => out.extend_from_slice(b"null"),
            }
            out.push(b']');
        }
        out.push(b']');
        if let Some(n) = self.downsampled_from {
            out.extend_from_slice(b",\"downsampled_from\":");
            serde_json::to_writer(&mut *out, &n)?;
        }
        out.push(b'}');
        Ok(())
    }
}

#[cfg(test)]
mod write_json_tests {
    use super::*;

    fn series(id: &str, color: Option<&str>, points: Vec<(i32, Option<f64>)>) -> SeriesOutput {
        SeriesOutput {
            id: id.into(),
            label: format!("{id} \"quoted\" <b>\u{1}\u{e9}"),
            color: color.map(str::to_string),
            points: points.into_iter().map(|(d, v)| (IsoDate(d), v)).collect(),
            downsampled_from: None,
        }
    }

    #[test]
    fn write_json_is_byte_for_byte_serde_json() {
        let mut thinned = series(
            "b",
            None,
            vec![
                (0, Some(f64::NAN)),
                (-719_468, Some(f64::INFINITY)),
                (2_932_896, Some(f64::NEG_INFINITY)),
                (20_000, Some(-0.0)),
            ],
        );
        thinned.downsampled_from = Some(123_456);
        let cases = vec![
            RunOutputs::default(),
            RunOutputs {
                series: vec![
                    series(
                        "a",
                        Some("#2563eb"),
                        vec![
                            (14_247, Some(0.0123)),
                            (14_248, None),
                            (14_249, Some(1e300)),
                            (14_250, Some(-5e-324)),
                            (14_251, Some(123_456_789.0)),
                            (14_252, Some(0.1 + 0.2)),
                        ],
                    ),
                    thinned,
                    series("empty", Some(""), Vec::new()),
                ],
                tables: vec![TableOutput {
                    id: "t".into(),
                    label: Some("T".into()),
                    columns: vec!["metric".into(), "value".into()],
                    rows: vec![vec![Value::from("sharpe"), Value::from(0.71)]],
                }],
                scalars: vec![ScalarOutput {
                    id: "x".into(),
                    label: "X".into(),
                    value: None,
                    format: Some("pct".into()),
                }],
            },
        ];
        for case in cases {
            let mut fast = Vec::new();
            case.write_json(&mut fast).unwrap();
            let reference = serde_json::to_vec(&case).unwrap();
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(reference).unwrap()
            );
        }
    }

    #[test]
    fn write_json_appends_to_what_is_there() {
        let mut out = b"prefix".to_vec();
        RunOutputs::default().write_json(&mut out).unwrap();
        assert_eq!(out, b"prefix{\"series\":[],\"tables\":[],\"scalars\":[]}");
    }
}
