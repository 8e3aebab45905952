//! `auster bench SUITE`: performance suites that print figures (never assertions).
//!
//! - `engine`: every primitive at 10k / 1M / 10M points, the machine's copy bandwidth,
//!   a 20-step model over 10k daily points, and peak memory of a 10M-point run.
//!   `--json` prints machine-readable figures for `tests/bench/compare.py`.

mod engine;

use std::process::ExitCode;

use clap::Args;

/// Arguments of `auster bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// Which suite: engine.
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

/// Runs a benchmark suite.
pub fn bench(args: BenchArgs) -> ExitCode {
    match args.suite.as_str() {
        "engine" => engine::run(&args.sizes, args.filter.as_deref(), args.json),
        "api" => crate::serve::bench_api_command(),
        // Internal: the child process behind the engine suite's memory figure.
        "memory-probe" => engine::memory_probe(10_000_000),
        other => {
            eprintln!("error: unknown benchmark suite {other:?}; suites: engine, api");
            ExitCode::from(2)
        }
    }
}
