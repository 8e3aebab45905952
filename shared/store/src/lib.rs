//! Persistent state of Auster Models: records, repository traits and two backends.
//!
//! Everything users create (accounts, keys, models and their versions, runs, saves,
//! ratings, published artifacts, credits) lives behind the [`Store`] trait. Two backends
//! implement it with one behaviour, proven by one conformance suite (`tests/conformance.rs`):
//!
//! - [`sqlite`]: the embedded default. One SQLite file under `AUSTER_HOME`
//!   (WAL mode) plus a blob folder for run outputs, artifact bodies and large cache values.
//! - [`aws`]: DynamoDB single-table design (keys in `docs/storage.md`) plus S3
//!   for blobs. Conditional writes guard uniqueness and money, transactions change two
//!   items together, counters use atomic `ADD`.
//!
//! The API holds one `Arc<dyn Store>` built once per cold start by [`open_from_env`].
//!
//! Visibility rule, enforced here so no route can forget it: a private model, run or
//! artifact read by anyone but its owner is [`StoreError::NotFound`], exactly as if it did
//! not exist; unlisted models are reachable by slug but never listed.

#[cfg(feature = "aws")]
pub mod aws;
pub mod bench;
mod common;
pub mod error;
#[cfg(feature = "aws")]
pub mod moto;
pub mod sqlite;
pub mod table;

use std::sync::Arc;

use async_trait::async_trait;
use auster_types::{DataSourceRef, Difficulty, Dsl, InputSchema, LabScope, RunStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use common::{day_of, generate_api_key, hash_api_key, new_id, now_ms, GeneratedKey};
pub use error::{ErrorCategory, StoreError};

/// Result of every store operation.
pub type Result<T> = std::result::Result<T, StoreError>;

/// Milliseconds since 1970-01-01 UTC; every timestamp in the store uses it.
pub type Millis = i64;

/// A UTC day as days since 1970-01-01 (the engine's date convention); see [`day_of`].
pub type Day = i32;

// ---------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------

/// Who can see a model or a published artifact (wire names `public|unlisted|private`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Listed in the catalogue and reachable by everyone.
    #[default]
    Public,
    /// Reachable by slug, never listed.
    Unlisted,
    /// Only the owner; everyone else gets NotFound.
    Private,
}

impl Visibility {
    /// All values.
    pub const ALL: [Visibility; 3] = [
        Visibility::Public,
        Visibility::Unlisted,
        Visibility::Private,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The plan an account is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    /// Default plan.
    #[default]
    Free,
    /// Paying account.
    Paid,
}

impl Plan {
    /// All plans.
    pub const ALL: [Plan; 2] = [Plan::Free, Plan::Paid];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Paid => "paid",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A user account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// Store-generated id (time-ordered hex).
    pub id: String,
    /// Lower-cased, trimmed address; unique.
    pub email: String,
    /// Plan.
    pub plan: Plan,
    /// Current balance; never below zero.
    pub credits: i64,
    /// Creation time.
    pub created_at: Millis,
}

/// What [`AccountRepo::create_account`] needs.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Address (normalized by the store; must contain `@`).
    pub email: String,
    /// Plan.
    pub plan: Plan,
    /// Starting balance, written as a `signup` ledger entry when positive.
    pub initial_credits: i64,
    /// The first API key (see [`generate_api_key`]).
    pub api_key: NewApiKey,
}

/// A key to store: only the hash and a short visible prefix, never the key itself.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// Lower-case hex SHA-256 of the full key ([`hash_api_key`]).
    pub hash: String,
    /// First characters of the key, shown in key lists so users can tell keys apart.
    pub prefix: String,
    /// Optional label.
    pub name: Option<String>,
}

/// A stored API key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Id used to revoke the key (the first 16 hex digits of the hash).
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// SHA-256 hex of the key.
    pub hash: String,
    /// Visible prefix.
    pub prefix: String,
    /// Label.
    pub name: Option<String>,
    /// Creation time.
    pub created_at: Millis,
    /// Last successful authentication, updated by [`KeyRepo::authenticate`].
    pub last_used_at: Option<Millis>,
    /// When it was revoked; a revoked key never authenticates.
    pub revoked_at: Option<Millis>,
}

