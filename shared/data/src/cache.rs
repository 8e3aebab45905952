//! Caching: an in-process L1 (bounded by entries, bytes and TTL), an L2 behind the small
//! [`L2Cache`] trait (the store crate implements it on SQLite and DynamoDB), and a binary
//! codec for `Fetched` so L2 holds plain bytes.
//!
//! L2 entries carry their expiry and it is checked on every read here, because not every
//! backend enforces TTL (DynamoDB deletes expired items lazily).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auster_engine::data::BoxFuture;
use auster_engine::date::Day;
use auster_engine::value::{ColumnData, Table};
use auster_engine::{Fetched, Frame, Series, Value};

/// Bytes in L2 with their expiry (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// The encoded `Fetched` (see [`encode`]).
    pub bytes: Vec<u8>,
    /// Unix time (seconds) after which the entry must not be used.
    pub expires_at: u64,
}

/// A shared second-level cache: get/put bytes with an expiry. Errors are strings; the
/// gateway logs them and carries on (a cache is never required for correctness).
pub trait L2Cache: Send + Sync {
    /// The entry under `key`, if any (expired or not: the caller checks).
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<CacheEntry>, String>>;
    /// Stores `entry` under `key`, replacing any previous one.
    fn put<'a>(&'a self, key: &'a str, entry: CacheEntry) -> BoxFuture<'a, Result<(), String>>;
}

/// Current Unix time in seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An in-memory [`L2Cache`] (tests, single-process setups). It deliberately does not drop
/// expired entries itself, like a backend without TTL enforcement.
#[derive(Default)]
pub struct MemoryL2 {
    map: Mutex<HashMap<String, CacheEntry>>,
}

impl MemoryL2 {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of stored entries (expired ones included).
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl L2Cache for MemoryL2 {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<CacheEntry>, String>> {
        let hit = self
            .map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned();
        Box::pin(async move { Ok(hit) })
    }

    fn put<'a>(&'a self, key: &'a str, entry: CacheEntry) -> BoxFuture<'a, Result<(), String>> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_string(), entry);
        Box::pin(async { Ok(()) })
    }
}

struct L1Entry {
    value: Arc<Fetched>,
    expires: Instant,
    bytes: usize,
    last_used: u64,
}

/// The in-process cache: at most `max_entries` entries and `max_bytes` of data, each for
/// its TTL; least recently used entries go first.
pub struct L1Cache {
    inner: Mutex<L1Inner>,
    max_entries: usize,
    max_bytes: usize,
}

struct L1Inner {
    map: HashMap<String, L1Entry>,
    bytes: usize,
    clock: u64,
}

impl L1Cache {
    /// A cache bounded by entries and bytes.
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(L1Inner {
                map: HashMap::new(),
                bytes: 0,
                clock: 0,
            }),
            max_entries: max_entries.max(1),
            max_bytes,
        }
    }

    /// A live entry under `key`.
    pub fn get(&self, key: &str) -> Option<Arc<Fetched>> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.clock += 1;
        let clock = g.clock;
        let now = Instant::now();
        match g.map.get_mut(key) {
            Some(e) if e.expires > now => {
                e.last_used = clock;
                Some(Arc::clone(&e.value))
            }
            Some(_) => {
                if let Some(old) = g.map.remove(key) {
                    g.bytes -= old.bytes;
                }
                None
            }
            None => None,
        }
    }

    /// Stores `value` for `ttl`, evicting expired then least recently used entries.
    pub fn put(&self, key: &str, value: Arc<Fetched>, ttl: Duration) {
        let bytes = value.value.approx_bytes() + key.len() + 64;
        if bytes > self.max_bytes {
            return;
        }
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.clock += 1;
        let clock = g.clock;
        if let Some(old) = g.map.remove(key) {
            g.bytes -= old.bytes;
        }
        let now = Instant::now();
        if g.map.len() >= self.max_entries || g.bytes + bytes > self.max_bytes {
            let before = g.map.len();
            g.map.retain(|_, e| e.expires > now);
            if g.map.len() != before {
                g.bytes = g.map.values().map(|e| e.bytes).sum();
            }
        }
        while g.map.len() >= self.max_entries || g.bytes + bytes > self.max_bytes {
            let Some(victim) = g
                .map
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(old) = g.map.remove(&victim) {
                g.bytes -= old.bytes;
            }
        }
        g.bytes += bytes;
        g.map.insert(
            key.to_string(),
            L1Entry {
                value,
                expires: now + ttl,
                bytes,
                last_used: clock,
            },
        );
    }

    /// Entries held (expired ones not yet evicted included).
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map
            .len()
    }

    /// Whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

