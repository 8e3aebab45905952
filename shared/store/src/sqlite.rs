//! Embedded backend: one SQLite file under `AUSTER_HOME` plus a blob folder.
//!
//! One connection in WAL mode behind a mutex, used from `spawn_blocking`, serializes the
//! writers of one process; every multi-row change runs in one `IMMEDIATE` transaction, so
//! the pairs that must change together (a charge and its ledger entry, a rating and its
//! model's aggregate) do. Blobs are files written under a temporary name and renamed.
//! The schema version is `PRAGMA user_version`; [`MIGRATIONS`] upgrade older files in place.
//!
//! WAL checkpoints (copying the log into the database file, with an fsync) run on a
//! background thread with its own connection, not inside whichever request happened to
//! cross SQLite's auto-checkpoint threshold: that is what kept write p99 at milliseconds.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use auster_types::{Difficulty, LabScope};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::common::{self, *};
use crate::*;

/// Schema migrations; entry `i` upgrades version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 0 → 1: the core tables.
    r#"
    CREATE TABLE accounts (
        id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, plan TEXT NOT NULL,
        credits INTEGER NOT NULL CHECK (credits >= 0), ledger_seq INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL);
    CREATE TABLE api_keys (
        hash TEXT PRIMARY KEY, id TEXT NOT NULL, user_id TEXT NOT NULL, prefix TEXT NOT NULL,
        name TEXT, created_at INTEGER NOT NULL, last_used_at INTEGER, revoked_at INTEGER);
    CREATE INDEX api_keys_user ON api_keys(user_id, created_at DESC, id DESC);
    CREATE TABLE models (
        slug TEXT PRIMARY KEY, owner_id TEXT, name TEXT NOT NULL, description TEXT NOT NULL,
        lab_scope TEXT NOT NULL, visibility TEXT NOT NULL, tags TEXT NOT NULL,
        difficulty TEXT NOT NULL, refs TEXT NOT NULL, is_template INTEGER NOT NULL,
        forked_from TEXT, latest_version INTEGER NOT NULL,
        runs INTEGER NOT NULL DEFAULT 0, unique_users INTEGER NOT NULL DEFAULT 0,
        saves INTEGER NOT NULL DEFAULT 0, forks INTEGER NOT NULL DEFAULT 0,
        rating_count INTEGER NOT NULL DEFAULT 0, rating_sum INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, search_text TEXT NOT NULL);
    CREATE INDEX models_pub_runs ON models(visibility, runs DESC, slug);
    CREATE INDEX models_pub_new ON models(visibility, created_at DESC, slug);
    CREATE INDEX models_owner ON models(owner_id, created_at DESC, slug DESC);
    CREATE TABLE model_versions (
        model_slug TEXT NOT NULL, version INTEGER NOT NULL, dsl TEXT NOT NULL,
        input_schema TEXT NOT NULL, changelog TEXT NOT NULL, created_by TEXT,
        created_at INTEGER NOT NULL, PRIMARY KEY (model_slug, version));
    CREATE TABLE ratings (
        model_slug TEXT NOT NULL, user_id TEXT NOT NULL, stars INTEGER NOT NULL, review TEXT,
        updated_at INTEGER NOT NULL, PRIMARY KEY (model_slug, user_id));
    CREATE TABLE model_runners (model_slug TEXT NOT NULL, user_id TEXT NOT NULL,
        PRIMARY KEY (model_slug, user_id));
    CREATE TABLE model_days (model_slug TEXT NOT NULL, day INTEGER NOT NULL,
        runs INTEGER NOT NULL, users INTEGER NOT NULL, PRIMARY KEY (model_slug, day));
    CREATE TABLE day_runners (model_slug TEXT NOT NULL, day INTEGER NOT NULL,
        user_id TEXT NOT NULL, PRIMARY KEY (model_slug, day, user_id));
    CREATE TABLE runs (
        id TEXT PRIMARY KEY, user_id TEXT NOT NULL, model_slug TEXT NOT NULL,
        version INTEGER NOT NULL, inputs TEXT NOT NULL, status TEXT NOT NULL, error TEXT,
        runtime_ms REAL NOT NULL, cost INTEGER NOT NULL, data_sources TEXT NOT NULL,
        output_key TEXT, output_hash TEXT, output_size INTEGER NOT NULL,
        created_at INTEGER NOT NULL);
    CREATE INDEX runs_user ON runs(user_id, id DESC);
    CREATE TABLE user_days (user_id TEXT NOT NULL, day INTEGER NOT NULL,
        runs INTEGER NOT NULL DEFAULT 0, spent INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, day));
    CREATE TABLE saves (user_id TEXT NOT NULL, model_slug TEXT NOT NULL,
        saved_at INTEGER NOT NULL, PRIMARY KEY (user_id, model_slug));
    CREATE INDEX saves_user ON saves(user_id, saved_at DESC, model_slug DESC);
    CREATE TABLE ledger (
        user_id TEXT NOT NULL, seq INTEGER NOT NULL, delta INTEGER NOT NULL,
        balance_after INTEGER NOT NULL, reason TEXT NOT NULL, run_id TEXT, model_slug TEXT,
        created_at INTEGER NOT NULL, PRIMARY KEY (user_id, seq));
    CREATE TABLE artifacts (
        slug TEXT PRIMARY KEY, owner_id TEXT NOT NULL, run_id TEXT NOT NULL,
        model_slug TEXT NOT NULL, title TEXT NOT NULL, summary TEXT NOT NULL,
        visibility TEXT NOT NULL, views INTEGER NOT NULL DEFAULT 0, body_key TEXT NOT NULL,
        body_hash TEXT NOT NULL, created_at INTEGER NOT NULL);
    CREATE INDEX artifacts_owner ON artifacts(owner_id, created_at DESC, slug DESC);
    CREATE TABLE quotas (key TEXT NOT NULL, window_start INTEGER NOT NULL,
        n INTEGER NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (key, window_start));
    "#,
    // 1 → 2: idempotent runs, the L2 data cache, newest-first ratings.
    r#"
    CREATE TABLE idempotency (user_id TEXT NOT NULL, key_hash TEXT NOT NULL,
        run_id TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (user_id, key_hash));
    CREATE TABLE cache (key TEXT PRIMARY KEY, value BLOB, blob_key TEXT,
        expires_at INTEGER NOT NULL);
    CREATE INDEX ratings_recent ON ratings(model_slug, updated_at DESC, user_id DESC);
    CREATE INDEX quotas_expiry ON quotas(expires_at);
    "#,
    // 2 → 3: whether a run was answered from the run cache.
    r#"
    ALTER TABLE runs ADD COLUMN cached INTEGER NOT NULL DEFAULT 0;
    "#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The embedded store.
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    blobs: PathBuf,
    /// Held while the store is open; the checkpoint thread stops when it is gone.
    _alive: Arc<()>,
}

/// How often the background thread checkpoints the WAL.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Checkpoints `db` every [`CHECKPOINT_EVERY`] until `alive` is dropped. PASSIVE mode never
/// waits for readers or writers: it copies what it can and tries again next time.
fn spawn_checkpointer(db: PathBuf, alive: std::sync::Weak<()>) {
    let spawned = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let conn = match Connection::open(&db) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "WAL checkpointer could not open the database");
                    return;
                }
            };
            while alive.upgrade().is_some() {
                std::thread::sleep(CHECKPOINT_EVERY);
                if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE);") {
                    tracing::debug!(error = %e, "WAL checkpoint skipped");
                }
            }
            // A last full pass so a closed store leaves a compact file behind.
            let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no WAL checkpoint thread; SQLite checkpoints inline");
    }
}

/// Opens (creating and migrating) the store under `home` as a shared handle.
pub async fn open(home: impl Into<PathBuf>) -> Result<Arc<dyn Store>> {
    Ok(Arc::new(SqliteStore::open(home).await?))
}

fn db_err(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable(format!("sqlite busy: {e}"))
        }
        Some(ErrorCode::DiskFull)
        | Some(ErrorCode::CannotOpen)
        | Some(ErrorCode::SystemIoFailure) => StoreError::Unavailable(format!("sqlite i/o: {e}")),
        Some(ErrorCode::ConstraintViolation) => StoreError::Conflict(format!("constraint: {e}")),
        _ => StoreError::Internal(format!("sqlite: {e}")),
    }
}