/// Denormalized counters of a model, kept exact by atomic updates.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelStats {
    /// Recorded runs (successful or not).
    pub runs: u64,
    /// Distinct users who ran it.
    pub unique_users: u64,
    /// Users who saved it.
    pub saves: u64,
    /// Forks made of it.
    pub forks: u64,
    /// Number of ratings.
    pub rating_count: u64,
    /// Sum of the stars of all ratings (the average is `rating_sum / rating_count`).
    pub rating_sum: u64,
}

impl ModelStats {
    /// Mean rating, `None` when unrated.
    pub fn rating_average(&self) -> Option<f64> {
        (self.rating_count > 0).then(|| self.rating_sum as f64 / self.rating_count as f64)
    }
}

/// Editable metadata of a model.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelMeta {
    /// Display name (1–120 chars).
    pub name: String,
    /// Plain text (≤ 4000 chars).
    pub description: String,
    /// Lab.
    pub lab_scope: LabScope,
    /// Who can see it.
    pub visibility: Visibility,
    /// Tags (≤ 16, each 1–32 chars of `a-z 0-9 -`).
    pub tags: Vec<String>,
    /// Difficulty.
    pub difficulty: Difficulty,
    /// References shown with the model.
    pub references: Vec<String>,
}

/// A model (its metadata and counters; the program lives in its versions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRecord {
    /// Unique URL-safe name (`a-z 0-9 -`, 1–64 chars); the model's key.
    pub slug: String,
    /// Owner's user id; `None` for platform-owned seed models.
    pub owner_id: Option<String>,
    /// Metadata.
    pub meta: ModelMeta,
    /// Seed template shipped with the platform.
    pub is_template: bool,
    /// Slug of the model this one was forked from.
    pub forked_from: Option<String>,
    /// Highest version number.
    pub latest_version: u32,
    /// Counters.
    pub stats: ModelStats,
    /// Creation time.
    pub created_at: Millis,
    /// Last metadata or version change.
    pub updated_at: Millis,
}

/// A new version's content.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVersion {
    /// The program (its `outputs` are the output schema).
    pub dsl: Dsl,
    /// Inputs it accepts.
    pub input_schema: InputSchema,
    /// What changed (free text).
    pub changelog: String,
}

/// An immutable, numbered version of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersionRecord {
    /// Model slug.
    pub model_slug: String,
    /// 1, 2, …
    pub version: u32,
    /// The program.
    pub dsl: Dsl,
    /// Inputs it accepts.
    pub input_schema: InputSchema,
    /// What changed.
    pub changelog: String,
    /// Who created it (`None` for seeds).
    pub created_by: Option<String>,
    /// Creation time.
    pub created_at: Millis,
}

/// What [`ModelRepo::create_model`] needs.
#[derive(Debug, Clone)]
pub struct NewModel {
    /// Unique slug.
    pub slug: String,
    /// Owner (`None` for platform seeds).
    pub owner_id: Option<String>,
    /// Metadata.
    pub meta: ModelMeta,
    /// Seed template flag.
    pub is_template: bool,
    /// Parent slug when forking; the parent's `forks` counter rises in the same transaction.
    pub forked_from: Option<String>,
    /// Version 1.
    pub first_version: NewVersion,
}

/// A partial metadata update (`None` = unchanged).
#[derive(Debug, Clone, Default)]
pub struct ModelPatch {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New lab.
    pub lab_scope: Option<LabScope>,
    /// New visibility.
    pub visibility: Option<Visibility>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// New difficulty.
    pub difficulty: Option<Difficulty>,
    /// New references.
    pub references: Option<Vec<String>>,
}

/// Catalogue order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModelSort {
    /// Most runs first.
    #[default]
    Popular,
    /// Highest average rating first (unrated last).
    Rating,
    /// Newest first.
    New,
}

/// Filters of the public catalogue. All filters combine with AND.
#[derive(Debug, Clone, Default)]
pub struct ModelQuery {
    /// Lab; models scoped `both` are listed in every lab.
    pub lab: Option<LabScope>,
    /// Exact tag.
    pub tag: Option<String>,
    /// Exact difficulty.
    pub difficulty: Option<Difficulty>,
    /// Case-insensitive substring of slug, name, description or tags.
    pub q: Option<String>,
    /// Order.
    pub sort: ModelSort,
}

/// Page size and position. `limit` must be 1–100.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// Items per page.
    pub limit: u32,
    /// Opaque cursor from a previous [`Page::next_cursor`].
    pub cursor: Option<String>,
}

