//! `POST /api/accounts`, `GET /api/me`, `GET /api/me/saves`.

use auster_store::{day_of, generate_api_key, now_ms, NewAccount, PageRequest, Plan};
use auster_types::api::{
    CreateAccountRequest, CreateAccountResponse, Me, SavesResponse, UsageToday,
};

use super::{Body, Created, Ok200, Plain};
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
