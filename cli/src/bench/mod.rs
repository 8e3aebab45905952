//! `auster bench SUITE`: performance suites that print figures (never assertions).
//!
//! - `engine`: every primitive at 10k / 1M / 10M points, the machine's copy bandwidth,
//!   a 20-step model over 10k daily points, and peak memory of a 10M-point run.
//!   `--json` prints machine-readable figures for `tests/bench/compare.py`.
//! - `data`: first load of the full S&P 500 history, cached fetches, coalescing.
//! - `store`: get-model, list-public, record-run and charge-credit latencies on SQLite
//!   (and DynamoDB + S3 on moto when it is installed).
//! - `api`: `POST /api/models/run` under concurrent clients, warm and uncached.

mod engine;

use std::process::ExitCode;

use clap::Args;

/// Arguments of `auster bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// Which suite: engine, data, store, api.
    #[arg(default_value = "engine")]
    suite: String,
    /// Point counts to measure (engine suite), e.g. `--sizes 10000,1000000`.
    #[arg(long, value_delimiter = ',', default_values_t = vec![10_000usize, 1_000_000, 10_000_000])]
    sizes: Vec<usize>,
    /// Only primitives whose name contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Prints a suite's report, or its error on stderr with exit code 1.
fn print_report(report: Result<String, String>) -> ExitCode {
    match report {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Runs a benchmark suite.
pub fn bench(args: BenchArgs) -> ExitCode {
    match args.suite.as_str() {
        "engine" => engine::run(&args.sizes, args.filter.as_deref(), args.json),
        "api" => crate::serve::bench_api_command(),
        "data" => print_report(auster_data::bench_report()),
        "store" => print_report(
            auster_store::bench::bench_report(&auster_store::bench::BenchOptions::default())
                .map_err(|e| e.to_string()),
        ),
        // Internal: the child process behind the engine suite's memory figure.
        "memory-probe" => engine::memory_probe(10_000_000),
        other => {
            eprintln!("error: unknown benchmark suite {other:?}; suites: engine, data, store, api");
            ExitCode::from(2)
        }
    }
}
