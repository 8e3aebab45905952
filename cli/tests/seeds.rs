//! The seed catalogue (`seeds/models/*.json`): every seed validates, runs with its defaults
//! on the bundled data and reproduces the independent reference outputs committed under
//! `tests/reference/golden/seeds/` (written by `tests/reference/seeds.py` with pandas/numpy
//! from the bundled CSVs, never from this engine); bad inputs are refused with sentences
//! that name the field and the allowed range.
//!
//! Option chains offline are synthetic. The reference computes the derivatives seeds from
//! the chain exactly as the engine receives it: `AUSTER_DUMP_CHAINS=1 cargo test -p
//! auster-cli --test seeds` writes the chains the seeds fetch to
//! `tests/reference/golden/seeds/chains/`; on ordinary runs
//! [`synthetic_chains_match_the_reference_dump`] proves the gateway still serves those exact
//! chains, so a changed generator fails here until the goldens are regenerated.

use std::path::{Path, PathBuf};
use std::process::Command;

use auster_data::{DataMode, Gateway};
use auster_engine::date::parse_iso;
use auster_engine::{check_model, prepare, DataRequest, DataSource, Limits, Value};
use auster_types::{FieldType, ModelFile, RunOutputs};
use serde_json::{json, Map, Value as Json};

/// The 14 slugs of interfaces.md §6.
const SLUGS: [&str; 14] = [
    "momentum-strategy",
    "mean-reversion",
    "rolling-correlation",
    "volatility-analysis",
    "drawdown-analysis",
    "iv-smile",
    "expected-move",
    "put-call-ratio",
    "vertical-spread",
    "iron-condor",
    "btc-power-law",
    "btc-stock-to-flow",
    "btc-thermocap",
    "btc-ensemble",
];

const DERIVATIVES: [&str; 5] = [
    "iv-smile",
    "expected-move",
    "put-call-ratio",
    "vertical-spread",
    "iron-condor",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn golden_dir() -> PathBuf {
    repo().join("tests/reference/golden/seeds")
}

fn gateway() -> Gateway {
    Gateway::from_parts(DataMode::Bundled, repo().join("seeds/data"), None, None)
}

fn load(slug: &str) -> ModelFile {
    let path = repo().join(format!("seeds/models/{slug}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{slug}: {e}"));
    check_model(&json, &Limits::default()).unwrap_or_else(|issues| {
        panic!(
            "{slug} does not validate:\n{}",
            issues
                .iter()
                .map(|i| format!("  {i}\n"))
                .collect::<String>()
        )
    })
}

/// Runs a seed; `Err` is the refusal (input issues, compile issues or the run error).
fn run(
    model: &ModelFile,
    inputs: &Map<String, Json>,
    limits: &Limits,
) -> Result<RunOutputs, String> {
    let program = prepare(model, inputs).map_err(|issues| {
        issues
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    futures::executor::block_on(auster_engine::run(&program, &gateway(), limits))
        .map(|e| e.outputs)
        .map_err(|e| e.to_string())
}

fn inputs(pairs: &[(&str, Json)]) -> Map<String, Json> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

// ---------------------------------------------------------------- catalogue shape

#[test]
fn the_catalogue_is_exactly_the_fourteen_seeds() {
    let mut found: Vec<String> = std::fs::read_dir(repo().join("seeds/models"))
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".json").map(String::from)
        })
        .collect();
    found.sort();
    let mut want: Vec<String> = SLUGS.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(found, want);
}

#[test]
fn every_seed_validates_and_documents_itself() {
    for slug in SLUGS {
        let m = load(slug);
        assert_eq!(m.slug, slug, "the slug inside {slug}.json");
        assert!(m.description.len() > 600, "{slug}: description too thin");
        for part in ["How to read it", "Assumptions and limits"] {
            assert!(
                m.description.contains(part),
                "{slug}: description lacks {part:?}"
            );
        }
        assert!(m.references.len() >= 2, "{slug}: needs references");
        assert!(!m.tags.is_empty(), "{slug}: needs tags");
        let o = &m.dsl.outputs;
        assert!(
            o.scalars.len() + o.tables.len() + o.series.len() >= 3,
            "{slug}: too few outputs"
        );
        assert!(
            o.series
                .iter()
                .all(|s| s.label.is_some() && s.color.is_some()),
            "{slug}: series need labels and colours"
        );
        assert!(
            o.scalars
                .iter()
                .all(|s| s.label.is_some() && s.format.is_some()),
            "{slug}: scalars need labels and formats"
        );
        assert!(
            o.tables.iter().all(|t| t.label.is_some()),
            "{slug}: tables need labels"
        );
        // Every default is valid on its own (prepare applies and checks them).
        prepare(&m, &Map::new()).unwrap_or_else(|i| panic!("{slug}: defaults refused: {i:?}"));
        // The pinned inputs (interfaces.md §6), dates bounded by the bundled range.
        let field = |n: &str| m.input_schema.fields.iter().find(|f| f.name == n);
        let names: &[&str] = if DERIVATIVES.contains(&slug) {
            &["symbol", "as_of", "expiration"]
        } else {
            &["symbol", "start_date", "end_date"]
        };
        for n in names {
            let f = field(n).unwrap_or_else(|| panic!("{slug}: no input {n}"));
            assert!(
                f.required && f.default.is_some(),
                "{slug}.{n}: required with a default"
            );
            if *n != "symbol" {
                assert_eq!(f.field_type, FieldType::Date, "{slug}.{n}");
                let bound =
                    |b: &Option<Json>| b.as_ref().and_then(Json::as_str).and_then(parse_iso);
                assert!(
                    bound(&f.min).is_some() && bound(&f.max).is_some(),
                    "{slug}.{n}: min and max dates"
                );
            }
        }
    }
}

