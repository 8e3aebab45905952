//! Helpers shared by both backends: clock, ids, key hashing, validation, cursors, paging,
//! visibility and the records both build the same way.
//!
//! Validation lives here rather than in each backend so that both refuse exactly the same
//! inputs with exactly the same sentences (the conformance suite compares them), and so
//! that nothing reaching DynamoDB can contain the `#` that separates key parts. Paging
//! ([`page_start`], [`page_of`]) and the visibility rules ([`can_see`], [`visible_model`],
//! [`owned_model`], [`listed_to`]) live here for the same reason: one contract, one place.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    ArtifactRecord, CreditMemo, LedgerEntry, Millis, ModelMeta, ModelPatch, ModelRecord,
    ModelVersionRecord, NewAccount, NewArtifact, NewModel, NewRun, NewVersion, Page, PageRequest,
    RatingRecord, RatingSummary, Result, RunOutput, RunRecord, RunRepo, StoreError, Visibility,
};

/// Cache values above this size are written as blobs (DynamoDB items stop at 400 KB; the
/// SQLite backend uses the same threshold so both behave alike).
pub const INLINE_CACHE_MAX: usize = 256 * 1024;
/// How long an idempotency key is remembered.
pub const IDEMPOTENCY_TTL_MS: i64 = 24 * 3_600_000;

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The UTC day (days since 1970-01-01) of a timestamp.
pub fn day_of(ms: Millis) -> i32 {
    ms.div_euclid(86_400_000) as i32
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS generator only fails on exotic platforms; a clock-derived fallback keeps ids
    // unique enough there rather than panicking.
    if getrandom::fill(&mut buf).is_err() {
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (t >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(151);
        }
    }
    buf
}

/// The millisecond and 48-bit tail of the last id this process made.
static LAST_ID: Mutex<(u64, u64)> = Mutex::new((0, 0));

/// A new id: 12 hex digits of the millisecond clock then 12 hex digits that are random,
/// so ids sort by creation time and never collide in practice. Within one process ids
/// strictly increase: an id made in the same millisecond as the previous one (or after
/// the clock stepped back) keeps that millisecond and a tail a random 1–2²⁴ above the
/// previous tail, so listings ordered by id ("newest first") hold the creation order even
/// for runs recorded a few microseconds apart.
pub fn new_id() -> String {
    const TAIL: u64 = 0xffff_ffff_ffff;
    let now = now_ms() as u64 & TAIL;
    let random = u64::from_le_bytes({
        let mut b = [0u8; 8];
        b[..6].copy_from_slice(&random_bytes::<6>());
        b
    });
    // A poisoned lock only means another thread panicked while holding two integers.
    let mut last = LAST_ID.lock().unwrap_or_else(|e| e.into_inner());
    let (ms, tail) = if now > last.0 {
        (now, random)
    } else {
        let step = 1 + (random & 0xff_ffff);
        match last.1.checked_add(step).filter(|t| *t <= TAIL) {
            Some(t) => (last.0, t),
            // The tail ran out within one millisecond: borrow the next one.
            None => ((last.0 + 1) & TAIL, random),
        }
    };
    *last = (ms, tail);
    format!("{ms:012x}{tail:012x}")
}

/// Lower-case hex SHA-256 of an API key: the only form in which keys are stored.
pub fn hash_api_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A freshly generated API key with what the store keeps of it.
#[derive(Debug, Clone)]
pub struct GeneratedKey {
    /// The key to show the user once: `ak_` + 48 hex digits (192 random bits).
    pub plaintext: String,
    /// What to store: hash and visible prefix.
    pub new_key: crate::NewApiKey,
}

/// Generates an API key from the OS random generator.
pub fn generate_api_key(name: Option<String>) -> GeneratedKey {
    let plaintext = format!("ak_{}", hex::encode(random_bytes::<24>()));
    GeneratedKey {
        new_key: crate::NewApiKey {
            hash: hash_api_key(&plaintext),
            prefix: plaintext[..9].to_string(),
            name,
        },
        plaintext,
    }
}

fn invalid(msg: impl Into<String>) -> StoreError {
    StoreError::Invalid(msg.into())
}

