//! Bookmarks and ratings: `POST`/`DELETE /api/models/save`, `GET`/`POST`/`DELETE
//! /api/models/rate`.

use auster_types::api::{RateRequest, RatingSummary};
use serde::Serialize;

use super::{Body, Ok200, Query, SlugRef};
use crate::convert;
use crate::ctx::Ctx;
use crate::error::ApiError;
#[allow(unused_imports)]
use crate::prelude::*;
use crate::text;

/// Answer of save and unsave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SaveState {
    /// The model.
    pub model_slug: String,
    /// Whether the caller has it saved now.
    pub saved: bool,
    /// Whether this call changed anything.
    pub changed: bool,
}

/// `POST /api/models/save`: bookmarks a model the caller can see (idempotent).
pub async fn save_model(ctx: &Ctx, input: SlugRef) -> Result<Ok200<SaveState>, ApiError> {
    let user = input.caller.require()?;
    let changed = ctx.store.save_model(user, &input.model_slug).await?;
    Ok(Ok200(SaveState {
        model_slug: input.model_slug,
        saved: true,
        changed,
    }))
}

/// `DELETE /api/models/save`: removes a bookmark (idempotent).
pub async fn unsave_model(ctx: &Ctx, input: SlugRef) -> Result<Ok200<SaveState>, ApiError> {
    let user = input.caller.require()?;
    let changed = ctx.store.unsave_model(user, &input.model_slug).await?;
    Ok(Ok200(SaveState {
        model_slug: input.model_slug,
        saved: false,
        changed,
    }))
}

/// `GET /api/models/rate?model_slug=`: average, count and the caller's own rating.
pub async fn get_rating(ctx: &Ctx, input: Query) -> Result<Ok200<RatingSummary>, ApiError> {
    let slug = match input.get("model_slug") {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => {
            return Err(ApiError::invalid(
                "/query/model_slug",
                "the query parameter `model_slug` is required",
            ))
        }
    };
    let viewer = input.caller.user_id();
    // Visibility first: a private model of someone else is 404, not an empty summary.
    ctx.store.get_model(&slug, viewer).await?;
    let s = ctx.store.rating_summary(&slug, viewer).await?;
    Ok(Ok200(convert::rating(s)))
}

/// `POST /api/models/rate`: rates (or re-rates) 1–5 stars with an optional review.
pub async fn rate_model(
    ctx: &Ctx,
    input: Body<RateRequest>,
) -> Result<Ok200<RatingSummary>, ApiError> {
    let user = input.caller.require()?;
    let r = input.body;
    text::line("/model_slug", &r.model_slug, 64)?;
    if !(1..=5).contains(&r.rating) {
        return Err(ApiError::invalid(
            "/rating",
            format!(
                "rating must be a whole number from 1 to 5, got {}",
                r.rating
            ),
        ));
    }
    if let Some(review) = &r.review {
        text::multiline("/review", review, 2000)?;
    }
    let s = ctx
        .store
        .rate_model(user, &r.model_slug, r.rating, r.review)
        .await?;
    Ok(Ok200(convert::rating(s)))
}

/// `DELETE /api/models/rate`: removes the caller's rating.
pub async fn unrate_model(ctx: &Ctx, input: SlugRef) -> Result<Ok200<RatingSummary>, ApiError> {
    let user = input.caller.require()?;
    let s = ctx.store.unrate_model(user, &input.model_slug).await?;
    Ok(Ok200(convert::rating(s)))
}
