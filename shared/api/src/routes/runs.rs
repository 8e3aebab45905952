//! `POST /api/models/run` and `GET /api/runs/{id}`.
//!
//! A run: idempotency check → resolve the version (visibility) → check inputs → per-minute
//! limit → the day's included runs, else charge credits → cached result or engine run with
//! the time budget → store the run and its output → RunResult with `run_id`. A run that
//! fails after being charged is recorded with its error and refunded.

use std::sync::Arc;

use auster_engine::{prepare, DataError, RunError, ENGINE_VERSION};
use auster_store::{day_of, now_ms, CreditMemo, NewRun, Plan, RunRecord, StoreError};
use auster_types::api::RunRequest;
use auster_types::{Issue, ModelFile, RunResult, RunStatus};
use sha2::{Digest, Sha256};

use super::accounts::{day_quota_key, included_runs};
use super::{Body, Ok200, Path};
use crate::auth::Caller;
use crate::ctx::Ctx;
use crate::error::ApiError;
#[allow(unused_imports)]
use crate::prelude::*;
use crate::text;

/// `POST /api/models/run`.
pub async fn run_model(ctx: &Ctx, input: Body<RunRequest>) -> Result<Ok200<RunResult>, ApiError> {
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
            return stored_result(ctx, &prev, &user, &req.model_slug)
                .await
                .map(Ok200);
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

    let per_minute = ctx.config.pricing.runs_per_minute;
    let minute_key = format!("runs-min:{user}:{}", version.model_slug);
    if let Err(e) = ctx.store.hit_quota(&minute_key, per_minute, 60).await {
        return Err(match e {
            StoreError::RateLimited {
                retry_after_secs, ..
            } => ApiError::RateLimited {
                message: format!(
                    "at most {per_minute} runs a minute of the same model; retry in {retry_after_secs} s"
                ),
                retry_after_secs,
            },
            other => other.into(),
        });
    }

    let cost = charge(ctx, &user, plan, &version.model_slug).await?;

    let cache_key = cache_key(
        &version.model_slug,
        version.version,
        version.created_at,
        &program.inputs,
    );
    let (result, cached) = match cached(ctx, &cache_key).await {
        Some(r) => (r, true),
        None => match execute(ctx, program, &version.model_slug, version.version).await {
            Ok(r) => {
                let r = Arc::new(r);
                remember(ctx, cache_key, r.clone()).await;
                (r, false)
            }
            Err((err, message)) => {
                refund(ctx, &user, cost, &version.model_slug).await;
                let failed = NewRun {
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
                };
                if let Err(e) = ctx.store.record_run(failed).await {
                    tracing::warn!(error = %e, "could not record a failed run");
                }
                tracing::info!(model = %version.model_slug, error = %message, "run failed");
                return Err(err);
            }
        },
    };

    let mut out = (*result).clone();
    out.cached = cached;
    out.cost = cost;
    out.run_id = None;
    let bytes = serde_json::to_vec(&out).map_err(|e| ApiError::Internal(e.to_string()))?;
    let record = match ctx
        .store
        .record_run(NewRun {
            user_id: user.clone(),
            model_slug: out.model_slug.clone(),
            version: out.version,
            inputs: out.inputs.clone(),
            status: RunStatus::Success,
            error: None,
            runtime_ms: out.runtime_ms,
            cost,
            data_sources: out.data_sources.clone(),
            output: Some(bytes),
            idempotency_key: input.idempotency_key.clone(),
        })
        .await
    {
        Ok(r) => r,
        Err(e) => {
            refund(ctx, &user, cost, &out.model_slug).await;
            return Err(e.into());
        }
    };
    if input.idempotency_key.is_some() && record.created_at < started {
        // A concurrent retry with the same key won the race: answer its run, charge once.
        refund(ctx, &user, cost, &out.model_slug).await;
        return stored_result(ctx, &record, &user, &req.model_slug)
            .await
            .map(Ok200);
    }
    out.run_id = Some(record.id);
    Ok(Ok200(out))
}

/// Counts the run against the day's included runs; beyond them, charges the run's cost in
/// credits (402 when the balance is short). Returns the credits charged.
async fn charge(ctx: &Ctx, user: &str, plan: Plan, slug: &str) -> Result<u32, ApiError> {
    let included = included_runs(ctx, plan);
    match ctx
        .store
        .hit_quota(&day_quota_key(user), included, 86_400)
        .await
    {
        Ok(_) => return Ok(0),
        Err(StoreError::RateLimited { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let cost = ctx.config.pricing.run_cost;
    let memo = CreditMemo {
        reason: "run".into(),
        run_id: None,
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
async fn refund(ctx: &Ctx, user: &str, cost: u32, slug: &str) {
    if cost == 0 {
        return;
    }
    let memo = CreditMemo {
        reason: "refund".into(),
        run_id: None,
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

async fn cached(ctx: &Ctx, key: &str) -> Option<Arc<RunResult>> {
    if let Some(r) = ctx.run_cache.get(key) {
        return Some(r);
    }
    let bytes = match ctx.store.cache_get(key).await {
        Ok(Some(b)) => b,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(error = %e, "run cache read failed");
            return None;
        }
    };
    let r: RunResult = serde_json::from_slice(&bytes).ok()?;
    let r = Arc::new(r);
    ctx.run_cache.put(key.to_string(), r.clone());
    Some(r)
}

async fn remember(ctx: &Ctx, key: String, r: Arc<RunResult>) {
    // Until the end of the UTC day: the key carries the day, so later entries never match.
    let now = now_ms();
    let ttl = (86_400_000 - now.rem_euclid(86_400_000)) / 1000 + 1;
    match serde_json::to_vec(r.as_ref()) {
        Ok(bytes) => {
            if let Err(e) = ctx.store.cache_put(&key, &bytes, ttl as u64).await {
                tracing::warn!(error = %e, "run cache write failed");
            }
        }
        Err(e) => tracing::warn!(error = %e, "run cache encode failed"),
    }
    ctx.run_cache.put(key, r);
}

/// Fetches the data (within the time budget) and executes off the async workers.
async fn execute(
    ctx: &Ctx,
    program: auster_engine::Program,
    slug: &str,
    version: u32,
) -> Result<RunResult, (ApiError, String)> {
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
    let exec =
        tokio::task::spawn_blocking(move || auster_engine::execute(&program, &fetched, &limits))
            .await
            .map_err(|e| {
                (
                    ApiError::Internal(format!("run task failed: {e}")),
                    "internal error".to_string(),
                )
            })?
            .map_err(run_error)?;
    Ok(RunResult {
        run_id: None,
        model_slug: slug.to_string(),
        version,
        status: RunStatus::Success,
        inputs,
        outputs: exec.outputs,
        steps: exec.steps,
        data_sources: exec.data_sources,
        cached: false,
        runtime_ms: exec.runtime_ms,
        cost: 0,
        engine_version: ENGINE_VERSION.into(),
        error: None,
    })
}

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
        Ok(bytes) => serde_json::from_slice::<RunResult>(&bytes).map_err(|e| {
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
