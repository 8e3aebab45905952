//! The data gateway: implementations of the engine's [`DataSource`].
//!
//! - [`BundledSource`]: the CSV layout of interfaces.md §5 under `AUSTER_DATASETS`.
//! - [`SyntheticSource`]: deterministic option chains (Black–Scholes on a skewed smile
//!   anchored to the bundled VIX), labelled `synthetic`.
//! - [`FredSource`], [`PolygonSource`]: live providers with timeouts, retries and limits.
//! - [`Gateway`]: picks a provider per request from [`GatewayConfig`] (`AUSTER_DATA` and the
//!   keys present), caches (L1 in process, L2 behind [`L2Cache`]) and coalesces fetches.

pub mod bench;
pub mod bsm;
pub mod bundled;
pub mod cache;
pub mod config;
pub mod csv_read;
pub mod fred;
pub mod gateway;
mod http;
pub mod polygon;
pub mod secret;
pub mod synthetic;
pub mod util;

pub use auster_engine::{DataError, DataRequest, DataSource, Fetched};
pub use bench::bench_report;
pub use bundled::BundledSource;
pub use cache::{CacheEntry, L1Cache, L2Cache, MemoryL2};
pub use config::{ConfigError, DataMode, GatewayConfig, HttpSettings, ProviderConfig};
pub use fred::FredSource;
pub use gateway::{Gateway, Ttls};
pub use polygon::PolygonSource;
pub use secret::ApiKey;
pub use synthetic::{SyntheticSource, CHAIN_COLUMNS};
