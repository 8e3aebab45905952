//! DynamoDB + S3 backend (single-table design; keys in `docs/storage.md`).
//!
//! Uniqueness and money are guarded by conditional writes, pairs that must change
//! together go through `TransactWriteItems`, counters use atomic `ADD`, and large payloads
//! are written to S3 before the item that points at them. Optimistic loops (credits,
//! ratings, versions) re-read and retry with jittered backoff when a concurrent writer
//! wins; throttling and transient network errors are retried by the SDK's standard retry
//! policy, and whatever still fails is reported as `Unavailable`.

use std::{collections::HashMap, future::Future, sync::Arc, time::Duration};

use async_trait::async_trait;
use auster_types::{Difficulty, LabScope};
use aws_sdk_dynamodb::{
    error::{ProvideErrorMetadata, SdkError},
    operation::transact_write_items::TransactWriteItemsError,
    types::{
        AttributeDefinition, AttributeValue, BillingMode, Delete, DeleteRequest,
        GlobalSecondaryIndex, KeySchemaElement, KeyType, KeysAndAttributes, Projection,
        ProjectionType, Put, ReturnValue, ScalarAttributeType, TableStatus,
        TimeToLiveSpecification, TransactWriteItem, Update, WriteRequest,
    },
    Client as Dynamo,
};
use aws_sdk_s3::{primitives::ByteStream, Client as S3};
use serde::{Deserialize, Serialize};

use crate::common::{self, *};
use crate::table::{self, AttrType};
use crate::*;
/// How many times an optimistic write is retried before giving up as `Unavailable`.
const MAX_OPTIMISTIC_ATTEMPTS: u32 = 200;

/// Where the AWS backend keeps its state.
#[derive(Debug, Clone)]
pub struct AwsConfig {
    /// DynamoDB table name.
    pub table: String,
    /// S3 bucket name.
    pub bucket: String,
    /// Endpoint override (moto); `None` uses the SDK's resolution. With an override, S3
    /// is addressed path-style, as moto needs.
    pub endpoint_url: Option<String>,
    /// Region; `None` uses the SDK's resolution, then `us-east-1`.
    pub region: Option<String>,
    /// Explicit access key id and secret (tests against moto); `None` uses the SDK's
    /// default credential chain (environment, profile, Lambda role).
    pub credentials: Option<(String, String)>,
    /// Per-attempt timeout; a stopped endpoint fails fast instead of hanging.
    pub attempt_timeout: Duration,
    /// Attempts per request, counting the first (throttling and network errors).
    pub max_attempts: u32,
    /// Send this process's DynamoDB writes one at a time. Only for moto: when one of its
    /// transactions is cancelled, moto restores a snapshot of the whole table taken when
    /// that transaction began, erasing writes that other requests made meanwhile. Real
    /// DynamoDB isolates transactions, so this stays off there. Reads stay concurrent,
    /// and every read-then-write still relies on its condition expression.
    pub serialize_writes: bool,
}

impl AwsConfig {
    /// Table and bucket as given; endpoint and region from `AWS_ENDPOINT_URL`/`AWS_REGION`.
    pub fn from_env(table: String, bucket: String) -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Self {
            table,
            bucket,
            endpoint_url: var(crate::env::ENDPOINT),
            region: var(crate::env::REGION),
            credentials: None,
            attempt_timeout: Duration::from_secs(5),
            max_attempts: 4,
            serialize_writes: false,
        }
    }
}

/// What [`crate::init_aws`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// The table was created now (false: it existed).
    pub table_created: bool,
    /// The bucket was created now (false: it existed).
    pub bucket_created: bool,
}

/// The DynamoDB + S3 store.
pub struct AwsStore {
    db: Dynamo,
    s3: S3,
    table: String,
    bucket: String,
    /// Held around every DynamoDB write when [`AwsConfig::serialize_writes`] is on.
    write_lock: Option<tokio::sync::Mutex<()>>,
}

/// Connects to the table and bucket (no network call is made until the first request).
pub async fn connect(cfg: AwsConfig) -> Result<Arc<dyn Store>> {
    Ok(Arc::new(AwsStore::connect(cfg).await?))
}

async fn clients(cfg: &AwsConfig) -> (Dynamo, S3) {
    use aws_config::{
        meta::region::RegionProviderChain, retry::RetryConfig, timeout::TimeoutConfig,
    };
    let region = RegionProviderChain::first_try(cfg.region.clone().map(aws_config::Region::new))
        .or_default_provider()
        .or_else(aws_config::Region::new("us-east-1"));
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(region)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(cfg.max_attempts.max(1))
                .with_initial_backoff(Duration::from_millis(50))
                .with_max_backoff(Duration::from_secs(2)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(cfg.attempt_timeout)
                .build(),
        );
    if let Some(url) = &cfg.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some((id, secret)) = &cfg.credentials {
        loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            id,
            secret,
            None,
            None,
            "auster-static",
        ));
    }
    let sdk = loader.load().await;
    let db = Dynamo::new(&sdk);
    let s3_conf = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(cfg.endpoint_url.is_some())
        .build();
    (db, S3::from_conf(s3_conf))
}

