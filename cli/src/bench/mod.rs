//! `auster bench`: the performance suite (filled in by the engine benchmarks).

use std::process::ExitCode;

use clap::Args;

/// Arguments of `auster bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// Which suite: engine, data, store, api, models.
    #[arg(default_value = "engine")]
    suite: String,
}

/// Runs a benchmark suite.
pub fn bench(args: BenchArgs) -> ExitCode {
    eprintln!(
        "error: benchmark suite {:?} is not available yet",
        args.suite
    );
    ExitCode::from(2)
}