// ---- codec ---------------------------------------------------------------------------

const MAGIC: &[u8; 4] = b"AUD1";

fn put_u32(out: &mut Vec<u8>, x: u32) {
    out.extend_from_slice(&x.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len() as u32);
    out.extend_from_slice(s.as_bytes());
}

fn put_nums(out: &mut Vec<u8>, v: &[f64]) {
    put_u32(out, v.len() as u32);
    for x in v {
        out.extend_from_slice(&x.to_bits().to_le_bytes());
    }
}

fn put_days(out: &mut Vec<u8>, v: &[i32]) {
    put_u32(out, v.len() as u32);
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
}

/// Encodes a fetched series, frame or table (exact: f64 bits are kept, NaN included).
pub fn encode(f: &Fetched) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(64 + f.value.approx_bytes());
    out.extend_from_slice(MAGIC);
    put_str(&mut out, &f.provider);
    put_str(&mut out, &f.dataset);
    put_str(&mut out, &f.hash);
    match &f.value {
        Value::Series(s) => {
            out.push(1);
            put_days(&mut out, &s.dates);
            put_nums(&mut out, &s.values);
        }
        Value::Frame(fr) => {
            out.push(2);
            put_days(&mut out, &fr.dates);
            put_u32(&mut out, fr.columns.len() as u32);
            for (n, c) in &fr.columns {
                put_str(&mut out, n);
                put_nums(&mut out, c);
            }
        }
        Value::Table(t) => {
            out.push(3);
            put_u32(&mut out, t.columns.len() as u32);
            for (n, c) in &t.columns {
                put_str(&mut out, n);
                match c {
                    ColumnData::Num(v) => {
                        out.push(0);
                        put_nums(&mut out, v);
                    }
                    ColumnData::Text(v) => {
                        out.push(1);
                        put_u32(&mut out, v.len() as u32);
                        for s in v {
                            put_str(&mut out, s);
                        }
                    }
                    ColumnData::Dates(v) => {
                        out.push(2);
                        put_u32(&mut out, v.len() as u32);
                        for &d in v {
                            put_u32(&mut out, d as u32);
                        }
                    }
                }
            }
        }
        other => return Err(format!("cannot cache a {} value", other.kind().name())),
    }
    Ok(out)
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or("cache entry is truncated")?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<usize, String> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
    }
    fn string(&mut self) -> Result<String, String> {
        let n = self.u32()?;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| "cache entry has bad text".into())
    }
    fn nums(&mut self) -> Result<Vec<f64>, String> {
        let n = self.u32()?;
        let raw = self.take(n.checked_mul(8).ok_or("cache entry is corrupt")?)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| f64::from_bits(u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))))
            .collect())
    }
    fn days(&mut self) -> Result<Vec<i32>, String> {
        let n = self.u32()?;
        let raw = self.take(n.checked_mul(4).ok_or("cache entry is corrupt")?)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes(c.try_into().unwrap_or([0; 4])))
            .collect())
    }
}

