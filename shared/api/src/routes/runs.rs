//! `POST /api/models/run` and `GET /api/runs/{id}`.
//!
//! A run: idempotency check → resolve the version (visibility) → check inputs → per-minute
//! limit and the day's included runs (one store round trip), else charge credits → cached
//! result or engine run with the time budget → store the run and its output → RunResult
//! with `run_id`. A run that fails after being charged is recorded with its error and
//! refunded.
//!
//! A computed result is serialised once, without its per-run fields, and stored once as a
//! content-addressed blob ([`CachedRun`]); every identical run then records a small item
//! pointing at that blob and answers by prefixing its own `run_id`, `cached` and `cost` to
//! the shared JSON. Serialising and storing hundreds of KB per run was most of a cached
//! run's cost.

use std::sync::Arc;

use auster_engine::{prepare, DataError, RunError, ENGINE_VERSION};
use auster_store::{
    day_of, new_id, now_ms, CreditMemo, NewRun, Plan, QuotaHit, RunOutput, RunRecord, StoreError,
    StoredBlob,
};
use auster_types::api::RunRequest;
use auster_types::{DataSourceRef, Issue, ModelFile, RunResult, RunStatus};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::accounts::{day_quota_key, included_runs};
use super::{Body, Ok200, Path, RawJson};
use crate::auth::Caller;
use crate::ctx::{CachedRun, Ctx};
use crate::error::ApiError;
#[allow(unused_imports)]
use crate::prelude::*;
use crate::run_blob;
use crate::text;

/// `POST /api/models/run`.
pub async fn run_model(ctx: &Ctx, input: Body<RunRequest>) -> Result<RawJson, ApiError> {
    let (user, plan) = match &input.caller {
        Caller::User { user_id, plan } => (user_id.clone(), *plan),
        Caller::Anonymous => return Err(ApiError::unauthenticated()),
    };
    let req = input.body;
    text::line("/model_slug", &req.model_slug, 64)?;
    for k in req.inputs.keys() {
        text::line(&format!("/inputs/{k}"), k, 64)?;
    }
    let started = now_ms();

    if let Some(key) = &input.idempotency_key {
        if let Some(prev) = ctx.store.find_idempotent_run(&user, key).await? {
            let result = stored_result(ctx, &prev, &user, &req.model_slug).await?;
            return json_of(&result);
        }
    }

    let version = ctx
        .store
        .get_version(&req.model_slug, req.version, Some(&user))
        .await?;
    let model = ModelFile {
        slug: version.model_slug.clone(),
        name: version.model_slug.clone(),
        description: String::new(),
        lab_scope: Default::default(),
        tags: Vec::new(),
        difficulty: Default::default(),
        references: Vec::new(),
        input_schema: version.input_schema.clone(),
        dsl: version.dsl.clone(),
    };
    let program = prepare(&model, &req.inputs).map_err(|details| ApiError::InvalidInputs {
        message: format!(
            "the inputs do not fit the input schema of `{}` v{}",
            version.model_slug, version.version
        ),
        details,
    })?;

    // Allocated before the charge so its ledger entry (and any refund) names the run.
    let run_id = new_id();
    let cost = admit(ctx, &user, plan, &version.model_slug, &run_id).await?;

    let cache_key = cache_key(
        &version.model_slug,
        version.version,
        version.created_at,
        &program.inputs,
    );
    // On a miss: the compute slot, kept until the run is recorded when the store's writes
    // are CPU work too (see `Ctx::hold_slot_through_writes`), and the results-cache entry to write
    // beside the run record.
    let mut slot = None;
    let mut fresh = None;
    let (entry, cached) = match cached(ctx, &cache_key).await {
        Some(e) => (e, true),
        None => {
            let computed = match compute(ctx, program, &version.model_slug, version.version).await {
                Ok((e, packed, s)) => {
                    slot = s;
                    store_shared(ctx, &e, &packed)
                        .await
                        .map(|()| e)
                        .map_err(|e| (e, "the result could not be stored".into()))
                }
                Err(failure) => Err(failure),
            };
            match computed {
                Ok(e) => {
                    let e = Arc::new(e);
                    ctx.run_cache.put(cache_key.clone(), e.clone());
                    fresh = Some(cache_key);
                    (e, false)
                }
                Err((err, message)) => {
                    refund(ctx, &user, cost, &version.model_slug, &run_id).await;
                    let failed = NewRun {
                        id: run_id.clone(),
                        user_id: user.clone(),
                        model_slug: version.model_slug.clone(),
                        version: version.version,
                        inputs: req.inputs.clone(),
                        status: RunStatus::Error,
                        error: Some(message.clone()),
                        runtime_ms: 0.0,
                        cost: 0,
                        data_sources: Vec::new(),
                        output: None,
                        // A failed attempt is not the answer to replay: a retry runs again.
                        idempotency_key: None,
                        cached: false,
                    };
                    if let Err(e) = ctx.store.record_run(failed).await {
                        tracing::warn!(error = %e, "could not record a failed run");
                    }
                    tracing::info!(model = %version.model_slug, error = %message, "run failed");
                    return Err(err);
                }
            }
        }
    };

    // The run record and (after a fresh computation) the results cache's pointer to the
    // blob are independent writes: issued together, a networked store overlaps them.
    let remembered = async {
        if let Some(key) = fresh {
            remember_in_store(ctx, &key, &entry).await;
        }
    };
    let recorded = ctx.store.record_run(NewRun {
        id: run_id.clone(),
        user_id: user.clone(),
        model_slug: entry.model_slug.clone(),
        version: entry.version,
        inputs: entry.inputs.clone(),
        status: RunStatus::Success,
        error: None,
        runtime_ms: entry.runtime_ms,
        cost,
        data_sources: entry.data_sources.clone(),
        output: Some(RunOutput::Stored(entry.blob.clone())),
        idempotency_key: input.idempotency_key.clone(),
        cached,
    });
    let (recorded, ()) = tokio::join!(recorded, remembered);
    drop(slot);
    let record = match recorded {
        Ok(r) => r,
        Err(e) => {
            refund(ctx, &user, cost, &entry.model_slug, &run_id).await;
            return Err(e.into());
        }
    };
    if input.idempotency_key.is_some() && record.created_at < started {
        // A concurrent retry with the same key won the race: answer its run, charge once.
        refund(ctx, &user, cost, &entry.model_slug, &run_id).await;
        let result = stored_result(ctx, &record, &user, &req.model_slug).await?;
        return json_of(&result);
    }
    Ok(RawJson(Arc::new(answer(
        &record.id,
        cached,
        cost,
        &entry.body,
    ))))
}