/// Checks a slug: 1–`max` chars of `a-z 0-9 -`, not starting or ending with `-`.
pub fn check_slug(field: &str, slug: &str, max: usize) -> Result<()> {
    let ok = !slug.is_empty()
        && slug.len() <= max
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "{field} must be 1–{max} characters of a-z, 0-9 and '-' (not at either end), got `{slug}`"
        )))
    }
}

/// Checks an id made by [`new_id`] (or a caller-provided opaque id): 1–64 chars of
/// `a-z A-Z 0-9 _ -`.
pub fn check_id(field: &str, id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "{field} must be 1–64 characters of a-z, A-Z, 0-9, '_' and '-'"
        )))
    }
}

/// Checks a free-form key (quota, cache, idempotency): 1–200 printable ASCII characters.
pub fn check_key(field: &str, key: &str) -> Result<()> {
    let ok = !key.is_empty() && key.len() <= 200 && key.bytes().all(|b| (0x21..0x7f).contains(&b));
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "{field} must be 1–200 printable ASCII characters without spaces"
        )))
    }
}

/// Checks a blob key: 1–300 chars of `a-z A-Z 0-9 / . _ -`, no `..`, not starting with `/`.
pub fn check_blob_key(key: &str) -> Result<()> {
    let ok = !key.is_empty()
        && key.len() <= 300
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b))
        && !key.contains("..")
        && !key.starts_with('/');
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "blob key must be 1–300 characters of a-z, A-Z, 0-9, '/', '.', '_' and '-', without '..' or a leading '/'",
        ))
    }
}

/// Normalizes and checks an email (trimmed, lower-cased, `x@y`, ≤ 254 chars).
pub fn normalize_email(email: &str) -> Result<String> {
    let e = email.trim().to_ascii_lowercase();
    let valid = e.len() <= 254
        && !e.chars().any(char::is_whitespace)
        && matches!(e.split_once('@'), Some((a, b)) if !a.is_empty() && !b.is_empty() && !b.contains('@'));
    if valid {
        Ok(e)
    } else {
        Err(invalid(format!(
            "email must look like name@example.com (at most 254 characters), got `{}`",
            email.trim()
        )))
    }
}

/// Checks a key hash (64 lower-case hex digits).
pub fn check_hash(hash: &str) -> Result<()> {
    if hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(invalid(
            "api key hash must be 64 lower-case hex digits (SHA-256)",
        ))
    }
}

/// Checks the visible key prefix (1–16 printable ASCII characters).
pub fn check_prefix(prefix: &str) -> Result<()> {
    if !prefix.is_empty() && prefix.len() <= 16 && prefix.bytes().all(|b| (0x21..0x7f).contains(&b))
    {
        Ok(())
    } else {
        Err(invalid(
            "api key prefix must be 1–16 printable ASCII characters",
        ))
    }
}

/// The id of a key: first 16 hex digits of its hash.
pub fn key_id(hash: &str) -> String {
    hash[..16].to_string()
}

fn check_len(field: &str, s: &str, min: usize, max: usize) -> Result<()> {
    let n = s.chars().count();
    if n < min || n > max {
        Err(invalid(format!(
            "{field} must be {min}–{max} characters, got {n}"
        )))
    } else {
        Ok(())
    }
}

/// Checks model metadata.
pub fn check_meta(meta: &ModelMeta) -> Result<()> {
    check_len("name", meta.name.trim(), 1, 120)?;
    check_len("description", &meta.description, 0, 4000)?;
    check_tags(&meta.tags)?;
    check_references(&meta.references)
}

fn check_tags(tags: &[String]) -> Result<()> {
    if tags.len() > 16 {
        return Err(invalid(format!(
            "tags may hold at most 16 entries, got {}",
            tags.len()
        )));
    }
    for (i, t) in tags.iter().enumerate() {
        check_slug(&format!("tags[{i}]"), t, 32)?;
    }
    Ok(())
}

fn check_references(refs: &[String]) -> Result<()> {
    if refs.len() > 32 {
        return Err(invalid(format!(
            "references may hold at most 32 entries, got {}",
            refs.len()
        )));
    }
    for (i, r) in refs.iter().enumerate() {
        check_len(&format!("references[{i}]"), r, 1, 500)?;
    }
    Ok(())
}