impl PageRequest {
    /// The first page of `limit` items.
    pub fn first(limit: u32) -> Self {
        Self {
            limit,
            cursor: None,
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// Items, in order.
    pub items: Vec<T>,
    /// Cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// A run to record in the audit log.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// The run's id, allocated by the caller with [`new_id`] before anything is charged, so
    /// the ledger entry of the charge (and of a refund) can name the run it paid for.
    pub id: String,
    /// Who ran it.
    pub user_id: String,
    /// Model slug.
    pub model_slug: String,
    /// Version that ran.
    pub version: u32,
    /// Inputs after defaults.
    pub inputs: Map<String, Value>,
    /// Outcome.
    pub status: RunStatus,
    /// Error message when failed.
    pub error: Option<String>,
    /// Engine time.
    pub runtime_ms: f64,
    /// Credits charged.
    pub cost: u32,
    /// Datasets read, with content hashes.
    pub data_sources: Vec<DataSourceRef>,
    /// The full output (usually the RunResult JSON), stored as a blob before the run item,
    /// or a blob the caller already stored that identical runs share.
    pub output: Option<RunOutput>,
    /// Client idempotency key: a second `record_run` with the same user and key records
    /// nothing and answers the first run.
    pub idempotency_key: Option<String>,
    /// Whether the result came from the run cache (an identical earlier run) rather than a
    /// fresh execution; `GET /api/runs/{id}` reports it as the run answered it.
    pub cached: bool,
}

/// The output of a run to record.
#[derive(Debug, Clone)]
pub enum RunOutput {
    /// Bytes to store under the run's own key before the run item is written.
    Bytes(Vec<u8>),
    /// A blob already stored with [`Store::put_blob`] (see [`StoredBlob::shared_run_output`]):
    /// the run item only points at it, so a thousand cached runs write one blob, not a
    /// thousand copies.
    Stored(StoredBlob),
}

/// A blob already in the blob store: where it is, its SHA-256 and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// Blob key.
    pub key: String,
    /// SHA-256 hex of the bytes.
    pub hash: String,
    /// Size in bytes.
    pub size: u64,
}

impl StoredBlob {
    /// The content-addressed key of a run output shared by identical runs
    /// (`runs/shared/<sha256>.pack`: the API stores results packed, see `auster_api::run_blob`;
    /// under the `runs/` lifecycle rule). Callers store it
    /// again whenever they compute the output afresh, which renews its age, so no run
    /// points at a blob older than the results cache (one UTC day).
    pub fn shared_run_output(bytes: &[u8]) -> Self {
        let hash = common::sha256_hex(bytes);
        Self {
            key: format!("runs/shared/{hash}.pack"),
            hash,
            size: bytes.len() as u64,
        }
    }
}

/// A recorded run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Run id (time-ordered).
    pub id: String,
    /// Who ran it.
    pub user_id: String,
    /// Model slug.
    pub model_slug: String,
    /// Version.
    pub version: u32,
    /// Inputs.
    pub inputs: Map<String, Value>,
    /// Outcome.
    pub status: RunStatus,
    /// Error message.
    pub error: Option<String>,
    /// Engine time.
    pub runtime_ms: f64,
    /// Credits charged.
    pub cost: u32,
    /// Datasets read.
    pub data_sources: Vec<DataSourceRef>,
    /// Blob key of the output, when one was stored.
    pub output_key: Option<String>,
    /// SHA-256 hex of the output.
    pub output_hash: Option<String>,
    /// Output size in bytes.
    pub output_size: u64,
    /// Served from the run cache rather than executed (see [`NewRun::cached`]).
    pub cached: bool,
    /// When it was recorded.
    pub created_at: Millis,
}

/// Runs and distinct users of one model on one UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyUsage {
    /// Day.
    pub day: Day,
    /// Runs recorded.
    pub runs: u64,
    /// Distinct users.
    pub unique_users: u64,
}

/// One user's activity on one UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserDailyUsage {
    /// Runs recorded.
    pub runs: u64,
    /// Credits charged (sum of positive charges).
    pub credits_spent: i64,
}

/// One user's rating of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingRecord {
    /// Model.
    pub model_slug: String,
    /// Rater.
    pub user_id: String,
    /// 1–5.
    pub stars: u8,
    /// Optional text (≤ 2000 chars).
    pub review: Option<String>,
    /// Last change.
    pub updated_at: Millis,
}

