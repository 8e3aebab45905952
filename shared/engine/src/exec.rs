//! Executing a program: steps in order, limits enforced, per-step timings, values freed
//! after their last use, then the outputs assembled (with thinning of oversized charts).

use std::collections::HashMap;
use std::time::Instant;

use auster_types::{
    DataSourceRef, IsoDate, RunOutputs, RunResult, RunStatus, ScalarOutput, SeriesOutput,
    StepTiming, TableOutput,
};
use serde_json::Value as Json;

use crate::data::{DataRequest, Fetched};
use crate::date;
use crate::limits::Limits;
use crate::program::Program;
use crate::registry::Call;
use crate::value::{num_json, ColumnData, Series, Value};

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    /// A step failed; `message` says why and how to fix it.
    #[error("step {step:?} ({operation}) failed: {message}")]
    Step {
        /// Step id.
        step: String,
        /// Operation.
        operation: String,
        /// Sentence.
        message: String,
    },
    /// A hard limit was exceeded.
    #[error("{0}")]
    Limit(String),
    /// The wall-clock budget ran out.
    #[error("the run exceeded its time limit of {0:?}")]
    Timeout(std::time::Duration),
    /// A data fetch failed.
    #[error("fetching {dataset} for step {step:?} failed: {source}")]
    Data {
        /// Step id.
        step: String,
        /// Dataset label.
        dataset: String,
        /// The gateway's error.
        source: crate::data::DataError,
    },
}

/// What a successful execution produced.
#[derive(Debug, Clone)]
pub struct Execution {
    /// Charts, tables and number cards.
    pub outputs: RunOutputs,
    /// Per-step timings in execution order.
    pub steps: Vec<StepTiming>,
    /// Data read, with hashes.
    pub data_sources: Vec<DataSourceRef>,
    /// Engine time (ms), fetches excluded.
    pub runtime_ms: f64,
    /// Full values behind the series outputs (by output id) when they were thinned.
    pub full_series: Vec<(String, Series)>,
}

impl Execution {
    /// The successful RunResult of this execution of `slug` v`version` with the resolved
    /// `inputs`; not stored yet (`run_id` none), not cached, nothing charged.
    pub fn into_result(
        self,
        slug: &str,
        version: u32,
        inputs: serde_json::Map<String, Json>,
    ) -> RunResult {
        RunResult {
            run_id: None,
            model_slug: slug.to_string(),
            version,
            status: RunStatus::Success,
            inputs,
            outputs: self.outputs,
            steps: self.steps,
            data_sources: self.data_sources,
            cached: false,
            runtime_ms: self.runtime_ms,
            cost: 0,
            engine_version: crate::ENGINE_VERSION.into(),
            error: None,
        }
    }
}

/// Runs `program` given the datasets fetched for its requests (same order as
/// [`Program::data_requests`]).
pub fn execute(
    program: &Program,
    fetched: &[(DataRequest, Fetched)],
    limits: &Limits,
) -> Result<Execution, RunError> {
    let started = Instant::now();
    let n = program.steps.len();
    // How many later uses each value has; outputs pin their sources.
    let mut uses = vec![0usize; n];
    for s in &program.steps {
        for &j in &s.inputs {
            uses[j] += 1;
        }
    }
    let ids: HashMap<&str, usize> = program
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let o = &program.outputs;
    let sources = o
        .series
        .iter()
        .map(|x| &x.source)
        .chain(o.tables.iter().map(|x| &x.source))
        .chain(o.scalars.iter().map(|x| &x.source));
    for src in sources {
        let step = src.split_once('.').map_or(src.as_str(), |(s, _)| s);
        if let Some(&i) = ids.get(step) {
            uses[i] += 1;
        }
    }

    let mut values: Vec<Option<Value>> = vec![None; n];
    let mut live_bytes = 0usize;
    let mut timings = Vec::with_capacity(n);
    let mut data_sources: Vec<DataSourceRef> = Vec::new();
    for &i in &program.order {
        if started.elapsed() > limits.timeout {
            return Err(RunError::Timeout(limits.timeout));
        }
        let step = &program.steps[i];
        let t0 = Instant::now();
        let data = match &step.request {
            Some(req) => {
                let f = fetched
                    .iter()
                    .find(|(r, _)| r == req)
                    .map(|(_, f)| f)
                    .ok_or_else(|| {
                        RunError::Limit(format!(
                            "data for step {:?} ({}) was not fetched",
                            step.id,
                            req.label()
                        ))
                    })?;
                let r = DataSourceRef {
                    provider: f.provider.clone(),
                    dataset: f.dataset.clone(),
                    hash: f.hash.clone(),
                };
                if !data_sources.contains(&r) {
                    data_sources.push(r);
                }
                Some(&f.value)
            }
            None => None,
        };
        let operands: Vec<&Value> = step
            .inputs
            .iter()
            .map(|&j| values[j].as_ref().expect("operand computed before use"))
            .collect();
        let call = Call {
            inputs: &operands,
            params: &step.params,
            data,
        };
        let value = (step.primitive.eval)(&call).map_err(|e| RunError::Step {
            step: step.id.clone(),
            operation: step.primitive.name.into(),
            message: e.message,
        })?;
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        if value.points() > limits.max_points {
            return Err(RunError::Limit(format!(
                "step {:?} produced {} points, over the limit of {}; shorten the date range or resample.",
                step.id,
                value.points(),
                limits.max_points
            )));
        }
        live_bytes += value.approx_bytes();
        if live_bytes > limits.max_memory_bytes {
            return Err(RunError::Limit(format!(
                "the run holds about {} MB of intermediate values at step {:?}, over the limit of {} MB; shorten the date range.",
                live_bytes / (1024 * 1024),
                step.id,
                limits.max_memory_bytes / (1024 * 1024)
            )));
        }
        timings.push(StepTiming {
            id: step.id.clone(),
            operation: step.primitive.name.into(),
            ms,
            kind: value.kind().name().into(),
            len: value.len(),
        });
        values[i] = Some(value);
        // Free operands nobody needs any more.
        for &j in &step.inputs {
            uses[j] -= 1;
            if uses[j] == 0 {
                if let Some(v) = values[j].take() {
                    live_bytes = live_bytes.saturating_sub(v.approx_bytes());
                }
            }
        }
        if uses[i] == 0 {
            if let Some(v) = values[i].take() {
                live_bytes = live_bytes.saturating_sub(v.approx_bytes());
            }
        }
    }
    let lookup = Lookup {
        values: &values,
        ids: &ids,
    };
    let (outputs, full_series) = assemble_outputs(program, &lookup, limits)?;
    Ok(Execution {
        outputs,
        steps: timings,
        data_sources,
        runtime_ms: started.elapsed().as_secs_f64() * 1e3,
        full_series,
    })
}

