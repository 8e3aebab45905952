//! The engine suite: per-primitive throughput, copy bandwidth, a 20-step model, and the
//! peak memory of a 10M-point run (measured in a child process so earlier allocations in
//! this process do not count).

use std::hint::black_box;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use auster_engine::data::BoxFuture;
use auster_engine::params::Params;
use auster_engine::registry::{registry, Call, Family, Primitive};
use auster_engine::value::{Frame, Kind, Series, Value};
use auster_engine::{content_hash, DataError, DataRequest, DataSource, Fetched, Limits};
use serde_json::{json, Map, Value as Json};

/// Params used when benchmarking a primitive whose params have no defaults, and the
/// window sizes typical of real models.
fn bench_params(name: &str) -> Json {
    match name {
        n if n.starts_with("rolling_") => json!({"window": 20, "q": 0.5}),
        "percentile" => json!({"q": 50}),
        "ema" => json!({"span": 20}),
        "select" => json!({"column": "close"}),
        "slice" => json!({"tail": 1000}),
        "resample" => json!({"freq": "M", "how": "last"}),
        "fillna" => json!({"method": "ffill"}),
        "shift" => json!({"periods": 1}),
        "gt" | "lt" | "ge" | "le" | "eq" => json!({"value": 100.0}),
        "top_n" => json!({"n": 10, "column": "value"}),
        "combine" => json!({"names": ["a", "b"]}),
        "clip" => json!({"lower": 90.0, "upper": 110.0}),
        "power" => json!({"exponent": 1.7}),
        "ne" | "and" | "or" => json!({"value": 1.0}),
        "black_scholes" | "greeks" => {
            json!({"option_type": "call", "strike": 100.0, "time_to_expiry": 0.5,
            "rate": 0.03, "dividend_yield": 0.01, "volatility": 0.2, "from_inputs": ["spot"]})
        }
        "implied_volatility" => {
            json!({"option_type": "call", "strike": 100.0, "time_to_expiry": 0.5,
            "rate": 0.03, "dividend_yield": 0.01, "price": 8.0, "from_inputs": ["spot"]})
        }
        "payoff_diagram" => {
            json!({"leg_types": ["call", "call"], "strikes": [100.0, 110.0], "quantities": [1.0, -1.0]})
        }
        "add" | "subtract" | "multiply" | "divide" | "maximum" | "minimum" => json!({"value": 1.5}),
        _ => json!({}),
    }
}

/// A deterministic geometric random walk (xorshift noise), positive like prices.
fn walk(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut x = 100.0f64;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            x *= 1.0 + 0.02 * u;
            x
        })
        .collect()
}

/// Consecutive days from 2010-01-01 (after the Bitcoin genesis block, which the price
/// models measure time from).
fn dates(n: usize) -> Arc<Vec<i32>> {
    Arc::new((14_610..14_610 + n as i32).collect())
}

/// A series as a loader hands it over (missing values counted while it was built).
fn series(n: usize, seed: u64) -> Series {
    Series::counted(dates(n), walk(n, seed))
}

fn ohlcv(n: usize) -> Frame {
    let close = walk(n, 7);
    let open: Vec<f64> = close.iter().map(|c| c * 0.999).collect();
    let high: Vec<f64> = close.iter().map(|c| c * 1.01).collect();
    let low: Vec<f64> = close.iter().map(|c| c * 0.99).collect();
    let volume: Vec<f64> = walk(n, 9).iter().map(|v| v * 1e4).collect();
    Frame {
        dates: dates(n),
        columns: vec![
            ("open".into(), open),
            ("high".into(), high),
            ("low".into(), low),
            ("close".into(), close),
            ("volume".into(), volume),
        ],
    }
}