fn io_err(e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("blob folder: {e}"))
}

/// Opens a connection with the pragmas every connection needs.
fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(db_err)?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(db_err)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;
         PRAGMA wal_autocheckpoint=0;",
    )
    .map_err(db_err)?;
    // rusqlite keeps 16 prepared statements by default; one run alone cycles through about
    // twenty (version, quotas, credits, cache, run record), so with 16 every one of them was
    // parsed again each time. Room for every statement this store issues.
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

/// Applies migrations until the file is at `target` (≤ [`SCHEMA_VERSION`]).
fn migrate(conn: &mut Connection, target: i64) -> Result<i64> {
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db_err)?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::Internal(format!(
            "database schema version {current} is newer than this build ({SCHEMA_VERSION}); upgrade auster"
        )));
    }
    for v in current..target {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        tx.execute_batch(MIGRATIONS[v as usize]).map_err(db_err)?;
        tx.pragma_update(None, "user_version", v + 1)
            .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
    }
    Ok(target.max(current))
}

impl SqliteStore {
    /// Opens (creating and migrating) `home/auster.db` and `home/blobs/`.
    pub async fn open(home: impl Into<PathBuf>) -> Result<Self> {
        Self::open_at_version(home, SCHEMA_VERSION).await
    }

    /// Opens a file migrated only up to `version`: for migration tests, which need a file
    /// of an older schema to upgrade.
    pub async fn open_at_version(home: impl Into<PathBuf>, version: i64) -> Result<Self> {
        let home = home.into();
        if !(0..=SCHEMA_VERSION).contains(&version) {
            return Err(StoreError::Invalid(format!(
                "schema version must be from 0 to {SCHEMA_VERSION}, got {version}"
            )));
        }
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(home.join("blobs")).map_err(io_err)?;
            let db = home.join("auster.db");
            let mut conn = connect(&db)?;
            migrate(&mut conn, version)?;
            let alive = Arc::new(());
            spawn_checkpointer(db, Arc::downgrade(&alive));
            Ok(SqliteStore {
                conn: Arc::new(Mutex::new(conn)),
                blobs: home.join("blobs"),
                _alive: alive,
            })
        })
        .await
        .map_err(|e| StoreError::Internal(format!("open task: {e}")))?
    }

    /// The schema version of the open file.
    pub async fn schema_version(&self) -> Result<i64> {
        self.call(|c| {
            c.query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(db_err)
        })
        .await
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            // A panic in another call poisons the mutex; the connection itself is still
            // consistent (SQLite rolled the transaction back), so keep using it.
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("store task: {e}")))?
    }

    /// Runs `f` inside one IMMEDIATE transaction, committing when it returns Ok.
    async fn tx<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.call(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let out = f(&tx)?;
            tx.commit().map_err(db_err)?;
            Ok(out)
        })
        .await
    }

    fn blob_path(&self, key: &str) -> PathBuf {
        self.blobs.join(key)
    }

    async fn write_blob(&self, key: String, bytes: Vec<u8>) -> Result<()> {
        check_blob_key(&key)?;
        let path = self.blob_path(&key);
        tokio::task::spawn_blocking(move || {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(io_err)?;
            }
            // Write then rename: a reader sees the old blob or the whole new one.
            let tmp = path.with_extension(format!("tmp-{}", new_id()));
            std::fs::write(&tmp, &bytes).map_err(io_err)?;
            std::fs::rename(&tmp, &path).map_err(io_err)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("blob task: {e}")))?
    }

    async fn read_blob(&self, key: String) -> Result<Vec<u8>> {
        check_blob_key(&key)?;
        let path = self.blob_path(&key);
        tokio::task::spawn_blocking(move || match std::fs::read(&path) {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(StoreError::not_found("blob", &key))
            }
            Err(e) => Err(io_err(e)),
        })
        .await
        .map_err(|e| StoreError::Internal(format!("blob task: {e}")))?
    }

    async fn remove_blob(&self, key: String) {
        let path = self.blob_path(&key);
        let _ = tokio::task::spawn_blocking(move || std::fs::remove_file(path)).await;
    }

    /// A keyset page of an owner's rows of `table` (`models`, `artifacts`: both keyed by
    /// `created_at` and `slug`), newest first; others than the owner see public rows only
    /// (the rule of [`listed_to`], in SQL).
    async fn owner_page<T: OwnedRow>(
        &self,
        (table, cols): (&'static str, &'static str),
        row: fn(&Row<'_>) -> rusqlite::Result<T>,
        owner_id: &str,
        viewer: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<T>> {
        let (limit, cursor) = page_start(page)?;
        let (owner, own) = (owner_id.to_string(), viewer == Some(owner_id));
        self.call(move |c| {
            let (t, k) = TimeCursor::resume(cursor);
            let rows = c
                .prepare_cached(&format!(
                    "SELECT {cols} FROM {table} WHERE owner_id = ?1 AND (?2 OR visibility = 'public')
                     AND (created_at < ?3 OR (created_at = ?3 AND slug < ?4))
                     ORDER BY created_at DESC, slug DESC LIMIT ?5"
                ))
                .and_then(|mut st| {
                    st.query_map(params![owner, own, t, k, limit as i64 + 1], row)?
                        .collect()
                });
            collect(rows, limit, T::position)
        })
        .await
    }
}

// ---------------------------------------------------------------------------------------
// Row mapping
// ---------------------------------------------------------------------------------------

fn parse_enum<T>(field: &str, s: &str, f: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    f(s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("stored {field} `{s}` is not a known value").into(),
        )
    })
}

fn json_col<T: serde::de::DeserializeOwned>(s: String) -> rusqlite::Result<T> {
    serde_json::from_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

const ACCOUNT_COLS: &str = "id, email, plan, credits, created_at";

fn account_row(r: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: r.get(0)?,
        email: r.get(1)?,
        plan: parse_enum("plan", &r.get::<_, String>(2)?, Plan::parse)?,
        credits: r.get(3)?,
        created_at: r.get(4)?,
    })
}

const KEY_COLS: &str = "id, user_id, hash, prefix, name, created_at, last_used_at, revoked_at";

fn key_row(r: &Row<'_>) -> rusqlite::Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: r.get(0)?,
        user_id: r.get(1)?,
        hash: r.get(2)?,
        prefix: r.get(3)?,
        name: r.get(4)?,
        created_at: r.get(5)?,
        last_used_at: r.get(6)?,
        revoked_at: r.get(7)?,
    })
}

const MODEL_COLS: &str = "slug, owner_id, name, description, lab_scope, visibility, tags, \
    difficulty, refs, is_template, forked_from, latest_version, runs, unique_users, saves, \
    forks, rating_count, rating_sum, created_at, updated_at";

fn model_row(r: &Row<'_>) -> rusqlite::Result<ModelRecord> {
    Ok(ModelRecord {
        slug: r.get(0)?,
        owner_id: r.get(1)?,
        meta: ModelMeta {
            name: r.get(2)?,
            description: r.get(3)?,
            lab_scope: parse_enum("lab_scope", &r.get::<_, String>(4)?, LabScope::parse)?,
            visibility: parse_enum("visibility", &r.get::<_, String>(5)?, Visibility::parse)?,
            tags: json_col(r.get(6)?)?,
            difficulty: parse_enum("difficulty", &r.get::<_, String>(7)?, Difficulty::parse)?,
            references: json_col(r.get(8)?)?,
        },
        is_template: r.get::<_, i64>(9)? != 0,
        forked_from: r.get(10)?,
        latest_version: r.get::<_, i64>(11)? as u32,
        stats: ModelStats {
            runs: r.get::<_, i64>(12)? as u64,
            unique_users: r.get::<_, i64>(13)? as u64,
            saves: r.get::<_, i64>(14)? as u64,
            forks: r.get::<_, i64>(15)? as u64,
            rating_count: r.get::<_, i64>(16)? as u64,
            rating_sum: r.get::<_, i64>(17)? as u64,
        },
        created_at: r.get(18)?,
        updated_at: r.get(19)?,
    })
}

const VERSION_COLS: &str =
    "model_slug, version, dsl, input_schema, changelog, created_by, created_at";