impl AwsStore {
    /// Builds the SDK clients once (per cold start).
    pub async fn connect(cfg: AwsConfig) -> Result<Self> {
        if cfg.table.trim().is_empty() || cfg.bucket.trim().len() < 3 {
            return Err(StoreError::Invalid(
                "AUSTER_TABLE must be set and AUSTER_BUCKET must have at least 3 characters".into(),
            ));
        }
        let (db, s3) = clients(&cfg).await;
        let write_lock = cfg.serialize_writes.then(|| tokio::sync::Mutex::new(()));
        Ok(Self {
            db,
            s3,
            table: cfg.table,
            bucket: cfg.bucket,
            write_lock,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// How a DynamoDB call failed, as far as the store's logic cares.
#[derive(Debug)]
enum Fail {
    /// A condition expression was false.
    Condition,
    /// A transaction was cancelled; one code per item (`None`, `ConditionalCheckFailed`,
    /// `TransactionConflict`, …).
    Cancelled(Vec<String>),
    /// Anything else, already mapped.
    Store(StoreError),
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl Fail {
    fn into_store(self, what: &str) -> StoreError {
        match self {
            Fail::Store(e) => e,
            Fail::Condition => StoreError::Conflict(format!("{what}: a concurrent change won")),
            Fail::Cancelled(r) => {
                StoreError::Conflict(format!("{what}: transaction cancelled ({})", r.join(", ")))
            }
        }
    }

    /// Whether the cancellation reason of item `i` was a failed condition.
    fn failed_at(&self, i: usize) -> bool {
        match self {
            Fail::Cancelled(r) => r.get(i).is_some_and(|c| c == "ConditionalCheckFailed"),
            Fail::Condition => true,
            Fail::Store(_) => false,
        }
    }

    /// Whether retrying the same logic (after a re-read) can succeed.
    fn is_contention(&self) -> bool {
        match self {
            Fail::Cancelled(r) => r
                .iter()
                .any(|c| c == "ConditionalCheckFailed" || c == "TransactionConflict"),
            Fail::Condition => true,
            Fail::Store(StoreError::Conflict(_)) => true,
            Fail::Store(_) => false,
        }
    }
}

fn sdk_fail<E, R>(e: SdkError<E, R>) -> Fail
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
{
    match &e {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("");
            match code {
                "ConditionalCheckFailedException" => Fail::Condition,
                "TransactionConflictException" => {
                    Fail::Store(StoreError::Conflict("transaction conflict".into()))
                }
                "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "SlowDown"
                | "ServiceUnavailable"
                | "InternalServerError"
                | "InternalError" => Fail::Store(StoreError::Unavailable(format!(
                    "{code} persisted after retries: {}",
                    se.err().message().unwrap_or("")
                ))),
                "ResourceNotFoundException" | "NoSuchBucket" => {
                    Fail::Store(StoreError::Unavailable(format!(
                        "table or bucket missing ({code}); run `auster store init`"
                    )))
                }
                _ => Fail::Store(StoreError::Internal(format!(
                    "{code}: {}",
                    se.err().message().unwrap_or("")
                ))),
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Fail::Store(StoreError::Unavailable(format!("{}", DisplayErr(&e))))
        }
        _ => Fail::Store(StoreError::Internal(format!("{}", DisplayErr(&e)))),
    }
}

/// Displays an error with its sources (the SDK's top-level messages are terse).
struct DisplayErr<'a>(&'a dyn std::error::Error);

impl std::fmt::Display for DisplayErr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut src = self.0.source();
        while let Some(s) = src {
            write!(f, ": {s}")?;
            src = s.source();
        }
        Ok(())
    }
}

fn tx_fail(
    e: SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> Fail {
    if let SdkError::ServiceError(se) = &e {
        if let TransactWriteItemsError::TransactionCanceledException(tc) = se.err() {
            let reasons = tc
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("None").to_string())
                .collect();
            return Fail::Cancelled(reasons);
        }
    }
    sdk_fail(e)
}

/// The `#name` placeholders of expressions, each bound to the attribute of that name.
/// Every attribute in an expression is written `#attr`, so DynamoDB's long list of
/// reserved words (`name`, `status`, `ttl`, `views`, …) can never bite.
fn names_in(exprs: &[Option<&str>]) -> Option<HashMap<String, String>> {
    let mut out = HashMap::new();
    for e in exprs.iter().flatten() {
        let b = e.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'#' {
                let j = (i + 1..b.len())
                    .find(|&j| !(b[j].is_ascii_alphanumeric() || b[j] == b'_'))
                    .unwrap_or(b.len());
                if j > i + 1 {
                    out.insert(e[i..j].to_string(), e[i + 1..j].to_string());
                }
                i = j;
            } else {
                i += 1;
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("request build: {e}"))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Internal(format!(
        "stored item is missing or has a malformed `{what}`"
    ))
}

/// Jittered exponential backoff for optimistic retries.
async fn backoff(attempt: u32) {
    let base = 4u64 << attempt.min(6);
    let jitter = u64::from_le_bytes(random8()) % (base + 1);
    tokio::time::sleep(Duration::from_millis(base / 2 + jitter)).await;
}

fn random8() -> [u8; 8] {
    let mut b = [0u8; 8];
    let _ = getrandom::fill(&mut b);
    b
}

// ---------------------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------------------

type Item = HashMap<String, AttributeValue>;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([
        (table::PK.to_string(), s(pk)),
        (table::SK.to_string(), s(sk)),
    ])
}

fn vals<const N: usize>(pairs: [(&str, AttributeValue); N]) -> Option<Item> {
    Some(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn get_s(i: &Item, k: &str) -> Result<String> {
    opt_s(i, k).ok_or_else(|| corrupt(k))
}

fn opt_s(i: &Item, k: &str) -> Option<String> {
    match i.get(k) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}

fn get_n<T: std::str::FromStr>(i: &Item, k: &str) -> Result<T> {
    opt_n(i, k).ok_or_else(|| corrupt(k))
}

fn opt_n<T: std::str::FromStr>(i: &Item, k: &str) -> Option<T> {
    match i.get(k) {
        Some(AttributeValue::N(v)) => v.parse().ok(),
        _ => None,
    }
}

fn n0(i: &Item, k: &str) -> u64 {
    opt_n::<i64>(i, k).unwrap_or(0).max(0) as u64
}

fn list_s(i: &Item, k: &str) -> Vec<String> {
    match i.get(k) {
        Some(AttributeValue::L(l)) => l
            .iter()
            .filter_map(|v| match v {
                AttributeValue::S(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn to_list(v: &[String]) -> AttributeValue {
    AttributeValue::L(v.iter().map(|t| s(t.clone())).collect())
}

fn put_opt(i: &mut Item, k: &str, v: Option<impl Into<String>>) {
    if let Some(v) = v {
        i.insert(k.to_string(), s(v));
    }
}

fn t13(ms: Millis) -> String {
    format!("{:013}", ms.max(0))
}

fn day_sk(day: Day) -> String {
    format!("DAY#{:06}", day.max(0))
}

fn user_pk(u: &str) -> String {
    format!("USER#{u}")
}

fn model_pk(slug: &str) -> String {
    format!("MODEL#{slug}")
}

fn account_from(i: &Item) -> Result<Account> {
    Ok(Account {
        id: get_s(i, "user_id")?,
        email: get_s(i, "email")?,
        plan: Plan::parse(&get_s(i, "plan")?).ok_or_else(|| corrupt("plan"))?,
        credits: get_n(i, "credits")?,
        created_at: get_n(i, "created_at")?,
    })
}

fn key_from(i: &Item) -> Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: get_s(i, "key_id")?,
        user_id: get_s(i, "user_id")?,
        hash: get_s(i, "hash")?,
        prefix: get_s(i, "prefix")?,
        name: opt_s(i, "name"),
        created_at: get_n(i, "created_at")?,
        last_used_at: opt_n(i, "last_used_at"),
        revoked_at: opt_n(i, "revoked_at"),
    })
}

fn model_item(m: &ModelRecord) -> Item {
    let mut i = key(model_pk(&m.slug), "MODEL");
    i.insert("slug".into(), s(&m.slug));
    put_opt(&mut i, "owner_id", m.owner_id.clone());
    if let Some(o) = &m.owner_id {
        i.insert("gsi1pk".into(), s(format!("USER#{o}#MODELS")));
        i.insert(
            "gsi1sk".into(),
            s(format!("{}#{}", t13(m.created_at), m.slug)),
        );
    }
    meta_into(&mut i, &m.slug, &m.meta);
    i.insert("is_template".into(), AttributeValue::Bool(m.is_template));
    put_opt(&mut i, "forked_from", m.forked_from.clone());
    i.insert("latest_version".into(), n(m.latest_version));
    let st = &m.stats;
    for (k, v) in [
        ("runs", st.runs),
        ("unique_users", st.unique_users),
        ("saves", st.saves),
        ("forks", st.forks),
        ("rating_count", st.rating_count),
        ("rating_sum", st.rating_sum),
    ] {
        i.insert(k.into(), n(v));
    }
    i.insert("rating_avg".into(), n(st.rating_average().unwrap_or(0.0)));
    i.insert("created_at".into(), n(m.created_at));
    i.insert("updated_at".into(), n(m.updated_at));
    i
}

fn meta_into(i: &mut Item, slug: &str, m: &ModelMeta) {
    i.insert("name".into(), s(&m.name));
    i.insert("description".into(), s(&m.description));
    i.insert("lab_scope".into(), s(m.lab_scope.as_str()));
    i.insert("visibility".into(), s(m.visibility.as_str()));
    i.insert("tags".into(), to_list(&m.tags));
    i.insert("difficulty".into(), s(m.difficulty.as_str()));
    i.insert("refs".into(), to_list(&m.references));
    i.insert("search".into(), s(search_text(slug, m)));
    if m.visibility == Visibility::Public {
        i.insert("pub".into(), s("PUBLIC"));
    }
}

fn model_from(i: &Item) -> Result<ModelRecord> {
    Ok(ModelRecord {
        slug: get_s(i, "slug")?,
        owner_id: opt_s(i, "owner_id"),
        meta: ModelMeta {
            name: get_s(i, "name")?,
            description: opt_s(i, "description").unwrap_or_default(),
            lab_scope: LabScope::parse(&get_s(i, "lab_scope")?)
                .ok_or_else(|| corrupt("lab_scope"))?,
            visibility: Visibility::parse(&get_s(i, "visibility")?)
                .ok_or_else(|| corrupt("visibility"))?,
            tags: list_s(i, "tags"),
            difficulty: Difficulty::parse(&get_s(i, "difficulty")?)
                .ok_or_else(|| corrupt("difficulty"))?,
            references: list_s(i, "refs"),
        },
        is_template: matches!(i.get("is_template"), Some(AttributeValue::Bool(true))),
        forked_from: opt_s(i, "forked_from"),
        latest_version: get_n(i, "latest_version")?,
        stats: ModelStats {
            runs: n0(i, "runs"),
            unique_users: n0(i, "unique_users"),
            saves: n0(i, "saves"),
            forks: n0(i, "forks"),
            rating_count: n0(i, "rating_count"),
            rating_sum: n0(i, "rating_sum"),
        },
        created_at: get_n(i, "created_at")?,
        updated_at: get_n(i, "updated_at")?,
    })
}

fn version_item(slug: &str, v: &ModelVersionRecord) -> Result<Item> {
    let mut i = key(model_pk(slug), format!("V#{:06}", v.version));
    i.insert("version".into(), n(v.version));
    i.insert("slug".into(), s(slug));
    i.insert("dsl".into(), s(to_json(&v.dsl)?));
    i.insert("input_schema".into(), s(to_json(&v.input_schema)?));
    i.insert("changelog".into(), s(&v.changelog));
    put_opt(&mut i, "created_by", v.created_by.clone());
    i.insert("created_at".into(), n(v.created_at));
    Ok(i)
}

fn version_from(i: &Item) -> Result<ModelVersionRecord> {
    Ok(ModelVersionRecord {
        model_slug: get_s(i, "slug")?,
        version: get_n(i, "version")?,
        dsl: from_json(&get_s(i, "dsl")?)?,
        input_schema: from_json(&get_s(i, "input_schema")?)?,
        changelog: opt_s(i, "changelog").unwrap_or_default(),
        created_by: opt_s(i, "created_by"),
        created_at: get_n(i, "created_at")?,
    })
}

fn run_item(r: &RunRecord) -> Result<Item> {
    let mut i = key(format!("RUN#{}", r.id), "RUN");
    i.insert("gsi1pk".into(), s(format!("USER#{}#RUNS", r.user_id)));
    i.insert("gsi1sk".into(), s(&r.id));
    i.insert("run_id".into(), s(&r.id));
    i.insert("user_id".into(), s(&r.user_id));
    i.insert("model_slug".into(), s(&r.model_slug));
    i.insert("version".into(), n(r.version));
    i.insert("inputs".into(), s(to_json(&r.inputs)?));
    i.insert("status".into(), s(run_status_str(r.status)));
    put_opt(&mut i, "error", r.error.clone());
    i.insert("runtime_ms".into(), n(r.runtime_ms));
    i.insert("cost".into(), n(r.cost));
    i.insert("data_sources".into(), s(to_json(&r.data_sources)?));
    put_opt(&mut i, "output_key", r.output_key.clone());
    put_opt(&mut i, "output_hash", r.output_hash.clone());
    i.insert("output_size".into(), n(r.output_size));
    i.insert("cached".into(), AttributeValue::Bool(r.cached));
    i.insert("created_at".into(), n(r.created_at));
    Ok(i)
}

fn run_from(i: &Item) -> Result<RunRecord> {
    Ok(RunRecord {
        id: get_s(i, "run_id")?,
        user_id: get_s(i, "user_id")?,
        model_slug: get_s(i, "model_slug")?,
        version: get_n(i, "version")?,
        inputs: from_json(&get_s(i, "inputs")?)?,
        status: parse_run_status(&get_s(i, "status")?).ok_or_else(|| corrupt("status"))?,
        error: opt_s(i, "error"),
        runtime_ms: get_n(i, "runtime_ms")?,
        cost: get_n(i, "cost")?,
        data_sources: from_json(&get_s(i, "data_sources")?)?,
        output_key: opt_s(i, "output_key"),
        output_hash: opt_s(i, "output_hash"),
        output_size: n0(i, "output_size"),
        // Items written before the flag existed were executed runs.
        cached: matches!(i.get("cached"), Some(AttributeValue::Bool(true))),
        created_at: get_n(i, "created_at")?,
    })
}

fn ledger_from(i: &Item) -> Result<LedgerEntry> {
    Ok(LedgerEntry {
        seq: get_n(i, "seq")?,
        user_id: get_s(i, "user_id")?,
        delta: get_n(i, "delta")?,
        balance_after: get_n(i, "balance_after")?,
        reason: get_s(i, "reason")?,
        run_id: opt_s(i, "run_id"),
        model_slug: opt_s(i, "model_slug"),
        created_at: get_n(i, "created_at")?,
    })
}

fn ledger_item(e: &LedgerEntry) -> Item {
    let mut i = key(user_pk(&e.user_id), format!("LEDGER#{:012}", e.seq));
    i.insert("seq".into(), n(e.seq));
    i.insert("user_id".into(), s(&e.user_id));
    i.insert("delta".into(), n(e.delta));
    i.insert("balance_after".into(), n(e.balance_after));
    i.insert("reason".into(), s(&e.reason));
    put_opt(&mut i, "run_id", e.run_id.clone());
    put_opt(&mut i, "model_slug", e.model_slug.clone());
    i.insert("created_at".into(), n(e.created_at));
    i
}

fn rating_from(i: &Item) -> Result<RatingRecord> {
    Ok(RatingRecord {
        model_slug: get_s(i, "slug")?,
        user_id: get_s(i, "user_id")?,
        stars: get_n(i, "stars")?,
        review: opt_s(i, "review"),
        updated_at: get_n(i, "updated_at")?,
    })
}

fn artifact_from(i: &Item) -> Result<ArtifactRecord> {
    Ok(ArtifactRecord {
        slug: get_s(i, "slug")?,
        owner_id: get_s(i, "owner_id")?,
        run_id: get_s(i, "run_id")?,
        model_slug: get_s(i, "model_slug")?,
        title: get_s(i, "title")?,
        summary: opt_s(i, "summary").unwrap_or_default(),
        visibility: Visibility::parse(&get_s(i, "visibility")?)
            .ok_or_else(|| corrupt("visibility"))?,
        views: n0(i, "views"),
        body_key: get_s(i, "body_key")?,
        body_hash: get_s(i, "body_hash")?,
        created_at: get_n(i, "created_at")?,
    })
}

/// An opaque cursor: the listing it belongs to and the key of the last item returned.
#[derive(Serialize, Deserialize)]
struct KeyCursor {
    /// Listing tag (index + partition); a cursor from another listing is refused.
    l: String,
    /// Key attributes: name, type (`S`/`N`), value.
    k: Vec<(String, String, String)>,
}

fn cursor_of(listing: &str, i: &Item, attrs: &[&str]) -> String {
    let k = attrs
        .iter()
        .filter_map(|a| match i.get(*a) {
            Some(AttributeValue::S(v)) => Some((a.to_string(), "S".into(), v.clone())),
            Some(AttributeValue::N(v)) => Some((a.to_string(), "N".into(), v.clone())),
            _ => None,
        })
        .collect();
    encode_cursor(&KeyCursor {
        l: listing.into(),
        k,
    })
}

/// Where a listing resumes: the checked limit and the key after which to continue.
fn start_key(listing: &str, page: &PageRequest) -> Result<(usize, Option<Item>)> {
    let (limit, cursor) = page_start::<KeyCursor>(page)?;
    let Some(c) = cursor else {
        return Ok((limit, None));
    };
    if c.l != listing {
        return Err(StoreError::Invalid(
            "cursor belongs to another listing or sort order; start again without it".into(),
        ));
    }
    let key =
        c.k.into_iter()
            .map(|(k, t, v)| {
                let v = if t == "N" {
                    AttributeValue::N(v)
                } else {
                    AttributeValue::S(v)
                };
                (k, v)
            })
            .collect();
    Ok((limit, Some(key)))
}

/// A key-condition query over one partition of the table or an index, newest first.
struct Q<'a> {
    index: Option<&'a str>,
    cond: &'a str,
    values: Item,
    /// Attributes that make up an item's position in this listing (cursor).
    key_attrs: &'a [&'a str],
    listing: String,
}

impl Q<'static> {
    /// The partition `pk` of the GSI1 index (a user's models, runs, saves, artifacts; a
    /// model's ratings); the partition names the listing its cursors belong to.
    fn gsi1(pk: String) -> Self {
        Q {
            index: Some(table::GSI1),
            cond: "gsi1pk = :p",
            values: vals([(":p", s(pk.clone()))]).unwrap_or_default(),
            key_attrs: &["pk", "sk", "gsi1pk", "gsi1sk"],
            listing: pk,
        }
    }
}

impl AwsStore {
    fn tx_put(
        &self,
        item: Item,
        cond: Option<&str>,
        values: Option<Item>,
    ) -> Result<TransactWriteItem> {
        let p = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(cond.map(str::to_string))
            .set_expression_attribute_names(names_in(&[cond]))
            .set_expression_attribute_values(values)
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().put(p).build())
    }

    fn tx_update(
        &self,
        k: Item,
        expr: &str,
        cond: Option<&str>,
        values: Option<Item>,
    ) -> Result<TransactWriteItem> {
        let u = Update::builder()
            .table_name(&self.table)
            .set_key(Some(k))
            .update_expression(expr)
            .set_condition_expression(cond.map(str::to_string))
            .set_expression_attribute_names(names_in(&[Some(expr), cond]))
            .set_expression_attribute_values(values)
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().update(u).build())
    }

    fn tx_delete(
        &self,
        k: Item,
        cond: Option<&str>,
        values: Option<Item>,
    ) -> Result<TransactWriteItem> {
        let d = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(k))
            .set_condition_expression(cond.map(str::to_string))
            .set_expression_attribute_names(names_in(&[cond]))
            .set_expression_attribute_values(values)
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().delete(d).build())
    }

    /// The write guard (see [`AwsConfig::serialize_writes`]).
    async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.write_lock {
            Some(l) => Some(l.lock().await),
            None => None,
        }
    }

    async fn transact(&self, items: Vec<TransactWriteItem>) -> std::result::Result<(), Fail> {
        let _g = self.write_guard().await;
        self.db
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map(|_| ())
            .map_err(tx_fail)
    }

    async fn get(&self, k: Item) -> Result<Option<Item>> {
        self.db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(k))
            .consistent_read(true)
            .send()
            .await
            .map(|o| o.item)
            .map_err(|e| sdk_fail(e).into_store("read"))
    }

    async fn put(
        &self,
        item: Item,
        cond: Option<&str>,
        values: Option<Item>,
    ) -> std::result::Result<(), Fail> {
        let _g = self.write_guard().await;
        self.db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(cond.map(str::to_string))
            .set_expression_attribute_names(names_in(&[cond]))
            .set_expression_attribute_values(values)
            .send()
            .await
            .map(|_| ())
            .map_err(sdk_fail)
    }

    async fn update(
        &self,
        k: Item,
        expr: &str,
        cond: Option<&str>,
        values: Option<Item>,
    ) -> std::result::Result<Option<Item>, Fail> {
        let _g = self.write_guard().await;
        self.db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(k))
            .update_expression(expr)
            .set_condition_expression(cond.map(str::to_string))
            .set_expression_attribute_names(names_in(&[Some(expr), cond]))
            .set_expression_attribute_values(values)
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map(|o| o.attributes)
            .map_err(sdk_fail)
    }

    /// One page of a query, with an in-store filter of each item; `next_cursor` is set
    /// only when at least one more matching item exists (the same contract as the SQLite
    /// backend).
    async fn query_page<T>(
        &self,
        q: &Q<'_>,
        page: &PageRequest,
        mut keep: impl FnMut(&Item) -> Result<Option<T>>,
    ) -> Result<Page<T>> {
        self.query_page_batched(q, page, |items| {
            let kept = items
                .into_iter()
                .filter_map(|i| keep(&i).map(|t| t.map(|t| (t, i))).transpose())
                .collect();
            std::future::ready(kept)
        })
        .await
    }

    /// [`Self::query_page`] with a filter that sees each batch of items the query answers
    /// at once, so it can read what they point at in one request (saves → models). It
    /// returns what it keeps, in order, each with the item whose key is its position.
    async fn query_page_batched<T, F, Fut>(
        &self,
        q: &Q<'_>,
        page: &PageRequest,
        mut keep: F,
    ) -> Result<Page<T>>
    where
        F: FnMut(Vec<Item>) -> Fut,
        Fut: Future<Output = Result<Vec<(T, Item)>>>,
    {
        let (limit, mut start) = start_key(&q.listing, page)?;
        let mut out: Vec<(T, String)> = Vec::new();
        loop {
            let resp = self
                .db
                .query()
                .table_name(&self.table)
                .set_index_name(q.index.map(str::to_string))
                .key_condition_expression(q.cond)
                .set_expression_attribute_names(names_in(&[Some(q.cond)]))
                .set_expression_attribute_values(Some(q.values.clone()))
                .scan_index_forward(false)
                .limit((2 * (limit + 1 - out.len())).clamp(25, 200) as i32)
                .set_exclusive_start_key(start.take())
                .consistent_read(q.index.is_none())
                .send()
                .await
                .map_err(|e| sdk_fail(e).into_store("query"))?;
            for (t, it) in keep(resp.items.unwrap_or_default()).await? {
                out.push((t, cursor_of(&q.listing, &it, q.key_attrs)));
                if out.len() > limit {
                    break;
                }
            }
            if out.len() > limit || resp.last_evaluated_key.is_none() {
                break;
            }
            start = resp.last_evaluated_key;
        }
        Ok(page_of(out, limit, |(_, c)| c.clone(), |(t, _)| t))
    }

    /// Every item of a query (small partitions: keys, versions).
    async fn query_all(
        &self,
        index: Option<&str>,
        cond: &str,
        values: Item,
        forward: bool,
    ) -> Result<Vec<Item>> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let resp = self
                .db
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_string))
                .key_condition_expression(cond)
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(forward)
                .set_exclusive_start_key(start.take())
                .consistent_read(index.is_none())
                .send()
                .await
                .map_err(|e| sdk_fail(e).into_store("query"))?;
            out.extend(resp.items.unwrap_or_default());
            match resp.last_evaluated_key {
                Some(k) => start = Some(k),
                None => return Ok(out),
            }
        }
    }

    async fn put_object(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        check_blob_key(key)?;
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_fail(e).into_store("blob write"))
    }

    async fn get_object(&self, key: &str) -> Result<Vec<u8>> {
        check_blob_key(key)?;
        let resp = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        match resp {
            Ok(o) => o
                .body
                .collect()
                .await
                .map(|b| b.into_bytes().to_vec())
                .map_err(|e| StoreError::Unavailable(format!("blob read: {e}"))),
            Err(SdkError::ServiceError(se)) if se.err().is_no_such_key() => {
                Err(StoreError::not_found("blob", key))
            }
            Err(e) => Err(sdk_fail(e).into_store("blob read")),
        }
    }

    async fn delete_object(&self, key: &str) {
        let _ = self
            .s3
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
    }

    async fn load_model(&self, slug: &str) -> Result<Option<ModelRecord>> {
        check_slug("slug", slug, 64)?;
        self.get(key(model_pk(slug), "MODEL"))
            .await?
            .map(|i| model_from(&i))
            .transpose()
    }

    async fn visible_model(&self, slug: &str, viewer: Option<&str>) -> Result<ModelRecord> {
        common::visible_model(slug, self.load_model(slug).await?, viewer)
    }

    async fn owned_model(&self, slug: &str, actor: &str) -> Result<ModelRecord> {
        common::owned_model(slug, self.visible_model(slug, Some(actor)).await?, actor)
    }

    async fn load_account(&self, user_id: &str) -> Result<(Account, u64)> {
        check_id("user_id", user_id)?;
        let i = self
            .get(key(user_pk(user_id), "PROFILE"))
            .await?
            .ok_or_else(|| StoreError::not_found("account", user_id))?;
        Ok((account_from(&i)?, n0(&i, "ledger_seq")))
    }

    /// Re-derives `rating_avg` (the catalogue index's sort key) from the counters it was
    /// computed from; a concurrent rater that changed them fixes it up in turn.
    async fn fix_rating_avg(&self, slug: &str) -> Result<ModelRecord> {
        let m = self
            .load_model(slug)
            .await?
            .ok_or_else(|| StoreError::not_found("model", slug))?;
        let avg = m.stats.rating_average().unwrap_or(0.0);
        let r = self
            .update(
                key(model_pk(slug), "MODEL"),
                "SET #rating_avg = :a",
                Some("#rating_sum = :s AND #rating_count = :c"),
                vals([
                    (":a", n(avg)),
                    (":s", n(m.stats.rating_sum)),
                    (":c", n(m.stats.rating_count)),
                ]),
            )
            .await;
        match r {
            Ok(_) | Err(Fail::Condition) => Ok(m),
            Err(f) => Err(f.into_store("rating average")),
        }
    }

    async fn summary(
        &self,
        slug: &str,
        viewer: Option<&str>,
        m: Option<ModelRecord>,
    ) -> Result<RatingSummary> {
        let m = match m {
            Some(m) => m,
            None => self.visible_model(slug, viewer).await?,
        };
        let mine = match viewer {
            Some(u) => self
                .get(key(model_pk(slug), format!("RATING#{u}")))
                .await?
                .map(|i| rating_from(&i))
                .transpose()?,
            None => None,
        };
        Ok(rating_summary_of(&m, mine))
    }

    /// Moves credits with its ledger entry (optimistic on `ledger_seq`).
    async fn move_credits(
        &self,
        user_id: &str,
        delta: i64,
        memo: CreditMemo,
    ) -> Result<LedgerEntry> {
        for attempt in 0..MAX_OPTIMISTIC_ATTEMPTS {
            let (acct, seq) = self.load_account(user_id).await?;
            let now = now_ms();
            let entry = ledger_entry(user_id, seq + 1, acct.credits, delta, &memo, now)?;
            let mut items = vec![
                self.tx_update(
                    key(user_pk(user_id), "PROFILE"),
                    "SET #credits = :b, #ledger_seq = :q1",
                    Some("#ledger_seq = :q AND #credits = :c"),
                    vals([
                        (":b", n(entry.balance_after)),
                        (":q1", n(seq + 1)),
                        (":q", n(seq)),
                        (":c", n(acct.credits)),
                    ]),
                )?,
                self.tx_put(ledger_item(&entry), Some("attribute_not_exists(pk)"), None)?,
            ];
            if delta < 0 {
                items.push(self.tx_update(
                    key(user_pk(user_id), day_sk(day_of(now))),
                    "ADD #spent :d",
                    None,
                    vals([(":d", n(-delta))]),
                )?);
            }
            match self.transact(items).await {
                Ok(()) => return Ok(entry),
                Err(f) if f.is_contention() => backoff(attempt).await,
                Err(f) => return Err(f.into_store("credits")),
            }
        }
        Err(StoreError::Unavailable(format!(
            "credits of `{user_id}` are changing too fast; try again"
        )))
    }
}

