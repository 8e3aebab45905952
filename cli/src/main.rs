//! `auster`: the command-line face of the platform (interfaces.md §2).
//!
//! Exit codes: 0 success, 1 a model or input error (message on stderr), 2 a usage error.

mod admin;
mod bench;
mod run;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// Large series (tens of MB) are allocated and freed per step; glibc maps and unmaps such
// blocks every time, paying a page fault per 4 KiB. mimalloc keeps and reuses them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process. mimalloc asks the kernel for huge
/// pages on its arenas, and each first touch of one makes the kernel zero 2 MB at once:
/// on this project's virtual machines that took about 6 ms of CPU inside whichever
/// request touched it, the whole latency tail of `auster bench api` (uncached p99 38–52 ms
/// with huge pages, 16–20 ms without; warm p99 5 → 4.4 ms). The same memory in 4 KB pages
/// costs a little at each touch instead of a lot at one.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process's memory map; it reads
    // no pointers. A kernel without it answers EINVAL, which changes nothing.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[derive(Parser)]
#[command(
    name = "auster",
    version,
    about = "Auster Models: discover, run, publish and fork quantitative finance models."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a model (a file path or a seed slug) and print its RunResult.
    Run(run::RunArgs),
    /// Validate a model file; print every problem with its path.
    Validate(run::ValidateArgs),
    /// Print the DSL reference generated from the primitive registry (docs/dsl.md).
    Docs,
    /// Print the primitive catalogue as JSON (what GET /api/primitives serves).
    Primitives,
    /// Run the performance suite and print the figures.
    Bench(bench::BenchArgs),
    /// Serve the API under /api and the web app at / (same route functions as the Lambdas).
    Serve(serve::ServeArgs),
    /// Load seeds/models/*.json into the configured store (idempotent).
    Seed,
    /// Store administration.
    #[command(subcommand)]
    Store(admin::StoreCommand),
    /// Credit administration.
    #[command(subcommand)]
    Credits(admin::CreditsCommand),
}

fn main() -> ExitCode {
    no_transparent_huge_pages();
    let cli = Cli::parse();
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Validate(a) => run::validate(a),
        Command::Docs => {
            print!("{}", auster_engine::docs::reference_markdown());
            ExitCode::SUCCESS
        }
        Command::Primitives => {
            println!(
                "{}",
                serde_json::to_string_pretty(&auster_engine::registry().catalogue_json())
                    .unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Command::Bench(a) => bench::bench(a),
        Command::Serve(a) => serve::serve(a),
        Command::Seed => admin::seed(),
        Command::Store(c) => admin::store(c),
        Command::Credits(c) => admin::credits(c),
    }
}
