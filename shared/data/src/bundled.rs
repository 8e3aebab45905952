//! The bundled provider: real datasets shipped in the repository (`seeds/data`), read from
//! `AUSTER_DATASETS`, parsed once and kept in memory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use auster_engine::data::BoxFuture;
use auster_engine::{
    content_hash, date, DataError, DataRequest, DataSource, Fetched, Frame, Series, Value,
};

use crate::csv_read::{parse_dated_csv, DatedColumns};

/// Reads `market/`, `macro/` and `crypto/` CSVs under a root folder.
pub struct BundledSource {
    root: PathBuf,
    loaded: Mutex<HashMap<String, Arc<DatedColumns>>>,
}

impl BundledSource {
    /// A source over `root` (e.g. `seeds/data`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            loaded: Mutex::new(HashMap::new()),
        }
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Names available in a folder (`market`, `macro`, `crypto`), sorted.
    pub fn available(&self, folder: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.root.join(folder))
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter_map(|e| {
                        e.file_name()
                            .to_str()
                            .and_then(|n| n.strip_suffix(".csv"))
                            .map(String::from)
                    })
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    fn load(&self, folder: &str, name: &str) -> Result<Arc<DatedColumns>, DataError> {
        let key = format!("{folder}/{name}");
        if let Some(hit) = self
            .loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(Arc::clone(hit));
        }
        let safe = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '^'))
            && !name.contains("..");
        let path = self.root.join(folder).join(format!("{name}.csv"));
        if !safe || !path.is_file() {
            let avail = self.available(folder);
            let list = if avail.is_empty() {
                "none".to_string()
            } else {
                avail.join(", ")
            };
            return Err(DataError::NotFound(format!(
                "{key} is not among the bundled datasets (available {folder}: {list}). \
                 Set AUSTER_DATA=live with a provider key for other {folder} data."
            )));
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| DataError::Unavailable(format!("reading {}: {e}", path.display())))?;
        let parsed = Arc::new(
            parse_dated_csv(&text, &path.display().to_string()).map_err(DataError::Unavailable)?,
        );
        self.loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, Arc::clone(&parsed));
        Ok(parsed)
    }

    /// First and last date of a bundled file.
    pub fn span(&self, folder: &str, name: &str) -> Result<(i32, i32), DataError> {
        let data = self.load(folder, name)?;
        match (data.dates.first(), data.dates.last()) {
            (Some(&a), Some(&b)) => Ok((a, b)),
            _ => Err(DataError::Unavailable(format!(
                "{folder}/{name} has no rows"
            ))),
        }
    }

    /// The last `n` non-missing values of column `col` dated on or before `end`, oldest
    /// first, without copying the whole file.
    pub fn tail_upto(
        &self,
        folder: &str,
        name: &str,
        col: &str,
        end: i32,
        n: usize,
    ) -> Result<(Vec<i32>, Vec<f64>), DataError> {
        let data = self.load(folder, name)?;
        let (_, values) = data.columns.iter().find(|(c, _)| c == col).ok_or_else(|| {
            DataError::Unavailable(format!("{folder}/{name} has no column {col}"))
        })?;
        let hi = data.dates.partition_point(|&d| d <= end);
        let mut out: Vec<(i32, f64)> = (0..hi)
            .rev()
            .filter(|&i| !values[i].is_nan())
            .take(n)
            .map(|i| (data.dates[i], values[i]))
            .collect();
        out.reverse();
        Ok(out.into_iter().unzip())
    }

    /// Serves a request synchronously.
    pub fn fetch_now(&self, req: &DataRequest) -> Result<Fetched, DataError> {
        let (folder, name, start, end) = match req {
            DataRequest::Market { symbol, start, end } => ("market", symbol.as_str(), *start, *end),
            DataRequest::Macro { series_id, start, end } => ("macro", series_id.as_str(), *start, *end),
            DataRequest::Crypto { asset, start, end } => ("crypto", asset.as_str(), *start, *end),
            DataRequest::OptionsChain { symbol, .. } => {
                return Err(DataError::NotFound(format!(
                    "no options chain is bundled for {symbol}; option chains need the synthetic or a live provider."
                )))
            }
        };
        crate::util::check_range(start, end).map_err(DataError::Invalid)?;
        let data = self.load(folder, name)?;
        let lo = start.map_or(0, |s| data.dates.partition_point(|&d| d < s));
        let hi = end.map_or(data.dates.len(), |e| {
            data.dates.partition_point(|&d| d <= e)
        });
        if lo >= hi {
            let span = match (data.dates.first(), data.dates.last()) {
                (Some(&a), Some(&b)) => {
                    format!("{} to {}", date::format_iso(a), date::format_iso(b))
                }
                _ => "no dates".into(),
            };
            return Err(DataError::Invalid(format!(
                "{folder}/{name} has no data between {} and {}; it covers {span}.",
                start.map_or("the start".into(), date::format_iso),
                end.map_or("the end".into(), date::format_iso)
            )));
        }
        let dates = Arc::new(data.dates[lo..hi].to_vec());
        let value = if folder == "market" {
            Value::Frame(Frame {
                dates,
                columns: data
                    .columns
                    .iter()
                    .map(|(n, c)| (n.clone(), c[lo..hi].to_vec()))
                    .collect(),
            })
        } else {
            // Single-value files: `date,value` (macro) or `date,close` (crypto). Missing
            // observations are dropped, as FRED's "." would be.
            let (_, col) = data.columns.first().ok_or_else(|| {
                DataError::Unavailable(format!("{folder}/{name} has no value column"))
            })?;
            let (d, v): (Vec<i32>, Vec<f64>) = dates
                .iter()
                .zip(&col[lo..hi])
                .filter(|(_, x)| !x.is_nan())
                .map(|(d, x)| (*d, *x))
                .unzip();
            Value::Series(Series::counted(Arc::new(d), v))
        };
        let hash = content_hash(&value);
        Ok(Fetched {
            value,
            provider: "bundled".into(),
            dataset: format!("{folder}/{name}"),
            hash,
        })
    }
}

impl DataSource for BundledSource {
    fn fetch<'a>(&'a self, request: &'a DataRequest) -> BoxFuture<'a, Result<Fetched, DataError>> {
        Box::pin(async move { self.fetch_now(request) })
    }
}