// ---------------------------------------------------------------------------------------
// Trait implementations
// ---------------------------------------------------------------------------------------

#[async_trait]
impl AccountRepo for AwsStore {
    async fn create_account(&self, new: NewAccount) -> Result<Account> {
        let email = check_new_account(&new)?;
        let id = new_id();
        let now = now_ms();
        let seq = u64::from(new.initial_credits > 0);
        let mut claim = key(format!("EMAIL#{email}"), "EMAIL");
        claim.insert("user_id".into(), s(&id));
        let mut profile = key(user_pk(&id), "PROFILE");
        profile.insert("user_id".into(), s(&id));
        profile.insert("email".into(), s(&email));
        profile.insert("plan".into(), s(new.plan.as_str()));
        profile.insert("credits".into(), n(new.initial_credits));
        profile.insert("ledger_seq".into(), n(seq));
        profile.insert("created_at".into(), n(now));
        let mut items = vec![
            self.tx_put(claim, Some("attribute_not_exists(pk)"), None)?,
            self.tx_put(profile, None, None)?,
            self.tx_put(
                key_item(&id, &new.api_key, now),
                Some("attribute_not_exists(pk)"),
                None,
            )?,
        ];
        if seq == 1 {
            items.push(self.tx_put(
                ledger_item(&LedgerEntry {
                    seq: 1,
                    user_id: id.clone(),
                    delta: new.initial_credits,
                    balance_after: new.initial_credits,
                    reason: "signup".into(),
                    run_id: None,
                    model_slug: None,
                    created_at: now,
                }),
                None,
                None,
            )?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(Account {
                id,
                email,
                plan: new.plan,
                credits: new.initial_credits,
                created_at: now,
            }),
            Err(f) if f.failed_at(0) => Err(StoreError::Conflict(format!(
                "an account with email `{email}` exists"
            ))),
            Err(f) if f.failed_at(2) => Err(StoreError::Conflict(
                "that api key is already registered".into(),
            )),
            Err(f) => Err(f.into_store("create account")),
        }
    }

    async fn get_account(&self, user_id: &str) -> Result<Account> {
        Ok(self.load_account(user_id).await?.0)
    }

    async fn get_account_by_email(&self, email: &str) -> Result<Account> {
        let email = normalize_email(email)?;
        let claim = self
            .get(key(format!("EMAIL#{email}"), "EMAIL"))
            .await?
            .ok_or_else(|| StoreError::not_found("account with email", &email))?;
        self.get_account(&get_s(&claim, "user_id")?).await
    }

    async fn set_plan(&self, user_id: &str, plan: Plan) -> Result<Account> {
        check_id("user_id", user_id)?;
        match self
            .update(
                key(user_pk(user_id), "PROFILE"),
                "SET #plan = :p",
                Some("attribute_exists(pk)"),
                vals([(":p", s(plan.as_str()))]),
            )
            .await
        {
            Ok(Some(i)) => account_from(&i),
            Ok(None) => Err(StoreError::Internal("update returned nothing".into())),
            Err(Fail::Condition) => Err(StoreError::not_found("account", user_id)),
            Err(f) => Err(f.into_store("set plan")),
        }
    }
}

fn key_item(user_id: &str, k: &NewApiKey, now: Millis) -> Item {
    let id = key_id(&k.hash);
    let mut i = common_key_item(&k.hash);
    i.insert("gsi1pk".into(), s(format!("USER#{user_id}#KEYS")));
    i.insert("gsi1sk".into(), s(format!("{}#{}", t13(now), id)));
    i.insert("key_id".into(), s(id));
    i.insert("user_id".into(), s(user_id));
    i.insert("hash".into(), s(&k.hash));
    i.insert("prefix".into(), s(&k.prefix));
    put_opt(&mut i, "name", k.name.clone());
    i.insert("created_at".into(), n(now));
    i
}

fn common_key_item(hash: &str) -> Item {
    key(format!("KEY#{hash}"), "KEY")
}

#[async_trait]
impl KeyRepo for AwsStore {
    async fn create_api_key(&self, user_id: &str, k: NewApiKey) -> Result<ApiKeyRecord> {
        check_hash(&k.hash)?;
        check_prefix(&k.prefix)?;
        self.load_account(user_id).await?;
        let now = now_ms();
        let item = key_item(user_id, &k, now);
        match self
            .put(item.clone(), Some("attribute_not_exists(pk)"), None)
            .await
        {
            Ok(()) => key_from(&item),
            Err(Fail::Condition) => Err(StoreError::Conflict(
                "that api key is already registered".into(),
            )),
            Err(f) => Err(f.into_store("create key")),
        }
    }