fn version_row(r: &Row<'_>) -> rusqlite::Result<ModelVersionRecord> {
    Ok(ModelVersionRecord {
        model_slug: r.get(0)?,
        version: r.get::<_, i64>(1)? as u32,
        dsl: json_col(r.get(2)?)?,
        input_schema: json_col(r.get(3)?)?,
        changelog: r.get(4)?,
        created_by: r.get(5)?,
        created_at: r.get(6)?,
    })
}

const RUN_COLS: &str = "id, user_id, model_slug, version, inputs, status, error, runtime_ms, \
    cost, data_sources, output_key, output_hash, output_size, created_at, cached";

fn run_row(r: &Row<'_>) -> rusqlite::Result<RunRecord> {
    Ok(RunRecord {
        id: r.get(0)?,
        user_id: r.get(1)?,
        model_slug: r.get(2)?,
        version: r.get::<_, i64>(3)? as u32,
        inputs: json_col(r.get(4)?)?,
        status: parse_enum("status", &r.get::<_, String>(5)?, parse_run_status)?,
        error: r.get(6)?,
        runtime_ms: r.get(7)?,
        cost: r.get::<_, i64>(8)? as u32,
        data_sources: json_col(r.get(9)?)?,
        output_key: r.get(10)?,
        output_hash: r.get(11)?,
        output_size: r.get::<_, i64>(12)? as u64,
        created_at: r.get(13)?,
        cached: r.get(14)?,
    })
}

const LEDGER_COLS: &str =
    "seq, user_id, delta, balance_after, reason, run_id, model_slug, created_at";

fn ledger_row(r: &Row<'_>) -> rusqlite::Result<LedgerEntry> {
    Ok(LedgerEntry {
        seq: r.get::<_, i64>(0)? as u64,
        user_id: r.get(1)?,
        delta: r.get(2)?,
        balance_after: r.get(3)?,
        reason: r.get(4)?,
        run_id: r.get(5)?,
        model_slug: r.get(6)?,
        created_at: r.get(7)?,
    })
}

const ARTIFACT_COLS: &str = "slug, owner_id, run_id, model_slug, title, summary, visibility, \
    views, body_key, body_hash, created_at";

fn artifact_row(r: &Row<'_>) -> rusqlite::Result<ArtifactRecord> {
    Ok(ArtifactRecord {
        slug: r.get(0)?,
        owner_id: r.get(1)?,
        run_id: r.get(2)?,
        model_slug: r.get(3)?,
        title: r.get(4)?,
        summary: r.get(5)?,
        visibility: parse_enum("visibility", &r.get::<_, String>(6)?, Visibility::parse)?,
        views: r.get::<_, i64>(7)? as u64,
        body_key: r.get(8)?,
        body_hash: r.get(9)?,
        created_at: r.get(10)?,
    })
}

const RATING_COLS: &str = "model_slug, user_id, stars, review, updated_at";

fn rating_row(r: &Row<'_>) -> rusqlite::Result<RatingRecord> {
    Ok(RatingRecord {
        model_slug: r.get(0)?,
        user_id: r.get(1)?,
        stars: r.get::<_, i64>(2)? as u8,
        review: r.get(3)?,
        updated_at: r.get(4)?,
    })
}

// ---------------------------------------------------------------------------------------
// Shared statements
// ---------------------------------------------------------------------------------------

fn load_model(c: &Connection, slug: &str) -> Result<Option<ModelRecord>> {
    c.prepare_cached(&format!("SELECT {MODEL_COLS} FROM models WHERE slug = ?1"))
        .and_then(|mut s| s.query_row([slug], model_row).optional())
        .map_err(db_err)
}

/// The model as `viewer` may see it.
fn visible_model(c: &Connection, slug: &str, viewer: Option<&str>) -> Result<ModelRecord> {
    common::visible_model(slug, load_model(c, slug)?, viewer)
}

/// The model `actor` may change: NotFound when invisible, Forbidden when not theirs.
fn owned_model(c: &Connection, slug: &str, actor: &str) -> Result<ModelRecord> {
    common::owned_model(slug, visible_model(c, slug, Some(actor))?, actor)
}

fn load_account(c: &Connection, user_id: &str) -> Result<Account> {
    c.prepare_cached(&format!(
        "SELECT {ACCOUNT_COLS} FROM accounts WHERE id = ?1"
    ))
    .and_then(|mut s| s.query_row([user_id], account_row).optional())
    .map_err(db_err)?
    .ok_or_else(|| StoreError::not_found("account", user_id))
}

fn rating_summary_tx(c: &Connection, slug: &str, viewer: Option<&str>) -> Result<RatingSummary> {
    let m = visible_model(c, slug, viewer)?;
    let mine = match viewer {
        Some(u) => c
            .prepare_cached(&format!(
                "SELECT {RATING_COLS} FROM ratings WHERE model_slug = ?1 AND user_id = ?2"
            ))
            .and_then(|mut s| s.query_row([slug, u], rating_row).optional())
            .map_err(db_err)?,
        None => None,
    };
    Ok(rating_summary_of(&m, mine))
}

fn insert_version(
    c: &Connection,
    slug: &str,
    version: u32,
    v: &NewVersion,
    by: Option<&str>,
    now: Millis,
) -> Result<ModelVersionRecord> {
    c.execute(
        "INSERT INTO model_versions (model_slug, version, dsl, input_schema, changelog, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![slug, version as i64, to_json(&v.dsl)?, to_json(&v.input_schema)?, v.changelog, by, now],
    )
    .map_err(db_err)?;
    Ok(version_record(slug, version, v, by, now))
}