/// A model's rating aggregate, plus the caller's own rating.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingSummary {
    /// Mean, `None` when unrated.
    pub average: Option<f64>,
    /// Number of ratings.
    pub count: u64,
    /// The caller's rating, when asked with a viewer who rated.
    pub mine: Option<RatingRecord>,
}

/// A bookmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaveRecord {
    /// Model.
    pub model_slug: String,
    /// When saved.
    pub saved_at: Millis,
}

/// What [`ArtifactRepo::create_artifact`] needs.
#[derive(Debug, Clone)]
pub struct NewArtifact {
    /// Unique slug (`a-z 0-9 -`, 1–80 chars).
    pub slug: String,
    /// Owner.
    pub owner_id: String,
    /// The run it publishes (must be the owner's).
    pub run_id: String,
    /// Title (1–200 chars).
    pub title: String,
    /// Summary (≤ 4000 chars).
    pub summary: String,
    /// Who can see it.
    pub visibility: Visibility,
    /// The body (usually JSON), stored as a blob before the item.
    pub body: Vec<u8>,
}

/// A published result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactRecord {
    /// Unique slug.
    pub slug: String,
    /// Owner.
    pub owner_id: String,
    /// Published run.
    pub run_id: String,
    /// Model of the run.
    pub model_slug: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Who can see it.
    pub visibility: Visibility,
    /// Views counted by [`ArtifactRepo::record_artifact_view`].
    pub views: u64,
    /// Blob key of the body.
    pub body_key: String,
    /// SHA-256 hex of the body.
    pub body_hash: String,
    /// Creation time.
    pub created_at: Millis,
}

/// One line of the append-only credits ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Position in the user's ledger: 1, 2, … with no gaps.
    pub seq: u64,
    /// Owner.
    pub user_id: String,
    /// Added (positive) or charged (negative).
    pub delta: i64,
    /// Balance right after this entry.
    pub balance_after: i64,
    /// `signup`, `grant`, `run`, `refund`, …
    pub reason: String,
    /// Run charged, when it is a run's.
    pub run_id: Option<String>,
    /// Model run, when it is a run's.
    pub model_slug: Option<String>,
    /// When.
    pub created_at: Millis,
}

/// Why credits move, and what for.
#[derive(Debug, Clone, Default)]
pub struct CreditMemo {
    /// `grant`, `run`, `refund`, … (1–32 chars).
    pub reason: String,
    /// Run, when it is a run's.
    pub run_id: Option<String>,
    /// Model, when it is a run's.
    pub model_slug: Option<String>,
}

/// One quota counter to hit (see [`QuotaRepo::hit_quota`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaHit<'a> {
    /// Counter key, e.g. `runs-min:<user>:<slug>`.
    pub key: &'a str,
    /// Hits allowed per window (≥ 1).
    pub limit: u64,
    /// Window length in seconds.
    pub window_secs: u64,
}

/// A quota counter after a successful hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaState {
    /// Hits in the current window, this one included.
    pub used: u64,
    /// The limit.
    pub limit: u64,
    /// When the window ends.
    pub resets_at: Millis,
}

// ---------------------------------------------------------------------------------------
// Repository traits
// ---------------------------------------------------------------------------------------

/// Accounts.
#[async_trait]
pub trait AccountRepo: Send + Sync {
    /// Creates an account with its first key (and a `signup` ledger entry when
    /// `initial_credits > 0`), all at once. Conflict when the email is taken; Invalid for a
    /// malformed email or negative credits.
    async fn create_account(&self, new: NewAccount) -> Result<Account>;
    /// The account; NotFound when unknown.
    async fn get_account(&self, user_id: &str) -> Result<Account>;
    /// The account with that (case-insensitive) email; NotFound when none.
    async fn get_account_by_email(&self, email: &str) -> Result<Account>;
    /// Changes the plan.
    async fn set_plan(&self, user_id: &str, plan: Plan) -> Result<Account>;
}

/// API keys: only hashes are stored.
#[async_trait]
pub trait KeyRepo: Send + Sync {
    /// Adds a key to an account. Conflict when the hash exists.
    async fn create_api_key(&self, user_id: &str, key: NewApiKey) -> Result<ApiKeyRecord>;
    /// The account owning the key with this hash, updating `last_used_at`.
    /// NotFound for unknown or revoked keys (the API answers 401 for both).
    async fn authenticate(&self, key_hash: &str) -> Result<Account>;
    /// The key record by hash (revoked keys included); NotFound when unknown.
    async fn get_api_key(&self, key_hash: &str) -> Result<ApiKeyRecord>;
    /// The user's keys, newest first.
    async fn list_api_keys(&self, user_id: &str) -> Result<Vec<ApiKeyRecord>>;
    /// Revokes one of the user's keys by id; NotFound when it is not theirs.
    async fn revoke_api_key(&self, user_id: &str, key_id: &str) -> Result<ApiKeyRecord>;
}