    async fn authenticate(&self, key_hash: &str) -> Result<Account> {
        check_hash(key_hash)?;
        let i = self.get(common_key_item(key_hash)).await?;
        let rec = match i {
            Some(i) => key_from(&i)?,
            None => return Err(StoreError::NotFound("unknown or revoked api key".into())),
        };
        if rec.revoked_at.is_some() {
            return Err(StoreError::NotFound("unknown or revoked api key".into()));
        }
        let now = now_ms();
        // One write per minute per key is plenty for "last used", and keeps every
        // authenticated request from costing a write.
        if rec.last_used_at.is_none_or(|t| now - t > 60_000) {
            let _ = self
                .update(
                    common_key_item(key_hash),
                    "SET #last_used_at = :t",
                    Some("attribute_exists(pk)"),
                    vals([(":t", n(now))]),
                )
                .await;
        }
        self.get_account(&rec.user_id).await
    }

    async fn get_api_key(&self, key_hash: &str) -> Result<ApiKeyRecord> {
        check_hash(key_hash)?;
        self.get(common_key_item(key_hash))
            .await?
            .map(|i| key_from(&i))
            .transpose()?
            .ok_or_else(|| StoreError::NotFound("unknown api key".into()))
    }

    async fn list_api_keys(&self, user_id: &str) -> Result<Vec<ApiKeyRecord>> {
        check_id("user_id", user_id)?;
        self.query_all(
            Some(table::GSI1),
            "gsi1pk = :p",
            vals([(":p", s(format!("USER#{user_id}#KEYS")))]).unwrap_or_default(),
            false,
        )
        .await?
        .iter()
        .map(key_from)
        .collect()
    }

