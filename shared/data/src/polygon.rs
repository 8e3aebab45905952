//! Polygon/Massive: daily aggregates (stocks, indices as `I:…`, crypto as `X:<ASSET>USD`)
//! and option chain snapshots.
//!
//! Aggregates: `GET /v2/aggs/ticker/{T}/range/1/day/{from}/{to}?adjusted=true&sort=asc&limit=50000`,
//! bars `o h l c v t(ms)`; an empty range *omits* `results`. Chains:
//! `GET /v3/snapshot/options/{U}?expiration_date=&limit=250`. Both page by `next_url`, which
//! is followed only to the same host and never twice. Auth: `Authorization: Bearer KEY`.

use std::collections::HashSet;
use std::sync::Arc;

use auster_engine::data::BoxFuture;
use auster_engine::date::{self, Day};
use auster_engine::value::{ColumnData, Table};
use auster_engine::{content_hash, DataError, DataRequest, DataSource, Fetched, Frame, Value};
use reqwest::Url;
use serde_json::Value as Json;

use crate::config::ProviderConfig;
use crate::http::{provider_message, Auth, Failure, HttpClient};
use crate::synthetic::CHAIN_COLUMNS;
use crate::util::{check_id, check_range, iso_or, num, today};

/// Most pages followed for one request (a chain of 250 contracts per page).
const MAX_PAGES: usize = 200;

/// Our index symbols and Polygon's tickers for them.
const INDEX_ALIASES: &[(&str, &str)] = &[
    ("SPX", "I:SPX"),
    ("NDX", "I:NDX"),
    ("IXIC", "I:COMP"),
    ("VIX", "I:VIX"),
    ("DJI", "I:DJI"),
    ("RUT", "I:RUT"),
];

/// The Polygon client.
pub struct PolygonSource {
    http: HttpClient,
}

impl PolygonSource {
    /// A client for `cfg`.
    pub fn new(cfg: &ProviderConfig) -> Result<Self, String> {
        Ok(Self {
            http: HttpClient::new(
                "polygon",
                &cfg.base_url,
                cfg.key.clone(),
                Auth::Bearer,
                cfg.http.clone(),
            )?,
        })
    }

    /// Polygon's ticker for one of our symbols (`SPX` → `I:SPX`; others unchanged).
    pub fn ticker_for(symbol: &str) -> String {
        INDEX_ALIASES
            .iter()
            .find(|(s, _)| *s == symbol)
            .map_or_else(|| symbol.to_string(), |(_, t)| t.to_string())
    }

    /// Every page of a paged endpoint: `first`, then each distinct same-host `next_url`.
    async fn pages(&self, first: Url, what: &str) -> Result<Vec<Json>, DataError> {
        let mut out = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut next = Some(first);
        while let Some(url) = next.take() {
            if out.len() >= MAX_PAGES {
                return Err(DataError::Unavailable(format!(
                    "polygon {what}: more than {MAX_PAGES} pages; narrow the request"
                )));
            }
            let body = self
                .http
                .get_json(url)
                .await
                .map_err(|f| self.failure(what, f))?;
            if let Some(status) = body.get("status").and_then(Json::as_str) {
                if status.eq_ignore_ascii_case("ERROR") || status == "NOT_AUTHORIZED" {
                    return Err(DataError::Unavailable(format!(
                        "polygon {what}: {}",
                        self.http.redact(&provider_message(&body.to_string()))
                    )));
                }
            }
            if let Some(n) = body.get("next_url").and_then(Json::as_str) {
                let url = Url::parse(n).map_err(|_| {
                    DataError::Unavailable(format!("polygon {what}: next_url is not a URL"))
                })?;
                if !self.http.same_origin(&url) {
                    return Err(DataError::Unavailable(format!(
                        "polygon {what}: next_url points at another host ({}); not followed",
                        url.host_str().unwrap_or("?")
                    )));
                }
                // A cursor seen before would loop forever: stop with what we have.
                if seen.insert(n.to_string()) {
                    next = Some(url);
                } else {
                    tracing::warn!(what, "polygon repeated a next_url cursor; stopping");
                }
            }
            out.push(body);
        }
        Ok(out)
    }