/// Operands for a primitive at size `n`, or why it is not benchmarked generically.
fn operands(p: &Primitive, n: usize) -> Result<Vec<Value>, String> {
    if p.name == "backtest_signal" {
        // Prices, then a long/flat position series in [0, 1].
        let px = series(n, 1);
        let pos: Vec<f64> = px
            .values
            .iter()
            .map(|v| f64::from(u8::from(*v > 100.0)))
            .collect();
        return Ok(vec![
            Value::Series(px.clone()),
            Value::Series(px.with_values(pos)),
        ]);
    }
    let mut out = Vec::new();
    for (i, o) in p.inputs.iter().enumerate() {
        if o.optional && !o.variadic {
            continue;
        }
        if o.kinds == auster_engine::value::KindSet::TABLE {
            return Err(
                "works on an option chain (hundreds of rows), not measured by points".into(),
            );
        }
        let v = if o.kinds.contains(Kind::Series) {
            Value::Series(series(n, i as u64 + 1))
        } else if o.kinds.contains(Kind::Frame) {
            Value::Frame(ohlcv(n))
        } else if o.kinds.contains(Kind::Scalar) {
            Value::Scalar(1.5)
        } else {
            return Err(format!("takes a {} operand", o.kinds.describe()));
        };
        // The option pricers take their variadic inputs one per param named in
        // `from_inputs` (here the spot alone); the rest want two different operands.
        let one_per_param = matches!(p.name, "black_scholes" | "greeks" | "implied_volatility");
        if o.variadic && !one_per_param {
            // A second, different operand (identical ones would be collinear in a regression).
            let again = match &v {
                Value::Series(_) => Value::Series(series(n, i as u64 + 11)),
                other => other.clone(),
            };
            out.push(v);
            out.push(again);
        } else {
            out.push(v);
        }
    }
    Ok(out)
}

/// Best time of repeated calls (at least 3, up to ~0.3 s of work).
fn time_best(mut f: impl FnMut()) -> Duration {
    f();
    let mut best = Duration::MAX;
    let started = Instant::now();
    let mut reps = 0;
    while reps < 3 || (started.elapsed() < Duration::from_millis(300) && reps < 200) {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
        reps += 1;
    }
    best
}

/// Bytes moved per second by a plain copy (read + write), on buffers of `n` f64.
fn copy_bandwidth(n: usize) -> f64 {
    let src = walk(n, 3);
    let mut dst = vec![0.0f64; n];
    let t = time_best(|| {
        dst.copy_from_slice(black_box(&src));
        black_box(&dst);
    });
    (2 * n * 8) as f64 / t.as_secs_f64()
}

struct Row {
    name: &'static str,
    family: &'static str,
    size: usize,
    nanos: Option<f64>,
    /// Time over one memory pass over input and output at copy bandwidth.
    pass_ratio: Option<f64>,
    note: String,
}

fn bench_primitive(p: &'static Primitive, n: usize, bandwidth: f64) -> Row {
    let mut row = Row {
        name: p.name,
        family: p.family.name(),
        size: n,
        nanos: None,
        pass_ratio: None,
        note: String::new(),
    };
    let inputs = match operands(p, n) {
        Ok(v) => v,
        Err(e) => {
            row.note = format!("skipped: {e}");
            return row;
        }
    };
    let raw: Map<String, Json> = bench_params(p.name)
        .as_object()
        .cloned()
        .unwrap_or_default();
    let raw: Map<String, Json> = raw
        .into_iter()
        .filter(|(k, _)| p.param(k).is_some())
        .collect();
    let params = match Params::bind(p, &raw) {
        Ok(x) => x,
        Err(e) => {
            row.note = format!("skipped: params {e:?}");
            return row;
        }
    };
    let refs: Vec<&Value> = inputs.iter().collect();
    let call = Call {
        inputs: &refs,
        params: &params,
        data: None,
    };
    let out_bytes = match (p.eval)(&call) {
        Ok(v) => v.points() * 8,
        Err(e) => {
            row.note = format!("skipped: {}", e.message);
            return row;
        }
    };
    let t = time_best(|| {
        black_box((p.eval)(black_box(&call)).ok());
    });
    let in_bytes: usize = inputs.iter().map(|v| v.points() * 8).sum();
    row.nanos = Some(t.as_secs_f64() * 1e9);
    row.pass_ratio = Some(t.as_secs_f64() / ((in_bytes + out_bytes) as f64 / bandwidth));
    row
}

/// An in-memory data source for benchmark models (no files, no network).
struct MemorySource {
    n: usize,
}

impl DataSource for MemorySource {
    fn fetch<'a>(&'a self, request: &'a DataRequest) -> BoxFuture<'a, Result<Fetched, DataError>> {
        let value = match request {
            DataRequest::Market { .. } => Value::Frame(ohlcv(self.n)),
            _ => Value::Series(series(self.n, 5)),
        };
        Box::pin(async move {
            let hash = content_hash(&value);
            Ok(Fetched {
                value,
                provider: "memory".into(),
                dataset: request.label(),
                hash,
            })
        })
    }
}