    async fn revoke_api_key(&self, user_id: &str, key_id: &str) -> Result<ApiKeyRecord> {
        let keys = self.list_api_keys(user_id).await?;
        let k = keys
            .into_iter()
            .find(|k| k.id == key_id)
            .ok_or_else(|| StoreError::not_found("api key", key_id))?;
        match self
            .update(
                common_key_item(&k.hash),
                "SET #revoked_at = if_not_exists(#revoked_at, :t)",
                Some("#user_id = :u"),
                vals([(":t", n(now_ms())), (":u", s(user_id))]),
            )
            .await
        {
            Ok(Some(i)) => key_from(&i),
            Ok(None) => Err(StoreError::Internal("update returned nothing".into())),
            Err(Fail::Condition) => Err(StoreError::not_found("api key", key_id)),
            Err(f) => Err(f.into_store("revoke key")),
        }
    }
}

#[async_trait]
impl ModelRepo for AwsStore {
    async fn create_model(&self, new: NewModel) -> Result<ModelRecord> {
        check_new_model(&new)?;
        if let Some(p) = &new.forked_from {
            self.visible_model(p, new.owner_id.as_deref()).await?;
        }
        if let Some(o) = &new.owner_id {
            check_id("owner_id", o)?;
        }
        let now = now_ms();
        let rec = ModelRecord {
            slug: new.slug.clone(),
            owner_id: new.owner_id.clone(),
            meta: new.meta.clone(),
            is_template: new.is_template,
            forked_from: new.forked_from.clone(),
            latest_version: 1,
            stats: ModelStats::default(),
            created_at: now,
            updated_at: now,
        };
        let v1 = version_record(
            &new.slug,
            1,
            &new.first_version,
            new.owner_id.as_deref(),
            now,
        );
        let mut items = vec![
            self.tx_put(model_item(&rec), Some("attribute_not_exists(pk)"), None)?,
            // Unconditional: a version left over from an interrupted delete is replaced.
            self.tx_put(version_item(&new.slug, &v1)?, None, None)?,
        ];
        if let Some(p) = &new.forked_from {
            items.push(self.tx_update(
                key(model_pk(p), "MODEL"),
                "ADD #forks :one",
                Some("attribute_exists(pk)"),
                vals([(":one", n(1))]),
            )?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(rec),
            Err(f) if f.failed_at(0) => Err(StoreError::Conflict(format!(
                "a model with slug `{}` exists",
                new.slug
            ))),
            Err(f) if f.failed_at(2) => Err(StoreError::not_found(
                "model",
                new.forked_from.as_deref().unwrap_or(""),
            )),
            Err(f) => Err(f.into_store("create model")),
        }
    }

    async fn get_model(&self, slug: &str, viewer: Option<&str>) -> Result<ModelRecord> {
        self.visible_model(slug, viewer).await
    }

    async fn update_model(
        &self,
        slug: &str,
        actor: &str,
        patch: ModelPatch,
    ) -> Result<ModelRecord> {
        let m = self.owned_model(slug, actor).await?;
        let meta = apply_patch(&m.meta, &patch)?;
        let mut values = Item::new();
        let mut probe = Item::new();
        meta_into(&mut probe, slug, &meta);
        let mut sets = Vec::new();
        for k in [
            "name",
            "description",
            "lab_scope",
            "visibility",
            "tags",
            "difficulty",
            "refs",
            "search",
        ] {
            sets.push(format!("#{k} = :{k}"));
            values.insert(format!(":{k}"), probe.remove(k).unwrap_or_else(|| s("")));
        }
        sets.push("#updated_at = :now".into());
        values.insert(":now".into(), n(now_ms()));
        values.insert(":actor".into(), s(actor));
        let mut expr = format!("SET {}", sets.join(", "));
        if meta.visibility == Visibility::Public {
            expr += ", #pub = :pub";
            values.insert(":pub".into(), s("PUBLIC"));
        } else {
            expr += " REMOVE #pub";
        }
        match self
            .update(
                key(model_pk(slug), "MODEL"),
                &expr,
                Some("#owner_id = :actor"),
                Some(values),
            )
            .await
        {
            Ok(Some(i)) => model_from(&i),
            Ok(None) => Err(StoreError::Internal("update returned nothing".into())),
            Err(Fail::Condition) => Err(StoreError::not_found("model", slug)),
            Err(f) => Err(f.into_store("update model")),
        }
    }

    async fn add_version(
        &self,
        slug: &str,
        actor: &str,
        version: NewVersion,
    ) -> Result<ModelVersionRecord> {
        check_changelog(&version.changelog)?;
        for attempt in 0..MAX_OPTIMISTIC_ATTEMPTS {
            let m = self.owned_model(slug, actor).await?;
            let now = now_ms();
            let rec = version_record(slug, m.latest_version + 1, &version, Some(actor), now);
            let items = vec![
                self.tx_put(
                    version_item(slug, &rec)?,
                    Some("attribute_not_exists(pk)"),
                    None,
                )?,
                self.tx_update(
                    key(model_pk(slug), "MODEL"),
                    "SET #latest_version = :n, #updated_at = :t",
                    Some("#latest_version = :o AND #owner_id = :a"),
                    vals([
                        (":n", n(rec.version)),
                        (":t", n(now)),
                        (":o", n(m.latest_version)),
                        (":a", s(actor)),
                    ]),
                )?,
            ];
            match self.transact(items).await {
                Ok(()) => return Ok(rec),
                Err(f) if f.is_contention() => backoff(attempt).await,
                Err(f) => return Err(f.into_store("add version")),
            }
        }
        Err(StoreError::Unavailable(format!(
            "model `{slug}` is changing too fast; try again"
        )))
    }

    async fn delete_model(&self, slug: &str, actor: &str) -> Result<()> {
        self.owned_model(slug, actor).await?;
        // The model item goes first and alone: from then on the model is gone for every
        // reader, and what follows only sweeps its partition.
        let g = self.write_guard().await;
        let deleted = self
            .db
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(model_pk(slug), "MODEL")))
            .condition_expression("#owner_id = :a")
            .expression_attribute_names("#owner_id", "owner_id")
            .set_expression_attribute_values(vals([(":a", s(actor))]))
            .send()
            .await;
        drop(g);
        match deleted {
            Ok(_) => {}
            Err(e) => {
                return match sdk_fail(e) {
                    Fail::Condition => Err(StoreError::not_found("model", slug)),
                    f => Err(f.into_store("delete model")),
                }
            }
        }
        let rest = self
            .query_all(
                None,
                "pk = :p",
                vals([(":p", s(model_pk(slug)))]).unwrap_or_default(),
                true,
            )
            .await?;
        for chunk in rest.chunks(25) {
            let mut reqs: Vec<WriteRequest> = chunk
                .iter()
                .map(|i| {
                    let k = key(get_s(i, "pk")?, get_s(i, "sk")?);
                    Ok(WriteRequest::builder()
                        .delete_request(
                            DeleteRequest::builder()
                                .set_key(Some(k))
                                .build()
                                .map_err(build_err)?,
                        )
                        .build())
                })
                .collect::<Result<_>>()?;
            for attempt in 0..8 {
                let g = self.write_guard().await;
                let resp = self
                    .db
                    .batch_write_item()
                    .request_items(&self.table, reqs)
                    .send()
                    .await
                    .map_err(|e| sdk_fail(e).into_store("delete model"))?;
                drop(g);
                reqs = resp
                    .unprocessed_items
                    .and_then(|mut m| m.remove(&self.table))
                    .unwrap_or_default();
                if reqs.is_empty() {
                    break;
                }
                backoff(attempt).await;
            }
        }
        Ok(())
    }