    fn failure(&self, what: &str, f: Failure) -> DataError {
        match f {
            Failure::Other(e) => e,
            Failure::Client { status, body } => {
                let msg = self.http.redact(&provider_message(&body));
                match status {
                    401 | 403 => DataError::Unavailable(format!(
                        "polygon refused {what} with POLYGON_API_KEY (HTTP {status}): {msg}"
                    )),
                    404 => DataError::NotFound(format!("polygon has no {what} (HTTP 404): {msg}")),
                    _ => DataError::Invalid(format!(
                        "polygon rejected {what} (HTTP {status}): {msg}"
                    )),
                }
            }
        }
    }

    /// Daily bars of `ticker` as a frame `open high low close volume`.
    pub async fn daily_bars(
        &self,
        ticker: &str,
        start: Option<Day>,
        end: Option<Day>,
    ) -> Result<Frame, DataError> {
        check_range(start, end).map_err(DataError::Invalid)?;
        let from = start.unwrap_or(0);
        let to = end.unwrap_or_else(today);
        let path = format!(
            "/v2/aggs/ticker/{ticker}/range/1/day/{}/{}",
            date::format_iso(from),
            date::format_iso(to)
        );
        let url = self.http.url(
            &path,
            &[
                ("adjusted", "true".into()),
                ("sort", "asc".into()),
                ("limit", "50000".into()),
            ],
        );
        let what = format!("daily bars for {ticker}");
        let mut bars: Vec<(Day, [f64; 5])> = Vec::new();
        for page in self.pages(url, &what).await? {
            // An empty range omits `results` altogether.
            let Some(results) = page.get("results").and_then(Json::as_array) else {
                continue;
            };
            for b in results {
                let t = num(b.get("t"));
                if !t.is_finite() {
                    return Err(DataError::Unavailable(format!(
                        "polygon {what}: a bar has no timestamp `t`"
                    )));
                }
                // `t` is the window start in ms since the epoch; its UTC day is the bar's date
                // (US sessions open at 04:00/05:00 UTC, crypto days start at 00:00 UTC).
                let day = (t / 86_400_000.0).floor() as Day;
                let v = ["o", "h", "l", "c", "v"].map(|k| num(b.get(k)));
                bars.push((day, v));
            }
        }
        bars.sort_by_key(|(d, _)| *d);
        bars.dedup_by_key(|(d, _)| *d);
        if bars.is_empty() {
            return Err(DataError::NotFound(format!(
                "polygon returned no daily bars for {ticker} between {} and {}; check the \
                 ticker (indices are I:SPX, crypto X:BTCUSD) and the dates.",
                date::format_iso(from),
                iso_or(end, "today")
            )));
        }
        let dates: Vec<Day> = bars.iter().map(|(d, _)| *d).collect();
        let columns = ["open", "high", "low", "close", "volume"]
            .iter()
            .enumerate()
            .map(|(k, n)| (n.to_string(), bars.iter().map(|(_, v)| v[k]).collect()))
            .collect();
        Ok(Frame {
            dates: Arc::new(dates),
            columns,
        })
    }

