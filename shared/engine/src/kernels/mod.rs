//! Numeric building blocks shared by primitives: date alignment, rolling windows,
//! compensated sums. Kept free of DSL concerns so they are easy to test and benchmark.

pub mod align;
pub mod bsm;
pub mod elementwise;
pub mod pairwise;
pub mod radix;
pub mod recurrence;
pub mod reduce;
pub mod rolling;
pub mod scan;
pub mod ta;
