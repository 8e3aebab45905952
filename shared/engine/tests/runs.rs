//! Whole runs through the public API with an in-memory data source: inputs checked before
//! anything runs, limits enforced with sentences, failures name the step, outputs shaped
//! as the RunResult needs.

use std::sync::Arc;
use std::time::Duration;

use auster_engine::data::BoxFuture;
use auster_engine::value::{Frame, Value};
use auster_engine::{
    check_model, content_hash, prepare, run, DataError, DataRequest, DataSource, Fetched, Limits,
    RunError,
};
use serde_json::{json, Map, Value as Json};

struct Memory {
    rows: usize,
}

impl DataSource for Memory {
    fn fetch<'a>(&'a self, request: &'a DataRequest) -> BoxFuture<'a, Result<Fetched, DataError>> {
        Box::pin(async move {
            let DataRequest::Market { symbol, .. } = request else {
                return Err(DataError::NotFound("only market data here".into()));
            };
            if symbol != "SPX" {
                return Err(DataError::NotFound(format!(
                    "market/{symbol} is not available (available market: SPX)"
                )));
            }
            let close: Vec<f64> = (0..self.rows).map(|i| 100.0 + i as f64).collect();
            let value = Value::Frame(Frame {
                dates: Arc::new((0..self.rows as i32).map(|d| d + 18_000).collect()),
                columns: vec![("close".into(), close)],
            });
            Ok(Fetched {
                hash: content_hash(&value),
                value,
                provider: "memory".into(),
                dataset: "market/SPX".into(),
            })
        })
    }
}

fn model() -> Json {
    json!({"slug": "doubler", "name": "Doubler",
        "input_schema": {"fields": [
            {"name": "symbol", "type": "symbol", "default": "SPX"},
            {"name": "factor", "type": "number", "default": 2, "min": -10, "max": 10}]},
        "dsl": {"steps": [
            {"id": "px", "operation": "fetch_market_data", "params": {"symbol": "$symbol"}},
            {"id": "close", "operation": "select", "params": {"column": "close"}, "inputs": ["px"]},
            {"id": "double", "operation": "multiply", "params": {"value": "$factor"}, "inputs": ["close"]},
            {"id": "avg", "operation": "mean", "inputs": ["double"]}
        ], "outputs": {
            "series": [{"id": "d", "source": "double", "label": "Doubled", "color": "#2563eb"}, {"id": "c", "source": "px.close"}],
            "tables": [{"id": "t", "source": "px"}],
            "scalars": [{"id": "avg", "source": "avg", "label": "Average"}]}}})
}

fn go(inputs: Json, rows: usize, limits: &Limits) -> Result<auster_engine::Execution, String> {
    let m = check_model(&model(), limits).map_err(|e| format!("{e:?}"))?;
    let p = prepare(&m, inputs.as_object().unwrap_or(&Map::new())).map_err(|e| format!("{e:?}"))?;
    futures::executor::block_on(run(&p, &Memory { rows }, limits)).map_err(|e| e.to_string())
}

#[test]
fn a_run_produces_outputs_timings_and_provenance() {
    let ex = go(json!({"factor": "3"}), 10, &Limits::default()).expect("runs");
    assert_eq!(ex.outputs.series[0].points.len(), 10);
    assert_eq!(
        (
            ex.outputs.series[0].points[0].0.to_string(),
            ex.outputs.series[0].points[0].1
        ),
        ("2019-04-14".to_string(), Some(300.0))
    );
    assert_eq!(ex.outputs.series[1].label, "c");
    assert_eq!(ex.outputs.tables[0].columns, vec!["date", "close"]);
    assert_eq!(ex.outputs.scalars[0].value, Some(3.0 * 104.5));
    assert_eq!(
        ex.steps.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["px", "close", "double", "avg"]
    );
    assert_eq!(ex.data_sources.len(), 1);
    assert_eq!(ex.data_sources[0].hash.len(), 64);
}

#[test]
fn inputs_are_checked_before_anything_runs() {
    let err = go(
        json!({"factor": 11, "symbol": "not a ticker!", "nope": 1}),
        10,
        &Limits::default(),
    )
    .expect_err("bad inputs");
    assert!(
        err.contains("/inputs/factor") && err.contains("between -10 and 10"),
        "{err}"
    );
    assert!(
        err.contains("/inputs/symbol") && err.contains("ticker"),
        "{err}"
    );
    assert!(
        err.contains("/inputs/nope") && err.contains("no input `nope`"),
        "{err}"
    );
}

#[test]
fn data_errors_name_the_step_and_what_exists() {
    let err = go(json!({"symbol": "ZZZ"}), 10, &Limits::default()).expect_err("unknown symbol");
    assert!(
        err.contains("\"px\"") && err.contains("available market: SPX"),
        "{err}"
    );
}

#[test]
fn point_and_memory_limits_are_enforced_with_sentences() {
    let limits = Limits {
        max_points: 100,
        ..Limits::default()
    };
    let err = go(json!({}), 1_000, &limits).expect_err("too many points");
    assert!(err.contains("over the limit of 100"), "{err}");
    let limits = Limits {
        max_memory_bytes: 10_000,
        ..Limits::default()
    };
    let err = go(json!({}), 1_000, &limits).expect_err("too much memory");
    assert!(err.contains("MB"), "{err}");
}

#[test]
fn the_wall_clock_limit_stops_a_run() {
    let limits = Limits {
        timeout: Duration::ZERO,
        ..Limits::default()
    };
    let m = check_model(&model(), &limits).expect("valid");
    let p = prepare(&m, &Map::new()).expect("binds");
    let err = futures::executor::block_on(run(&p, &Memory { rows: 1000 }, &limits))
        .expect_err("times out");
    assert!(matches!(err, RunError::Timeout(_)), "{err:?}");
}

#[test]
fn oversized_charts_are_thinned_keeping_extremes() {
    let limits = Limits {
        max_output_points: 1_000,
        ..Limits::default()
    };
    let ex = go(json!({}), 100_000, &limits).expect("runs");
    let s = &ex.outputs.series[0];
    assert!(s.points.len() <= 500, "{}", s.points.len());
    assert_eq!(s.downsampled_from, Some(100_000));
    assert_eq!(s.points.first().map(|p| p.1), Some(Some(200.0)));
    assert_eq!(
        s.points.last().map(|p| p.1),
        Some(Some(2.0 * (100.0 + 99_999.0)))
    );
    assert_eq!(ex.full_series.len(), 2);
}

#[test]
fn a_range_refused_by_a_data_step_names_the_inputs() {
    let doc = json!({"slug": "ranged", "name": "Ranged",
        "input_schema": {"fields": [
            {"name": "start_date", "type": "date", "default": "2020-01-01"},
            {"name": "end_date", "type": "date", "default": "2021-01-01"}]},
        "dsl": {"steps": [{"id": "px", "operation": "fetch_market_data",
            "params": {"symbol": "SPX", "start": "$start_date", "end": "$end_date"}}]}});
    let m = check_model(&doc, &Limits::default()).expect("valid");
    let inputs = json!({"start_date": "2021-06-01"});
    let issues = prepare(&m, inputs.as_object().unwrap())
        .err()
        .expect("start after end");
    assert_eq!(issues[0].path, "/inputs/start_date", "{issues:?}");
    assert!(
        issues[0]
            .message
            .contains("`start_date` (2021-06-01) is after `end_date` (2021-01-01)"),
        "{}",
        issues[0].message
    );
}
