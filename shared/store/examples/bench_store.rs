//! Prints the store benchmark (`cargo run -p auster-store --example bench_store`); the
//! same report `auster bench store` prints. Pass `--no-aws` to skip the moto run.

use auster_store::bench::{bench_report, BenchOptions};

fn main() {
    let mut opts = BenchOptions::default();
    if std::env::args().any(|a| a == "--no-aws") {
        opts.moto = false;
    }
    match bench_report(&opts) {
        Ok(r) => print!("{r}"),
        Err(e) => {
            eprintln!("bench failed: {e}");
            std::process::exit(1);
        }
    }
}
