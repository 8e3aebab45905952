//! The gateway: routes each request to a provider (by `AUSTER_DATA` and the keys present),
//! caches results in L1 and L2 with per-source TTLs, and coalesces concurrent identical
//! fetches so the provider sees one call.
//!
//! Routes in live mode: market bars and today's option chains from Polygon (when
//! `POLYGON_API_KEY` is set); macro series from FRED (when `FRED_API_KEY` is set); crypto
//! from Polygon `X:<ASSET>USD`, else FRED `CB<ASSET>USD`. Past-dated option chains are
//! synthetic. Everything else, and anything a live provider does not know but the bundle
//! has (e.g. `FF_MKT_RF`), comes from the bundled datasets, labelled `bundled`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auster_engine::data::BoxFuture;
use auster_engine::{DataError, DataRequest, DataSource, Fetched};
use futures::future::{FutureExt, Shared};

use crate::bundled::BundledSource;
use crate::cache::{decode, encode, unix_now, CacheEntry, L1Cache, L2Cache};
use crate::config::{ConfigError, DataMode, GatewayConfig};
use crate::fred::FredSource;
use crate::polygon::PolygonSource;
use crate::synthetic::SyntheticSource;
use crate::util::{iso_or, today};

/// How long each source's results stay cached.
#[derive(Debug, Clone, PartialEq)]
pub struct Ttls {
    /// Bundled datasets (immutable files).
    pub bundled: Duration,
    /// Synthetic chains (deterministic).
    pub synthetic: Duration,
    /// FRED series (daily at most).
    pub fred: Duration,
    /// Polygon daily bars.
    pub polygon_bars: Duration,
    /// Polygon option chain snapshots (quotes move).
    pub polygon_chain: Duration,
}

impl Default for Ttls {
    fn default() -> Self {
        Self {
            bundled: Duration::from_secs(24 * 3600),
            synthetic: Duration::from_secs(24 * 3600),
            fred: Duration::from_secs(6 * 3600),
            polygon_bars: Duration::from_secs(3600),
            polygon_chain: Duration::from_secs(60),
        }
    }
}

type SharedFetch = Shared<BoxFuture<'static, Result<Arc<Fetched>, DataError>>>;

/// One way to serve a request.
#[derive(Clone)]
struct Route {
    name: &'static str,
    source: Arc<dyn DataSource>,
    ttl: Duration,
    /// Whether L2 is worth it (remote calls); local sources are faster than any L2.
    l2: bool,
}

struct Inner {
    mode: DataMode,
    bundled: Arc<BundledSource>,
    synthetic: Arc<SyntheticSource>,
    fred: Option<Arc<dyn DataSource>>,
    polygon: Option<Arc<dyn DataSource>>,
    l1: L1Cache,
    l2: Option<Arc<dyn L2Cache>>,
    ttls: Ttls,
    inflight: Mutex<HashMap<String, SharedFetch>>,
}

/// The data gateway; cheap to clone (shared state).
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

/// Default L1 bounds: 512 entries, 256 MB.
const L1_ENTRIES: usize = 512;
const L1_BYTES: usize = 256 << 20;