// ---------------------------------------------------------------- golden outputs

fn close(got: f64, want: f64, rtol: f64) -> bool {
    got == want || (got - want).abs() <= rtol * want.abs().max(got.abs())
}

fn check_num(ctx: &str, got: Option<f64>, want: &Json, rtol: f64, errs: &mut Vec<String>) {
    match (got, want.as_f64()) {
        (None, None) => {}
        (Some(g), Some(w)) if close(g, w, rtol) => {}
        (g, w) => errs.push(format!("{ctx}: got {g:?}, reference {w:?}")),
    }
}

fn check_against_golden(slug: &str, out: &RunOutputs, golden: &Json, errs: &mut Vec<String>) {
    let rtol = golden["rtol"].as_f64().unwrap_or(1e-9);
    let scalars = golden["scalars"].as_object().expect("scalars");
    assert_eq!(
        out.scalars.len(),
        scalars.len(),
        "{slug}: scalar outputs vs reference"
    );
    for s in &out.scalars {
        let want = scalars
            .get(&s.id)
            .unwrap_or_else(|| panic!("{slug}: no reference for scalar {}", s.id));
        check_num(
            &format!("{slug} scalar {}", s.id),
            s.value,
            want,
            rtol,
            errs,
        );
    }
    let series = golden["series"].as_object().expect("series");
    assert_eq!(
        out.series.len(),
        series.len(),
        "{slug}: series outputs vs reference"
    );
    for s in &out.series {
        let want = &series[&s.id];
        let ctx = format!("{slug} series {}", s.id);
        if s.points.len() as u64 != want["len"].as_u64().unwrap_or(u64::MAX) {
            errs.push(format!(
                "{ctx}: {} points, reference {}",
                s.points.len(),
                want["len"]
            ));
            continue;
        }
        assert_eq!(
            s.points.first().map(|p| p.0.to_string()).as_deref(),
            want["first_date"].as_str(),
            "{ctx}"
        );
        assert_eq!(
            s.points.last().map(|p| p.0.to_string()).as_deref(),
            want["last_date"].as_str(),
            "{ctx}"
        );
        for p in want["points"].as_array().expect("points") {
            let date = p[0].as_str().expect("date");
            match s.points.iter().find(|(d, _)| d.to_string() == date) {
                Some((_, v)) => check_num(&format!("{ctx} on {date}"), *v, &p[1], rtol, errs),
                None => errs.push(format!("{ctx}: no point on {date}")),
            }
        }
    }
    let tables = golden["tables"].as_object().expect("tables");
    assert_eq!(
        out.tables.len(),
        tables.len(),
        "{slug}: table outputs vs reference"
    );
    for t in &out.tables {
        let want = &tables[&t.id];
        let ctx = format!("{slug} table {}", t.id);
        let cols: Vec<&str> = want["columns"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Json::as_str)
            .collect();
        assert_eq!(t.columns, cols, "{ctx}: columns");
        let rows = want["rows"].as_array().unwrap();
        if t.rows.len() != rows.len() {
            errs.push(format!(
                "{ctx}: {} rows, reference {}",
                t.rows.len(),
                rows.len()
            ));
            continue;
        }
        for (r, (got, want)) in t.rows.iter().zip(rows).enumerate() {
            for (c, (g, w)) in got.iter().zip(want.as_array().unwrap()).enumerate() {
                let cell = format!("{ctx} row {r} {}", cols[c]);
                match (g, w) {
                    (Json::String(a), Json::String(b)) => {
                        if a != b {
                            errs.push(format!("{cell}: {a:?} vs reference {b:?}"))
                        }
                    }
                    (g, w) => check_num(&cell, g.as_f64(), w, rtol, errs),
                }
            }
        }
    }
}

