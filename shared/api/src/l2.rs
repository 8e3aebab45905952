//! The data gateway's second-level cache backed by the store's [`CacheRepo`].
//!
//! [`CacheRepo`]: auster_store::CacheRepo

use std::sync::Arc;

#[allow(unused_imports)]
use crate::prelude::*;
use auster_data::{CacheEntry, L2Cache};
use auster_engine::data::BoxFuture;
use auster_store::Store;

/// [`L2Cache`] over the store: the entry's expiry travels as 8 bytes in front of the data
/// (the store expires entries by TTL as well).
pub struct StoreL2(pub Arc<dyn Store>);

impl L2Cache for StoreL2 {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<CacheEntry>, String>> {
        Box::pin(async move {
            let Some(bytes) = self
                .0
                .cache_get(&store_key(key))
                .await
                .map_err(|e| e.to_string())?
            else {
                return Ok(None);
            };
            if bytes.len() < 8 {
                return Ok(None);
            }
            let mut exp = [0u8; 8];
            exp.copy_from_slice(&bytes[..8]);
            Ok(Some(CacheEntry {
                expires_at: u64::from_le_bytes(exp),
                bytes: bytes[8..].to_vec(),
            }))
        })
    }

    fn put<'a>(&'a self, key: &'a str, entry: CacheEntry) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let ttl = entry
                .expires_at
                .saturating_sub(auster_data::cache::unix_now());
            if ttl == 0 {
                return Ok(());
            }
            let mut bytes = Vec::with_capacity(entry.bytes.len() + 8);
            bytes.extend_from_slice(&entry.expires_at.to_le_bytes());
            bytes.extend_from_slice(&entry.bytes);
            self.0
                .cache_put(&store_key(key), &bytes, ttl)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// Namespaces and bounds gateway keys (which may be long) as store cache keys.
fn store_key(key: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("data:{}", hex::encode(Sha256::digest(key.as_bytes())))
}