/// Applies a patch to metadata, checking the result.
pub fn apply_patch(meta: &ModelMeta, patch: &ModelPatch) -> Result<ModelMeta> {
    let mut m = meta.clone();
    if let Some(v) = &patch.name {
        m.name = v.clone();
    }
    if let Some(v) = &patch.description {
        m.description = v.clone();
    }
    if let Some(v) = patch.lab_scope {
        m.lab_scope = v;
    }
    if let Some(v) = patch.visibility {
        m.visibility = v;
    }
    if let Some(v) = &patch.tags {
        m.tags = v.clone();
    }
    if let Some(v) = patch.difficulty {
        m.difficulty = v;
    }
    if let Some(v) = &patch.references {
        m.references = v.clone();
    }
    check_meta(&m)?;
    Ok(m)
}

/// Checks a changelog (≤ 2000 chars).
pub fn check_changelog(s: &str) -> Result<()> {
    check_len("changelog", s, 0, 2000)
}

/// Checks stars (1–5) and review (≤ 2000 chars).
pub fn check_rating(stars: u8, review: Option<&str>) -> Result<()> {
    if !(1..=5).contains(&stars) {
        return Err(invalid(format!(
            "rating must be a whole number from 1 to 5, got {stars}"
        )));
    }
    if let Some(r) = review {
        check_len("review", r, 0, 2000)?;
    }
    Ok(())
}

/// Checks a page request, returning the limit.
pub fn check_page(page: &PageRequest) -> Result<usize> {
    if !(1..=100).contains(&page.limit) {
        return Err(invalid(format!(
            "limit must be from 1 to 100, got {}",
            page.limit
        )));
    }
    Ok(page.limit as usize)
}

/// Where a listing starts: the checked limit and the decoded cursor, if any (Invalid for a
/// bad limit or a cursor this API did not return).
pub fn page_start<C: DeserializeOwned>(page: &PageRequest) -> Result<(usize, Option<C>)> {
    let limit = check_page(page)?;
    let cursor = page.cursor.as_deref().map(decode_cursor).transpose()?;
    Ok((limit, cursor))
}

/// One page from rows fetched `limit + 1` at a time: the first `limit` rows mapped by
/// `item`, and the cursor of the last one kept when the extra row shows that more exist
/// (so `next_cursor` is `None` exactly on the last page, in both backends).
pub fn page_of<R, T>(
    mut rows: Vec<R>,
    limit: usize,
    cursor_of: impl Fn(&R) -> String,
    item: impl FnMut(R) -> T,
) -> Page<T> {
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(cursor_of)
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(item).collect(),
        next_cursor,
    }
}

/// Checks a credit amount (1 ..= 1e12).
pub fn check_amount(amount: i64) -> Result<()> {
    if (1..=1_000_000_000_000).contains(&amount) {
        Ok(())
    } else {
        Err(invalid(format!(
            "amount must be a whole number from 1 to 1000000000000, got {amount}"
        )))
    }
}

/// Checks a memo's reason (1–32 chars of `a-z 0-9 _ -`) and ids.
pub fn check_memo(memo: &CreditMemo) -> Result<()> {
    let ok = !memo.reason.is_empty()
        && memo.reason.len() <= 32
        && memo
            .reason
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !ok {
        return Err(invalid(format!(
            "reason must be 1–32 characters of a-z, 0-9, '_' and '-', got `{}`",
            memo.reason
        )));
    }
    if let Some(r) = &memo.run_id {
        check_id("run_id", r)?;
    }
    if let Some(s) = &memo.model_slug {
        check_slug("model_slug", s, 64)?;
    }
    Ok(())
}

/// Whether `viewer` may read an item with this owner and visibility.
pub fn can_see(owner: Option<&str>, visibility: Visibility, viewer: Option<&str>) -> bool {
    visibility != Visibility::Private || (owner.is_some() && owner == viewer)
}

/// Whether an item is listed on its owner's page (models, artifacts): every item for the
/// owner (`own`), public ones for anyone else. The SQLite backend states the same rule in
/// SQL as `(own OR visibility = 'public')`.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
pub fn listed_to(own: bool, visibility: Visibility) -> bool {
    own || visibility == Visibility::Public
}

