//! Live providers against a real HTTP server on 127.0.0.1 serving fixtures in the
//! providers' documented shapes; the gateway's routing, caching and coalescing; bundled
//! and synthetic data offline.

mod support;

use std::sync::Arc;
use std::time::Duration;

use auster_data::{
    ApiKey, CacheEntry, DataMode, FredSource, Gateway, HttpSettings, L2Cache, MemoryL2,
    PolygonSource, ProviderConfig, CHAIN_COLUMNS,
};
use auster_engine::date::{format_iso, parse_iso};
use auster_engine::{content_hash, DataError, DataRequest, DataSource, Value};
use support::{FakeServer, Reply};

const KEY: &str = "test-key-8f3a9c";
const DATASETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../seeds/data");

fn settings() -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_millis(400),
        connect_timeout: Duration::from_millis(400),
        max_retries: 2,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_secs(2),
        max_concurrency: 4,
    }
}

fn provider(server: &FakeServer) -> ProviderConfig {
    ProviderConfig {
        base_url: server.base.clone(),
        key: ApiKey::new(KEY).unwrap(),
        http: settings(),
    }
}

fn day(s: &str) -> Option<i32> {
    Some(parse_iso(s).unwrap())
}

fn macro_req(id: &str, start: Option<i32>, end: Option<i32>) -> DataRequest {
    DataRequest::Macro {
        series_id: id.into(),
        start,
        end,
    }
}

fn market_req(sym: &str, start: Option<i32>, end: Option<i32>) -> DataRequest {
    DataRequest::Market {
        symbol: sym.into(),
        start,
        end,
    }
}

/// The key must never appear in an error message.
fn no_key(e: &DataError) -> String {
    let m = e.to_string();
    assert!(!m.contains(KEY), "key leaked into: {m}");
    m
}

fn series(v: &Value) -> (Vec<String>, Vec<f64>) {
    match v {
        Value::Series(s) => (
            s.dates.iter().map(|&d| format_iso(d)).collect(),
            s.values.to_vec(),
        ),
        other => panic!("expected a series, got {other:?}"),
    }
}

// ---- FRED ------------------------------------------------------------------------------

const FRED_OK: &str = r#"{"realtime_start":"2024-01-01","realtime_end":"2024-01-01",
 "observation_start":"2019-01-01","observation_end":"2019-01-04","units":"lin",
 "output_type":1,"file_type":"json","order_by":"observation_date","sort_order":"asc",
 "count":3,"offset":0,"limit":100000,"observations":[
 {"realtime_start":"2024-01-01","realtime_end":"2024-01-01","date":"2019-01-02","value":"46.31"},
 {"realtime_start":"2024-01-01","realtime_end":"2024-01-01","date":"2019-01-03","value":"."},
 {"realtime_start":"2024-01-01","realtime_end":"2024-01-01","date":"2019-01-04","value":"47.96"}]}"#;

#[tokio::test]
async fn fred_parses_string_values_drops_missing_and_sends_the_documented_request() {
    let server = FakeServer::start(|_, _| Reply::json(200, FRED_OK)).await;
    let fred = FredSource::new(&provider(&server)).unwrap();
    let f = fred
        .fetch(&macro_req(
            "DCOILWTICO",
            day("2019-01-01"),
            day("2019-01-04"),
        ))
        .await
        .unwrap();
    assert_eq!(f.provider, "fred");
    assert_eq!(f.dataset, "macro/DCOILWTICO");
    assert_eq!(f.hash, content_hash(&f.value));
    let (d, v) = series(&f.value);
    assert_eq!(d, ["2019-01-02", "2019-01-04"]);
    assert_eq!(v, [46.31, 47.96]);
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let q = &seen[0].query;
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path, "/fred/series/observations");
    assert_eq!(q["series_id"], "DCOILWTICO");
    assert_eq!(q["api_key"], KEY);
    assert_eq!(q["file_type"], "json");
    assert_eq!(q["observation_start"], "2019-01-01");
    assert_eq!(q["observation_end"], "2019-01-04");
    assert!(!seen[0].headers.contains_key("authorization"));
}