    async fn get_version(
        &self,
        slug: &str,
        version: Option<u32>,
        viewer: Option<&str>,
    ) -> Result<ModelVersionRecord> {
        let m = self.visible_model(slug, viewer).await?;
        let v = version.unwrap_or(m.latest_version);
        self.get(key(model_pk(slug), format!("V#{v:06}")))
            .await?
            .map(|i| version_from(&i))
            .transpose()?
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "model `{slug}` has no version {v} (latest is {})",
                    m.latest_version
                ))
            })
    }

    async fn list_versions(
        &self,
        slug: &str,
        viewer: Option<&str>,
    ) -> Result<Vec<ModelVersionRecord>> {
        self.visible_model(slug, viewer).await?;
        self.query_all(
            None,
            "pk = :p AND begins_with(sk, :v)",
            vals([(":p", s(model_pk(slug))), (":v", s("V#"))]).unwrap_or_default(),
            false,
        )
        .await?
        .iter()
        .map(version_from)
        .collect()
    }

    async fn list_public_models(
        &self,
        query: &ModelQuery,
        page: &PageRequest,
    ) -> Result<Page<ModelRecord>> {
        let (index, attr) = match query.sort {
            ModelSort::Popular => (table::GSI_PUB_RUNS, "runs"),
            ModelSort::Rating => (table::GSI_PUB_RATING, "rating_avg"),
            ModelSort::New => (table::GSI_PUB_NEW, "created_at"),
        };
        let q = Q {
            index: Some(index),
            cond: "#pub = :p",
            values: vals([(":p", s("PUBLIC"))]).unwrap_or_default(),
            key_attrs: &["pk", "sk", "pub", attr],
            listing: index.to_string(),
        };
        self.query_page(&q, page, |i| {
            let m = model_from(i)?;
            Ok(matches_query(&m, query).then_some(m))
        })
        .await
    }

    async fn list_user_models(
        &self,
        owner_id: &str,
        viewer: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<ModelRecord>> {
        check_id("owner_id", owner_id)?;
        let own = viewer == Some(owner_id);
        let q = Q::gsi1(format!("USER#{owner_id}#MODELS"));
        self.query_page(&q, page, |i| {
            let m = model_from(i)?;
            Ok(listed_to(own, m.meta.visibility).then_some(m))
        })
        .await
    }
}

#[async_trait]
impl RunRepo for AwsStore {
    async fn record_run(&self, run: NewRun) -> Result<RunRecord> {
        if let Some(prev) = replayed_run(self, &run).await? {
            return Ok(prev);
        }
        let id = run.id.clone();
        if let Some(RunOutput::Bytes(bytes)) = &run.output {
            // The object's key is the run's: never overwrite the output of a recorded run.
            if self.get(key(format!("RUN#{id}"), "RUN")).await?.is_some() {
                return Err(duplicate_run_id(&id));
            }
            // S3 first: a failure after this leaves an orphan object, never a run item
            // pointing at nothing.
            self.put_object(&run_output_key(&id), bytes.clone()).await?;
        }
        let now = now_ms();
        let day = day_of(now);
        let rec = run_record(&run, now);
        let one = || vals([(":one", n(1))]);
        let mut items = vec![
            self.tx_update(
                key(model_pk(&rec.model_slug), "MODEL"),
                "ADD #runs :one",
                Some("attribute_exists(pk)"),
                one(),
            )?,
            // A run id is recorded once: a reused id is refused, never overwrites.
            self.tx_put(run_item(&rec)?, Some("attribute_not_exists(pk)"), None)?,
            self.tx_update(
                key(model_pk(&rec.model_slug), day_sk(day)),
                "ADD #runs :one",
                None,
                one(),
            )?,
            self.tx_update(
                key(user_pk(&rec.user_id), day_sk(day)),
                "ADD #runs :one",
                None,
                one(),
            )?,
        ];
        if let Some(k) = &run.idempotency_key {
            let mut idem = key(
                format!("IDEM#{}#{}", rec.user_id, sha256_hex(k.as_bytes())),
                "IDEM",
            );
            idem.insert("run_id".into(), s(&rec.id));
            idem.insert("expires_at".into(), n(now + IDEMPOTENCY_TTL_MS));
            idem.insert("ttl".into(), n((now + IDEMPOTENCY_TTL_MS) / 1000));
            items.push(self.tx_put(
                idem,
                Some("attribute_not_exists(pk) OR #expires_at < :now"),
                vals([(":now", n(now))]),
            )?);
        }
        match self.transact(items).await {
            Ok(()) => {}
            Err(f) => {
                if let Some(k) = own_output_key(&run, &rec) {
                    self.delete_object(k).await;
                }
                if f.failed_at(0) {
                    return Err(StoreError::not_found("model", &rec.model_slug));
                }
                if f.failed_at(1) {
                    return Err(duplicate_run_id(&rec.id));
                }
                if f.failed_at(4) {
                    if let Some(k) = &run.idempotency_key {
                        if let Some(prev) = self.find_idempotent_run(&run.user_id, k).await? {
                            return Ok(prev);
                        }
                    }
                }
                return Err(f.into_store("record run"));
            }
        }
        // Distinct-user counters: the marker and its counter change together, and an
        // existing marker cancels the pair, so each user counts once.
        let mp = model_pk(&rec.model_slug);
        let mut runner = key(mp.clone(), format!("RUNNER#{}", rec.user_id));
        runner.insert("at".into(), n(now));
        let mut today = key(
            mp.clone(),
            format!("DAYRUNNER#{:06}#{}", day.max(0), rec.user_id),
        );
        today.insert("ttl".into(), n(now / 1000 + 2 * 86_400));
        let pairs = [
            (runner, key(mp.clone(), "MODEL"), "ADD #unique_users :one"),
            (today, key(mp.clone(), day_sk(day)), "ADD #users :one"),
        ];
        for (marker, target, expr) in pairs {
            let items = vec![
                self.tx_put(marker, Some("attribute_not_exists(pk)"), None)?,
                self.tx_update(target, expr, None, one())?,
            ];
            match self.transact(items).await {
                Ok(()) => {}
                Err(f) if f.failed_at(0) => {}
                Err(f) => return Err(f.into_store("record run")),
            }
        }
        Ok(rec)
    }

    async fn get_run(&self, run_id: &str, viewer: &str) -> Result<RunRecord> {
        check_id("run_id", run_id)?;
        match self.get(key(format!("RUN#{run_id}"), "RUN")).await? {
            Some(i) => {
                let r = run_from(&i)?;
                if r.user_id == viewer {
                    Ok(r)
                } else {
                    Err(StoreError::not_found("run", run_id))
                }
            }
            None => Err(StoreError::not_found("run", run_id)),
        }
    }

    async fn get_run_output(&self, run_id: &str, viewer: &str) -> Result<Vec<u8>> {
        let r = self.get_run(run_id, viewer).await?;
        let k = r
            .output_key
            .ok_or_else(|| StoreError::NotFound(format!("run `{run_id}` stored no output")))?;
        self.get_object(&k).await
    }

    async fn find_idempotent_run(&self, user_id: &str, k: &str) -> Result<Option<RunRecord>> {
        check_key("idempotency_key", k)?;
        check_id("user_id", user_id)?;
        let i = self
            .get(key(
                format!("IDEM#{user_id}#{}", sha256_hex(k.as_bytes())),
                "IDEM",
            ))
            .await?;
        match i {
            Some(i) if opt_n::<i64>(&i, "expires_at").unwrap_or(0) > now_ms() => {
                match self.get_run(&get_s(&i, "run_id")?, user_id).await {
                    Ok(r) => Ok(Some(r)),
                    Err(StoreError::NotFound(_)) => Ok(None),
                    Err(e) => Err(e),
                }
            }
            _ => Ok(None),
        }
    }

    async fn list_user_runs(&self, user_id: &str, page: &PageRequest) -> Result<Page<RunRecord>> {
        check_id("user_id", user_id)?;
        let q = Q::gsi1(format!("USER#{user_id}#RUNS"));
        self.query_page(&q, page, |i| run_from(i).map(Some)).await
    }

    async fn model_usage(&self, slug: &str, from: Day, to: Day) -> Result<Vec<DailyUsage>> {
        check_slug("slug", slug, 64)?;
        if to < from || to < 0 {
            return Ok(Vec::new());
        }
        self.query_all(
            None,
            "pk = :p AND sk BETWEEN :a AND :b",
            vals([
                (":p", s(model_pk(slug))),
                (":a", s(day_sk(from))),
                (":b", s(day_sk(to))),
            ])
            .unwrap_or_default(),
            true,
        )
        .await?
        .iter()
        .map(|i| {
            let sk = get_s(i, "sk")?;
            let day = sk
                .trim_start_matches("DAY#")
                .parse()
                .map_err(|_| corrupt("sk"))?;
            Ok(DailyUsage {
                day,
                runs: n0(i, "runs"),
                unique_users: n0(i, "users"),
            })
        })
        .collect()
    }

    async fn user_usage(&self, user_id: &str, day: Day) -> Result<UserDailyUsage> {
        check_id("user_id", user_id)?;
        Ok(self
            .get(key(user_pk(user_id), day_sk(day)))
            .await?
            .map(|i| UserDailyUsage {
                runs: n0(&i, "runs"),
                credits_spent: opt_n(&i, "spent").unwrap_or(0),
            })
            .unwrap_or_default())
    }
}

#[async_trait]
impl SocialRepo for AwsStore {
    async fn save_model(&self, user_id: &str, slug: &str) -> Result<bool> {
        check_id("user_id", user_id)?;
        self.visible_model(slug, Some(user_id)).await?;
        let now = now_ms();
        let mut save = key(user_pk(user_id), format!("SAVE#{slug}"));
        save.insert("gsi1pk".into(), s(format!("USER#{user_id}#SAVES")));
        save.insert("gsi1sk".into(), s(format!("{}#{slug}", t13(now))));
        save.insert("slug".into(), s(slug));
        save.insert("saved_at".into(), n(now));
        let items = vec![
            self.tx_put(save, Some("attribute_not_exists(pk)"), None)?,
            self.tx_update(
                key(model_pk(slug), "MODEL"),
                "ADD #saves :one",
                Some("attribute_exists(pk)"),
                vals([(":one", n(1))]),
            )?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(true),
            Err(f) if f.failed_at(0) => Ok(false),
            Err(f) if f.failed_at(1) => Err(StoreError::not_found("model", slug)),
            Err(f) => Err(f.into_store("save")),
        }
    }

