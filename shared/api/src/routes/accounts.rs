//! `POST /api/accounts`, `GET /api/me`, `GET /api/me/saves` and the caller's API keys
//! (`GET` / `POST /api/me/keys`, `DELETE /api/me/keys/{key_id}`).

use auster_store::{day_of, generate_api_key, now_ms, NewAccount, PageRequest, Plan};
use auster_types::api::{
    ApiKeyList, ApiKeySummary, CreateAccountRequest, CreateAccountResponse, CreateApiKeyRequest,
    CreateApiKeyResponse, Me, SavesResponse, UsageToday,
};

use super::{Body, Created, Ok200, OptionalBody, Path, Plain, WithKey};
use crate::convert;
use crate::ctx::Ctx;
use crate::error::ApiError;
#[allow(unused_imports)]
use crate::prelude::*;
use crate::text;

/// Store quota key of a user's included runs of the current UTC day.
pub fn day_quota_key(user_id: &str) -> String {
    format!("runs-day:{user_id}")
}

/// Included runs a day of `plan`.
pub fn included_runs(ctx: &Ctx, plan: Plan) -> u64 {
    match plan {
        Plan::Free => ctx.config.pricing.free_runs_per_day,
        Plan::Paid => ctx.config.pricing.paid_runs_per_day,
    }
}

/// Creates an account on the free plan with its first API key (shown once).
pub async fn create_account(
    ctx: &Ctx,
    input: Body<CreateAccountRequest>,
) -> Result<Created<CreateAccountResponse>, ApiError> {
    let email = input.body.email.trim().to_string();
    text::line("/email", &email, 254)?;
    let valid = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !email.contains(char::is_whitespace);
    if !valid {
        return Err(ApiError::invalid(
            "/email",
            "email must be an address like name@example.com",
        ));
    }
    let key = generate_api_key(Some("default".into()));
    let account = ctx
        .store
        .create_account(NewAccount {
            email,
            plan: Plan::Free,
            initial_credits: ctx.config.pricing.signup_credits,
            api_key: key.new_key,
        })
        .await?;
    Ok(Created(CreateAccountResponse {
        user_id: account.id,
        api_key: key.plaintext,
        credits: account.credits,
    }))
}

/// The caller's profile, balance, today's usage and the 50 latest ledger lines.
pub async fn get_me(ctx: &Ctx, input: Plain) -> Result<Ok200<Me>, ApiError> {
    let user = input.caller.require()?;
    let account = ctx.store.get_account(user).await?;
    let usage = ctx.store.user_usage(user, day_of(now_ms())).await?;
    let included = included_runs(ctx, account.plan);
    let used = ctx.store.quota_used(&day_quota_key(user), 86_400).await?;
    let ledger = ctx.store.list_ledger(user, &PageRequest::first(50)).await?;
    Ok(Ok200(Me {
        user_id: account.id,
        email: account.email,
        plan: account.plan.as_str().into(),
        credits: account.credits,
        usage_today: UsageToday {
            runs: usage.runs,
            run_limit: Some(included),
            free_runs_left: Some(included.saturating_sub(used)),
            credits_spent: usage.credits_spent,
        },
        ledger: ledger.items.iter().map(convert::ledger).collect(),
    }))
}

/// The caller's saved models, most recently saved first (up to 100).
pub async fn list_saves(ctx: &Ctx, input: Plain) -> Result<Ok200<SavesResponse>, ApiError> {
    let user = input.caller.require()?;
    let page = ctx.store.list_saves(user, &PageRequest::first(100)).await?;
    Ok(Ok200(SavesResponse {
        items: page.items.iter().map(convert::summary).collect(),
    }))
}

/// Most API keys one account may hold unrevoked at a time.
pub const MAX_ACTIVE_KEYS: usize = 20;

/// Longest key label, in characters.
pub const MAX_KEY_LABEL: usize = 64;

/// The caller's API keys, newest first, revoked ones included: prefix, label and times,
/// never the key or its hash. `current` marks the key of this request.
pub async fn list_api_keys(
    ctx: &Ctx,
    input: WithKey<Plain>,
) -> Result<Ok200<ApiKeyList>, ApiError> {
    let user = input.input.caller.require()?;
    let keys = ctx.store.list_api_keys(user).await?;
    Ok(Ok200(ApiKeyList {
        items: keys
            .iter()
            .map(|k| convert::api_key(k, input.key_hash.as_deref()))
            .collect(),
    }))
}

/// Adds an API key to the caller's account and answers it once; the store keeps only its
/// hash. 409 when the account already holds [`MAX_ACTIVE_KEYS`] unrevoked keys.
pub async fn create_api_key(
    ctx: &Ctx,
    input: OptionalBody<CreateApiKeyRequest>,
) -> Result<Created<CreateApiKeyResponse>, ApiError> {
    let user = input.caller.require()?;
    let label = match input.body.label {
        None => None,
        Some(l) => {
            let l = l.trim().to_string();
            text::line("/label", &l, MAX_KEY_LABEL)?;
            Some(l)
        }
    };
    let active = ctx
        .store
        .list_api_keys(user)
        .await?
        .iter()
        .filter(|k| k.revoked_at.is_none())
        .count();
    if active >= MAX_ACTIVE_KEYS {
        return Err(ApiError::Conflict(format!(
            "the account already has {active} active API keys (at most {MAX_ACTIVE_KEYS}); revoke one first"
        )));
    }
    let key = generate_api_key(label);
    let record = ctx.store.create_api_key(user, key.new_key).await?;
    Ok(Created(CreateApiKeyResponse {
        key_id: record.id,
        api_key: key.plaintext,
        prefix: record.prefix,
        label: record.name,
        created_at: convert::rfc3339(record.created_at),
    }))
}

/// Revokes one of the caller's API keys and answers its summary (revoking twice answers the
/// first revocation). 404 for an unknown id or another user's key; 409 for the account's
/// only active key, which would lock the account out (create another first).
///
/// The key stops working at once on this instance (its auth-cache entry is dropped);
/// other instances may accept it for up to the auth cache's 5 seconds.
pub async fn revoke_api_key(
    ctx: &Ctx,
    input: WithKey<Path>,
) -> Result<Ok200<ApiKeySummary>, ApiError> {
    let user = input.input.caller.require()?;
    let key_id = input.input.param.as_str();
    let well_formed = key_id.len() == 16
        && key_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !well_formed {
        return Err(ApiError::invalid(
            "/path/key_id",
            "key_id must be 16 lower-case hex digits, as GET /api/me/keys lists them",
        ));
    }
    let keys = ctx.store.list_api_keys(user).await?;
    let not_found = || ApiError::NotFound(format!("no API key {key_id} in your account"));
    let target = keys.iter().find(|k| k.id == key_id).ok_or_else(not_found)?;
    let active = keys.iter().filter(|k| k.revoked_at.is_none()).count();
    if target.revoked_at.is_none() && active <= 1 {
        return Err(ApiError::Conflict(
            "this is the account's only active API key; create another before revoking it".into(),
        ));
    }
    let record = ctx
        .store
        .revoke_api_key(user, key_id)
        .await
        .map_err(|e| match e {
            auster_store::StoreError::NotFound(_) => not_found(),
            other => other.into(),
        })?;
    ctx.auth_cache.remove(&record.hash);
    Ok(Ok200(convert::api_key(&record, input.key_hash.as_deref())))
}