#[tokio::test]
async fn fred_serves_bitcoin_as_cbbtcusd() {
    let server = FakeServer::start(|_, _| Reply::json(200, FRED_OK)).await;
    let fred = FredSource::new(&provider(&server)).unwrap();
    let req = DataRequest::Crypto {
        asset: "btc".into(),
        start: None,
        end: None,
    };
    let f = fred.fetch(&req).await.unwrap();
    assert_eq!(f.dataset, "crypto/BTC");
    assert_eq!(server.seen()[0].query["series_id"], "CBBTCUSD");
    assert!(!server.seen()[0].query.contains_key("observation_start"));
}

#[tokio::test]
async fn fred_unknown_series_bad_key_and_empty_range_are_clear_errors() {
    let server = FakeServer::start(|req, _| match req.query["series_id"].as_str() {
        "NOPE" => Reply::json(
            400,
            r#"{"error_code":400,"error_message":"Bad Request.  The series does not exist."}"#,
        ),
        "BADKEY" => Reply::json(
            400,
            &format!(
                r#"{{"error_code":400,"error_message":"Bad Request.  The value for variable api_key is not registered: {KEY}"}}"#
            ),
        ),
        _ => Reply::json(200, r#"{"count":0,"offset":0,"limit":100000,"observations":[]}"#),
    })
    .await;
    let fred = FredSource::new(&provider(&server)).unwrap();
    let e = fred
        .fetch(&macro_req("NOPE", None, None))
        .await
        .unwrap_err();
    assert!(matches!(e, DataError::NotFound(_)));
    assert!(no_key(&e).contains("FRED has no series NOPE"));
    let e = fred
        .fetch(&macro_req("BADKEY", None, None))
        .await
        .unwrap_err();
    assert!(no_key(&e).contains("FRED_API_KEY"), "{e}");
    let e = fred
        .fetch(&macro_req("GDP", day("1900-01-01"), day("1900-12-31")))
        .await
        .unwrap_err();
    assert!(
        no_key(&e).contains("no observations between 1900-01-01 and 1900-12-31"),
        "{e}"
    );
    let e = fred
        .fetch(&macro_req("bad id!", None, None))
        .await
        .unwrap_err();
    assert!(matches!(e, DataError::Invalid(_)) && e.to_string().contains("letters, digits"));
    // Bad ids are refused before any request is made.
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn a_429_without_body_then_success_is_retried() {
    let server = FakeServer::start(|_, i| {
        if i == 0 {
            Reply::json(429, "").header("Retry-After", "0")
        } else {
            Reply::json(200, FRED_OK)
        }
    })
    .await;
    let fred = FredSource::new(&provider(&server)).unwrap();
    let f = fred
        .fetch(&macro_req("DCOILWTICO", None, None))
        .await
        .unwrap();
    assert_eq!(f.value.len(), 2);
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn retry_after_beyond_the_limit_fails_fast() {
    let server = FakeServer::start(|_, _| {
        Reply::json(429, r#"{"status":"ERROR","error":"rate limit"}"#).header("Retry-After", "3600")
    })
    .await;
    let fred = FredSource::new(&provider(&server)).unwrap();
    let e = fred.fetch(&macro_req("GDP", None, None)).await.unwrap_err();
    assert!(no_key(&e).contains("retry after 3600 s"), "{e}");
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn persistent_500s_give_up_after_the_retries() {
    let server = FakeServer::start(|_, _| Reply::json(500, "oops")).await;
    let fred = FredSource::new(&provider(&server)).unwrap();
    let e = fred.fetch(&macro_req("GDP", None, None)).await.unwrap_err();
    assert!(matches!(e, DataError::Unavailable(_)));
    let m = no_key(&e);
    assert!(
        m.contains("failed after 3 attempts") && m.contains("HTTP 500"),
        "{m}"
    );
    assert!(!m.contains("api_key"), "{m}");
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn malformed_bodies_are_reported() {
    let server = FakeServer::start(|_, _| Reply::json(200, "{\"observations\": [tru")).await;
    let fred = FredSource::new(&provider(&server)).unwrap();
    let e = fred.fetch(&macro_req("GDP", None, None)).await.unwrap_err();
    assert!(no_key(&e).contains("malformed body"), "{e}");
    let server = FakeServer::start(|_, _| Reply::json(200, r#"{"seriess":[]}"#)).await;
    let fred = FredSource::new(&provider(&server)).unwrap();
    let e = fred.fetch(&macro_req("GDP", None, None)).await.unwrap_err();
    assert!(
        e.to_string().contains("without an `observations` list"),
        "{e}"
    );
}

#[tokio::test]
async fn slow_responses_time_out_and_are_retried() {
    let server =
        FakeServer::start(|_, _| Reply::json(200, FRED_OK).after(Duration::from_secs(3))).await;
    let fred = FredSource::new(&provider(&server)).unwrap();
    let t = std::time::Instant::now();
    let e = fred.fetch(&macro_req("GDP", None, None)).await.unwrap_err();
    assert!(no_key(&e).contains("timed out after 400 ms"), "{e}");
    assert_eq!(server.seen().len(), 3);
    assert!(t.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn unreachable_provider_is_unavailable_without_leaking_the_url() {
    // Bind then drop a listener so nothing answers on that port.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = ProviderConfig {
        base_url: format!("http://127.0.0.1:{port}"),
        key: ApiKey::new(KEY).unwrap(),
        http: settings(),
    };
    let e = FredSource::new(&cfg)
        .unwrap()
        .fetch(&macro_req("GDP", None, None))
        .await
        .unwrap_err();
    assert!(matches!(e, DataError::Unavailable(_)), "{e}");
    assert!(!no_key(&e).contains("api_key"));
}

// ---- Polygon ---------------------------------------------------------------------------

fn bar(t_ms: i64, c: f64) -> String {
    format!(
        r#"{{"v":1000,"vw":{c},"o":{c},"c":{c},"h":{h},"l":{l},"t":{t_ms},"n":10}}"#,
        h = c + 1.0,
        l = c - 1.0
    )
}

#[tokio::test]
async fn polygon_aggregates_follow_next_url_with_bearer_auth() {
    // 2020-01-02/03/06 05:00 UTC (US session starts, in ms).
    let server = FakeServer::start(move |req, _| {
        let base = format!("http://{}", req.headers["host"]);
        if req.query.get("cursor").map(String::as_str) == Some("p2") {
            Reply::json(
                200,
                &format!(
                    r#"{{"ticker":"I:SPX","adjusted":true,"queryCount":1,"resultsCount":1,"status":"OK","request_id":"b","results":[{}]}}"#,
                    bar(1_578_286_800_000, 3246.28)
                ),
            )
        } else {
            Reply::json(
                200,
                &format!(
                    r#"{{"ticker":"I:SPX","adjusted":true,"queryCount":2,"resultsCount":2,"status":"OK","request_id":"a","results":[{},{}],"next_url":"{base}/v2/aggs/ticker/I:SPX/range/1/day/1577923200000/2020-01-10?cursor=p2"}}"#,
                    bar(1_577_941_200_000, 3257.85),
                    bar(1_578_027_600_000, 3234.85)
                ),
            )
        }
    })
    .await;
    let poly = PolygonSource::new(&provider(&server)).unwrap();
    let f = poly
        .fetch(&market_req("SPX", day("2020-01-01"), day("2020-01-10")))
        .await
        .unwrap();
    assert_eq!(
        (f.provider.as_str(), f.dataset.as_str()),
        ("polygon", "market/SPX")
    );
    let Value::Frame(fr) = &f.value else { panic!() };
    let dates: Vec<String> = fr.dates.iter().map(|&d| format_iso(d)).collect();
    assert_eq!(dates, ["2020-01-02", "2020-01-03", "2020-01-06"]);
    assert_eq!(fr.column("close").unwrap(), [3257.85, 3234.85, 3246.28]);
    assert_eq!(
        fr.column_names(),
        ["open", "high", "low", "close", "volume"]
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].path,
        "/v2/aggs/ticker/I:SPX/range/1/day/2020-01-01/2020-01-10"
    );
    assert_eq!(seen[0].query["adjusted"], "true");
    assert_eq!(seen[0].query["sort"], "asc");
    assert_eq!(seen[0].query["limit"], "50000");
    for s in &seen {
        assert_eq!(s.headers["authorization"], format!("Bearer {KEY}"));
        assert!(!s.raw_query.contains(KEY));
    }
    assert_eq!(seen[1].query["cursor"], "p2");
}

#[tokio::test]
async fn polygon_stops_on_a_repeated_cursor() {
    let server = FakeServer::start(|req, _| {
        let base = format!("http://{}", req.headers["host"]);
        Reply::json(
            200,
            &format!(
                r#"{{"status":"OK","resultsCount":1,"results":[{}],"next_url":"{base}/v2/aggs/ticker/X:BTCUSD/range/1/day/a/b?cursor=same"}}"#,
                bar(1_577_836_800_000, 7200.0)
            ),
        )
    })
    .await;
    let poly = PolygonSource::new(&provider(&server)).unwrap();
    let req = DataRequest::Crypto {
        asset: "BTC".into(),
        start: day("2020-01-01"),
        end: day("2020-01-01"),
    };
    let f = poly.fetch(&req).await.unwrap();
    assert_eq!(f.dataset, "crypto/BTC");
    assert_eq!(series(&f.value).1, [7200.0]);
    let seen = server.seen();
    assert_eq!(
        seen.len(),
        2,
        "first page plus one follow of the cursor, then stop"
    );
    assert!(seen[0]
        .path
        .starts_with("/v2/aggs/ticker/X:BTCUSD/range/1/day/2020-01-01/2020-01-01"));
}

#[tokio::test]
async fn polygon_empty_range_omits_results_and_says_so() {
    let server = FakeServer::start(|_, _| {
        Reply::json(
            200,
            r#"{"ticker":"ZZZZ","queryCount":0,"resultsCount":0,"adjusted":true,"status":"OK","request_id":"x"}"#,
        )
    })
    .await;
    let poly = PolygonSource::new(&provider(&server)).unwrap();
    let e = poly
        .fetch(&market_req("ZZZZ", day("2020-01-04"), day("2020-01-05")))
        .await
        .unwrap_err();
    assert!(matches!(e, DataError::NotFound(_)));
    assert!(
        no_key(&e).contains("no daily bars for ZZZZ between 2020-01-04 and 2020-01-05"),
        "{e}"
    );
}

#[tokio::test]
async fn polygon_429_with_json_body_then_success() {
    let server = FakeServer::start(|_, i| {
        if i == 0 {
            Reply::json(
                429,
                r#"{"status":"ERROR","request_id":"r","error":"You've exceeded the maximum requests per minute"}"#,
            )
        } else {
            Reply::json(200, &format!(r#"{{"status":"OK","results":[{}]}}"#, bar(1_577_941_200_000, 1.0)))
        }
    })
    .await;
    let poly = PolygonSource::new(&provider(&server)).unwrap();
    poly.fetch(&market_req("AAPL", day("2020-01-01"), day("2020-01-03")))
        .await
        .unwrap();
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn polygon_refusals_and_foreign_next_urls_are_errors() {
    let server = FakeServer::start(|req, _| {
        if req.path.contains("NOAUTH") {
            Reply::json(
                403,
                r#"{"status":"NOT_AUTHORIZED","request_id":"r","message":"You are not entitled to this data. Please upgrade your plan."}"#,
            )
        } else {
            Reply::json(
                200,
                &format!(
                    r#"{{"status":"OK","results":[{}],"next_url":"https://evil.example/v2/x?cursor=1"}}"#,
                    bar(1_577_941_200_000, 1.0)
                ),
            )
        }
    })
    .await;
    let poly = PolygonSource::new(&provider(&server)).unwrap();
    let e = poly
        .fetch(&market_req("NOAUTH", None, None))
        .await
        .unwrap_err();
    let m = no_key(&e);
    assert!(m.contains("HTTP 403") && m.contains("not entitled"), "{m}");
    let e = poly
        .fetch(&market_req("AAPL", None, None))
        .await
        .unwrap_err();
    assert!(no_key(&e).contains("another host (evil.example)"), "{e}");
    assert_eq!(
        server.seen().len(),
        2,
        "the foreign next_url was not followed"
    );
}

const CHAIN: &str = r#"{"status":"OK","request_id":"c","results":[
 {"break_even_price":451.2,"day":{"close":6.1,"volume":1200,"open":5.9},
  "details":{"contract_type":"put","exercise_style":"american","expiration_date":"2024-06-21","shares_per_contract":100,"strike_price":440,"ticker":"O:SPY240621P00440000"},
  "greeks":{"delta":-0.31,"gamma":0.012,"theta":-0.08,"vega":0.42},
  "implied_volatility":0.182,"last_quote":{"bid":6.0,"ask":6.2,"midpoint":6.1},
  "open_interest":15000,"underlying_asset":{"price":450.1,"ticker":"SPY"}},
 {"details":{"contract_type":"call","expiration_date":"2024-06-21","strike_price":460,"ticker":"O:SPY240621C00460000"},
  "greeks":{},"open_interest":9000,"last_quote":{"bid":2.1,"ask":2.3},"underlying_asset":{"price":450.1}}]}"#;

#[tokio::test]
async fn polygon_option_chain_snapshot_maps_to_the_chain_columns() {
    let server = FakeServer::start(|_, _| Reply::json(200, CHAIN)).await;
    let poly = PolygonSource::new(&provider(&server)).unwrap();
    let req = DataRequest::OptionsChain {
        symbol: "SPY".into(),
        expiration: day("2024-06-21"),
        as_of: None,
    };
    let f = poly.fetch(&req).await.unwrap();
    assert_eq!(f.dataset, "options/SPY");
    let Value::Table(t) = &f.value else { panic!() };
    let names: Vec<&str> = t.columns.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, CHAIN_COLUMNS);
    // Sorted by expiration, then call before put.
    assert_eq!(t.text_column("contract_type").unwrap(), ["call", "put"]);
    assert_eq!(
        t.text_column("expiration").unwrap(),
        ["2024-06-21", "2024-06-21"]
    );
    assert_eq!(t.num_column("strike").unwrap(), [460.0, 440.0]);
    assert_eq!(t.num_column("bid").unwrap(), [2.1, 6.0]);
    assert_eq!(t.num_column("last").unwrap()[1], 6.1);
    assert!(
        t.num_column("delta").unwrap()[0].is_nan(),
        "empty greeks → NaN"
    );
    assert_eq!(t.num_column("delta").unwrap()[1], -0.31);
    assert_eq!(t.num_column("open_interest").unwrap(), [9000.0, 15000.0]);
    assert_eq!(t.num_column("underlying_price").unwrap(), [450.1, 450.1]);
    let s = &server.seen()[0];
    assert_eq!(s.path, "/v3/snapshot/options/SPY");
    assert_eq!(s.query["expiration_date"], "2024-06-21");
    assert_eq!(s.query["limit"], "250");
    assert_eq!(s.headers["authorization"], format!("Bearer {KEY}"));
    // Past snapshots do not exist.
    let past = DataRequest::OptionsChain {
        symbol: "SPY".into(),
        expiration: None,
        as_of: day("2020-01-02"),
    };
    let e = poly.fetch(&past).await.unwrap_err();
    assert!(e.to_string().contains("synthetic"), "{e}");
}

// ---- Gateway ---------------------------------------------------------------------------

fn live_gateway(fred: Option<&FakeServer>, polygon: Option<&FakeServer>) -> Gateway {
    let fred =
        fred.map(|s| Arc::new(FredSource::new(&provider(s)).unwrap()) as Arc<dyn DataSource>);
    let polygon =
        polygon.map(|s| Arc::new(PolygonSource::new(&provider(s)).unwrap()) as Arc<dyn DataSource>);
    Gateway::from_parts(DataMode::Live, DATASETS, fred, polygon)
}

#[tokio::test]
async fn concurrent_identical_fetches_hit_the_provider_once() {
    let server = FakeServer::start(|_, _| {
        Reply::json(
            200,
            &format!(
                r#"{{"status":"OK","results":[{}]}}"#,
                bar(1_577_941_200_000, 5.0)
            ),
        )
        .after(Duration::from_millis(150))
    })
    .await;
    let gw = live_gateway(None, Some(&server));
    let req = market_req("AAPL", day("2020-01-01"), day("2020-01-03"));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let gw = gw.clone();
            let req = req.clone();
            tokio::spawn(async move { gw.get(&req).await })
        })
        .collect();
    let mut hashes = Vec::new();
    for t in tasks {
        let f = t.await.unwrap().unwrap();
        assert_eq!(f.provider, "polygon");
        hashes.push(f.hash);
    }
    assert_eq!(
        server.seen().len(),
        1,
        "16 concurrent fetches, one upstream call"
    );
    assert!(hashes.windows(2).all(|w| w[0] == w[1]));
    // And afterwards the L1 cache answers.
    gw.get(&req).await.unwrap();
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn errors_are_coalesced_too_and_not_cached() {
    let server = FakeServer::start(|_, _| {
        Reply::json(404, r#"{"status":"NOT_FOUND","message":"no such ticker"}"#)
            .after(Duration::from_millis(100))
    })
    .await;
    let gw = live_gateway(None, Some(&server));
    let req = market_req("QQQQQ", None, None);
    let (a, b) = tokio::join!(gw.get(&req), gw.get(&req));
    // Polygon does not know it, nor does the bundle: both messages are given.
    let m = a.unwrap_err().to_string();
    assert!(m.contains("no such ticker") && m.contains("SPX"), "{m}");
    assert!(b.is_err());
    assert_eq!(server.seen().len(), 1);
    let _ = gw.get(&req).await;
    assert_eq!(server.seen().len(), 2, "errors are not cached");
}

#[tokio::test]
async fn l2_serves_a_new_process_and_expired_entries_are_ignored() {
    let server = FakeServer::start(|_, _| Reply::json(200, FRED_OK)).await;
    let l2 = Arc::new(MemoryL2::new());
    let req = macro_req("DCOILWTICO", None, None);
    let first = live_gateway(Some(&server), None).with_l2(l2.clone() as Arc<dyn L2Cache>);
    let a = first.get(&req).await.unwrap();
    assert_eq!(server.seen().len(), 1);
    assert_eq!(l2.len(), 1);
    // A fresh gateway (empty L1) sharing the L2: no upstream call, same data and hash.
    let second = live_gateway(Some(&server), None).with_l2(l2.clone() as Arc<dyn L2Cache>);
    let b = second.get(&req).await.unwrap();
    assert_eq!(server.seen().len(), 1);
    assert_eq!((a.hash, a.provider), (b.hash, b.provider));
    // A backend that keeps expired entries (no TTL enforcement): they must not be used.
    struct Expired(Arc<MemoryL2>);
    impl L2Cache for Expired {
        fn get<'a>(
            &'a self,
            key: &'a str,
        ) -> auster_engine::data::BoxFuture<'a, Result<Option<CacheEntry>, String>> {
            Box::pin(async move {
                Ok(self.0.get(key).await?.map(|mut e| {
                    e.expires_at = 1;
                    e
                }))
            })
        }
        fn put<'a>(
            &'a self,
            key: &'a str,
            entry: CacheEntry,
        ) -> auster_engine::data::BoxFuture<'a, Result<(), String>> {
            self.0.put(key, entry)
        }
    }
    let third = live_gateway(Some(&server), None)
        .with_l2(Arc::new(Expired(l2.clone())) as Arc<dyn L2Cache>);
    third.get(&req).await.unwrap();
    assert_eq!(
        server.seen().len(),
        2,
        "an expired L2 entry sends the fetch upstream"
    );
}

#[tokio::test]
async fn live_mode_falls_back_to_the_bundle_for_names_fred_does_not_have() {
    let server = FakeServer::start(|_, _| {
        Reply::json(
            400,
            r#"{"error_code":400,"error_message":"Bad Request.  The series does not exist."}"#,
        )
    })
    .await;
    let gw = live_gateway(Some(&server), None);
    let f = gw.get(&macro_req("FF_MKT_RF", None, None)).await.unwrap();
    assert_eq!(f.provider, "bundled");
    let e = gw.get(&macro_req("NOSUCH", None, None)).await.unwrap_err();
    let m = no_key(&e);
    assert!(
        m.contains("FRED has no series NOSUCH") && m.contains("DCOILWTICO"),
        "{m}"
    );
    // Market data without a Polygon key comes from the bundle.
    let f = gw.get(&market_req("SPX", None, None)).await.unwrap();
    assert_eq!(f.provider, "bundled");
}

#[tokio::test]
async fn offline_gateway_serves_spx_wti_btc_and_synthetic_chains() {
    let gw = Gateway::from_parts(DataMode::Bundled, DATASETS, None, None);
    for (req, dataset, min_len) in [
        (market_req("SPX", None, None), "market/SPX", 5000),
        (
            macro_req("DCOILWTICO", None, None),
            "macro/DCOILWTICO",
            8000,
        ),
        (
            DataRequest::Crypto {
                asset: "BTC".into(),
                start: None,
                end: None,
            },
            "crypto/BTC",
            5800,
        ),
    ] {
        let f = gw.get(&req).await.unwrap();
        assert_eq!(
            (f.provider.as_str(), f.dataset.as_str()),
            ("bundled", dataset)
        );
        assert!(f.value.len() >= min_len, "{dataset}: {}", f.value.len());
        assert_eq!(f.hash, content_hash(&f.value));
    }
    let f = gw
        .get(&market_req("SPX", day("2018-12-24"), day("2018-12-31")))
        .await
        .unwrap();
    let Value::Frame(fr) = &f.value else { panic!() };
    assert_eq!(fr.column("close").unwrap().last(), Some(&2506.850098));
    assert_eq!(fr.len(), 5);
    let chain = DataRequest::OptionsChain {
        symbol: "SPX".into(),
        expiration: day("2018-07-20"),
        as_of: day("2018-06-01"),
    };
    let f = gw.get(&chain).await.unwrap();
    assert_eq!(
        (f.provider.as_str(), f.dataset.as_str()),
        ("synthetic", "options/SPX")
    );
    // Clear errors naming what is available.
    let e = gw
        .get(&market_req("SPY", None, None))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("IXIC, MSFT, SPX") && e.contains("AUSTER_DATA=live"),
        "{e}"
    );
    let e = gw
        .get(&market_req("SPX", day("2030-01-01"), day("2030-02-01")))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("covers 1999-01-04 to 2018-12-31"), "{e}");
    let e = gw
        .get(&market_req("SPX", day("2018-02-01"), day("2018-01-01")))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("after end_date"), "{e}");
}
