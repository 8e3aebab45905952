//! The engine's only window on data: requests that data primitives make, and the
//! `DataSource` trait the data gateway implements.
//!
//! The engine itself does no I/O. Data steps' params depend only on run inputs, so every
//! request is known once a program is bound; a run fetches them all (concurrently) before
//! executing, then executes purely.

use std::future::Future;
use std::pin::Pin;

use sha2::{Digest, Sha256};

use crate::date::{format_iso, Day};
use crate::value::{ColumnData, Value};

/// What a data step asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DataRequest {
    /// Daily OHLCV bars → frame `open high low close volume [adj_close]`.
    Market {
        /// Ticker, e.g. `SPX`.
        symbol: String,
        /// First date, inclusive.
        start: Option<Day>,
        /// Last date, inclusive.
        end: Option<Day>,
    },
    /// A macro series → series.
    Macro {
        /// Series id, e.g. `DCOILWTICO`.
        series_id: String,
        /// First date, inclusive.
        start: Option<Day>,
        /// Last date, inclusive.
        end: Option<Day>,
    },
    /// Daily close of a crypto asset → series.
    Crypto {
        /// Asset, e.g. `BTC`.
        asset: String,
        /// First date, inclusive.
        start: Option<Day>,
        /// Last date, inclusive.
        end: Option<Day>,
    },
    /// An options chain → table.
    OptionsChain {
        /// Underlying ticker.
        symbol: String,
        /// Expiration date (all expirations when absent).
        expiration: Option<Day>,
        /// Snapshot date (latest when absent).
        as_of: Option<Day>,
    },
}

impl DataRequest {
    /// A short label for logs and errors, e.g. `market/SPX`.
    pub fn label(&self) -> String {
        match self {
            DataRequest::Market { symbol, .. } => format!("market/{symbol}"),
            DataRequest::Macro { series_id, .. } => format!("macro/{series_id}"),
            DataRequest::Crypto { asset, .. } => format!("crypto/{asset}"),
            DataRequest::OptionsChain { symbol, .. } => format!("options/{symbol}"),
        }
    }
}

/// A fetched dataset and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// The data (frame, series or table).
    pub value: Value,
    /// `bundled`, `synthetic`, `fred`, `polygon`, …
    pub provider: String,
    /// Dataset name, e.g. `market/SPX`.
    pub dataset: String,
    /// Hex SHA-256 of the data (see [`content_hash`]).
    pub hash: String,
}

/// Why a fetch failed; the message names what is available and how to get more.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    /// The symbol, series or asset does not exist at this provider.
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed (bad date range…).
    #[error("{0}")]
    Invalid(String),
    /// The provider is unreachable, rate-limited or failing.
    #[error("{0}")]
    Unavailable(String),
}

/// A boxed future, so the trait stays object-safe without an async-trait dependency.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where data primitives get their data. Implemented by the data gateway (`auster-data`).
pub trait DataSource: Send + Sync {
    /// Fetches one dataset.
    fn fetch<'a>(&'a self, request: &'a DataRequest) -> BoxFuture<'a, Result<Fetched, DataError>>;
}

/// SHA-256 over a value's canonical bytes: dates and f64 bits little-endian, names and
/// strings length-prefixed. Equal data gives equal hashes whatever its source format.
pub fn content_hash(value: &Value) -> String {
    let mut h = Sha256::new();
    let name = |h: &mut Sha256, s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    let nums = |h: &mut Sha256, v: &[f64]| {
        for x in v {
            h.update(x.to_bits().to_le_bytes());
        }
    };
    let dates = |h: &mut Sha256, d: &[Day]| {
        for x in d {
            h.update(x.to_le_bytes());
        }
    };
    name(&mut h, value.kind().name());
    match value {
        Value::Scalar(x) => nums(&mut h, &[*x]),
        Value::Series(s) => {
            dates(&mut h, &s.dates);
            nums(&mut h, &s.values);
        }
        Value::Frame(f) => {
            dates(&mut h, &f.dates);
            for (n, c) in &f.columns {
                name(&mut h, n);
                nums(&mut h, c);
            }
        }
        Value::Record(r) => {
            for (n, x) in &r.fields {
                name(&mut h, n);
                nums(&mut h, &[*x]);
            }
        }
        Value::Table(t) => {
            for (n, c) in &t.columns {
                name(&mut h, n);
                match c {
                    ColumnData::Num(v) => nums(&mut h, v),
                    ColumnData::Text(v) => v.iter().for_each(|s| name(&mut h, s)),
                    // As the text it is written as: the same table hashes alike either way.
                    ColumnData::Dates(v) => v.iter().for_each(|&d| name(&mut h, &format_iso(d))),
                }
            }
        }
        Value::Text(s) => name(&mut h, s),
        Value::Bool(b) => h.update([u8::from(*b)]),
    }
    hex::encode(h.finalize())
}
