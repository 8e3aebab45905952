//! The data gateway: implementations of the engine's [`DataSource`].
//!
//! `bundled` reads the CSV layout of interfaces.md §5 under `AUSTER_DATASETS`.

pub mod bundled;
pub mod csv_read;

pub use auster_engine::{DataError, DataRequest, DataSource, Fetched};
pub use bundled::BundledSource;