/// The model as `viewer` may see it: NotFound when missing or another user's private one.
pub fn visible_model(
    slug: &str,
    model: Option<ModelRecord>,
    viewer: Option<&str>,
) -> Result<ModelRecord> {
    match model {
        Some(m) if can_see(m.owner_id.as_deref(), m.meta.visibility, viewer) => Ok(m),
        _ => Err(StoreError::not_found("model", slug)),
    }
}

/// A model `actor` can see, checked to be theirs: Forbidden when it belongs to another.
pub fn owned_model(slug: &str, model: ModelRecord, actor: &str) -> Result<ModelRecord> {
    if model.owner_id.as_deref() != Some(actor) {
        return Err(StoreError::Forbidden(format!(
            "model `{slug}` belongs to another user"
        )));
    }
    Ok(model)
}

/// The lower-case text that `q` searches: slug, name, description and tags.
pub fn search_text(slug: &str, meta: &ModelMeta) -> String {
    format!(
        "{} {} {} {}",
        slug,
        meta.name,
        meta.description,
        meta.tags.join(" ")
    )
    .to_lowercase()
}

/// Whether a model passes the catalogue filters (used by both backends' listing so the
/// filter semantics cannot drift).
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
pub fn matches_query(m: &ModelRecord, q: &crate::ModelQuery) -> bool {
    use auster_types::LabScope;
    if m.meta.visibility != Visibility::Public {
        return false;
    }
    if let Some(lab) = q.lab {
        if m.meta.lab_scope != lab && m.meta.lab_scope != LabScope::Both {
            return false;
        }
    }
    if let Some(tag) = &q.tag {
        if !m.meta.tags.iter().any(|t| t == tag) {
            return false;
        }
    }
    if let Some(d) = q.difficulty {
        if m.meta.difficulty != d {
            return false;
        }
    }
    if let Some(text) = &q.q {
        let needle = text.trim().to_lowercase();
        if !needle.is_empty() && !search_text(&m.slug, &m.meta).contains(&needle) {
            return false;
        }
    }
    true
}

/// Encodes a cursor: URL-safe hex of its JSON, so it is opaque and survives query strings.
pub fn encode_cursor<T: Serialize>(c: &T) -> String {
    hex::encode(serde_json::to_vec(c).unwrap_or_default())
}

/// Decodes a cursor made by [`encode_cursor`]; Invalid when it is not one.
pub fn decode_cursor<T: DeserializeOwned>(s: &str) -> Result<T> {
    hex::decode(s)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| invalid("cursor is not one this API returned; start again without it"))
}

/// Blob key of a run's output.
pub fn run_output_key(run_id: &str) -> String {
    format!("runs/{run_id}.json")
}

/// Blob key of an artifact body (a fresh id each time so a retried publish never
/// overwrites a body another item points at).
pub fn artifact_body_key(slug: &str) -> String {
    format!("artifacts/{slug}/{}.json", new_id())
}

/// Blob key of a large cache value.
pub fn cache_blob_key(key: &str) -> String {
    format!("cache/{}", sha256_hex(key.as_bytes()))
}

/// Serializes a record field as JSON (infallible for our types).
pub fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Internal(format!("encode: {e}")))
}

/// Parses a stored JSON field.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
pub fn from_json<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Internal(format!("corrupt stored record: {e}")))
}

/// Checks what a new account carries, returning the normalized email.
pub fn check_new_account(new: &NewAccount) -> Result<String> {
    let email = normalize_email(&new.email)?;
    check_hash(&new.api_key.hash)?;
    check_prefix(&new.api_key.prefix)?;
    if new.initial_credits < 0 {
        return Err(invalid(format!(
            "initial_credits must be 0 or more, got {}",
            new.initial_credits
        )));
    }
    Ok(email)
}

/// Checks a new model's slug, metadata, first changelog and parent slug.
pub fn check_new_model(new: &NewModel) -> Result<()> {
    check_slug("slug", &new.slug, 64)?;
    check_meta(&new.meta)?;
    check_changelog(&new.first_version.changelog)?;
    if let Some(p) = &new.forked_from {
        check_slug("forked_from", p, 64)?;
    }
    Ok(())
}

