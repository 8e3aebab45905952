//! Hard limits on a run (dsl.md §6). Configurable; the defaults are what the API enforces.

use std::time::Duration;

/// Bounds on one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Most steps in a program.
    pub max_steps: usize,
    /// Most f64 cells in one value.
    pub max_points: usize,
    /// Most bytes of values alive at once.
    pub max_memory_bytes: usize,
    /// Wall-clock budget for execution.
    pub timeout: Duration,
    /// Most points across all charted series before they are thinned for display.
    pub max_output_points: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_steps: 200,
            max_points: 5_000_000,
            max_memory_bytes: 50 * 1024 * 1024,
            timeout: Duration::from_secs(30),
            max_output_points: 40_000,
        }
    }
}

impl Limits {
    /// Limits for trusted local use (`auster run --unlimited`, benchmarks).
    pub fn unlimited() -> Self {
        Self {
            max_steps: 10_000,
            max_points: usize::MAX,
            max_memory_bytes: usize::MAX,
            timeout: Duration::from_secs(3600),
            max_output_points: usize::MAX,
        }
    }
}