/// Decodes [`encode`]'s bytes, checking lengths so a corrupt entry is an error, not a panic.
pub fn decode(bytes: &[u8]) -> Result<Fetched, String> {
    let mut r = Reader { b: bytes, at: 0 };
    if r.take(4)? != MAGIC {
        return Err("not a cache entry of this version".into());
    }
    let provider = r.string()?;
    let dataset = r.string()?;
    let hash = r.string()?;
    let value = match r.u8()? {
        1 => {
            let d = r.days()?;
            let v = r.nums()?;
            if d.len() != v.len() {
                return Err("cache entry is corrupt".into());
            }
            Value::Series(Series::counted(Arc::new(d), v))
        }
        2 => {
            let d = r.days()?;
            let n = r.u32()?;
            let mut columns = Vec::with_capacity(n.min(64));
            for _ in 0..n {
                let name = r.string()?;
                let c = r.nums()?;
                if c.len() != d.len() {
                    return Err("cache entry is corrupt".into());
                }
                columns.push((name, c));
            }
            Value::Frame(Frame {
                dates: Arc::new(d),
                columns,
            })
        }
        3 => {
            let n = r.u32()?;
            let mut columns = Vec::with_capacity(n.min(64));
            for _ in 0..n {
                let name = r.string()?;
                let c = match r.u8()? {
                    0 => ColumnData::Num(r.nums()?),
                    1 => {
                        let k = r.u32()?;
                        let mut v = Vec::with_capacity(k.min(1 << 16));
                        for _ in 0..k {
                            v.push(r.string()?);
                        }
                        ColumnData::Text(v)
                    }
                    2 => {
                        let k = r.u32()?;
                        let mut v = Vec::with_capacity(k.min(1 << 16));
                        for _ in 0..k {
                            v.push(r.u32()? as Day);
                        }
                        ColumnData::Dates(v)
                    }
                    _ => return Err("cache entry is corrupt".into()),
                };
                columns.push((name, c));
            }
            Value::Table(Table { columns })
        }
        _ => return Err("cache entry is corrupt".into()),
    };
    if r.at != bytes.len() {
        return Err("cache entry has trailing bytes".into());
    }
    Ok(Fetched {
        value,
        provider,
        dataset,
        hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use auster_engine::content_hash;

    fn fetched(v: Value) -> Fetched {
        let hash = content_hash(&v);
        Fetched {
            value: v,
            provider: "p".into(),
            dataset: "d/x".into(),
            hash,
        }
    }

    #[test]
    fn codec_round_trips_every_cached_kind_exactly() {
        let vals = [
            Value::Series(Series::from_vecs(vec![1, 5], vec![1.5, f64::NAN])),
            Value::Frame(Frame {
                dates: Arc::new(vec![3, 4]),
                columns: vec![("close".into(), vec![1.0, -0.0])],
            }),
            Value::Table(Table {
                columns: vec![
                    (
                        "k".into(),
                        ColumnData::Text(vec!["call".into(), "püt".into()]),
                    ),
                    ("d".into(), ColumnData::Dates(vec![-719_468, 20_000])),
                    ("x".into(), ColumnData::Num(vec![f64::INFINITY, 2.0])),
                ],
            }),
        ];
        for v in vals {
            let f = fetched(v);
            let back = decode(&encode(&f).unwrap()).unwrap();
            assert_eq!(back.hash, content_hash(&back.value));
            assert_eq!(back.hash, f.hash);
            assert_eq!(back.dataset, "d/x");
        }
    }

    #[test]
    fn corrupt_bytes_are_errors() {
        let f = fetched(Value::Series(Series::from_vecs(vec![1], vec![2.0])));
        let b = encode(&f).unwrap();
        for cut in 0..b.len() {
            assert!(decode(&b[..cut]).is_err());
        }
        let mut extra = b.clone();
        extra.push(0);
        assert!(decode(&extra).is_err());
    }

    #[test]
    fn l1_evicts_least_recently_used_and_expires() {
        let c = L1Cache::new(2, 1 << 20);
        let f = |x: f64| Arc::new(fetched(Value::Series(Series::from_vecs(vec![1], vec![x]))));
        c.put("a", f(1.0), Duration::from_secs(60));
        c.put("b", f(2.0), Duration::from_secs(60));
        assert!(c.get("a").is_some()); // a is now more recent than b
        c.put("c", f(3.0), Duration::from_secs(60));
        assert!(c.get("b").is_none() && c.get("a").is_some() && c.get("c").is_some());
        c.put("z", f(4.0), Duration::ZERO);
        assert!(c.get("z").is_none());
        // Byte bound: an entry larger than the whole budget is not kept.
        let tiny = L1Cache::new(10, 10);
        tiny.put("a", f(1.0), Duration::from_secs(60));
        assert!(tiny.is_empty());
    }
}
