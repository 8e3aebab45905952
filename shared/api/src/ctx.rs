//! [`Ctx`]: everything a route needs, built once per cold start.
//!
//! Building it opens the store (SQLite file or DynamoDB/S3 clients) and the data gateway;
//! routes only borrow it. Nothing here builds an SDK client per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auster_data::Gateway;
use auster_engine::Limits;
use auster_store::{Plan, Store, StoredBlob};
use auster_types::DataSourceRef;
use serde_json::{Map, Value};

use crate::config::{Config, StoreConfig};
use crate::l2::StoreL2;

/// The shared state of every route.
pub struct Ctx {
    /// Configuration read at start.
    pub config: Config,
    /// The store (one handle, shared).
    pub store: Arc<dyn Store>,
    /// The data gateway (L1 in process, L2 in the store).
    pub gateway: Gateway,
    /// Engine limits of API runs.
    pub limits: Limits,
    /// Results of recent identical runs (see [`RunCache`]).
    pub run_cache: RunCache,
    /// Recently authenticated keys (see [`AuthCache`]).
    pub auth_cache: AuthCache,
    /// Engine runs that may execute at once: one per core. More would only time-slice the
    /// cores between runs and starve the async workers that answer everything else
    /// (cached runs, the store's replies), which is what stretched the latency tail.
    pub compute_slots: tokio::sync::Semaphore,
    /// Whether a fresh run keeps its compute slot until its output blob and record are
    /// written. With the embedded store those writes are CPU work as well (hundreds of KB
    /// copied into the page cache, a file created, SQLite pages): letting more runs write
    /// at once than there are cores time-slices them and stretches every run's latency,
    /// while a first-come first-served queue of whole runs keeps the tail close to the
    /// median. A networked store's writes are waits, during which the core runs others.
    pub hold_slot_through_writes: bool,
}

impl Ctx {
    /// Opens the configured store and data gateway.
    pub async fn from_config(config: Config) -> Result<Self, String> {
        let store = match &config.store {
            StoreConfig::Sqlite { home } => auster_store::sqlite::open(home.clone())
                .await
                .map_err(|e| format!("cannot open the SQLite store in {}: {e}", home.display()))?,
            StoreConfig::Aws { table, bucket } => auster_store::aws::connect(
                auster_store::aws::AwsConfig::from_env(table.clone(), bucket.clone()),
            )
            .await
            .map_err(|e| format!("cannot connect to DynamoDB/S3: {e}"))?,
        };
        Self::with_store(config, store)
    }

    /// [`Config::from_env`] then [`Ctx::from_config`]: what every Lambda does on cold start.
    pub async fn from_env() -> Result<Self, String> {
        let config = Config::from_env().map_err(|e| e.to_string())?;
        Self::from_config(config).await
    }

    /// A context over an already opened store (tests, benchmarks, `auster serve`).
    pub fn with_store(config: Config, store: Arc<dyn Store>) -> Result<Self, String> {
        let gateway = Gateway::new(&config.data)
            .map_err(|e| format!("data gateway: {e}"))?
            .with_l2(Arc::new(StoreL2(store.clone())));
        let limits = Limits {
            timeout: config.run_timeout,
            ..Limits::default()
        };
        let hold_slot_through_writes = store.backend() == "sqlite";
        Ok(Self {
            config,
            hold_slot_through_writes,
            store,
            gateway,
            limits,
            run_cache: RunCache::new(RUN_CACHE_BYTES),
            auth_cache: AuthCache::new(Duration::from_secs(5)),
            compute_slots: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
        })
    }
}

/// Bytes of run results an instance keeps in memory (a 128 MB Lambda keeps room to work).
const RUN_CACHE_BYTES: usize = 48 << 20;

/// A computed run result, ready to answer every identical run without serialising it again.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedRun {
    /// Model that ran.
    pub model_slug: String,
    /// Version that ran.
    pub version: u32,
    /// Inputs after defaults.
    pub inputs: Map<String, Value>,
    /// Engine time of the computation.
    pub runtime_ms: f64,
    /// Datasets read, with content hashes.
    pub data_sources: Vec<DataSourceRef>,
    /// The RunResult as JSON without its per-run fields (`run_id`, `cached`, `cost`).
    pub body: Vec<u8>,
    /// Where `body` is stored: one content-addressed blob shared by the runs it answers.
    pub blob: StoredBlob,
}

/// In-process cache of run results by cache key (model version, inputs, data day).
///
/// Per instance and correct when cold: a miss falls back to the store's cache, then to
/// running the engine. Bounded by the bytes it holds, evicting the oldest entries first:
/// a result evicted as one arrives frees a buffer of about the size the next one needs, so
/// the allocator reuses memory instead of faulting in fresh pages (dropping the whole
/// cache at once did that, for tens of MB, inside one request).
pub struct RunCache {
    max_bytes: usize,
    entries: Mutex<RunCacheEntries>,
}

/// The cached results, their insertion order and their total size.
#[derive(Default)]
struct RunCacheEntries {
    /// Key → (insertion number, result).
    map: HashMap<String, (u64, Arc<CachedRun>)>,
    /// Keys by insertion, oldest first; an entry whose number no longer matches the map
    /// was replaced since, and is skipped.
    order: std::collections::VecDeque<(u64, String)>,
    /// Sum of the bodies in `map`.
    bytes: usize,
    /// The next insertion number.
    next: u64,
}