/// Moves credits by `delta` with its ledger entry, in the caller's transaction.
fn move_credits(
    c: &Connection,
    user_id: &str,
    delta: i64,
    memo: &CreditMemo,
    now: Millis,
) -> Result<LedgerEntry> {
    let (credits, seq): (i64, i64) = c
        .prepare_cached("SELECT credits, ledger_seq FROM accounts WHERE id = ?1")
        .and_then(|mut s| {
            s.query_row([user_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(db_err)?
        .ok_or_else(|| StoreError::not_found("account", user_id))?;
    let e = ledger_entry(user_id, seq as u64 + 1, credits, delta, memo, now)?;
    c.prepare_cached("UPDATE accounts SET credits = ?2, ledger_seq = ?3 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![user_id, e.balance_after, e.seq as i64]))
        .map_err(db_err)?;
    c.prepare_cached(
        "INSERT INTO ledger (user_id, seq, delta, balance_after, reason, run_id, model_slug, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut s| {
        s.execute(params![user_id, e.seq as i64, delta, e.balance_after, e.reason, e.run_id, e.model_slug, now])
    })
    .map_err(db_err)?;
    if delta < 0 {
        c.prepare_cached(
            "INSERT INTO user_days (user_id, day, spent) VALUES (?1, ?2, ?3)
             ON CONFLICT (user_id, day) DO UPDATE SET spent = spent + excluded.spent",
        )
        .and_then(|mut s| s.execute(params![user_id, day_of(now), -delta]))
        .map_err(db_err)?;
    }
    Ok(e)
}

/// Keyset cursor of an owner-scoped list: the last item's (time, tie-breaker).
#[derive(Serialize, Deserialize)]
struct TimeCursor {
    t: i64,
    k: String,
}

/// Keyset cursor of the catalogue: the last item's sort value and slug.
#[derive(Serialize, Deserialize)]
struct CatalogCursor {
    /// Sort order the cursor belongs to (a cursor of another order is refused).
    o: String,
    v: f64,
    s: String,
}

fn sort_name(s: ModelSort) -> &'static str {
    match s {
        ModelSort::Popular => "popular",
        ModelSort::Rating => "rating",
        ModelSort::New => "new",
    }
}

impl TimeCursor {
    /// Where a newest-first listing resumes: just after the cursor's item, or at the top.
    fn resume(cursor: Option<TimeCursor>) -> (i64, String) {
        cursor
            .map(|c| (c.t, c.k))
            .unwrap_or((i64::MAX, String::new()))
    }
}

/// A row of an owner-scoped table listed by [`SqliteStore::owner_page`].
trait OwnedRow: Send + 'static {
    /// Its position in the listing: creation time and slug.
    fn position(&self) -> TimeCursor;
}

impl OwnedRow for ModelRecord {
    fn position(&self) -> TimeCursor {
        TimeCursor {
            t: self.created_at,
            k: self.slug.clone(),
        }
    }
}

impl OwnedRow for ArtifactRecord {
    fn position(&self) -> TimeCursor {
        TimeCursor {
            t: self.created_at,
            k: self.slug.clone(),
        }
    }
}

/// A page of rows fetched `limit + 1` at a time (see [`page_of`]), with the cursor of the
/// last one kept.
fn collect<T>(
    rows: rusqlite::Result<Vec<T>>,
    limit: usize,
    cursor_of: impl Fn(&T) -> TimeCursor,
) -> Result<Page<T>> {
    Ok(page_of(
        rows.map_err(db_err)?,
        limit,
        |r| encode_cursor(&cursor_of(r)),
        |r| r,
    ))
}

// ---------------------------------------------------------------------------------------
// Trait implementations
// ---------------------------------------------------------------------------------------

#[async_trait]
impl AccountRepo for SqliteStore {
    async fn create_account(&self, new: NewAccount) -> Result<Account> {
        let email = check_new_account(&new)?;
        self.tx(move |c| {
            let taken: bool = c
                .query_row("SELECT EXISTS (SELECT 1 FROM accounts WHERE email = ?1)", [&email], |r| r.get(0))
                .map_err(db_err)?;
            if taken {
                return Err(StoreError::Conflict(format!("an account with email `{email}` exists")));
            }
            let key_taken: bool = c
                .query_row("SELECT EXISTS (SELECT 1 FROM api_keys WHERE hash = ?1)", [&new.api_key.hash], |r| r.get(0))
                .map_err(db_err)?;
            if key_taken {
                return Err(StoreError::Conflict("that api key is already registered".into()));
            }
            let now = now_ms();
            let id = new_id();
            c.execute(
                "INSERT INTO accounts (id, email, plan, credits, ledger_seq, created_at) VALUES (?1, ?2, ?3, 0, 0, ?4)",
                params![id, email, new.plan.as_str(), now],
            )
            .map_err(db_err)?;
            c.execute(
                "INSERT INTO api_keys (hash, id, user_id, prefix, name, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![new.api_key.hash, key_id(&new.api_key.hash), id, new.api_key.prefix, new.api_key.name, now],
            )
            .map_err(db_err)?;
            if new.initial_credits > 0 {
                let memo = CreditMemo { reason: "signup".into(), ..Default::default() };
                move_credits(c, &id, new.initial_credits, &memo, now)?;
            }
            load_account(c, &id)
        })
        .await
    }

    async fn get_account(&self, user_id: &str) -> Result<Account> {
        let u = user_id.to_string();
        self.call(move |c| load_account(c, &u)).await
    }

    async fn get_account_by_email(&self, email: &str) -> Result<Account> {
        let email = normalize_email(email)?;
        self.call(move |c| {
            c.prepare_cached(&format!(
                "SELECT {ACCOUNT_COLS} FROM accounts WHERE email = ?1"
            ))
            .and_then(|mut s| s.query_row([&email], account_row).optional())
            .map_err(db_err)?
            .ok_or_else(|| StoreError::not_found("account with email", &email))
        })
        .await
    }

    async fn set_plan(&self, user_id: &str, plan: Plan) -> Result<Account> {
        let u = user_id.to_string();
        self.tx(move |c| {
            let n = c
                .execute(
                    "UPDATE accounts SET plan = ?2 WHERE id = ?1",
                    params![u, plan.as_str()],
                )
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::not_found("account", &u));
            }
            load_account(c, &u)
        })
        .await
    }
}

#[async_trait]
impl KeyRepo for SqliteStore {
    async fn create_api_key(&self, user_id: &str, key: NewApiKey) -> Result<ApiKeyRecord> {
        check_hash(&key.hash)?;
        check_prefix(&key.prefix)?;
        let u = user_id.to_string();
        self.tx(move |c| {
            load_account(c, &u)?;
            let now = now_ms();
            let n = c
                .execute(
                    "INSERT OR IGNORE INTO api_keys (hash, id, user_id, prefix, name, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![key.hash, key_id(&key.hash), u, key.prefix, key.name, now],
                )
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::Conflict("that api key is already registered".into()));
            }
            Ok(ApiKeyRecord {
                id: key_id(&key.hash),
                user_id: u,
                hash: key.hash,
                prefix: key.prefix,
                name: key.name,
                created_at: now,
                last_used_at: None,
                revoked_at: None,
            })
        })
        .await
    }

    async fn authenticate(&self, key_hash: &str) -> Result<Account> {
        let h = key_hash.to_string();
        self.call(move |c| {
            let user: Option<String> = c
                .prepare_cached(
                    "SELECT user_id FROM api_keys WHERE hash = ?1 AND revoked_at IS NULL",
                )
                .and_then(|mut s| s.query_row([&h], |r| r.get(0)).optional())
                .map_err(db_err)?;
            let user =
                user.ok_or_else(|| StoreError::NotFound("unknown or revoked api key".into()))?;
            c.prepare_cached("UPDATE api_keys SET last_used_at = ?2 WHERE hash = ?1")
                .and_then(|mut s| s.execute(params![h, now_ms()]))
                .map_err(db_err)?;
            load_account(c, &user)
        })
        .await
    }

    async fn get_api_key(&self, key_hash: &str) -> Result<ApiKeyRecord> {
        let h = key_hash.to_string();
        self.call(move |c| {
            c.prepare_cached(&format!("SELECT {KEY_COLS} FROM api_keys WHERE hash = ?1"))
                .and_then(|mut s| s.query_row([&h], key_row).optional())
                .map_err(db_err)?
                .ok_or_else(|| StoreError::NotFound("unknown api key".into()))
        })
        .await
    }

    async fn list_api_keys(&self, user_id: &str) -> Result<Vec<ApiKeyRecord>> {
        let u = user_id.to_string();
        self.call(move |c| {
            // Keys made in the same millisecond keep their creation order (rowid), not
            // the order of their random ids.
            c.prepare_cached(&format!(
                "SELECT {KEY_COLS} FROM api_keys WHERE user_id = ?1 ORDER BY created_at DESC, rowid DESC"
            ))
            .and_then(|mut s| s.query_map([&u], key_row)?.collect())
            .map_err(db_err)
        })
        .await
    }

    async fn revoke_api_key(&self, user_id: &str, key_id: &str) -> Result<ApiKeyRecord> {
        let (u, k) = (user_id.to_string(), key_id.to_string());
        self.tx(move |c| {
            c.execute(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?3) WHERE user_id = ?1 AND id = ?2",
                params![u, k, now_ms()],
            )
            .map_err(db_err)?;
            c.query_row(
                &format!("SELECT {KEY_COLS} FROM api_keys WHERE user_id = ?1 AND id = ?2"),
                [&u, &k],
                key_row,
            )
            .optional()
            .map_err(db_err)?
            .ok_or_else(|| StoreError::not_found("api key", &k))
        })
        .await
    }
}