impl Gateway {
    /// A gateway for `cfg` (providers are built for the keys present).
    pub fn new(cfg: &GatewayConfig) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let fred = match &cfg.fred {
            Some(p) => match FredSource::new(p) {
                Ok(s) => Some(Arc::new(s) as Arc<dyn DataSource>),
                Err(e) => {
                    problems.push(e);
                    None
                }
            },
            None => None,
        };
        let polygon = match &cfg.polygon {
            Some(p) => match PolygonSource::new(p) {
                Ok(s) => Some(Arc::new(s) as Arc<dyn DataSource>),
                Err(e) => {
                    problems.push(e);
                    None
                }
            },
            None => None,
        };
        if !problems.is_empty() {
            return Err(ConfigError(problems));
        }
        Ok(Self::from_parts(cfg.mode, &cfg.datasets, fred, polygon))
    }

    /// A gateway from the environment ([`GatewayConfig::from_env`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::new(&GatewayConfig::from_env()?)
    }

    /// A gateway over explicit providers (any `DataSource` may stand in for FRED or Polygon).
    pub fn from_parts(
        mode: DataMode,
        datasets: impl Into<std::path::PathBuf>,
        fred: Option<Arc<dyn DataSource>>,
        polygon: Option<Arc<dyn DataSource>>,
    ) -> Self {
        let bundled = Arc::new(BundledSource::new(datasets));
        let synthetic = Arc::new(SyntheticSource::new(Arc::clone(&bundled)));
        Self {
            inner: Arc::new(Inner {
                mode,
                bundled,
                synthetic,
                fred,
                polygon,
                l1: L1Cache::new(L1_ENTRIES, L1_BYTES),
                l2: None,
                ttls: Ttls::default(),
                inflight: Mutex::new(HashMap::new()),
            }),
        }
    }

    fn rebuild(self, f: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = match Arc::try_unwrap(self.inner) {
            Ok(i) => i,
            Err(shared) => Inner {
                mode: shared.mode,
                bundled: Arc::clone(&shared.bundled),
                synthetic: Arc::clone(&shared.synthetic),
                fred: shared.fred.clone(),
                polygon: shared.polygon.clone(),
                l1: L1Cache::new(L1_ENTRIES, L1_BYTES),
                l2: shared.l2.clone(),
                ttls: shared.ttls.clone(),
                inflight: Mutex::new(HashMap::new()),
            },
        };
        f(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Adds a second-level cache (the store's SQLite or DynamoDB implementation).
    pub fn with_l2(self, l2: Arc<dyn L2Cache>) -> Self {
        self.rebuild(|i| i.l2 = Some(l2))
    }

    /// Replaces the TTLs.
    pub fn with_ttls(self, ttls: Ttls) -> Self {
        self.rebuild(|i| i.ttls = ttls)
    }

    /// Replaces the L1 bounds.
    pub fn with_l1(self, max_entries: usize, max_bytes: usize) -> Self {
        self.rebuild(|i| i.l1 = L1Cache::new(max_entries, max_bytes))
    }

    /// The bundled datasets.
    pub fn bundled(&self) -> &BundledSource {
        &self.inner.bundled
    }

    /// Entries in the L1 cache.
    pub fn l1_len(&self) -> usize {
        self.inner.l1.len()
    }

    /// Fetches through the caches.
    pub async fn get(&self, req: &DataRequest) -> Result<Fetched, DataError> {
        Arc::clone(&self.inner).fetch(req).await
    }
}

impl Inner {
    fn routes(&self, req: &DataRequest) -> Vec<Route> {
        let t = &self.ttls;
        let bundled = Route {
            name: "bundled",
            source: Arc::clone(&self.bundled) as Arc<dyn DataSource>,
            ttl: t.bundled,
            l2: false,
        };
        let synthetic = Route {
            name: "synthetic",
            source: Arc::clone(&self.synthetic) as Arc<dyn DataSource>,
            ttl: t.synthetic,
            l2: false,
        };
        let live = self.mode == DataMode::Live;
        let fred = self.fred.as_ref().filter(|_| live).map(|s| Route {
            name: "fred",
            source: Arc::clone(s),
            ttl: t.fred,
            l2: true,
        });
        let polygon = |ttl| {
            self.polygon.as_ref().filter(|_| live).map(|s| Route {
                name: "polygon",
                source: Arc::clone(s),
                ttl,
                l2: true,
            })
        };
        let mut out: Vec<Route> = match req {
            DataRequest::Market { .. } => polygon(t.polygon_bars).into_iter().collect(),
            DataRequest::Macro { .. } => fred.into_iter().collect(),
            DataRequest::Crypto { .. } => polygon(t.polygon_bars).or(fred).into_iter().collect(),
            DataRequest::OptionsChain { as_of, .. } => {
                let now = as_of.is_none_or(|d| d == today());
                return match polygon(t.polygon_chain).filter(|_| now) {
                    Some(p) => vec![p],
                    None => vec![synthetic],
                };
            }
        };
        out.push(bundled);
        out
    }

    fn key(route: &Route, req: &DataRequest) -> String {
        let (start, end) = match req {
            DataRequest::Market { start, end, .. }
            | DataRequest::Macro { start, end, .. }
            | DataRequest::Crypto { start, end, .. } => (*start, *end),
            DataRequest::OptionsChain {
                expiration, as_of, ..
            } => (*expiration, *as_of),
        };
        // The as-of day keeps "latest" requests from outliving the day they were made on.
        format!(
            "data:v1|{}|{}|{}|{}|asof={}",
            route.name,
            req.label(),
            iso_or(start, "-"),
            iso_or(end, "-"),
            today()
        )
    }

    async fn fetch(self: Arc<Self>, req: &DataRequest) -> Result<Fetched, DataError> {
        let routes = self.routes(req);
        let n = routes.len();
        let mut misses: Vec<String> = Vec::new();
        for (i, route) in routes.into_iter().enumerate() {
            match Arc::clone(&self).fetch_via(route.clone(), req).await {
                Ok(f) => return Ok((*f).clone()),
                // Fall through to the bundle when a live provider does not know the name.
                Err(DataError::NotFound(m)) if i + 1 < n => misses.push(m),
                // The bundle's verdict alone would hide why the live provider had nothing.
                Err(e) if !misses.is_empty() => {
                    misses.push(e.to_string());
                    let m = misses.join(" ");
                    return Err(match e {
                        DataError::NotFound(_) => DataError::NotFound(m),
                        DataError::Invalid(_) => DataError::Invalid(m),
                        DataError::Unavailable(_) => DataError::Unavailable(m),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Err(DataError::NotFound(format!(
            "no provider serves {}",
            req.label()
        )))
    }

    async fn fetch_via(
        self: Arc<Self>,
        route: Route,
        req: &DataRequest,
    ) -> Result<Arc<Fetched>, DataError> {
        let key = Self::key(&route, req);
        if let Some(hit) = self.l1.get(&key) {
            return Ok(hit);
        }
        let shared = {
            let mut map = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
            match map.get(&key) {
                Some(f) => f.clone(),
                None => {
                    let inner = Arc::clone(&self);
                    let req = req.clone();
                    let k = key.clone();
                    let fut: BoxFuture<'static, Result<Arc<Fetched>, DataError>> =
                        Box::pin(async move {
                            let res = inner.load(&route, &req, &k).await;
                            inner
                                .inflight
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .remove(&k);
                            res
                        });
                    let f = fut.shared();
                    map.insert(key, f.clone());
                    f
                }
            }
        };
        shared.await
    }

    /// L2, then the provider; fills both caches.
    async fn load(
        &self,
        route: &Route,
        req: &DataRequest,
        key: &str,
    ) -> Result<Arc<Fetched>, DataError> {
        let l2 = self.l2.as_ref().filter(|_| route.l2);
        if let Some(l2) = l2 {
            match l2.get(key).await {
                // Expiry is checked here: not every backend drops expired items.
                Ok(Some(e)) if e.expires_at > unix_now() => match decode(&e.bytes) {
                    Ok(f) => {
                        let f = Arc::new(f);
                        let left = Duration::from_secs(e.expires_at - unix_now().min(e.expires_at));
                        self.l1.put(key, Arc::clone(&f), left.min(route.ttl));
                        return Ok(f);
                    }
                    Err(err) => tracing::warn!(key, "ignoring a bad L2 cache entry: {err}"),
                },
                Ok(_) => {}
                Err(err) => tracing::warn!(key, "L2 cache read failed: {err}"),
            }
        }
        let f = Arc::new(route.source.fetch(req).await?);
        self.l1.put(key, Arc::clone(&f), route.ttl);
        if let Some(l2) = l2 {
            match encode(&f) {
                Ok(bytes) => {
                    let entry = CacheEntry {
                        bytes,
                        expires_at: unix_now() + route.ttl.as_secs(),
                    };
                    if let Err(err) = l2.put(key, entry).await {
                        tracing::warn!(key, "L2 cache write failed: {err}");
                    }
                }
                Err(err) => tracing::warn!(key, "not caching in L2: {err}"),
            }
        }
        Ok(f)
    }
}

impl DataSource for Gateway {
    fn fetch<'a>(&'a self, request: &'a DataRequest) -> BoxFuture<'a, Result<Fetched, DataError>> {
        Box::pin(self.get(request))
    }
}