#[test]
fn every_seed_matches_the_reference_outputs() {
    let mut errs = Vec::new();
    for slug in SLUGS {
        let model = load(slug);
        let path = golden_dir().join(format!("{slug}.json"));
        let golden: Json = serde_json::from_str(
            &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        )
        .unwrap();
        // The reference ran the seed's defaults: the same inputs must be in the file.
        let defaults: Map<String, Json> = model
            .input_schema
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.default.clone().unwrap_or(Json::Null)))
            .collect();
        assert_eq!(
            golden["inputs"],
            Json::Object(defaults),
            "{slug}: golden made from other inputs"
        );
        // Unlimited: compare every point; the default limits are checked by the CLI test.
        let out = run(&model, &Map::new(), &Limits::unlimited())
            .unwrap_or_else(|e| panic!("{slug} failed with its defaults: {e}"));
        check_against_golden(slug, &out, &golden, &mut errs);
    }
    assert!(
        errs.is_empty(),
        "{} mismatches:\n{}",
        errs.len(),
        errs.join("\n")
    );
}

// ---------------------------------------------------------------- synthetic chains

/// The chain the derivatives seeds fetch with their defaults: (symbol, as_of, expiration).
fn default_chains() -> Vec<(String, String, Option<String>)> {
    let m = load("put-call-ratio");
    let d = |n: &str| {
        m.input_schema
            .fields
            .iter()
            .find(|f| f.name == n)
            .and_then(|f| f.default.as_ref())
            .and_then(Json::as_str)
            .unwrap()
            .to_string()
    };
    for slug in DERIVATIVES {
        let other = load(slug);
        for n in ["symbol", "as_of", "expiration"] {
            let f = other
                .input_schema
                .fields
                .iter()
                .find(|f| f.name == n)
                .unwrap();
            assert_eq!(
                f.default.as_ref().and_then(Json::as_str),
                Some(d(n).as_str()),
                "{slug}.{n}: the dump assumes one default chain"
            );
        }
    }
    vec![(d("symbol"), d("as_of"), Some(d("expiration")))]
}

/// A chain table as CSV; numbers in Rust's shortest round-trip form, NaN empty.
fn chain_csv(v: &Value) -> String {
    let Value::Table(t) = v else {
        panic!("a chain is a table, got {}", v.kind().name())
    };
    let mut out = t
        .columns
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    for r in 0..t.len() {
        let cells: Vec<String> = t
            .columns
            .iter()
            .map(|(_, c)| match c.cell_json(r) {
                Json::String(s) => s,
                Json::Null => String::new(),
                j => {
                    let x = j.as_f64().expect("a number");
                    format!("{x:?}")
                }
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

#[test]
fn synthetic_chains_match_the_reference_dump() {
    let dir = golden_dir().join("chains");
    let dump = std::env::var_os("AUSTER_DUMP_CHAINS").is_some();
    for (symbol, as_of, exp) in default_chains() {
        let req = DataRequest::OptionsChain {
            symbol: symbol.clone(),
            expiration: exp.as_deref().and_then(parse_iso),
            as_of: parse_iso(&as_of),
        };
        let fetched = futures::executor::block_on(gateway().fetch(&req)).expect("chain");
        assert_eq!(fetched.provider, "synthetic");
        let csv = chain_csv(&fetched.value);
        let path = dir.join(format!(
            "{symbol}_{as_of}_{}.csv",
            exp.as_deref().unwrap_or("all")
        ));
        if dump {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &csv).unwrap();
        } else {
            let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "{}: {e}; run with AUSTER_DUMP_CHAINS=1, then tests/reference/seeds.py",
                    path.display()
                )
            });
            assert!(
                want == csv,
                "the synthetic chain for {} changed: re-dump (AUSTER_DUMP_CHAINS=1) and rerun tests/reference/seeds.py",
                path.display()
            );
        }
    }
}

// ---------------------------------------------------------------- bad inputs

/// Runs `slug` with `given` and returns the refusal, failing if it ran.
fn refusal(slug: &str, given: &[(&str, Json)]) -> String {
    match run(&load(slug), &inputs(given), &Limits::default()) {
        Ok(_) => panic!("{slug} accepted {given:?}"),
        Err(e) => e,
    }
}

fn assert_mentions(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "{p:?} missing from the refusal: {msg}");
    }
}

