//! FRED (Federal Reserve Economic Data): macro series, and Coinbase crypto closes
//! (`CBBTCUSD`, `CBETHUSD`…) for crypto requests.
//!
//! `GET /fred/series/observations?series_id=&api_key=&file_type=json&observation_start=&observation_end=`
//! answers `observations[{date, value}]` with `value` a *string* and `"."` for missing;
//! missing observations are dropped (as in the bundled files). Paging uses `offset`/`count`.

use auster_engine::data::BoxFuture;
use auster_engine::date::{self, Day};
use auster_engine::{content_hash, DataError, DataRequest, DataSource, Fetched, Series, Value};
use serde_json::Value as Json;

use crate::config::ProviderConfig;
use crate::http::{provider_message, Auth, Failure, HttpClient};
use crate::util::{check_id, check_range, iso_or};

/// Observations per page (FRED's maximum).
const PAGE: usize = 100_000;

/// The FRED client.
pub struct FredSource {
    http: HttpClient,
}

impl FredSource {
    /// A client for `cfg`.
    pub fn new(cfg: &ProviderConfig) -> Result<Self, String> {
        Ok(Self {
            http: HttpClient::new(
                "fred",
                &cfg.base_url,
                cfg.key.clone(),
                Auth::QueryApiKey,
                cfg.http.clone(),
            )?,
        })
    }

    /// The FRED series id serving a crypto asset: Coinbase closes, `CB<ASSET>USD`.
    pub fn crypto_series(asset: &str) -> String {
        format!("CB{}USD", asset.to_ascii_uppercase())
    }

    /// Observations of `series_id` between `start` and `end` (inclusive), missing dropped.
    pub async fn observations(
        &self,
        series_id: &str,
        start: Option<Day>,
        end: Option<Day>,
    ) -> Result<Series, DataError> {
        let id = check_id("FRED series id", series_id).map_err(DataError::Invalid)?;
        check_range(start, end).map_err(DataError::Invalid)?;
        let mut dates: Vec<Day> = Vec::new();
        let mut values: Vec<f64> = Vec::new();
        let mut offset = 0usize;
        loop {
            let mut q = vec![
                ("series_id", id.clone()),
                ("file_type", "json".to_string()),
                ("sort_order", "asc".to_string()),
                ("limit", PAGE.to_string()),
                ("offset", offset.to_string()),
            ];
            if let Some(s) = start {
                q.push(("observation_start", date::format_iso(s)));
            }
            if let Some(e) = end {
                q.push(("observation_end", date::format_iso(e)));
            }
            let url = self.http.url("/fred/series/observations", &q);
            let body = self
                .http
                .get_json(url)
                .await
                .map_err(|f| self.failure(&id, f))?;
            let obs = body
                .get("observations")
                .and_then(Json::as_array)
                .ok_or_else(|| {
                    DataError::Unavailable(format!(
                        "fred answered series {id} without an `observations` list"
                    ))
                })?;
            for (i, o) in obs.iter().enumerate() {
                let d = o
                    .get("date")
                    .and_then(Json::as_str)
                    .and_then(date::parse_iso)
                    .ok_or_else(|| {
                        DataError::Unavailable(format!(
                            "fred series {id}: observation {} has no valid date",
                            offset + i
                        ))
                    })?;
                let v = match o.get("value") {
                    Some(Json::String(s)) if s.trim() == "." || s.trim().is_empty() => continue,
                    Some(Json::String(s)) => s.trim().parse::<f64>().map_err(|_| {
                        DataError::Unavailable(format!(
                            "fred series {id} on {}: value {s:?} is not a number",
                            date::format_iso(d)
                        ))
                    })?,
                    Some(Json::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
                    _ => continue,
                };
                // Sorted ascending by request; anything else (a repeat across pages) is dropped.
                if dates.last().is_some_and(|&p| p >= d) {
                    continue;
                }
                dates.push(d);
                values.push(v);
            }
            let count = body
                .get("count")
                .and_then(Json::as_u64)
                .map_or(0, |c| c as usize);
            // Stop when the page was short, empty, or the total is reached: no progress, no loop.
            if obs.is_empty() || obs.len() < PAGE || offset + obs.len() >= count {
                break;
            }
            offset += obs.len();
        }
        if dates.is_empty() {
            return Err(DataError::Invalid(format!(
                "fred series {id} has no observations between {} and {}.",
                iso_or(start, "its start"),
                iso_or(end, "its end")
            )));
        }
        Ok(Series::counted(std::sync::Arc::new(dates), values))
    }

    fn failure(&self, id: &str, f: Failure) -> DataError {
        match f {
            Failure::Other(e) => e,
            Failure::Client { status, body } => {
                let msg = provider_message(&body);
                let lower = msg.to_ascii_lowercase();
                if lower.contains("series does not exist") || status == 404 {
                    DataError::NotFound(format!(
                        "FRED has no series {id} ({msg}). Search ids at \
                         https://fred.stlouisfed.org; bundled macro series are listed in \
                         seeds/data/README.md."
                    ))
                } else if lower.contains("api_key") || status == 401 || status == 403 {
                    DataError::Unavailable(format!(
                        "FRED refused FRED_API_KEY (HTTP {status}): {}",
                        self.http.redact(&msg)
                    ))
                } else {
                    DataError::Invalid(format!(
                        "FRED rejected the request for {id} (HTTP {status}): {}",
                        self.http.redact(&msg)
                    ))
                }
            }
        }
    }

    async fn serve(&self, req: &DataRequest) -> Result<Fetched, DataError> {
        let (series, dataset) = match req {
            DataRequest::Macro {
                series_id,
                start,
                end,
            } => (
                self.observations(series_id, *start, *end).await?,
                format!("macro/{}", series_id.to_ascii_uppercase()),
            ),
            DataRequest::Crypto { asset, start, end } => {
                let a = check_id("crypto asset", asset).map_err(DataError::Invalid)?;
                (
                    self.observations(&Self::crypto_series(&a), *start, *end)
                        .await?,
                    format!("crypto/{a}"),
                )
            }
            other => {
                return Err(DataError::Invalid(format!(
                    "FRED serves macro series and crypto closes, not {}",
                    other.label()
                )))
            }
        };
        let value = Value::Series(series);
        let hash = content_hash(&value);
        Ok(Fetched {
            value,
            provider: "fred".into(),
            dataset,
            hash,
        })
    }
}

impl DataSource for FredSource {
    fn fetch<'a>(&'a self, request: &'a DataRequest) -> BoxFuture<'a, Result<Fetched, DataError>> {
        Box::pin(self.serve(request))
    }
}