impl RunCache {
    /// A cache holding at most about `max_bytes` of result JSON.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            entries: Mutex::new(RunCacheEntries::default()),
        }
    }

    /// The result under `key`.
    pub fn get(&self, key: &str) -> Option<Arc<CachedRun>> {
        self.entries
            .lock()
            .ok()?
            .map
            .get(key)
            .map(|(_, r)| r.clone())
    }

    /// Stores a result, evicting the oldest ones while over the byte budget.
    pub fn put(&self, key: String, value: Arc<CachedRun>) {
        let Ok(mut guard) = self.entries.lock() else {
            return;
        };
        let e = &mut *guard;
        let n = e.next;
        e.next += 1;
        e.bytes += value.body.len();
        if let Some((_, old)) = e.map.insert(key.clone(), (n, value)) {
            e.bytes -= old.body.len();
        }
        e.order.push_back((n, key));
        // Replaced keys leave stale slots in the order; drop them before they pile up.
        if e.order.len() > 2 * e.map.len() + 64 {
            let map = &e.map;
            e.order
                .retain(|(n, k)| map.get(k).is_some_and(|(m, _)| m == n));
        }
        while e.bytes > self.max_bytes {
            let Some((n, key)) = e.order.pop_front() else {
                break;
            };
            if e.map.get(&key).is_some_and(|(m, _)| *m == n) {
                if let Some((_, old)) = e.map.remove(&key) {
                    e.bytes -= old.body.len();
                }
            }
        }
    }

    /// Bytes of result JSON held.
    pub fn bytes(&self) -> usize {
        self.entries.lock().map(|e| e.bytes).unwrap_or(0)
    }
}

#[cfg(test)]
mod run_cache_tests {
    use super::*;

    fn result(size: usize) -> Arc<CachedRun> {
        Arc::new(CachedRun {
            model_slug: "m".into(),
            version: 1,
            inputs: Map::new(),
            runtime_ms: 0.0,
            data_sources: Vec::new(),
            body: vec![b' '; size],
            blob: StoredBlob::shared_run_output(b"{}"),
        })
    }

    #[test]
    fn evicts_the_oldest_entries_first_and_stays_within_budget() {
        let c = RunCache::new(100);
        c.put("a".into(), result(40));
        c.put("b".into(), result(40));
        assert_eq!(c.bytes(), 80);
        c.put("c".into(), result(40));
        assert!(c.get("a").is_none(), "the oldest goes first");
        assert!(c.get("b").is_some() && c.get("c").is_some());
        assert_eq!(c.bytes(), 80);
        // Replacing a key counts its new size once, and its old slot in the order is
        // skipped when it comes up.
        c.put("b".into(), result(10));
        assert_eq!(c.bytes(), 50);
        c.put("d".into(), result(60));
        assert!(c.get("c").is_none(), "c was older than the replaced b");
        assert!(c.get("b").is_some() && c.get("d").is_some());
        assert_eq!(c.bytes(), 70);
        // An entry larger than the whole budget does not stay.
        c.put("huge".into(), result(500));
        assert!(c.get("huge").is_none());
        assert_eq!(c.bytes(), 0);
    }

    #[test]
    fn replacing_one_key_again_and_again_keeps_the_order_small() {
        let c = RunCache::new(1_000);
        for _ in 0..1_000 {
            c.put("same".into(), result(10));
        }
        let e = c.entries.lock().unwrap();
        assert_eq!((e.map.len(), e.bytes), (1, 10));
        assert!(e.order.len() <= 66, "{}", e.order.len());
    }
}

/// Who a key belongs to, as the routes need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOwner {
    /// User id.
    pub user_id: String,
    /// Plan.
    pub plan: Plan,
}

/// Short-lived cache of key hash → owner, so a burst of requests does not look the key
/// up (and write its `last_used_at`) every time. Revoking a key removes its entry here
/// ([`AuthCache::remove`]), so it stops working at once on the instance that revoked it;
/// other instances (other Lambdas) keep it for at most the TTL.
pub struct AuthCache {
    ttl: Duration,
    map: Mutex<HashMap<String, (KeyOwner, Instant)>>,
}

impl AuthCache {
    /// A cache keeping entries for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// The owner of `hash` if seen within the TTL.
    pub fn get(&self, hash: &str) -> Option<KeyOwner> {
        let m = self.map.lock().ok()?;
        let (owner, at) = m.get(hash)?;
        (at.elapsed() < self.ttl).then(|| owner.clone())
    }

    /// Remembers an owner.
    pub fn put(&self, hash: String, owner: KeyOwner) {
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= 10_000 {
                m.clear();
            }
            m.insert(hash, (owner, Instant::now()));
        }
    }

    /// Forgets one key (after it was revoked).
    pub fn remove(&self, hash: &str) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(hash);
        }
    }

    /// Forgets every entry (e.g. after a plan change).
    pub fn clear(&self) {
        if let Ok(mut m) = self.map.lock() {
            m.clear();
        }
    }
}