#[async_trait]
impl ModelRepo for SqliteStore {
    async fn create_model(&self, new: NewModel) -> Result<ModelRecord> {
        check_new_model(&new)?;
        self.tx(move |c| {
            if let Some(parent) = &new.forked_from {
                visible_model(c, parent, new.owner_id.as_deref())?;
            }
            if load_model(c, &new.slug)?.is_some() {
                return Err(StoreError::Conflict(format!("a model with slug `{}` exists", new.slug)));
            }
            let now = now_ms();
            let m = &new.meta;
            c.execute(
                "INSERT INTO models (slug, owner_id, name, description, lab_scope, visibility, tags, difficulty, refs,
                     is_template, forked_from, latest_version, created_at, updated_at, search_text)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1, ?12, ?12, ?13)",
                params![
                    new.slug,
                    new.owner_id,
                    m.name,
                    m.description,
                    m.lab_scope.as_str(),
                    m.visibility.as_str(),
                    to_json(&m.tags)?,
                    m.difficulty.as_str(),
                    to_json(&m.references)?,
                    new.is_template as i64,
                    new.forked_from,
                    now,
                    search_text(&new.slug, m)
                ],
            )
            .map_err(db_err)?;
            insert_version(c, &new.slug, 1, &new.first_version, new.owner_id.as_deref(), now)?;
            if let Some(parent) = &new.forked_from {
                c.execute("UPDATE models SET forks = forks + 1 WHERE slug = ?1", [parent]).map_err(db_err)?;
            }
            load_model(c, &new.slug)?.ok_or_else(|| StoreError::Internal("model vanished".into()))
        })
        .await
    }

    async fn get_model(&self, slug: &str, viewer: Option<&str>) -> Result<ModelRecord> {
        let (s, v) = (slug.to_string(), viewer.map(str::to_string));
        self.call(move |c| visible_model(c, &s, v.as_deref())).await
    }

    async fn update_model(
        &self,
        slug: &str,
        actor: &str,
        patch: ModelPatch,
    ) -> Result<ModelRecord> {
        let (s, a) = (slug.to_string(), actor.to_string());
        self.tx(move |c| {
            let m = owned_model(c, &s, &a)?;
            let meta = apply_patch(&m.meta, &patch)?;
            c.execute(
                "UPDATE models SET name = ?2, description = ?3, lab_scope = ?4, visibility = ?5, tags = ?6,
                 difficulty = ?7, refs = ?8, updated_at = ?9, search_text = ?10 WHERE slug = ?1",
                params![
                    s,
                    meta.name,
                    meta.description,
                    meta.lab_scope.as_str(),
                    meta.visibility.as_str(),
                    to_json(&meta.tags)?,
                    meta.difficulty.as_str(),
                    to_json(&meta.references)?,
                    now_ms(),
                    search_text(&s, &meta)
                ],
            )
            .map_err(db_err)?;
            load_model(c, &s)?.ok_or_else(|| StoreError::not_found("model", &s))
        })
        .await
    }

    async fn add_version(
        &self,
        slug: &str,
        actor: &str,
        version: NewVersion,
    ) -> Result<ModelVersionRecord> {
        check_changelog(&version.changelog)?;
        let (s, a) = (slug.to_string(), actor.to_string());
        self.tx(move |c| {
            let m = owned_model(c, &s, &a)?;
            let n = m.latest_version + 1;
            let now = now_ms();
            let rec = insert_version(c, &s, n, &version, Some(&a), now)?;
            c.execute(
                "UPDATE models SET latest_version = ?2, updated_at = ?3 WHERE slug = ?1",
                params![s, n as i64, now],
            )
            .map_err(db_err)?;
            Ok(rec)
        })
        .await
    }

    async fn delete_model(&self, slug: &str, actor: &str) -> Result<()> {
        let (s, a) = (slug.to_string(), actor.to_string());
        self.tx(move |c| {
            owned_model(c, &s, &a)?;
            for sql in [
                "DELETE FROM models WHERE slug = ?1",
                "DELETE FROM model_versions WHERE model_slug = ?1",
                "DELETE FROM ratings WHERE model_slug = ?1",
                "DELETE FROM model_runners WHERE model_slug = ?1",
                "DELETE FROM model_days WHERE model_slug = ?1",
                "DELETE FROM day_runners WHERE model_slug = ?1",
            ] {
                c.execute(sql, [&s]).map_err(db_err)?;
            }
            Ok(())
        })
        .await
    }

    async fn get_version(
        &self,
        slug: &str,
        version: Option<u32>,
        viewer: Option<&str>,
    ) -> Result<ModelVersionRecord> {
        let (s, v) = (slug.to_string(), viewer.map(str::to_string));
        self.call(move |c| {
            let m = visible_model(c, &s, v.as_deref())?;
            let n = version.unwrap_or(m.latest_version);
            c.prepare_cached(&format!(
                "SELECT {VERSION_COLS} FROM model_versions WHERE model_slug = ?1 AND version = ?2"
            ))
            .and_then(|mut st| st.query_row(params![s, n as i64], version_row).optional())
            .map_err(db_err)?
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "model `{s}` has no version {n} (latest is {})",
                    m.latest_version
                ))
            })
        })
        .await
    }

    async fn list_versions(
        &self,
        slug: &str,
        viewer: Option<&str>,
    ) -> Result<Vec<ModelVersionRecord>> {
        let (s, v) = (slug.to_string(), viewer.map(str::to_string));
        self.call(move |c| {
            visible_model(c, &s, v.as_deref())?;
            c.prepare_cached(&format!(
                "SELECT {VERSION_COLS} FROM model_versions WHERE model_slug = ?1 ORDER BY version DESC"
            ))
            .and_then(|mut st| st.query_map([&s], version_row)?.collect())
            .map_err(db_err)
        })
        .await
    }

    async fn list_public_models(
        &self,
        query: &ModelQuery,
        page: &PageRequest,
    ) -> Result<Page<ModelRecord>> {
        let sort = query.sort;
        let (limit, cursor) = page_start::<CatalogCursor>(page)?;
        if let Some(cur) = &cursor {
            if cur.o != sort_name(sort) {
                return Err(StoreError::Invalid(
                    "cursor belongs to another sort order; start again without it".into(),
                ));
            }
        }
        let query = query.clone();
        self.call(move |c| {
            let sort_expr = match sort {
                ModelSort::Popular => "CAST(runs AS REAL)",
                ModelSort::Rating => {
                    "(CASE WHEN rating_count = 0 THEN 0.0 ELSE CAST(rating_sum AS REAL) / rating_count END)"
                }
                ModelSort::New => "CAST(created_at AS REAL)",
            };
            let mut sql = format!("SELECT {MODEL_COLS}, {sort_expr} AS sortv FROM models WHERE visibility = 'public'");
            let mut args: Vec<rusqlite::types::Value> = Vec::new();
            use rusqlite::types::Value as V;
            if let Some(lab) = query.lab {
                args.push(V::Text(lab.as_str().into()));
                sql += &format!(" AND lab_scope IN (?{}, 'both')", args.len());
            }
            if let Some(d) = query.difficulty {
                args.push(V::Text(d.as_str().into()));
                sql += &format!(" AND difficulty = ?{}", args.len());
            }
            if let Some(t) = &query.tag {
                args.push(V::Text(t.clone()));
                sql += &format!(" AND EXISTS (SELECT 1 FROM json_each(models.tags) WHERE value = ?{})", args.len());
            }
            if let Some(q) = query.q.as_deref().map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty()) {
                args.push(V::Text(q));
                sql += &format!(" AND instr(search_text, ?{}) > 0", args.len());
            }
            if let Some(cur) = &cursor {
                args.push(V::Real(cur.v));
                let v = args.len();
                args.push(V::Text(cur.s.clone()));
                let s = args.len();
                sql += &format!(" AND ({sort_expr} < ?{v} OR ({sort_expr} = ?{v} AND slug > ?{s}))");
            }
            args.push(V::Integer(limit as i64 + 1));
            sql += &format!(" ORDER BY sortv DESC, slug ASC LIMIT ?{}", args.len());
            let rows: rusqlite::Result<Vec<(ModelRecord, f64)>> = c
                .prepare_cached(&sql)
                .and_then(|mut st| {
                    st.query_map(rusqlite::params_from_iter(args), |r| Ok((model_row(r)?, r.get(20)?)))?
                        .collect()
                });
            let cursor_of = |(m, v): &(ModelRecord, f64)| {
                encode_cursor(&CatalogCursor { o: sort_name(sort).into(), v: *v, s: m.slug.clone() })
            };
            Ok(page_of(rows.map_err(db_err)?, limit, cursor_of, |(m, _)| m))
        })
        .await
    }

    async fn list_user_models(
        &self,
        owner_id: &str,
        viewer: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<ModelRecord>> {
        self.owner_page(("models", MODEL_COLS), model_row, owner_id, viewer, page)
            .await
    }
}