/// Version `version` of `slug` with this content, as both backends store it.
pub fn version_record(
    slug: &str,
    version: u32,
    content: &NewVersion,
    created_by: Option<&str>,
    now: Millis,
) -> ModelVersionRecord {
    ModelVersionRecord {
        model_slug: slug.to_string(),
        version,
        dsl: content.dsl.clone(),
        input_schema: content.input_schema.clone(),
        changelog: content.changelog.clone(),
        created_by: created_by.map(str::to_string),
        created_at: now,
    }
}

/// What every `record_run` does first: checks the run's ids, then answers the run
/// recorded earlier with the same user and idempotency key (`Some`: record nothing), then
/// checks the engine time (finite, ≥ 0).
pub async fn replayed_run<S: RunRepo + ?Sized>(
    store: &S,
    run: &NewRun,
) -> Result<Option<RunRecord>> {
    check_id("id", &run.id)?;
    check_id("user_id", &run.user_id)?;
    check_slug("model_slug", &run.model_slug, 64)?;
    if let Some(k) = &run.idempotency_key {
        check_key("idempotency_key", k)?;
        if let Some(prev) = store.find_idempotent_run(&run.user_id, k).await? {
            return Ok(Some(prev));
        }
    }
    if !run.runtime_ms.is_finite() || run.runtime_ms < 0.0 {
        return Err(invalid(format!(
            "runtime_ms must be a finite number ≥ 0, got {}",
            run.runtime_ms
        )));
    }
    Ok(None)
}

/// The record of `run`, recorded at `now`; its output (if any) is stored under
/// [`run_output_key`], or is the shared blob the caller stored.
pub fn run_record(run: &NewRun, now: Millis) -> RunRecord {
    let id = run.id.clone();
    let (output_key, output_hash, output_size) = match &run.output {
        Some(RunOutput::Bytes(bytes)) => (
            Some(run_output_key(&id)),
            Some(sha256_hex(bytes)),
            bytes.len() as u64,
        ),
        Some(RunOutput::Stored(blob)) => {
            (Some(blob.key.clone()), Some(blob.hash.clone()), blob.size)
        }
        None => (None, None, 0),
    };
    RunRecord {
        id,
        user_id: run.user_id.clone(),
        model_slug: run.model_slug.clone(),
        version: run.version,
        inputs: run.inputs.clone(),
        status: run.status,
        error: run.error.clone(),
        runtime_ms: run.runtime_ms,
        cost: run.cost,
        data_sources: run.data_sources.clone(),
        output_key,
        output_hash,
        output_size,
        cached: run.cached,
        created_at: now,
    }
}

/// The error for a `record_run` whose id is already recorded: ids come from [`new_id`] and
/// are recorded once, so a reused one is refused rather than overwriting a run.
pub fn duplicate_run_id(id: &str) -> StoreError {
    StoreError::Conflict(format!(
        "run `{id}` is already recorded; allocate each run's id with new_id()"
    ))
}

/// The output blob a `record_run` call wrote itself (from [`RunOutput::Bytes`]), which it
/// removes again when the run is not recorded. A shared [`RunOutput::Stored`] blob, which
/// other runs point at, is never removed.
pub fn own_output_key<'a>(run: &NewRun, rec: &'a RunRecord) -> Option<&'a str> {
    match run.output {
        Some(RunOutput::Bytes(_)) => rec.output_key.as_deref(),
        _ => None,
    }
}

/// The wire name of a run status (`success` / `error`).
pub fn run_status_str(s: auster_types::RunStatus) -> &'static str {
    use auster_types::RunStatus;
    match s {
        RunStatus::Success => "success",
        RunStatus::Error => "error",
    }
}

/// Parses a stored run status.
pub fn parse_run_status(s: &str) -> Option<auster_types::RunStatus> {
    use auster_types::RunStatus;
    match s {
        "success" => Some(RunStatus::Success),
        "error" => Some(RunStatus::Error),
        _ => None,
    }
}

/// The aggregate of a model's ratings, with the viewer's own.
pub fn rating_summary_of(model: &ModelRecord, mine: Option<RatingRecord>) -> RatingSummary {
    RatingSummary {
        average: model.stats.rating_average(),
        count: model.stats.rating_count,
        mine,
    }
}