#[test]
fn dates_outside_the_bundled_range_are_refused_with_the_range() {
    let e = refusal("momentum-strategy", &[("start_date", json!("1950-01-03"))]);
    assert_mentions(&e, &["start_date", "on or after 1986-03-13", "1950-01-03"]);
    let e = refusal("btc-power-law", &[("end_date", json!("2030-01-01"))]);
    assert_mentions(&e, &["end_date", "on or before 2026-06-03"]);
    let e = refusal("iv-smile", &[("as_of", json!("2019-06-03"))]);
    assert_mentions(&e, &["as_of", "on or before 2018-12-31"]);
    let e = refusal("drawdown-analysis", &[("start_date", json!("2018-02-30"))]);
    assert_mentions(&e, &["start_date", "YYYY-MM-DD"]);
}

#[test]
fn a_start_after_the_end_is_refused() {
    let e = refusal(
        "momentum-strategy",
        &[
            ("start_date", json!("2015-01-02")),
            ("end_date", json!("2010-01-04")),
        ],
    );
    assert_mentions(&e, &["start", "after", "end", "2015-01-02", "2010-01-04"]);
}

#[test]
fn an_expiration_in_the_past_is_refused() {
    let e = refusal("iv-smile", &[("expiration", json!("2018-05-18"))]);
    assert_mentions(
        &e,
        &["expiration", "2018-05-18", "after", "as_of", "2018-06-01"],
    );
    // Not a listed expiration: the refusal lists the listed ones.
    let e = refusal("expected-move", &[("expiration", json!("2018-07-18"))]);
    assert_mentions(&e, &["2018-07-18", "2018-07-20", "2018-06-08"]);
}

#[test]
fn an_unknown_symbol_lists_what_is_bundled() {
    let e = refusal("momentum-strategy", &[("symbol", json!("ZZZZ"))]);
    assert_mentions(&e, &["ZZZZ", "SPX", "IXIC", "MSFT", "AUSTER_DATA"]);
    let e = refusal("btc-power-law", &[("symbol", json!("ETH"))]);
    assert_mentions(&e, &["ETH", "BTC"]);
    let e = refusal("momentum-strategy", &[("symbol", json!("not a ticker!"))]);
    assert_mentions(&e, &["symbol", "1–12 characters"]);
}

#[test]
fn bad_numbers_and_strikes_are_refused_with_the_range() {
    let e = refusal("vertical-spread", &[("long_strike", json!(0))]);
    assert_mentions(&e, &["long_strike", "between 0.01 and 1000000"]);
    let e = refusal("vertical-spread", &[("short_strike", json!(2851))]);
    assert_mentions(&e, &["short_strike", "2851"]);
    let e = refusal("momentum-strategy", &[("lookback", json!(1))]);
    assert_mentions(&e, &["lookback", "between 5 and 756"]);
    let e = refusal(
        "iron-condor",
        &[("put_long", json!(2700)), ("put_short", json!(2650))],
    );
    assert_mentions(&e, &["put_long < put_short"]);
    let e = refusal("momentum-strategy", &[("lookbak", json!(20))]);
    assert_mentions(&e, &["lookbak", "lookback"]);
}

#[test]
fn a_btc_history_too_short_to_fit_is_refused() {
    let e = refusal("btc-power-law", &[("start_date", json!("2026-05-20"))]);
    assert_mentions(&e, &["30"]);
}

// ---------------------------------------------------------------- the `auster` binary

/// Runs `auster validate` and `auster run` on `slugs` from the repo root with defaults.
fn run_binary(slugs: &[&str]) {
    let bin = env!("CARGO_BIN_EXE_auster");
    let cmd = |args: &[&str]| {
        Command::new(bin)
            .current_dir(repo())
            .env_remove("AUSTER_DATASETS")
            .env_remove("AUSTER_SEEDS")
            .env("AUSTER_DATA", "bundled")
            .args(args)
            .output()
            .unwrap()
    };
    for slug in slugs {
        let v = cmd(&["validate", slug]);
        assert!(
            v.status.success(),
            "auster validate {slug}: {}",
            String::from_utf8_lossy(&v.stderr)
        );
        let r = cmd(&["run", slug]);
        assert!(
            r.status.success(),
            "auster run {slug}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        let result: Json = serde_json::from_slice(&r.stdout).expect("a RunResult");
        assert_eq!(result["model_slug"], *slug);
        assert_eq!(result["status"], "success");
        assert!(!result["outputs"]["scalars"].as_array().unwrap().is_empty());
    }
}

#[test]
fn auster_validate_and_run_accept_the_data_seeds_from_the_repo_root() {
    let data: Vec<&str> = SLUGS
        .iter()
        .copied()
        .filter(|s| !DERIVATIVES.contains(s))
        .collect();
    run_binary(&data);
}

/// `auster run` reads through `BundledSource`, which has no option chains; the derivatives
/// seeds need the data gateway (bundled + synthetic) there. They run and match their
/// references through the gateway above.
#[test]
fn auster_run_accepts_the_derivatives_seeds() {
    run_binary(&DERIVATIVES);
}
