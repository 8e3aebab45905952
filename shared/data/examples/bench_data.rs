//! Prints the data benchmarks (the same report as `auster bench data`):
//! `cargo run --release -p auster-data --example bench_data`.

fn main() {
    match auster_data::bench_report() {
        Ok(report) => print!("{report}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
