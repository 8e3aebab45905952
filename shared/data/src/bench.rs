//! `auster bench data`: first load of the full bundled S&P 500 history, a cached fetch,
//! coalesced concurrent fetches and a synthetic chain, with figures printed (targets:
//! first load < 5 ms, cache hit < 50 µs, one upstream call for concurrent identical fetches).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use auster_engine::data::BoxFuture;
use auster_engine::{content_hash, DataError, DataRequest, DataSource, Fetched, Series, Value};

use crate::bundled::BundledSource;
use crate::config::DataMode;
use crate::gateway::Gateway;

/// The datasets folder: `AUSTER_DATASETS`, else `seeds/data`, else the repository's copy.
fn datasets_root() -> Result<PathBuf, String> {
    let candidates = [
        std::env::var("AUSTER_DATASETS").ok().map(PathBuf::from),
        Some(PathBuf::from("seeds/data")),
        Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../seeds/data"
        ))),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("market/SPX.csv").is_file())
        .ok_or_else(|| {
            "bench data: market/SPX.csv not found under AUSTER_DATASETS or seeds/data".into()
        })
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn pct(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// A slow upstream that counts its calls, standing in for a live provider.
struct CountingUpstream {
    calls: AtomicUsize,
    delay: Duration,
}

impl DataSource for CountingUpstream {
    fn fetch<'a>(&'a self, _req: &'a DataRequest) -> BoxFuture<'a, Result<Fetched, DataError>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            let value = Value::Series(Series::from_vecs(vec![0, 1, 2], vec![1.0, 2.0, 3.0]));
            let hash = content_hash(&value);
            Ok(Fetched {
                value,
                provider: "upstream".into(),
                dataset: "macro/BENCH".into(),
                hash,
            })
        })
    }
}

/// Runs the data benchmarks and returns a printable report.
pub fn bench_report() -> Result<String, String> {
    let root = datasets_root()?;
    let spx = DataRequest::Market {
        symbol: "SPX".into(),
        start: None,
        end: None,
    };
    let mut out = String::new();
    out.push_str(&format!("data benchmarks (datasets: {})\n", root.display()));

    // 1. First load: a fresh source each time reads, parses, slices and hashes the file.
    let mut first = Vec::new();
    let mut rows = 0;
    for _ in 0..30 {
        let src = BundledSource::new(&root);
        let t = Instant::now();
        let f = src.fetch_now(&spx).map_err(|e| e.to_string())?;
        first.push(micros(t.elapsed()));
        rows = f.value.len();
    }
    out.push_str(&format!(
        "  first load market/SPX ({rows} rows): median {:.0} µs, min {:.0} µs (target < 5000 µs)\n",
        median(first.clone()),
        first.iter().cloned().fold(f64::INFINITY, f64::min)
    ));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("bench data: cannot start a runtime: {e}"))?;

    // 2. Cache hits through the gateway.
    let gw = Gateway::from_parts(DataMode::Bundled, &root, None, None);
    let hits = rt.block_on(async {
        gw.get(&spx).await.map_err(|e| e.to_string())?;
        let mut v = Vec::with_capacity(2000);
        for _ in 0..2000 {
            let t = Instant::now();
            let f = gw.get(&spx).await.map_err(|e| e.to_string())?;
            v.push(micros(t.elapsed()));
            std::hint::black_box(f);
        }
        Ok::<_, String>(v)
    })?;
    out.push_str(&format!(
        "  cached fetch market/SPX: median {:.1} µs, p99 {:.1} µs (target < 50 µs)\n",
        median(hits.clone()),
        pct(hits, 0.99)
    ));

    // 3. Coalescing: 64 concurrent identical fetches of a slow upstream.
    let upstream = Arc::new(CountingUpstream {
        calls: AtomicUsize::new(0),
        delay: Duration::from_millis(20),
    });
    let gw = Gateway::from_parts(
        DataMode::Live,
        &root,
        Some(Arc::clone(&upstream) as Arc<dyn DataSource>),
        None,
    );
    let req = DataRequest::Macro {
        series_id: "BENCH".into(),
        start: None,
        end: None,
    };
    let (elapsed, ok) = rt.block_on(async {
        let t = Instant::now();
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let gw = gw.clone();
                let req = req.clone();
                tokio::spawn(async move { gw.get(&req).await.is_ok() })
            })
            .collect();
        let mut ok = 0;
        for task in tasks {
            if task.await.unwrap_or(false) {
                ok += 1;
            }
        }
        (t.elapsed(), ok)
    });
    out.push_str(&format!(
        "  coalesced: 64 concurrent fetches ({ok} ok) → {} upstream call(s) in {:.1} ms \
         (upstream takes 20 ms; target 1 call)\n",
        upstream.calls.load(Ordering::SeqCst),
        elapsed.as_secs_f64() * 1e3
    ));

    // 4. A full synthetic SPX chain (every expiration) on a date with bundled VIX.
    let gw = Gateway::from_parts(DataMode::Bundled, &root, None, None);
    let chain = DataRequest::OptionsChain {
        symbol: "SPX".into(),
        expiration: None,
        as_of: auster_engine::date::parse_iso("2018-06-01"),
    };
    let t = Instant::now();
    let f = rt.block_on(gw.get(&chain)).map_err(|e| e.to_string())?;
    out.push_str(&format!(
        "  synthetic chain SPX 2018-06-01: {} contracts in {:.2} ms\n",
        f.value.len(),
        t.elapsed().as_secs_f64() * 1e3
    ));
    Ok(out)
}