/// A 20-step model of the kind users write: momentum, volatility, drawdown, summary.
fn twenty_step_model() -> Json {
    json!({
        "slug": "bench-twenty-steps", "name": "Benchmark: twenty steps",
        "input_schema": {"fields": [{"name": "symbol", "type": "symbol", "default": "SPX"}]},
        "dsl": {"version": "1.0", "steps": [
            {"id": "px", "operation": "fetch_market_data", "params": {"symbol": "$symbol"}},
            {"id": "close", "operation": "select", "params": {"column": "close"}, "inputs": ["px"]},
            {"id": "ret", "operation": "percent_change", "params": {"periods": 1}, "inputs": ["close"]},
            {"id": "logret", "operation": "log_return", "inputs": ["close"]},
            {"id": "mom", "operation": "percent_change", "params": {"periods": 126}, "inputs": ["close"]},
            {"id": "sma50", "operation": "rolling_mean", "params": {"window": 50}, "inputs": ["close"]},
            {"id": "sma200", "operation": "rolling_mean", "params": {"window": 200}, "inputs": ["close"]},
            {"id": "trend", "operation": "gt", "inputs": ["sma50", "sma200"]},
            {"id": "pos", "operation": "shift", "params": {"periods": 1}, "inputs": ["trend"]},
            {"id": "strat", "operation": "multiply", "inputs": ["pos", "ret"]},
            {"id": "equity", "operation": "cumulative_return", "inputs": ["strat"]},
            {"id": "vol", "operation": "rolling_std", "params": {"window": 21}, "inputs": ["logret"]},
            {"id": "annvol", "operation": "scale", "params": {"factor": 15.874507866387544}, "inputs": ["vol"]},
            {"id": "dd", "operation": "drawdown", "inputs": ["close"]},
            {"id": "mdd", "operation": "max_drawdown", "inputs": ["close"]},
            {"id": "sharpe", "operation": "sharpe_ratio", "inputs": ["strat"]},
            {"id": "z", "operation": "rolling_zscore", "params": {"window": 63}, "inputs": ["close"]},
            {"id": "rsi", "operation": "rsi", "params": {"period": 14}, "inputs": ["close"]},
            {"id": "avgvol", "operation": "mean", "inputs": ["annvol"]},
            {"id": "q95", "operation": "percentile", "params": {"q": 95}, "inputs": ["ret"]}
        ], "outputs": {
            "series": [{"id": "equity", "source": "equity"}, {"id": "dd", "source": "dd"}, {"id": "rsi", "source": "rsi"}, {"id": "z", "source": "z"}, {"id": "mom", "source": "mom"}],
            "scalars": [{"id": "mdd", "source": "mdd"}, {"id": "sharpe", "source": "sharpe"}, {"id": "avgvol", "source": "avgvol"}, {"id": "q95", "source": "q95"}]
        }}
    })
}

/// Engine time of the 20-step model over `n` daily points: (median, p99, median of the
/// steps alone) in ms; the difference is output assembly (ISO dates, tables, thinning).
fn bench_model(n: usize) -> Result<(f64, f64, f64), String> {
    let limits = Limits::unlimited();
    let model =
        auster_engine::check_model(&twenty_step_model(), &limits).map_err(|e| format!("{e:?}"))?;
    let program = auster_engine::prepare(&model, &Map::new()).map_err(|e| format!("{e:?}"))?;
    let source = MemorySource { n };
    let fetched = futures::executor::block_on(auster_engine::fetch_all(&program, &source))
        .map_err(|e| e.to_string())?;
    let mut times = Vec::with_capacity(2000);
    let mut steps = Vec::with_capacity(2000);
    for _ in 0..2000 {
        let t = Instant::now();
        let ex = black_box(
            auster_engine::execute(&program, &fetched, &limits).map_err(|e| e.to_string())?,
        );
        times.push(t.elapsed().as_secs_f64() * 1e3);
        steps.push(ex.steps.iter().map(|s| s.ms).sum::<f64>());
    }
    times.sort_by(f64::total_cmp);
    steps.sort_by(f64::total_cmp);
    Ok((
        times[times.len() / 2],
        times[times.len() * 99 / 100],
        steps[steps.len() / 2],
    ))
}