/// A RunResult as a JSON reply.
fn json_of(result: &RunResult) -> Result<RawJson, ApiError> {
    serde_json::to_vec(result)
        .map(|b| RawJson(Arc::new(b)))
        .map_err(|e| ApiError::Internal(format!("run result encoding failed: {e}")))
}

/// One run's answer: its own fields, then the shared JSON (which starts with `{` and holds
/// at least `model_slug`, so the comma is always followed by a field).
fn answer(run_id: &str, cached: bool, cost: u32, shared: &[u8]) -> Vec<u8> {
    let head = format!(
        "{{\"run_id\":{},\"cached\":{cached},\"cost\":{cost},",
        Value::String(run_id.to_string())
    );
    let mut out = Vec::with_capacity(head.len() + shared.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(shared.get(1..).unwrap_or_default());
    out
}

/// Stores a fresh result's packed form ([`run_blob`]) as its content-addressed blob.
async fn store_shared(ctx: &Ctx, e: &CachedRun, packed: &[u8]) -> Result<(), ApiError> {
    // Written on every fresh computation (at most once a day per cache key): that renews
    // the blob's age under the `runs/` lifecycle rule.
    ctx.store.put_blob(&e.blob.key, packed).await?;
    Ok(())
}

/// Lets a run in: the per-minute limit of the model (429; counts attempts), then the day's
/// included runs, and beyond them the run's cost in credits (402 when the balance is
/// short). The two counters are hit in one store round trip. Returns the credits charged.
async fn admit(
    ctx: &Ctx,
    user: &str,
    plan: Plan,
    slug: &str,
    run_id: &str,
) -> Result<u32, ApiError> {
    let per_minute = ctx.config.pricing.runs_per_minute;
    let minute_key = format!("runs-min:{user}:{slug}");
    let minute = QuotaHit {
        key: &minute_key,
        limit: per_minute,
        window_secs: 60,
    };
    let included = included_runs(ctx, plan);
    // A plan configured with no included runs charges every run; the day's counter only
    // exists for plans that include some.
    let hit = if included > 0 {
        let day_key = day_quota_key(user);
        let day = QuotaHit {
            key: &day_key,
            limit: included,
            window_secs: 86_400,
        };
        ctx.store
            .hit_quota_then(minute, day)
            .await
            .map(|d| d.is_some())
    } else {
        ctx.store
            .hit_quota(minute.key, minute.limit, minute.window_secs)
            .await
            .map(|_| false)
    };
    let included_run = hit.map_err(|e| match e {
        StoreError::RateLimited {
            retry_after_secs, ..
        } => ApiError::RateLimited {
            message: format!(
                "at most {per_minute} runs a minute of the same model; retry in {retry_after_secs} s"
            ),
            retry_after_secs,
        },
        other => other.into(),
    })?;
    if included_run {
        return Ok(0);
    }
    let cost = ctx.config.pricing.run_cost;
    let memo = CreditMemo {
        reason: "run".into(),
        run_id: Some(run_id.to_string()),
        model_slug: Some(slug.to_string()),
    };
    match ctx.store.charge_credits(user, cost as i64, memo).await {
        Ok(_) => Ok(cost),
        Err(StoreError::PaymentRequired(_)) => Err(ApiError::PaymentRequired(format!(
            "today's {included} included runs of the {} plan are used and a run costs {cost} \
             credit(s); top up credits or wait for the next UTC day",
            plan.as_str()
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Gives back a charge (failed runs, lost idempotency races). Never fails the request:
/// a refund that cannot be written is logged for an operator.
async fn refund(ctx: &Ctx, user: &str, cost: u32, slug: &str, run_id: &str) {
    if cost == 0 {
        return;
    }
    let memo = CreditMemo {
        reason: "refund".into(),
        run_id: Some(run_id.to_string()),
        model_slug: Some(slug.to_string()),
    };
    if let Err(e) = ctx.store.grant_credits(user, cost as i64, memo).await {
        tracing::error!(user, cost, error = %e, "refund failed");
    }
}

/// The cache key of a run: model version (and its creation time, so a re-created slug
/// never hits an old entry), resolved inputs, and the UTC day the data is as of.
pub fn cache_key(
    slug: &str,
    version: u32,
    created_at: i64,
    inputs: &serde_json::Map<String, serde_json::Value>,
) -> String {
    let mut h = Sha256::new();
    h.update(slug.as_bytes());
    h.update([0]);
    h.update(version.to_le_bytes());
    h.update(created_at.to_le_bytes());
    h.update(day_of(now_ms()).to_le_bytes());
    h.update(ENGINE_VERSION.as_bytes());
    let mut keys: Vec<&String> = inputs.keys().collect();
    keys.sort();
    for k in keys {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(inputs[k].to_string().as_bytes());
        h.update([0]);
    }
    format!("run:{}", hex::encode(h.finalize()))
}

/// Where the store's results cache (L2, shared by every instance) keeps a result: a small
/// pointer to the shared blob, so the result's bytes are stored once.
#[derive(Serialize, serde::Deserialize)]
struct CachePointer {
    blob: String,
    hash: String,
    size: u64,
}

/// What a cached run needs of a stored shared result besides its bytes: serde skips the
/// outputs (tens of thousands of points) instead of building them.
#[derive(serde::Deserialize)]
struct SharedMeta {
    model_slug: String,
    version: u32,
    inputs: Map<String, Value>,
    runtime_ms: f64,
    data_sources: Vec<DataSourceRef>,
}

async fn cached(ctx: &Ctx, key: &str) -> Option<Arc<CachedRun>> {
    if let Some(r) = ctx.run_cache.get(key) {
        return Some(r);
    }
    let pointer = match ctx.store.cache_get(key).await {
        Ok(Some(b)) => serde_json::from_slice::<CachePointer>(&b).ok()?,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(error = %e, "run cache read failed");
            return None;
        }
    };
    // A blob that expired or cannot be read is a miss: the run computes afresh.
    let body = run_blob::to_json(ctx.store.get_blob(&pointer.blob).await.ok()?).ok()?;
    let r: SharedMeta = serde_json::from_slice(&body).ok()?;
    let entry = Arc::new(CachedRun {
        model_slug: r.model_slug,
        version: r.version,
        inputs: r.inputs,
        runtime_ms: r.runtime_ms,
        data_sources: r.data_sources,
        blob: StoredBlob {
            key: pointer.blob,
            hash: pointer.hash,
            size: pointer.size,
        },
        body,
    });
    ctx.run_cache.put(key.to_string(), entry.clone());
    Some(entry)
}

/// Writes the results cache's pointer to a fresh result's blob (best effort: a failed
/// write only costs another instance a recomputation).
async fn remember_in_store(ctx: &Ctx, key: &str, entry: &CachedRun) {
    // Until the end of the UTC day: the key carries the day, so later entries never match.
    let now = now_ms();
    let ttl = (86_400_000 - now.rem_euclid(86_400_000)) / 1000 + 1;
    let pointer = CachePointer {
        blob: entry.blob.key.clone(),
        hash: entry.blob.hash.clone(),
        size: entry.blob.size,
    };
    match serde_json::to_vec(&pointer) {
        Ok(bytes) => {
            if let Err(e) = ctx.store.cache_put(key, &bytes, ttl as u64).await {
                tracing::warn!(error = %e, "run cache write failed");
            }
        }
        Err(e) => tracing::warn!(error = %e, "run cache encode failed"),
    }
}

/// Fetches the data (within the time budget), then executes and serialises the result
/// once (without its per-run fields) off the async workers: both are CPU work of a
/// millisecond or more that would otherwise stall other requests on the same worker.
/// Returns the compute slot too when the store's writes should stay inside it
/// ([`Ctx::hold_slot_through_writes`]).
async fn compute<'c>(
    ctx: &'c Ctx,
    program: auster_engine::Program,
    slug: &str,
    version: u32,
) -> Result<Fresh<'c>, (ApiError, String)> {
    let limits = ctx.limits.clone();
    let fetched = match tokio::time::timeout(
        limits.timeout,
        auster_engine::fetch_all(&program, &ctx.gateway),
    )
    .await
    {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => return Err(run_error(e)),
        Err(_) => return Err(run_error(RunError::Timeout(limits.timeout))),
    };
    let inputs = program.inputs.clone();
    let slug = slug.to_string();
    let slot = ctx.compute_slots.acquire().await.map_err(|e| {
        (
            ApiError::Internal(format!("compute slots closed: {e}")),
            "internal error".to_string(),
        )
    })?;
    let computed = tokio::task::spawn_blocking(move || {
        let exec = auster_engine::execute(&program, &fetched, &limits).map_err(run_error)?;
        let r = exec.into_result(&slug, version, inputs);
        let encoded = run_blob::encode(&r).map_err(|e| {
            (
                ApiError::Internal(format!("run result encoding failed: {e}")),
                "the result could not be encoded".to_string(),
            )
        })?;
        let body = encoded.json;
        let run = CachedRun {
            blob: StoredBlob::shared_run_output(&encoded.packed),
            model_slug: r.model_slug,
            version: r.version,
            inputs: r.inputs,
            runtime_ms: r.runtime_ms,
            data_sources: r.data_sources,
            body,
        };
        Ok((run, encoded.packed))
    })
    .await
    .map_err(|e| {
        (
            ApiError::Internal(format!("run task failed: {e}")),
            "internal error".to_string(),
        )
    })??;
    Ok((
        computed.0,
        computed.1,
        ctx.hold_slot_through_writes.then_some(slot),
    ))
}

/// A fresh result: what identical runs are answered from, its packed form to store, and
/// the compute slot when the store's writes stay inside it.
type Fresh<'c> = (CachedRun, Vec<u8>, Option<tokio::sync::SemaphorePermit<'c>>);

/// Maps an engine failure to the API error and the message recorded with the run.
fn run_error(e: RunError) -> (ApiError, String) {
    let message = e.to_string();
    let err = match &e {
        RunError::Timeout(_) => ApiError::Timeout(message.clone()),
        RunError::Data {
            source: DataError::Unavailable(detail),
            ..
        } => ApiError::Unavailable(detail.clone()),
        RunError::Data { step, .. } | RunError::Step { step, .. } => ApiError::InvalidInputs {
            message: message.clone(),
            details: vec![Issue::new(format!("/dsl/steps/{step}"), message.clone())],
        },
        RunError::Limit(_) => ApiError::InvalidInputs {
            message: message.clone(),
            details: Vec::new(),
        },
    };
    (err, message)
}

/// The stored RunResult of an earlier run, with its id.
async fn stored_result(
    ctx: &Ctx,
    run: &RunRecord,
    user: &str,
    asked_slug: &str,
) -> Result<RunResult, ApiError> {
    if run.model_slug != asked_slug {
        return Err(ApiError::Conflict(format!(
            "this Idempotency-Key was already used for a run of `{}`; use a new key for a different run",
            run.model_slug
        )));
    }
    load_result(ctx, run, user).await
}

async fn load_result(ctx: &Ctx, run: &RunRecord, user: &str) -> Result<RunResult, ApiError> {
    let mut result = match ctx.store.get_run_output(&run.id, user).await {
        Ok(bytes) => run_blob::to_json(bytes)
            .and_then(|json| serde_json::from_slice::<RunResult>(&json).map_err(|e| e.to_string()))
            .map_err(|e| {
                ApiError::Internal(format!(
                    "stored output of run {} is unreadable: {e}",
                    run.id
                ))
            })?,
        Err(StoreError::NotFound(_)) => RunResult {
            run_id: None,
            model_slug: run.model_slug.clone(),
            version: run.version,
            status: run.status,
            inputs: run.inputs.clone(),
            outputs: Default::default(),
            steps: Vec::new(),
            data_sources: run.data_sources.clone(),
            cached: false,
            runtime_ms: run.runtime_ms,
            cost: run.cost,
            engine_version: ENGINE_VERSION.into(),
            error: run.error.clone(),
        },
        Err(e) => return Err(e.into()),
    };
    result.run_id = Some(run.id.clone());
    // The stored JSON is shared by identical runs; what this run was charged and whether
    // it was answered from the cache are its own.
    result.cost = run.cost;
    result.cached = run.cached;
    Ok(result)
}

/// `GET /api/runs/{id}`: a past run of the caller.
pub async fn get_run(ctx: &Ctx, input: Path) -> Result<Ok200<RunResult>, ApiError> {
    let user = input.caller.require()?;
    let run = ctx
        .store
        .get_run(&input.param, user)
        .await
        .map_err(|e| match e {
            StoreError::Invalid(_) => {
                ApiError::NotFound(format!("run `{}` not found", input.param))
            }
            other => other.into(),
        })?;
    Ok(Ok200(load_result(ctx, &run, user).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use auster_types::{IsoDate, SeriesOutput};

    fn full_result() -> RunResult {
        let mut r = crate::run_blob::tests::result(vec![SeriesOutput {
            id: "s".into(),
            label: "S".into(),
            color: Some("#2563eb".into()),
            points: vec![(IsoDate(14_247), Some(1.5)), (IsoDate(14_248), None)],
            downsampled_from: Some(10),
        }]);
        r.error = Some("kept".into());
        r
    }

    #[test]
    fn shared_json_round_trips() {
        let r = full_result();
        let shared = run_blob::encode(&r).unwrap().json;
        let answered: RunResult =
            serde_json::from_slice(&answer("01J\"x", true, 4, &shared)).unwrap();
        let mut want = r.clone();
        want.run_id = Some("01J\"x".into());
        want.cached = true;
        want.cost = 4;
        assert_eq!(answered, want);
        // The stored form alone reads back as the result without per-run fields.
        let stored: RunResult = serde_json::from_slice(&shared).unwrap();
        assert_eq!(stored, r);
    }
}