/// Finds the value behind an output `source` (`step` or `step.field`).
struct Lookup<'v> {
    values: &'v [Option<Value>],
    ids: &'v HashMap<&'v str, usize>,
}

impl<'v> Lookup<'v> {
    fn get<'s>(&self, source: &'s str) -> Option<(&'v Value, Option<&'s str>)> {
        let (step, field) = match source.split_once('.') {
            Some((s, f)) => (s, Some(f)),
            None => (source, None),
        };
        self.ids
            .get(step)
            .and_then(|&i| self.values[i].as_ref())
            .map(|v| (v, field))
    }
}

fn assemble_outputs(
    program: &Program,
    lookup: &Lookup<'_>,
    limits: &Limits,
) -> Result<(RunOutputs, Vec<(String, Series)>), RunError> {
    let o = &program.outputs;
    let missing = |what: &str, src: &str, why: &str| {
        RunError::Limit(format!("output {what} from {src:?}: {why}"))
    };
    let mut series: Vec<(usize, Series)> = Vec::new();
    for (k, spec) in o.series.iter().enumerate() {
        let (v, field) = lookup
            .get(&spec.source)
            .ok_or_else(|| missing(&spec.id, &spec.source, "step not computed"))?;
        let s = match (v, field) {
            (Value::Series(s), None) => s.clone(),
            (Value::Frame(f), Some(c)) => f.series(c).ok_or_else(|| {
                missing(
                    &spec.id,
                    &spec.source,
                    &format!(
                        "the frame has no column {c:?}; it has {}",
                        f.column_names().join(", ")
                    ),
                )
            })?,
            (v, _) => {
                return Err(missing(
                    &spec.id,
                    &spec.source,
                    &format!("it is a {}, not a series", v.kind().name()),
                ))
            }
        };
        series.push((k, s));
    }
    let total: usize = series.iter().map(|(_, s)| s.len()).sum();
    let budget_each = if total > limits.max_output_points {
        (limits.max_output_points / series.len().max(1)).max(2)
    } else {
        usize::MAX
    };
    let mut full = Vec::new();
    let mut out = RunOutputs::default();
    for (k, s) in series {
        let spec = &o.series[k];
        let (points, from) = if s.len() > budget_each {
            full.push((spec.id.clone(), s.clone()));
            (downsample_min_max(&s, budget_each), Some(s.len()))
        } else {
            ((0..s.len()).collect(), None)
        };
        out.series.push(SeriesOutput {
            id: spec.id.clone(),
            label: spec.label.clone().unwrap_or_else(|| spec.id.clone()),
            color: spec.color.clone(),
            points: points
                .into_iter()
                .map(|i| (IsoDate(s.dates[i]), finite(s.values[i])))
                .collect(),
            downsampled_from: from,
        });
    }
    for spec in &o.tables {
        let (v, _) = lookup
            .get(&spec.source)
            .ok_or_else(|| missing(&spec.id, &spec.source, "step not computed"))?;
        let (columns, rows) = table_rows(v);
        let (columns, rows) = select_columns(columns, rows, &spec.columns)
            .map_err(|m| missing(&spec.id, &spec.source, &m))?;
        out.tables.push(TableOutput {
            id: spec.id.clone(),
            label: spec.label.clone(),
            columns,
            rows,
        });
    }
    for spec in &o.scalars {
        let (v, field) = lookup
            .get(&spec.source)
            .ok_or_else(|| missing(&spec.id, &spec.source, "step not computed"))?;
        let x = match (v, field) {
            (Value::Scalar(x), None) => *x,
            (Value::Bool(b), None) => f64::from(u8::from(*b)),
            (Value::Record(r), Some(f)) => r.get(f).ok_or_else(|| {
                let names: Vec<_> = r.fields.iter().map(|(n, _)| n.as_str()).collect();
                missing(
                    &spec.id,
                    &spec.source,
                    &format!("the record has no field {f:?}; it has {}", names.join(", ")),
                )
            })?,
            (v, _) => {
                return Err(missing(
                    &spec.id,
                    &spec.source,
                    &format!("it is a {}, not a scalar", v.kind().name()),
                ))
            }
        };
        out.scalars.push(ScalarOutput {
            id: spec.id.clone(),
            label: spec.label.clone().unwrap_or_else(|| spec.id.clone()),
            value: finite(x),
            format: spec.format.clone(),
        });
    }
    Ok((out, full))
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// A value as table columns and rows (frames and series get a leading `date` column;
/// records become `metric, value` rows).
pub fn table_rows(v: &Value) -> (Vec<String>, Vec<Vec<Json>>) {
    match v {
        Value::Table(t) => {
            let cols = t.columns.iter().map(|(n, _)| n.clone()).collect();
            let rows = (0..t.len())
                .map(|r| t.columns.iter().map(|(_, c)| c.cell_json(r)).collect())
                .collect();
            (cols, rows)
        }
        Value::Frame(f) => {
            let mut cols = vec!["date".to_string()];
            cols.extend(f.columns.iter().map(|(n, _)| n.clone()));
            let rows = (0..f.len())
                .map(|r| {
                    let mut row = vec![Json::String(date::format_iso(f.dates[r]))];
                    row.extend(f.columns.iter().map(|(_, c)| num_json(c[r])));
                    row
                })
                .collect();
            (cols, rows)
        }
        Value::Series(s) => (
            vec!["date".into(), "value".into()],
            (0..s.len())
                .map(|r| {
                    vec![
                        Json::String(date::format_iso(s.dates[r])),
                        num_json(s.values[r]),
                    ]
                })
                .collect(),
        ),
        Value::Record(r) => (
            vec!["metric".into(), "value".into()],
            r.fields
                .iter()
                .map(|(n, x)| vec![Json::String(n.clone()), num_json(*x)])
                .collect(),
        ),
        Value::Scalar(x) => (vec!["value".into()], vec![vec![num_json(*x)]]),
        Value::Text(s) => (vec!["value".into()], vec![vec![Json::String(s.clone())]]),
        Value::Bool(b) => (vec!["value".into()], vec![vec![Json::Bool(*b)]]),
    }
}

fn select_columns(
    columns: Vec<String>,
    rows: Vec<Vec<Json>>,
    wanted: &[String],
) -> Result<(Vec<String>, Vec<Vec<Json>>), String> {
    if wanted.is_empty() || wanted == columns.as_slice() {
        return Ok((columns, rows));
    }
    let idx: Vec<usize> = wanted
        .iter()
        .map(|w| {
            columns
                .iter()
                .position(|c| c == w)
                .ok_or_else(|| format!("no column {w:?}; columns are {}", columns.join(", ")))
        })
        .collect::<Result<_, _>>()?;
    let rows = rows
        .into_iter()
        .map(|r| idx.iter().map(|&i| r[i].clone()).collect())
        .collect();
    Ok((wanted.to_vec(), rows))
}

/// Indices to keep when thinning a series to about `budget` points for a chart: the
/// first and last points, and the minimum and maximum of each bucket, so peaks and
/// troughs survive.
pub fn downsample_min_max(s: &Series, budget: usize) -> Vec<usize> {
    let n = s.len();
    if n <= budget || budget < 4 {
        return (0..n.min(budget.max(n.min(2)))).collect();
    }
    let buckets = (budget - 2) / 2;
    let mut keep = vec![0];
    let inner = n - 2;
    for b in 0..buckets {
        let lo = 1 + b * inner / buckets;
        let hi = 1 + (b + 1) * inner / buckets;
        if lo >= hi {
            continue;
        }
        let (mut imin, mut imax) = (lo, lo);
        for i in lo..hi {
            let x = s.values[i];
            if x < s.values[imin] || s.values[imin].is_nan() {
                imin = i;
            }
            if x > s.values[imax] || s.values[imax].is_nan() {
                imax = i;
            }
        }
        keep.push(imin.min(imax));
        if imin != imax {
            keep.push(imin.max(imax));
        }
    }
    keep.push(n - 1);
    keep
}

/// The table of a frame or table value restricted to numeric columns (helper for tests).
pub fn numeric_columns(v: &Value) -> Vec<(&str, &[f64])> {
    match v {
        Value::Frame(f) => f
            .columns
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_slice()))
            .collect(),
        Value::Table(t) => t
            .columns
            .iter()
            .filter_map(|(n, c)| match c {
                ColumnData::Num(v) => Some((n.as_str(), v.as_slice())),
                ColumnData::Text(_) | ColumnData::Dates(_) => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}