/// Child-process probe: runs a 10M-point model and prints `raw_bytes peak_bytes`.
pub fn memory_probe(n: usize) -> ExitCode {
    let model = json!({
        "slug": "bench-memory", "name": "Benchmark: memory",
        "dsl": {"version": "1.0", "steps": [
            {"id": "px", "operation": "fetch_crypto_data", "params": {"asset": "BTC"}},
            {"id": "lr", "operation": "log_return", "inputs": ["px"]},
            {"id": "vol", "operation": "rolling_std", "params": {"window": 30}, "inputs": ["lr"]},
            {"id": "avg", "operation": "mean", "inputs": ["vol"]},
            {"id": "mdd", "operation": "max_drawdown", "inputs": ["px"]}
        ], "outputs": {"scalars": [{"id": "avg", "source": "avg"}, {"id": "mdd", "source": "mdd"}]}}
    });
    let limits = Limits::unlimited();
    let base = peak_rss_bytes();
    let result = auster_engine::check_model(&model, &limits)
        .map_err(|e| format!("{e:?}"))
        .and_then(|m| auster_engine::prepare(&m, &Map::new()).map_err(|e| format!("{e:?}")))
        .and_then(|p| {
            futures::executor::block_on(auster_engine::run(&p, &MemorySource { n }, &limits))
                .map_err(|e| e.to_string())
        });
    match result {
        Ok(_) => {
            println!("{} {}", n * 12, peak_rss_bytes().saturating_sub(base));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("memory probe failed: {e}");
            ExitCode::from(1)
        }
    }
}

/// Peak resident set size of this process (Linux `VmHWM`), in bytes.
fn peak_rss_bytes() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<usize>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Runs the engine suite.
pub fn run(sizes: &[usize], filter: Option<&str>, as_json: bool) -> ExitCode {
    let bandwidth = copy_bandwidth(10_000_000);
    let mut rows = Vec::new();
    for p in registry().all().iter().filter(|p| p.family != Family::Data) {
        if filter.is_some_and(|f| !p.name.contains(f)) {
            continue;
        }
        for &n in sizes {
            rows.push(bench_primitive(p, n, bandwidth));
        }
    }
    let model = bench_model(10_000);
    let memory = std::env::current_exe().ok().and_then(|exe| {
        let out = std::process::Command::new(exe)
            .args(["bench", "memory-probe"])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let mut it = text.split_whitespace().map(|x| x.parse::<f64>().ok());
        Some((it.next()??, it.next()??))
    });
    if as_json {
        let prims: Vec<Json> = rows
            .iter()
            .map(|r| json!({"name": r.name, "family": r.family, "size": r.size, "ns": r.nanos, "pass_ratio": r.pass_ratio, "note": r.note}))
            .collect();
        let doc = json!({
            "copy_bandwidth_gbs": bandwidth / 1e9,
            "primitives": prims,
            "model_20_steps_10k": model.as_ref().map(|(m, p, st)| json!({"median_ms": m, "p99_ms": p, "steps_median_ms": st})).unwrap_or(Json::Null),
            "memory_10m": memory.map(|(raw, peak)| json!({"raw_bytes": raw, "peak_bytes": peak, "ratio": peak / raw})),
        });
        println!("{doc}");
        return ExitCode::SUCCESS;
    }
    println!(
        "copy bandwidth: {:.1} GB/s (read+write, 80 MB buffers)",
        bandwidth / 1e9
    );
    println!(
        "{:<22} {:<12} {:>10} {:>12} {:>12} {:>10}",
        "primitive", "family", "points", "time", "Mpoints/s", "×pass"
    );
    for r in &rows {
        match r.nanos {
            Some(ns) => println!(
                "{:<22} {:<12} {:>10} {:>12} {:>12.1} {:>10.2}",
                r.name,
                r.family,
                r.size,
                fmt_time(ns),
                r.size as f64 / ns * 1e3,
                r.pass_ratio.unwrap_or(f64::NAN)
            ),
            None => println!("{:<22} {:<12} {:>10} {}", r.name, r.family, r.size, r.note),
        }
    }
    match model {
        Ok((m, p, st)) => println!(
            "20-step model over 10k daily points: engine time median {m:.3} ms (steps {st:.3} ms, outputs {:.3} ms), p99 {p:.3} ms",
            m - st
        ),
        Err(e) => println!("20-step model: not run ({e})"),
    }
    match memory {
        Some((raw, peak)) => println!(
            "10M-point run: raw data {:.0} MB, peak memory above baseline {:.0} MB ({:.2}× raw)",
            raw / 1e6,
            peak / 1e6,
            peak / raw
        ),
        None => println!("10M-point run: memory probe failed"),
    }
    ExitCode::SUCCESS
}

fn fmt_time(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}