/// Models and their versions.
#[async_trait]
pub trait ModelRepo: Send + Sync {
    /// Creates a model with version 1. Conflict when the slug is taken; NotFound when
    /// `forked_from` names a model the owner cannot see.
    async fn create_model(&self, new: NewModel) -> Result<ModelRecord>;
    /// A model as `viewer` may see it: private models of others are NotFound.
    async fn get_model(&self, slug: &str, viewer: Option<&str>) -> Result<ModelRecord>;
    /// Changes metadata. NotFound when `actor` cannot see it, Forbidden when they can
    /// but do not own it.
    async fn update_model(&self, slug: &str, actor: &str, patch: ModelPatch)
        -> Result<ModelRecord>;
    /// Adds version `latest + 1` (same access rule as `update_model`).
    async fn add_version(
        &self,
        slug: &str,
        actor: &str,
        version: NewVersion,
    ) -> Result<ModelVersionRecord>;
    /// Deletes a model with its versions and ratings (same access rule).
    async fn delete_model(&self, slug: &str, actor: &str) -> Result<()>;
    /// One version (`None` = latest) as `viewer` may see it.
    async fn get_version(
        &self,
        slug: &str,
        version: Option<u32>,
        viewer: Option<&str>,
    ) -> Result<ModelVersionRecord>;
    /// All versions, newest first.
    async fn list_versions(
        &self,
        slug: &str,
        viewer: Option<&str>,
    ) -> Result<Vec<ModelVersionRecord>>;
    /// The public catalogue: only `public` models, filtered and sorted.
    async fn list_public_models(
        &self,
        query: &ModelQuery,
        page: &PageRequest,
    ) -> Result<Page<ModelRecord>>;
    /// A user's models, newest first: all of them for the owner, public ones otherwise.
    async fn list_user_models(
        &self,
        owner_id: &str,
        viewer: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<ModelRecord>>;
}

/// The run audit log and usage counters.
#[async_trait]
pub trait RunRepo: Send + Sync {
    /// Records a run: output blob first, then the run item with the model's `runs`,
    /// unique-user and daily counters. With an idempotency key already used by this
    /// user, records nothing and returns the earlier run.
    async fn record_run(&self, run: NewRun) -> Result<RunRecord>;
    /// A run; NotFound unless `viewer` ran it.
    async fn get_run(&self, run_id: &str, viewer: &str) -> Result<RunRecord>;
    /// The stored output of a run (same access rule); NotFound when none was stored.
    async fn get_run_output(&self, run_id: &str, viewer: &str) -> Result<Vec<u8>>;
    /// The earlier run recorded with this user's idempotency key, if any.
    async fn find_idempotent_run(&self, user_id: &str, key: &str) -> Result<Option<RunRecord>>;
    /// The user's runs, newest first.
    async fn list_user_runs(&self, user_id: &str, page: &PageRequest) -> Result<Page<RunRecord>>;
    /// A model's daily usage for days `from..=to`, ascending, days without runs omitted.
    async fn model_usage(&self, slug: &str, from: Day, to: Day) -> Result<Vec<DailyUsage>>;
    /// A user's usage on one day (zeros when idle).
    async fn user_usage(&self, user_id: &str, day: Day) -> Result<UserDailyUsage>;
}

/// Saves and ratings.
#[async_trait]
pub trait SocialRepo: Send + Sync {
    /// Saves a model the user can see; true when newly saved (the model's `saves` rises).
    async fn save_model(&self, user_id: &str, slug: &str) -> Result<bool>;
    /// Removes a save; true when one was removed.
    async fn unsave_model(&self, user_id: &str, slug: &str) -> Result<bool>;
    /// Whether the user saved the model.
    async fn is_saved(&self, user_id: &str, slug: &str) -> Result<bool>;
    /// The user's saved models they can still see, most recently saved first.
    async fn list_saves(&self, user_id: &str, page: &PageRequest) -> Result<Page<ModelRecord>>;
    /// Rates (or re-rates) a model 1–5; the aggregate changes in the same transaction.
    async fn rate_model(
        &self,
        user_id: &str,
        slug: &str,
        stars: u8,
        review: Option<String>,
    ) -> Result<RatingSummary>;
    /// Removes the user's rating; the summary afterwards (`mine` = None).
    async fn unrate_model(&self, user_id: &str, slug: &str) -> Result<RatingSummary>;
    /// The aggregate, with `viewer`'s own rating.
    async fn rating_summary(&self, slug: &str, viewer: Option<&str>) -> Result<RatingSummary>;
    /// Ratings of a model, newest first.
    async fn list_ratings(&self, slug: &str, page: &PageRequest) -> Result<Page<RatingRecord>>;
}

/// Published artifacts.
#[async_trait]
pub trait ArtifactRepo: Send + Sync {
    /// Publishes: body blob first, then the item. Conflict when the slug is taken,
    /// NotFound when the run is not the owner's.
    async fn create_artifact(&self, new: NewArtifact) -> Result<ArtifactRecord>;
    /// An artifact as `viewer` may see it (private: owner only).
    async fn get_artifact(&self, slug: &str, viewer: Option<&str>) -> Result<ArtifactRecord>;
    /// Its body (same access rule).
    async fn get_artifact_body(&self, slug: &str, viewer: Option<&str>) -> Result<Vec<u8>>;
    /// Counts a view (atomic); returns the new count.
    async fn record_artifact_view(&self, slug: &str) -> Result<u64>;
    /// A user's artifacts, newest first (others see only public ones).
    async fn list_user_artifacts(
        &self,
        owner_id: &str,
        viewer: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<ArtifactRecord>>;
}

/// Credits: balance and the append-only ledger change together.
#[async_trait]
pub trait CreditRepo: Send + Sync {
    /// Adds `amount > 0` credits.
    async fn grant_credits(
        &self,
        user_id: &str,
        amount: i64,
        memo: CreditMemo,
    ) -> Result<LedgerEntry>;
    /// Takes `amount > 0` credits; PaymentRequired (nothing written) when the balance is
    /// smaller. Safe under any concurrency: the balance never goes below zero.
    async fn charge_credits(
        &self,
        user_id: &str,
        amount: i64,
        memo: CreditMemo,
    ) -> Result<LedgerEntry>;
    /// The user's ledger, newest first.
    async fn list_ledger(&self, user_id: &str, page: &PageRequest) -> Result<Page<LedgerEntry>>;
}

/// Fixed-window counters with expiry.
#[async_trait]
pub trait QuotaRepo: Send + Sync {
    /// Counts one hit of `key` (e.g. `runs:<user>:day`) in the current window of
    /// `window_secs`. RateLimited (nothing counted) once `limit` hits were counted.
    async fn hit_quota(&self, key: &str, limit: u64, window_secs: u64) -> Result<QuotaState>;
    /// Hits `gate`, then `then`: RateLimited (nothing counted) when `gate` is full;
    /// otherwise `Some` state of `then`, or `None` when `then` is full (the gate's hit
    /// counts, `then` is not counted). A run's per-minute limit and its day's included runs,
    /// in one round trip where the backend can (one SQLite transaction); by default, two
    /// [`hit_quota`](Self::hit_quota) calls.
    async fn hit_quota_then(
        &self,
        gate: QuotaHit<'_>,
        then: QuotaHit<'_>,
    ) -> Result<Option<QuotaState>> {
        // Both checked first: a bad second counter must not leave the gate's hit counted.
        common::check_quota(then.key, then.limit, then.window_secs)?;
        self.hit_quota(gate.key, gate.limit, gate.window_secs)
            .await?;
        match self.hit_quota(then.key, then.limit, then.window_secs).await {
            Ok(state) => Ok(Some(state)),
            Err(StoreError::RateLimited { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
    /// Hits counted so far in the current window.
    async fn quota_used(&self, key: &str, window_secs: u64) -> Result<u64>;
}

/// Bytes with expiry (the data gateway's L2 cache) and plain blobs.
#[async_trait]
pub trait CacheRepo: Send + Sync {
    /// The value when present and not expired.
    async fn cache_get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Stores a value for `ttl_secs` (> 0); large values go to the blob store.
    async fn cache_put(&self, key: &str, value: &[u8], ttl_secs: u64) -> Result<()>;
    /// Stores a blob (uploaded datasets, …) under a key of `a-z A-Z 0-9 / . _ -`.
    async fn put_blob(&self, key: &str, bytes: &[u8]) -> Result<()>;
    /// A blob; NotFound when missing.
    async fn get_blob(&self, key: &str) -> Result<Vec<u8>>;
}

/// The whole store, as the API holds it: `Arc<dyn Store>`.
#[async_trait]
pub trait Store:
    AccountRepo
    + KeyRepo
    + ModelRepo
    + RunRepo
    + SocialRepo
    + ArtifactRepo
    + CreditRepo
    + QuotaRepo
    + CacheRepo
    + Send
    + Sync
{
    /// `sqlite` or `aws`.
    fn backend(&self) -> &'static str;
    /// Cheap round trip to the backing service (health checks).
    async fn ping(&self) -> Result<()>;
}

/// Everything a caller needs in scope to use an `Arc<dyn Store>`: the trait methods are
/// reachable only with their traits imported.
pub mod prelude {
    pub use crate::{
        AccountRepo, ArtifactRepo, CacheRepo, CreditRepo, KeyRepo, ModelRepo, QuotaRepo, RunRepo,
        SocialRepo, Store, StoreError,
    };
}

/// Environment variable names (interfaces.md §2).
pub mod env {
    /// `sqlite` (default) or `aws`.
    pub const STORE: &str = "AUSTER_STORE";
    /// Folder for the SQLite file and blobs (default `./.auster`).
    pub const HOME: &str = "AUSTER_HOME";
    /// DynamoDB table (with `aws`).
    pub const TABLE: &str = "AUSTER_TABLE";
    /// S3 bucket (with `aws`).
    pub const BUCKET: &str = "AUSTER_BUCKET";
    /// SDK endpoint override (moto).
    pub const ENDPOINT: &str = "AWS_ENDPOINT_URL";
    /// SDK region.
    pub const REGION: &str = "AWS_REGION";
}

/// Opens the store the environment names: `AUSTER_STORE=sqlite` (default) opens
/// `$AUSTER_HOME/auster.db` (default `./.auster`); `aws` needs `AUSTER_TABLE` and
/// `AUSTER_BUCKET` and uses the SDK's own configuration (`AWS_ENDPOINT_URL`, `AWS_REGION`).
pub async fn open_from_env() -> Result<Arc<dyn Store>> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    match var(env::STORE).as_deref().unwrap_or("sqlite") {
        "sqlite" => {
            let home = var(env::HOME).unwrap_or_else(|| "./.auster".to_string());
            sqlite::open(home).await
        }
        #[cfg(feature = "aws")]
        "aws" => aws::connect(aws_config_from_env()?).await,
        #[cfg(not(feature = "aws"))]
        "aws" => Err(StoreError::Invalid(
            "AUSTER_STORE=aws needs auster-store built with its `aws` feature".into(),
        )),
        other => Err(StoreError::Invalid(format!(
            "AUSTER_STORE must be `sqlite` or `aws`, not `{other}`"
        ))),
    }
}

#[cfg(feature = "aws")]
/// The aws backend's configuration from `AUSTER_TABLE`, `AUSTER_BUCKET`,
/// `AWS_ENDPOINT_URL` and `AWS_REGION`; Invalid naming every missing variable.
pub fn aws_config_from_env() -> Result<aws::AwsConfig> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let (table, bucket) = (var(env::TABLE), var(env::BUCKET));
    let missing: Vec<&str> = [
        (env::TABLE, table.is_none()),
        (env::BUCKET, bucket.is_none()),
    ]
    .into_iter()
    .filter_map(|(k, m)| m.then_some(k))
    .collect();
    if !missing.is_empty() {
        return Err(StoreError::Invalid(format!(
            "AUSTER_STORE=aws needs {} set",
            missing.join(" and ")
        )));
    }
    Ok(aws::AwsConfig::from_env(
        table.unwrap_or_default(),
        bucket.unwrap_or_default(),
    ))
}

/// Creates the DynamoDB table (keys and indexes of [`table::definition`]) and the S3
/// bucket when missing; idempotent. Used by `auster store init`.
#[cfg(feature = "aws")]
pub async fn init_aws(cfg: &aws::AwsConfig) -> Result<aws::InitReport> {
    aws::init(cfg).await
}

/// [`init_aws`] with the configuration of [`aws_config_from_env`].
#[cfg(feature = "aws")]
pub async fn init_aws_from_env() -> Result<aws::InitReport> {
    init_aws(&aws_config_from_env()?).await
}