    async fn unsave_model(&self, user_id: &str, slug: &str) -> Result<bool> {
        check_id("user_id", user_id)?;
        check_slug("slug", slug, 64)?;
        let save_key = key(user_pk(user_id), format!("SAVE#{slug}"));
        let items = vec![
            self.tx_delete(save_key.clone(), Some("attribute_exists(pk)"), None)?,
            self.tx_update(
                key(model_pk(slug), "MODEL"),
                "ADD #saves :m",
                Some("attribute_exists(pk) AND #saves > :z"),
                vals([(":m", n(-1)), (":z", n(0))]),
            )?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(true),
            Err(f) if f.failed_at(0) => Ok(false),
            Err(f) if f.failed_at(1) => {
                // The model is gone (or its counter already 0): drop the save alone.
                let _g = self.write_guard().await;
                match self
                    .db
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(save_key))
                    .condition_expression("attribute_exists(pk)")
                    .send()
                    .await
                {
                    Ok(_) => Ok(true),
                    Err(e) => match sdk_fail(e) {
                        Fail::Condition => Ok(false),
                        f => Err(f.into_store("unsave")),
                    },
                }
            }
            Err(f) => Err(f.into_store("unsave")),
        }
    }

    async fn is_saved(&self, user_id: &str, slug: &str) -> Result<bool> {
        check_id("user_id", user_id)?;
        check_slug("slug", slug, 64)?;
        Ok(self
            .get(key(user_pk(user_id), format!("SAVE#{slug}")))
            .await?
            .is_some())
    }

    async fn list_saves(&self, user_id: &str, page: &PageRequest) -> Result<Page<ModelRecord>> {
        check_id("user_id", user_id)?;
        let q = Q::gsi1(format!("USER#{user_id}#SAVES"));
        // Saves of deleted or since-hidden models are kept and skipped here (the SQLite
        // backend filters them the same way).
        self.query_page_batched(&q, page, |saves| async move {
            let models = self
                .batch_models(saves.iter().filter_map(|i| opt_s(i, "slug")).collect())
                .await?;
            Ok(saves
                .into_iter()
                .filter_map(|it| {
                    let m = models.get(&opt_s(&it, "slug")?)?;
                    can_see(m.owner_id.as_deref(), m.meta.visibility, Some(user_id))
                        .then(|| (m.clone(), it))
                })
                .collect())
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
        check_id("user_id", user_id)?;
        self.visible_model(slug, Some(user_id)).await?;
        let rk = key(model_pk(slug), format!("RATING#{user_id}"));
        for attempt in 0..MAX_OPTIMISTIC_ATTEMPTS {
            let old = self
                .get(rk.clone())
                .await?
                .map(|i| get_n::<i64>(&i, "stars"))
                .transpose()?;
            let now = now_ms();
            let mut item = rk.clone();
            item.insert("gsi1pk".into(), s(format!("MODEL#{slug}#RATINGS")));
            item.insert("gsi1sk".into(), s(format!("{}#{user_id}", t13(now))));
            item.insert("slug".into(), s(slug));
            item.insert("user_id".into(), s(user_id));
            item.insert("stars".into(), n(stars));
            put_opt(&mut item, "review", review.clone());
            item.insert("updated_at".into(), n(now));
            let (put, dc, ds) = match old {
                None => (
                    self.tx_put(item, Some("attribute_not_exists(pk)"), None)?,
                    1,
                    stars as i64,
                ),
                Some(o) => (
                    self.tx_put(item, Some("#stars = :o"), vals([(":o", n(o))]))?,
                    0,
                    stars as i64 - o,
                ),
            };
            let items = vec![
                put,
                self.tx_update(
                    key(model_pk(slug), "MODEL"),
                    "ADD #rating_count :dc, #rating_sum :ds",
                    Some("attribute_exists(pk)"),
                    vals([(":dc", n(dc)), (":ds", n(ds))]),
                )?,
            ];
            match self.transact(items).await {
                Ok(()) => {
                    let m = self.fix_rating_avg(slug).await?;
                    return self.summary(slug, Some(user_id), Some(m)).await;
                }
                Err(f) if f.failed_at(1) => return Err(StoreError::not_found("model", slug)),
                Err(f) if f.is_contention() => backoff(attempt).await,
                Err(f) => return Err(f.into_store("rate")),
            }
        }
        Err(StoreError::Unavailable(format!(
            "ratings of `{slug}` are changing too fast; try again"
        )))
    }

    async fn unrate_model(&self, user_id: &str, slug: &str) -> Result<RatingSummary> {
        check_id("user_id", user_id)?;
        self.visible_model(slug, Some(user_id)).await?;
        let rk = key(model_pk(slug), format!("RATING#{user_id}"));
        for attempt in 0..MAX_OPTIMISTIC_ATTEMPTS {
            let Some(old) = self
                .get(rk.clone())
                .await?
                .map(|i| get_n::<i64>(&i, "stars"))
                .transpose()?
            else {
                return self.summary(slug, Some(user_id), None).await;
            };
            let items = vec![
                self.tx_delete(rk.clone(), Some("#stars = :o"), vals([(":o", n(old))]))?,
                self.tx_update(
                    key(model_pk(slug), "MODEL"),
                    "ADD #rating_count :dc, #rating_sum :ds",
                    Some("attribute_exists(pk)"),
                    vals([(":dc", n(-1)), (":ds", n(-old))]),
                )?,
            ];
            match self.transact(items).await {
                Ok(()) => {
                    let m = self.fix_rating_avg(slug).await?;
                    return self.summary(slug, Some(user_id), Some(m)).await;
                }
                Err(f) if f.failed_at(1) => return Err(StoreError::not_found("model", slug)),
                Err(f) if f.is_contention() => backoff(attempt).await,
                Err(f) => return Err(f.into_store("unrate")),
            }
        }
        Err(StoreError::Unavailable(format!(
            "ratings of `{slug}` are changing too fast; try again"
        )))
    }

    async fn rating_summary(&self, slug: &str, viewer: Option<&str>) -> Result<RatingSummary> {
        self.summary(slug, viewer, None).await
    }

    async fn list_ratings(&self, slug: &str, page: &PageRequest) -> Result<Page<RatingRecord>> {
        self.visible_model(slug, None).await?;
        let q = Q::gsi1(format!("MODEL#{slug}#RATINGS"));
        self.query_page(&q, page, |i| rating_from(i).map(Some))
            .await
    }
}

impl AwsStore {
    /// Models by slug, in batches of 100 (missing ones are simply absent).
    async fn batch_models(&self, slugs: Vec<String>) -> Result<HashMap<String, ModelRecord>> {
        let mut out = HashMap::new();
        let mut uniq = slugs;
        uniq.sort();
        uniq.dedup();
        for chunk in uniq.chunks(100) {
            let mut keys: Vec<Item> = chunk.iter().map(|sl| key(model_pk(sl), "MODEL")).collect();
            for attempt in 0..8 {
                if keys.is_empty() {
                    break;
                }
                let ka = KeysAndAttributes::builder()
                    .set_keys(Some(keys.clone()))
                    .consistent_read(true)
                    .build()
                    .map_err(build_err)?;
                let resp = self
                    .db
                    .batch_get_item()
                    .request_items(&self.table, ka)
                    .send()
                    .await
                    .map_err(|e| sdk_fail(e).into_store("batch read"))?;
                for i in resp
                    .responses
                    .and_then(|mut r| r.remove(&self.table))
                    .unwrap_or_default()
                {
                    let m = model_from(&i)?;
                    out.insert(m.slug.clone(), m);
                }
                keys = resp
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .map(|k| k.keys)
                    .unwrap_or_default();
                if !keys.is_empty() {
                    backoff(attempt).await;
                }
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl ArtifactRepo for AwsStore {
    async fn create_artifact(&self, new: NewArtifact) -> Result<ArtifactRecord> {
        check_new_artifact(&new)?;
        let run = self.get_run(&new.run_id, &new.owner_id).await?;
        let ak = key(format!("ART#{}", new.slug), "ART");
        if self.get(ak.clone()).await?.is_some() {
            return Err(artifact_exists(&new.slug));
        }
        let body_key = artifact_body_key(&new.slug);
        self.put_object(&body_key, new.body.clone()).await?;
        let rec = artifact_record(&new, run.model_slug, body_key.clone());
        let mut i = ak;
        i.insert("gsi1pk".into(), s(format!("USER#{}#ARTS", rec.owner_id)));
        i.insert(
            "gsi1sk".into(),
            s(format!("{}#{}", t13(rec.created_at), rec.slug)),
        );
        for (k, v) in [
            ("slug", &rec.slug),
            ("owner_id", &rec.owner_id),
            ("run_id", &rec.run_id),
            ("model_slug", &rec.model_slug),
            ("title", &rec.title),
            ("summary", &rec.summary),
            ("body_key", &rec.body_key),
            ("body_hash", &rec.body_hash),
        ] {
            i.insert(k.into(), s(v.clone()));
        }
        i.insert("visibility".into(), s(rec.visibility.as_str()));
        i.insert("views".into(), n(0));
        i.insert("created_at".into(), n(rec.created_at));
        match self.put(i, Some("attribute_not_exists(pk)"), None).await {
            Ok(()) => Ok(rec),
            Err(f) => {
                self.delete_object(&body_key).await;
                match f {
                    Fail::Condition => Err(artifact_exists(&new.slug)),
                    f => Err(f.into_store("publish")),
                }
            }
        }
    }

    async fn get_artifact(&self, slug: &str, viewer: Option<&str>) -> Result<ArtifactRecord> {
        check_slug("slug", slug, 80)?;
        match self.get(key(format!("ART#{slug}"), "ART")).await? {
            Some(i) => {
                let a = artifact_from(&i)?;
                if can_see(Some(&a.owner_id), a.visibility, viewer) {
                    Ok(a)
                } else {
                    Err(StoreError::not_found("artifact", slug))
                }
            }
            None => Err(StoreError::not_found("artifact", slug)),
        }
    }

    async fn get_artifact_body(&self, slug: &str, viewer: Option<&str>) -> Result<Vec<u8>> {
        let a = self.get_artifact(slug, viewer).await?;
        self.get_object(&a.body_key).await
    }

    async fn record_artifact_view(&self, slug: &str) -> Result<u64> {
        check_slug("slug", slug, 80)?;
        match self
            .update(
                key(format!("ART#{slug}"), "ART"),
                "ADD #views :one",
                Some("attribute_exists(pk)"),
                vals([(":one", n(1))]),
            )
            .await
        {
            Ok(Some(i)) => Ok(n0(&i, "views")),
            Ok(None) => Err(StoreError::Internal("update returned nothing".into())),
            Err(Fail::Condition) => Err(StoreError::not_found("artifact", slug)),
            Err(f) => Err(f.into_store("count view")),
        }
    }

    async fn list_user_artifacts(
        &self,
        owner_id: &str,
        viewer: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<ArtifactRecord>> {
        check_id("owner_id", owner_id)?;
        let own = viewer == Some(owner_id);
        let q = Q::gsi1(format!("USER#{owner_id}#ARTS"));
        self.query_page(&q, page, |i| {
            let a = artifact_from(i)?;
            Ok(listed_to(own, a.visibility).then_some(a))
        })
        .await
    }
}

#[async_trait]
impl CreditRepo for AwsStore {
    async fn grant_credits(
        &self,
        user_id: &str,
        amount: i64,
        memo: CreditMemo,
    ) -> Result<LedgerEntry> {
        check_amount(amount)?;
        check_memo(&memo)?;
        self.move_credits(user_id, amount, memo).await
    }

    async fn charge_credits(
        &self,
        user_id: &str,
        amount: i64,
        memo: CreditMemo,
    ) -> Result<LedgerEntry> {
        check_amount(amount)?;
        check_memo(&memo)?;
        self.move_credits(user_id, -amount, memo).await
    }

    async fn list_ledger(&self, user_id: &str, page: &PageRequest) -> Result<Page<LedgerEntry>> {
        check_id("user_id", user_id)?;
        let pk = user_pk(user_id);
        let q = Q {
            index: None,
            cond: "pk = :p AND begins_with(sk, :l)",
            values: vals([(":p", s(pk.clone())), (":l", s("LEDGER#"))]).unwrap_or_default(),
            key_attrs: &["pk", "sk"],
            listing: format!("{pk}#LEDGER"),
        };
        self.query_page(&q, page, |i| ledger_from(i).map(Some))
            .await
    }
}

#[async_trait]
impl QuotaRepo for AwsStore {
    async fn hit_quota(&self, qkey: &str, limit: u64, window_secs: u64) -> Result<QuotaState> {
        let wms = check_quota(qkey, limit, window_secs)?;
        let now = now_ms();
        let start = window_start(now, wms);
        let resets_at = start + wms;
        match self
            .update(
                key(format!("QUOTA#{qkey}#{start}"), "QUOTA"),
                "ADD #n :one SET #ttl = :ttl",
                Some("attribute_not_exists(#n) OR #n < :limit"),
                Some(
                    [
                        (":one".to_string(), n(1)),
                        (":ttl".to_string(), n(resets_at / 1000 + 60)),
                        (":limit".to_string(), n(limit)),
                    ]
                    .into(),
                ),
            )
            .await
        {
            Ok(Some(i)) => Ok(QuotaState {
                used: n0(&i, "n"),
                limit,
                resets_at,
            }),
            Ok(None) => Err(StoreError::Internal("update returned nothing".into())),
            Err(Fail::Condition) => Err(rate_limited(qkey, limit, resets_at, now)),
            Err(f) => Err(f.into_store("quota")),
        }
    }

    async fn quota_used(&self, qkey: &str, window_secs: u64) -> Result<u64> {
        let wms = check_quota(qkey, 1, window_secs)?;
        let start = window_start(now_ms(), wms);
        Ok(self
            .get(key(format!("QUOTA#{qkey}#{start}"), "QUOTA"))
            .await?
            .map(|i| n0(&i, "n"))
            .unwrap_or(0))
    }
}

#[async_trait]
impl CacheRepo for AwsStore {
    async fn cache_get(&self, ckey: &str) -> Result<Option<Vec<u8>>> {
        check_key("cache key", ckey)?;
        let Some(i) = self
            .get(key(
                format!("CACHE#{}", sha256_hex(ckey.as_bytes())),
                "CACHE",
            ))
            .await?
        else {
            return Ok(None);
        };
        // DynamoDB's TTL deletes lazily (up to days later): expiry is checked here.
        if opt_n::<i64>(&i, "expires_at").unwrap_or(0) <= now_ms() {
            return Ok(None);
        }
        match (i.get("v"), opt_s(&i, "blob")) {
            (Some(AttributeValue::B(b)), _) => Ok(Some(b.clone().into_inner())),
            (_, Some(blob)) => match self.get_object(&blob).await {
                Ok(v) => Ok(Some(v)),
                Err(StoreError::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            },
            _ => Ok(None),
        }
    }

    async fn cache_put(&self, ckey: &str, value: &[u8], ttl_secs: u64) -> Result<()> {
        check_cache_put(ckey, ttl_secs)?;
        let now = now_ms();
        let mut i = key(format!("CACHE#{}", sha256_hex(ckey.as_bytes())), "CACHE");
        if value.len() > INLINE_CACHE_MAX {
            let b = cache_blob_key(ckey);
            self.put_object(&b, value.to_vec()).await?;
            i.insert("blob".into(), s(b));
        } else {
            i.insert(
                "v".into(),
                AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(value.to_vec())),
            );
        }
        let exp = now + ttl_secs as i64 * 1000;
        i.insert("expires_at".into(), n(exp));
        i.insert("ttl".into(), n(exp / 1000 + 1));
        self.put(i, None, None)
            .await
            .map_err(|f| f.into_store("cache put"))
    }

    async fn put_blob(&self, k: &str, bytes: &[u8]) -> Result<()> {
        self.put_object(k, bytes.to_vec()).await
    }

    async fn get_blob(&self, k: &str) -> Result<Vec<u8>> {
        self.get_object(k).await
    }
}

#[async_trait]
impl Store for AwsStore {
    fn backend(&self) -> &'static str {
        "aws"
    }

    async fn ping(&self) -> Result<()> {
        self.get(key("PING".into(), "PING")).await.map(|_| ())
    }
}

// ---------------------------------------------------------------------------------------
// init
// ---------------------------------------------------------------------------------------

/// Creates the table (from [`table::definition`], with TTL) and the bucket when missing.
pub async fn init(cfg: &AwsConfig) -> Result<InitReport> {
    let (db, s3) = clients(cfg).await;
    let def = table::definition();
    let table_created = match db.describe_table().table_name(&cfg.table).send().await {
        Ok(_) => false,
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_resource_not_found_exception()) =>
        {
            let attr_type = |t: AttrType| match t {
                AttrType::S => ScalarAttributeType::S,
                AttrType::N => ScalarAttributeType::N,
            };
            let ks = |name: &str, t: KeyType| {
                KeySchemaElement::builder()
                    .attribute_name(name)
                    .key_type(t)
                    .build()
                    .map_err(build_err)
            };
            let mut req = db
                .create_table()
                .table_name(&cfg.table)
                .billing_mode(BillingMode::PayPerRequest)
                .key_schema(ks(def.pk, KeyType::Hash)?)
                .key_schema(ks(def.sk, KeyType::Range)?);
            for (name, t) in &def.attributes {
                req = req.attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name(*name)
                        .attribute_type(attr_type(*t))
                        .build()
                        .map_err(build_err)?,
                );
            }
            for g in &def.gsis {
                req = req.global_secondary_indexes(
                    GlobalSecondaryIndex::builder()
                        .index_name(g.name)
                        .key_schema(ks(g.pk, KeyType::Hash)?)
                        .key_schema(ks(g.sk, KeyType::Range)?)
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .map_err(build_err)?,
                );
            }
            match req.send().await {
                Ok(_) => {}
                // Another `init` created it in the meantime: still idempotent.
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|se| se.is_resource_in_use_exception()) => {}
                Err(e) => return Err(sdk_fail(e).into_store("create table")),
            }
            for _ in 0..120 {
                let d = db
                    .describe_table()
                    .table_name(&cfg.table)
                    .send()
                    .await
                    .map_err(|e| sdk_fail(e).into_store("describe table"))?;
                if d.table.and_then(|t| t.table_status) == Some(TableStatus::Active) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            db.update_time_to_live()
                .table_name(&cfg.table)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(def.ttl_attribute)
                        .enabled(true)
                        .build()
                        .map_err(build_err)?,
                )
                .send()
                .await
                .map_err(|e| sdk_fail(e).into_store("enable ttl"))?;
            true
        }
        Err(e) => return Err(sdk_fail(e).into_store("describe table")),
    };
    let bucket_created = match s3.head_bucket().bucket(&cfg.bucket).send().await {
        Ok(_) => false,
        Err(SdkError::ServiceError(se)) if se.err().is_not_found() => {
            let mut req = s3.create_bucket().bucket(&cfg.bucket);
            let region = s3
                .config()
                .region()
                .map(|r| r.to_string())
                .unwrap_or_default();
            if !region.is_empty() && region != "us-east-1" {
                req = req.create_bucket_configuration(
                    aws_sdk_s3::types::CreateBucketConfiguration::builder()
                        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                            region.as_str(),
                        ))
                        .build(),
                );
            }
            match req.send().await {
                Ok(_) => true,
                Err(SdkError::ServiceError(se)) if se.err().is_bucket_already_owned_by_you() => {
                    false
                }
                Err(e) => return Err(sdk_fail(e).into_store("create bucket")),
            }
        }
        Err(e) => return Err(sdk_fail(e).into_store("head bucket")),
    };
    Ok(InitReport {
        table_created,
        bucket_created,
    })
}