    /// Today's option chain of `underlying` (all expirations, or one), in the columns of
    /// [`CHAIN_COLUMNS`]; fields the snapshot omits are NaN.
    pub async fn option_chain(
        &self,
        underlying: &str,
        expiration: Option<Day>,
    ) -> Result<Table, DataError> {
        let mut q = vec![("limit", "250".to_string())];
        if let Some(e) = expiration {
            q.push(("expiration_date", date::format_iso(e)));
        }
        let url = self
            .http
            .url(&format!("/v3/snapshot/options/{underlying}"), &q);
        let what = format!("the option chain of {underlying}");
        let mut rows: Vec<(String, f64, String, [f64; 11])> = Vec::new();
        for page in self.pages(url, &what).await? {
            let Some(results) = page.get("results").and_then(Json::as_array) else {
                continue;
            };
            for r in results {
                let details = r.get("details");
                let field = |k: &str| details.and_then(|d| d.get(k));
                let Some(kind) = field("contract_type").and_then(Json::as_str) else {
                    continue;
                };
                let Some(exp) = field("expiration_date").and_then(Json::as_str) else {
                    continue;
                };
                let strike = num(field("strike_price"));
                let quote = r.get("last_quote");
                let greeks = r.get("greeks");
                let g = |k: &str| num(greeks.and_then(|x| x.get(k)));
                let last = {
                    let trade = num(r.get("last_trade").and_then(|t| t.get("price")));
                    if trade.is_finite() {
                        trade
                    } else {
                        num(r.get("day").and_then(|d| d.get("close")))
                    }
                };
                rows.push((
                    kind.to_ascii_lowercase(),
                    strike,
                    exp.to_string(),
                    [
                        num(quote.and_then(|x| x.get("bid"))),
                        num(quote.and_then(|x| x.get("ask"))),
                        last,
                        num(r.get("implied_volatility")),
                        g("delta"),
                        g("gamma"),
                        g("theta"),
                        g("vega"),
                        num(r.get("open_interest")),
                        num(r.get("day").and_then(|d| d.get("volume"))),
                        num(r.get("underlying_asset").and_then(|u| u.get("price"))),
                    ],
                ));
            }
        }
        if rows.is_empty() {
            return Err(DataError::NotFound(format!(
                "polygon has no option contracts for {underlying}{}; check the underlying \
                 ticker and the expiration.",
                expiration.map_or(String::new(), |e| format!(
                    " expiring {}",
                    date::format_iso(e)
                ))
            )));
        }
        rows.sort_by(|a, b| (&a.2, &a.0).cmp(&(&b.2, &b.0)).then(a.1.total_cmp(&b.1)));
        let mut columns: Vec<(String, ColumnData)> = Vec::new();
        columns.push((
            "contract_type".into(),
            ColumnData::Text(rows.iter().map(|r| r.0.clone()).collect()),
        ));
        columns.push((
            "strike".into(),
            ColumnData::Num(rows.iter().map(|r| r.1).collect()),
        ));
        columns.push((
            "expiration".into(),
            ColumnData::Text(rows.iter().map(|r| r.2.clone()).collect()),
        ));
        for (k, name) in CHAIN_COLUMNS[3..].iter().enumerate() {
            columns.push((
                name.to_string(),
                ColumnData::Num(rows.iter().map(|r| r.3[k]).collect()),
            ));
        }
        Ok(Table { columns })
    }

    async fn serve(&self, req: &DataRequest) -> Result<Fetched, DataError> {
        let (value, dataset) = match req {
            DataRequest::Market { symbol, start, end } => {
                let s = check_id("symbol", symbol).map_err(DataError::Invalid)?;
                let f = self.daily_bars(&Self::ticker_for(&s), *start, *end).await?;
                (Value::Frame(f), format!("market/{s}"))
            }
            DataRequest::Crypto { asset, start, end } => {
                let a = check_id("crypto asset", asset).map_err(DataError::Invalid)?;
                let f = self.daily_bars(&format!("X:{a}USD"), *start, *end).await?;
                let close = f.series("close").ok_or_else(|| {
                    DataError::Unavailable(format!("polygon bars for X:{a}USD lack closes"))
                })?;
                (Value::Series(close), format!("crypto/{a}"))
            }
            DataRequest::OptionsChain {
                symbol,
                expiration,
                as_of,
            } => {
                let s = check_id("symbol", symbol).map_err(DataError::Invalid)?;
                if let Some(d) = as_of.filter(|&d| d != today()) {
                    return Err(DataError::Invalid(format!(
                        "polygon's option chain is a snapshot of today; as_of {} needs the \
                         synthetic provider (AUSTER_DATA=bundled).",
                        date::format_iso(d)
                    )));
                }
                let t = self.option_chain(&s, *expiration).await?;
                (Value::Table(t), format!("options/{s}"))
            }
            DataRequest::Macro { series_id, .. } => {
                return Err(DataError::Invalid(format!(
                    "polygon does not serve macro series such as {series_id}; FRED does \
                     (set FRED_API_KEY)."
                )))
            }
        };
        let hash = content_hash(&value);
        Ok(Fetched {
            value,
            provider: "polygon".into(),
            dataset,
            hash,
        })
    }
}

impl DataSource for PolygonSource {
    fn fetch<'a>(&'a self, request: &'a DataRequest) -> BoxFuture<'a, Result<Fetched, DataError>> {
        Box::pin(self.serve(request))
    }
}