#[async_trait]
impl RunRepo for SqliteStore {
    async fn record_run(&self, run: NewRun) -> Result<RunRecord> {
        if let Some(prev) = replayed_run(self, &run).await? {
            return Ok(prev);
        }
        let id = run.id.clone();
        if let Some(RunOutput::Bytes(bytes)) = &run.output {
            // The blob's key is the run's: never overwrite the output of a recorded run.
            let rid = id.clone();
            let taken = self
                .call(move |c| {
                    c.query_row("SELECT 1 FROM runs WHERE id = ?1", [rid], |_| Ok(()))
                        .optional()
                        .map_err(db_err)
                })
                .await?;
            if taken.is_some() {
                return Err(duplicate_run_id(&id));
            }
            // Blob first: a crash after this leaves an orphan file, never a run
            // pointing at nothing.
            self.write_blob(run_output_key(&id), bytes.clone()).await?;
        }
        let now = now_ms();
        let rec = run_record(&run, now);
        let idem = run
            .idempotency_key
            .as_deref()
            .map(|k| sha256_hex(k.as_bytes()));
        let r = rec.clone();
        let outcome = self
            .tx(move |c| {
                if load_model(c, &r.model_slug)?.is_none() {
                    return Err(StoreError::not_found("model", &r.model_slug));
                }
                if let Some(h) = &idem {
                    let prev: Option<String> = c
                        .query_row(
                            "SELECT run_id FROM idempotency WHERE user_id = ?1 AND key_hash = ?2 AND expires_at > ?3",
                            params![r.user_id, h, now],
                            |row| row.get(0),
                        )
                        .optional()
                        .map_err(db_err)?;
                    if let Some(prev) = prev {
                        return Ok(Err(prev));
                    }
                    c.execute(
                        "INSERT OR REPLACE INTO idempotency (user_id, key_hash, run_id, expires_at) VALUES (?1, ?2, ?3, ?4)",
                        params![r.user_id, h, r.id, now + IDEMPOTENCY_TTL_MS],
                    )
                    .map_err(db_err)?;
                }
                c.prepare_cached(&format!(
                    "INSERT INTO runs ({RUN_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
                ))
                .and_then(|mut st| {
                    st.execute(params![
                        r.id,
                        r.user_id,
                        r.model_slug,
                        r.version as i64,
                        serde_json::to_string(&r.inputs).unwrap_or_default(),
                        run_status_str(r.status),
                        r.error,
                        r.runtime_ms,
                        r.cost as i64,
                        serde_json::to_string(&r.data_sources).unwrap_or_default(),
                        r.output_key,
                        r.output_hash,
                        r.output_size as i64,
                        r.created_at,
                        r.cached
                    ])
                })
                // The id is the primary key: the only constraint this insert can break is a
                // run id recorded before.
                .map_err(|e| match e.sqlite_error_code() {
                    Some(rusqlite::ErrorCode::ConstraintViolation) => duplicate_run_id(&r.id),
                    _ => db_err(e),
                })?;
                let day = day_of(now);
                let first_ever = c
                    .prepare_cached("INSERT OR IGNORE INTO model_runners (model_slug, user_id) VALUES (?1, ?2)")
                    .and_then(|mut st| st.execute(params![r.model_slug, r.user_id]))
                    .map_err(db_err)?;
                let first_today = c
                    .prepare_cached("INSERT OR IGNORE INTO day_runners (model_slug, day, user_id) VALUES (?1, ?2, ?3)")
                    .and_then(|mut st| st.execute(params![r.model_slug, day, r.user_id]))
                    .map_err(db_err)?;
                c.prepare_cached("UPDATE models SET runs = runs + 1, unique_users = unique_users + ?2 WHERE slug = ?1")
                    .and_then(|mut st| st.execute(params![r.model_slug, first_ever as i64]))
                    .map_err(db_err)?;
                c.prepare_cached(
                    "INSERT INTO model_days (model_slug, day, runs, users) VALUES (?1, ?2, 1, ?3)
                     ON CONFLICT (model_slug, day) DO UPDATE SET runs = runs + 1, users = users + excluded.users",
                )
                .and_then(|mut st| st.execute(params![r.model_slug, day, first_today as i64]))
                .map_err(db_err)?;
                c.prepare_cached(
                    "INSERT INTO user_days (user_id, day, runs) VALUES (?1, ?2, 1)
                     ON CONFLICT (user_id, day) DO UPDATE SET runs = runs + 1",
                )
                .and_then(|mut st| st.execute(params![r.user_id, day]))
                .map_err(db_err)?;
                Ok(Ok(()))
            })
            .await;
        match outcome {
            Ok(Ok(())) => Ok(rec),
            Ok(Err(prev_id)) => {
                if let Some(k) = own_output_key(&run, &rec) {
                    self.remove_blob(k.to_string()).await;
                }
                self.get_run(&prev_id, &run.user_id).await
            }
            Err(e) => {
                if let Some(k) = own_output_key(&run, &rec) {
                    self.remove_blob(k.to_string()).await;
                }
                Err(e)
            }
        }
    }

    async fn get_run(&self, run_id: &str, viewer: &str) -> Result<RunRecord> {
        let (id, v) = (run_id.to_string(), viewer.to_string());
        self.call(move |c| {
            c.prepare_cached(&format!(
                "SELECT {RUN_COLS} FROM runs WHERE id = ?1 AND user_id = ?2"
            ))
            .and_then(|mut st| st.query_row([&id, &v], run_row).optional())
            .map_err(db_err)?
            .ok_or_else(|| StoreError::not_found("run", &id))
        })
        .await
    }

    async fn get_run_output(&self, run_id: &str, viewer: &str) -> Result<Vec<u8>> {
        let run = self.get_run(run_id, viewer).await?;
        let key = run
            .output_key
            .ok_or_else(|| StoreError::NotFound(format!("run `{run_id}` stored no output")))?;
        self.read_blob(key).await
    }