/// Checks an artifact's title, summary and run id.
pub fn check_new_artifact(new: &NewArtifact) -> Result<()> {
    check_slug("slug", &new.slug, 80)?;
    let t = new.title.trim().chars().count();
    if !(1..=200).contains(&t) {
        return Err(invalid(format!("title must be 1–200 characters, got {t}")));
    }
    let s = new.summary.chars().count();
    if s > 4000 {
        return Err(invalid(format!(
            "summary must be at most 4000 characters, got {s}"
        )));
    }
    check_id("run_id", &new.run_id)
}

/// The Conflict of a taken artifact slug.
pub fn artifact_exists(slug: &str) -> StoreError {
    StoreError::Conflict(format!("an artifact with slug `{slug}` exists"))
}

/// The record of a new artifact of a run of `model_slug`, its body stored under `body_key`.
pub fn artifact_record(new: &NewArtifact, model_slug: String, body_key: String) -> ArtifactRecord {
    ArtifactRecord {
        slug: new.slug.clone(),
        owner_id: new.owner_id.clone(),
        run_id: new.run_id.clone(),
        model_slug,
        title: new.title.clone(),
        summary: new.summary.clone(),
        visibility: new.visibility,
        views: 0,
        body_key,
        body_hash: sha256_hex(&new.body),
        created_at: now_ms(),
    }
}

/// The ledger entry of moving `delta` credits to `balance_after`, or PaymentRequired
/// (nothing to write) when the balance `credits` is too small.
pub fn ledger_entry(
    user_id: &str,
    seq: u64,
    credits: i64,
    delta: i64,
    memo: &CreditMemo,
    now: Millis,
) -> Result<LedgerEntry> {
    let balance_after = credits + delta;
    if balance_after < 0 {
        return Err(StoreError::PaymentRequired(format!(
            "this needs {} credits and the balance is {credits}",
            -delta
        )));
    }
    Ok(LedgerEntry {
        seq,
        user_id: user_id.to_string(),
        delta,
        balance_after,
        reason: memo.reason.clone(),
        run_id: memo.run_id.clone(),
        model_slug: memo.model_slug.clone(),
        created_at: now,
    })
}

/// Start of the fixed window of `window_ms` containing `now`.
pub fn window_start(now: Millis, window_ms: i64) -> Millis {
    now - now.rem_euclid(window_ms)
}

/// Checks quota arguments, returning the window in milliseconds.
pub fn check_quota(key: &str, limit: u64, window_secs: u64) -> Result<i64> {
    check_key("quota key", key)?;
    if limit == 0 {
        return Err(invalid("quota limit must be at least 1"));
    }
    if !(1..=366 * 86_400).contains(&window_secs) {
        return Err(invalid(format!(
            "quota window_secs must be from 1 to 31622400 (366 days), got {window_secs}"
        )));
    }
    Ok(window_secs as i64 * 1000)
}

/// The RateLimited error of an exhausted window.
pub fn rate_limited(key: &str, limit: u64, resets_at: Millis, now: Millis) -> StoreError {
    let secs = ((resets_at - now).max(0) as u64).div_ceil(1000).max(1);
    StoreError::RateLimited {
        message: format!("quota `{key}` allows {limit} per window; try again in {secs} s"),
        retry_after_secs: secs,
    }
}

/// Checks a cache entry's key and time to live (1 s to 366 days).
pub fn check_cache_put(key: &str, ttl_secs: u64) -> Result<()> {
    check_key("cache key", key)?;
    if !(1..=366 * 86_400).contains(&ttl_secs) {
        return Err(invalid(format!(
            "cache ttl_secs must be from 1 to 31622400, got {ttl_secs}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod id_tests {
    use super::new_id;

    /// Ids made back to back (thousands per millisecond) strictly increase, have the
    /// documented shape, and start with the clock's millisecond.
    #[test]
    fn ids_made_back_to_back_strictly_increase() {
        let ids: Vec<String> = (0..20_000).map(|_| new_id()).collect();
        for pair in ids.windows(2) {
            assert!(pair[0] < pair[1], "{} then {}", pair[0], pair[1]);
        }
        for id in &ids {
            assert_eq!(id.len(), 24);
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                "{id}"
            );
        }
        let ms = u64::from_str_radix(&ids[0][..12], 16).unwrap();
        assert!(ms.abs_diff(super::now_ms() as u64 & 0xffff_ffff_ffff) < 60_000);
    }
}
