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