    async fn find_idempotent_run(&self, user_id: &str, key: &str) -> Result<Option<RunRecord>> {
        check_key("idempotency_key", key)?;
        let (u, h) = (user_id.to_string(), sha256_hex(key.as_bytes()));
        self.call(move |c| {
            c.query_row(
                &format!(
                    "SELECT {RUN_COLS} FROM runs WHERE id = (SELECT run_id FROM idempotency
                     WHERE user_id = ?1 AND key_hash = ?2 AND expires_at > ?3) AND user_id = ?1"
                ),
                params![u, h, now_ms()],
                run_row,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn list_user_runs(&self, user_id: &str, page: &PageRequest) -> Result<Page<RunRecord>> {
        let (limit, cursor) = page_start::<TimeCursor>(page)?;
        let u = user_id.to_string();
        self.call(move |c| {
            let after = cursor.map(|c| c.k).unwrap_or_else(|| "~".into());
            let rows = c
                .prepare_cached(&format!(
                    "SELECT {RUN_COLS} FROM runs WHERE user_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
                ))
                .and_then(|mut st| st.query_map(params![u, after, limit as i64 + 1], run_row)?.collect());
            collect(rows, limit, |r: &RunRecord| TimeCursor { t: 0, k: r.id.clone() })
        })
        .await
    }

    async fn model_usage(&self, slug: &str, from: Day, to: Day) -> Result<Vec<DailyUsage>> {
        let s = slug.to_string();
        self.call(move |c| {
            c.prepare_cached(
                "SELECT day, runs, users FROM model_days WHERE model_slug = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day",
            )
            .and_then(|mut st| {
                st.query_map(params![s, from, to], |r| {
                    Ok(DailyUsage { day: r.get(0)?, runs: r.get::<_, i64>(1)? as u64, unique_users: r.get::<_, i64>(2)? as u64 })
                })?
                .collect()
            })
            .map_err(db_err)
        })
        .await
    }

    async fn user_usage(&self, user_id: &str, day: Day) -> Result<UserDailyUsage> {
        let u = user_id.to_string();
        self.call(move |c| {
            Ok(c.prepare_cached(
                "SELECT runs, spent FROM user_days WHERE user_id = ?1 AND day = ?2",
            )
            .and_then(|mut st| {
                st.query_row(params![u, day], |r| {
                    Ok(UserDailyUsage {
                        runs: r.get::<_, i64>(0)? as u64,
                        credits_spent: r.get(1)?,
                    })
                })
                .optional()
            })
            .map_err(db_err)?
            .unwrap_or_default())
        })
        .await
    }
}

#[async_trait]
impl SocialRepo for SqliteStore {
    async fn save_model(&self, user_id: &str, slug: &str) -> Result<bool> {
        let (u, s) = (user_id.to_string(), slug.to_string());
        self.tx(move |c| {
            visible_model(c, &s, Some(&u))?;
            let n = c
                .execute("INSERT OR IGNORE INTO saves (user_id, model_slug, saved_at) VALUES (?1, ?2, ?3)", params![u, s, now_ms()])
                .map_err(db_err)?;
            if n == 1 {
                c.execute("UPDATE models SET saves = saves + 1 WHERE slug = ?1", [&s]).map_err(db_err)?;
            }
            Ok(n == 1)
        })
        .await
    }

    async fn unsave_model(&self, user_id: &str, slug: &str) -> Result<bool> {
        let (u, s) = (user_id.to_string(), slug.to_string());
        self.tx(move |c| {
            let n = c
                .execute(
                    "DELETE FROM saves WHERE user_id = ?1 AND model_slug = ?2",
                    [&u, &s],
                )
                .map_err(db_err)?;
            if n == 1 {
                c.execute(
                    "UPDATE models SET saves = saves - 1 WHERE slug = ?1 AND saves > 0",
                    [&s],
                )
                .map_err(db_err)?;
            }
            Ok(n == 1)
        })
        .await
    }

    async fn is_saved(&self, user_id: &str, slug: &str) -> Result<bool> {
        let (u, s) = (user_id.to_string(), slug.to_string());
        self.call(move |c| {
            c.query_row(
                "SELECT EXISTS (SELECT 1 FROM saves WHERE user_id = ?1 AND model_slug = ?2)",
                [&u, &s],
                |r| r.get(0),
            )
            .map_err(db_err)
        })
        .await
    }

    async fn list_saves(&self, user_id: &str, page: &PageRequest) -> Result<Page<ModelRecord>> {
        let (limit, cursor) = page_start(page)?;
        let u = user_id.to_string();
        self.call(move |c| {
            let (t, k) = TimeCursor::resume(cursor);
            // Saves of deleted or since-hidden models are skipped (the aws backend keeps
            // such saves too and filters them the same way).
            let rows: rusqlite::Result<Vec<(ModelRecord, i64)>> = c
                .prepare_cached(&format!(
                    "SELECT {MODEL_COLS}, s.saved_at FROM saves s JOIN models m ON m.slug = s.model_slug
                     WHERE s.user_id = ?1 AND (m.visibility != 'private' OR m.owner_id = ?1)
                     AND (s.saved_at < ?2 OR (s.saved_at = ?2 AND s.model_slug < ?3))
                     ORDER BY s.saved_at DESC, s.model_slug DESC LIMIT ?4"
                ))
                .and_then(|mut st| st.query_map(params![u, t, k, limit as i64 + 1], |r| Ok((model_row(r)?, r.get(20)?)))?.collect());
            let cursor_of = |(m, t): &(ModelRecord, i64)| encode_cursor(&TimeCursor { t: *t, k: m.slug.clone() });
            Ok(page_of(rows.map_err(db_err)?, limit, cursor_of, |(m, _)| m))
        })
        .await
    }

    async fn rate_model(
        &self,
        user_id: &str,
        slug: &str,
        stars: u8,
        review: Option<String>,
    ) -> Result<RatingSummary> {
        check_rating(stars, review.as_deref())?;
        let (u, s) = (user_id.to_string(), slug.to_string());
        self.tx(move |c| {
            visible_model(c, &s, Some(&u))?;
            let old: Option<i64> = c
                .query_row("SELECT stars FROM ratings WHERE model_slug = ?1 AND user_id = ?2", [&s, &u], |r| r.get(0))
                .optional()
                .map_err(db_err)?;
            c.execute(
                "INSERT INTO ratings (model_slug, user_id, stars, review, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (model_slug, user_id) DO UPDATE SET stars = excluded.stars, review = excluded.review,
                 updated_at = excluded.updated_at",
                params![s, u, stars as i64, review, now_ms()],
            )
            .map_err(db_err)?;
            let (dc, ds) = match old {
                Some(o) => (0, stars as i64 - o),
                None => (1, stars as i64),
            };
            c.execute(
                "UPDATE models SET rating_count = rating_count + ?2, rating_sum = rating_sum + ?3 WHERE slug = ?1",
                params![s, dc, ds],
            )
            .map_err(db_err)?;
            rating_summary_tx(c, &s, Some(&u))
        })
        .await
    }

    async fn unrate_model(&self, user_id: &str, slug: &str) -> Result<RatingSummary> {
        let (u, s) = (user_id.to_string(), slug.to_string());
        self.tx(move |c| {
            visible_model(c, &s, Some(&u))?;
            let old: Option<i64> = c
                .query_row("DELETE FROM ratings WHERE model_slug = ?1 AND user_id = ?2 RETURNING stars", [&s, &u], |r| r.get(0))
                .optional()
                .map_err(db_err)?;
            if let Some(o) = old {
                c.execute(
                    "UPDATE models SET rating_count = rating_count - 1, rating_sum = rating_sum - ?2 WHERE slug = ?1",
                    params![s, o],
                )
                .map_err(db_err)?;
            }
            rating_summary_tx(c, &s, Some(&u))
        })
        .await
    }

    async fn rating_summary(&self, slug: &str, viewer: Option<&str>) -> Result<RatingSummary> {
        let (s, v) = (slug.to_string(), viewer.map(str::to_string));
        self.call(move |c| rating_summary_tx(c, &s, v.as_deref()))
            .await
    }

    async fn list_ratings(&self, slug: &str, page: &PageRequest) -> Result<Page<RatingRecord>> {
        let (limit, cursor) = page_start(page)?;
        let s = slug.to_string();
        self.call(move |c| {
            visible_model(c, &s, None)?;
            let (t, k) = TimeCursor::resume(cursor);
            let rows = c
                .prepare_cached(&format!(
                    "SELECT {RATING_COLS} FROM ratings WHERE model_slug = ?1
                     AND (updated_at < ?2 OR (updated_at = ?2 AND user_id < ?3))
                     ORDER BY updated_at DESC, user_id DESC LIMIT ?4"
                ))
                .and_then(|mut st| {
                    st.query_map(params![s, t, k, limit as i64 + 1], rating_row)?
                        .collect()
                });
            collect(rows, limit, |r: &RatingRecord| TimeCursor {
                t: r.updated_at,
                k: r.user_id.clone(),
            })
        })
        .await
    }
}

#[async_trait]
impl ArtifactRepo for SqliteStore {
    async fn create_artifact(&self, new: NewArtifact) -> Result<ArtifactRecord> {
        check_new_artifact(&new)?;
        let run = self.get_run(&new.run_id, &new.owner_id).await?;
        let exists = {
            let s = new.slug.clone();
            self.call(move |c| {
                c.query_row(
                    "SELECT EXISTS (SELECT 1 FROM artifacts WHERE slug = ?1)",
                    [&s],
                    |r| r.get::<_, bool>(0),
                )
                .map_err(db_err)
            })
            .await?
        };
        if exists {
            return Err(artifact_exists(&new.slug));
        }
        let body_key = artifact_body_key(&new.slug);
        self.write_blob(body_key.clone(), new.body.clone()).await?;
        let rec = artifact_record(&new, run.model_slug, body_key.clone());
        let r = rec.clone();
        let res = self
            .tx(move |c| {
                let n = c
                    .execute(
                        &format!("INSERT OR IGNORE INTO artifacts ({ARTIFACT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?9, ?10)"),
                        params![r.slug, r.owner_id, r.run_id, r.model_slug, r.title, r.summary, r.visibility.as_str(), r.body_key, r.body_hash, r.created_at],
                    )
                    .map_err(db_err)?;
                if n == 0 {
                    return Err(artifact_exists(&r.slug));
                }
                Ok(())
            })
            .await;
        if let Err(e) = res {
            self.remove_blob(body_key).await;
            return Err(e);
        }
        Ok(rec)
    }

    async fn get_artifact(&self, slug: &str, viewer: Option<&str>) -> Result<ArtifactRecord> {
        let (s, v) = (slug.to_string(), viewer.map(str::to_string));
        self.call(move |c| {
            match c
                .prepare_cached(&format!(
                    "SELECT {ARTIFACT_COLS} FROM artifacts WHERE slug = ?1"
                ))
                .and_then(|mut st| st.query_row([&s], artifact_row).optional())
                .map_err(db_err)?
            {
                Some(a) if can_see(Some(&a.owner_id), a.visibility, v.as_deref()) => Ok(a),
                _ => Err(StoreError::not_found("artifact", &s)),
            }
        })
        .await
    }

    async fn get_artifact_body(&self, slug: &str, viewer: Option<&str>) -> Result<Vec<u8>> {
        let a = self.get_artifact(slug, viewer).await?;
        self.read_blob(a.body_key).await
    }

    async fn record_artifact_view(&self, slug: &str) -> Result<u64> {
        let s = slug.to_string();
        self.call(move |c| {
            c.query_row(
                "UPDATE artifacts SET views = views + 1 WHERE slug = ?1 RETURNING views",
                [&s],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map_err(db_err)?
            .map(|v| v as u64)
            .ok_or_else(|| StoreError::not_found("artifact", &s))
        })
        .await
    }

    async fn list_user_artifacts(
        &self,
        owner_id: &str,
        viewer: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<ArtifactRecord>> {
        self.owner_page(
            ("artifacts", ARTIFACT_COLS),
            artifact_row,
            owner_id,
            viewer,
            page,
        )
        .await
    }
}

#[async_trait]
impl CreditRepo for SqliteStore {
    async fn grant_credits(
        &self,
        user_id: &str,
        amount: i64,
        memo: CreditMemo,
    ) -> Result<LedgerEntry> {
        check_amount(amount)?;
        check_memo(&memo)?;
        let u = user_id.to_string();
        self.tx(move |c| move_credits(c, &u, amount, &memo, now_ms()))
            .await
    }

    async fn charge_credits(
        &self,
        user_id: &str,
        amount: i64,
        memo: CreditMemo,
    ) -> Result<LedgerEntry> {
        check_amount(amount)?;
        check_memo(&memo)?;
        let u = user_id.to_string();
        self.tx(move |c| move_credits(c, &u, -amount, &memo, now_ms()))
            .await
    }

    async fn list_ledger(&self, user_id: &str, page: &PageRequest) -> Result<Page<LedgerEntry>> {
        let (limit, cursor) = page_start::<TimeCursor>(page)?;
        let u = user_id.to_string();
        self.call(move |c| {
            let before = cursor.map(|c| c.t).unwrap_or(i64::MAX);
            let rows = c
                .prepare_cached(&format!(
                    "SELECT {LEDGER_COLS} FROM ledger WHERE user_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"
                ))
                .and_then(|mut st| st.query_map(params![u, before, limit as i64 + 1], ledger_row)?.collect());
            collect(rows, limit, |e: &LedgerEntry| TimeCursor { t: e.seq as i64, k: String::new() })
        })
        .await
    }
}

/// One hit of quota `key` inside the caller's transaction: RateLimited (nothing counted)
/// when the window already holds `limit` hits.
fn hit_in(
    c: &Connection,
    key: &str,
    limit: u64,
    window_ms: i64,
    now: Millis,
) -> Result<QuotaState> {
    let start = window_start(now, window_ms);
    let resets_at = start + window_ms;
    let used: i64 = c
        .prepare_cached("SELECT n FROM quotas WHERE key = ?1 AND window_start = ?2")
        .and_then(|mut st| st.query_row(params![key, start], |r| r.get(0)).optional())
        .map_err(db_err)?
        .unwrap_or(0);
    if used as u64 >= limit {
        return Err(rate_limited(key, limit, resets_at, now));
    }
    c.prepare_cached(
        "INSERT INTO quotas (key, window_start, n, expires_at) VALUES (?1, ?2, 1, ?3)
         ON CONFLICT (key, window_start) DO UPDATE SET n = n + 1",
    )
    .and_then(|mut st| st.execute(params![key, start, resets_at]))
    .map_err(db_err)?;
    // Expired windows are dead weight; sweeping a few per hit keeps the table small
    // without a background job.
    c.prepare_cached(
        "DELETE FROM quotas WHERE rowid IN (SELECT rowid FROM quotas WHERE expires_at < ?1 LIMIT 16)",
    )
    .and_then(|mut st| st.execute([now]))
    .map_err(db_err)?;
    Ok(QuotaState {
        used: used as u64 + 1,
        limit,
        resets_at,
    })
}

#[async_trait]
impl QuotaRepo for SqliteStore {
    async fn hit_quota(&self, key: &str, limit: u64, window_secs: u64) -> Result<QuotaState> {
        let wms = check_quota(key, limit, window_secs)?;
        let k = key.to_string();
        self.tx(move |c| hit_in(c, &k, limit, wms, now_ms())).await
    }

    async fn hit_quota_then(
        &self,
        gate: QuotaHit<'_>,
        then: QuotaHit<'_>,
    ) -> Result<Option<QuotaState>> {
        let gate_ms = check_quota(gate.key, gate.limit, gate.window_secs)?;
        let then_ms = check_quota(then.key, then.limit, then.window_secs)?;
        let (gk, gl, tk, tl) = (
            gate.key.to_string(),
            gate.limit,
            then.key.to_string(),
            then.limit,
        );
        self.tx(move |c| {
            let now = now_ms();
            hit_in(c, &gk, gl, gate_ms, now)?;
            match hit_in(c, &tk, tl, then_ms, now) {
                Ok(state) => Ok(Some(state)),
                Err(StoreError::RateLimited { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await
    }

    async fn quota_used(&self, key: &str, window_secs: u64) -> Result<u64> {
        let wms = check_quota(key, 1, window_secs)?;
        let k = key.to_string();
        self.call(move |c| {
            let start = window_start(now_ms(), wms);
            Ok(c.query_row(
                "SELECT n FROM quotas WHERE key = ?1 AND window_start = ?2",
                params![k, start],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map_err(db_err)?
            .unwrap_or(0) as u64)
        })
        .await
    }
}

#[async_trait]
impl CacheRepo for SqliteStore {
    async fn cache_get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        check_key("cache key", key)?;
        let k = key.to_string();
        let row: Option<(Option<Vec<u8>>, Option<String>)> = self
            .call(move |c| {
                c.prepare_cached(
                    "SELECT value, blob_key FROM cache WHERE key = ?1 AND expires_at > ?2",
                )
                .and_then(|mut st| {
                    st.query_row(params![k, now_ms()], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                })
                .map_err(db_err)
            })
            .await?;
        match row {
            None => Ok(None),
            Some((Some(v), _)) => Ok(Some(v)),
            Some((None, Some(blob))) => match self.read_blob(blob).await {
                Ok(v) => Ok(Some(v)),
                // A cache entry whose blob vanished is a miss, not an error.
                Err(StoreError::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            },
            Some((None, None)) => Ok(None),
        }
    }

    async fn cache_put(&self, key: &str, value: &[u8], ttl_secs: u64) -> Result<()> {
        check_cache_put(key, ttl_secs)?;
        let (inline, blob) = if value.len() > INLINE_CACHE_MAX {
            let b = cache_blob_key(key);
            self.write_blob(b.clone(), value.to_vec()).await?;
            (None, Some(b))
        } else {
            (Some(value.to_vec()), None)
        };
        let k = key.to_string();
        self.call(move |c| {
            let now = now_ms();
            c.prepare_cached(
                "INSERT INTO cache (key, value, blob_key, expires_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, blob_key = excluded.blob_key,
                 expires_at = excluded.expires_at",
            )
            .and_then(|mut st| st.execute(params![k, inline, blob, now + ttl_secs as i64 * 1000]))
            .map_err(db_err)?;
            c.prepare_cached("DELETE FROM cache WHERE rowid IN (SELECT rowid FROM cache WHERE expires_at < ?1 LIMIT 16)")
                .and_then(|mut st| st.execute([now]))
                .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn put_blob(&self, key: &str, bytes: &[u8]) -> Result<()> {
        self.write_blob(key.to_string(), bytes.to_vec()).await
    }

    async fn get_blob(&self, key: &str) -> Result<Vec<u8>> {
        self.read_blob(key.to_string()).await
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<()> {
        self.call(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(db_err))
            .await
    }
}
