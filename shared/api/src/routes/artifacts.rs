//! Publishing runs: `POST /api/models/publish` and `GET /api/artifacts/{slug}`.

use auster_store::{new_id, NewArtifact, StoreError};
use auster_types::api::{Artifact, PublishRequest, PublishResponse};
use auster_types::RunResult;

use super::{Body, Created, Ok200, Path};
use crate::convert;
use crate::ctx::Ctx;
use crate::error::ApiError;
#[allow(unused_imports)]
use crate::prelude::*;
use crate::text;

/// A URL-safe slug from a title: lower-case words joined by `-`, at most 60 characters,
/// then a short random suffix so titles never collide.
fn slug_from_title(title: &str) -> String {
    let mut s = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
        if s.len() >= 60 {
            break;
        }
    }
    let s = s.trim_matches('-');
    let base = if s.is_empty() { "result" } else { s };
    let id = new_id();
    format!("{base}-{}", &id[id.len() - 8..])
}

/// `POST /api/models/publish`: publishes one of the caller's runs (owner only; another
/// user's run is 404). The body goes to the artifact store.
pub async fn publish_run(
    ctx: &Ctx,
    input: Body<PublishRequest>,
) -> Result<Created<PublishResponse>, ApiError> {
    let user = input.caller.require()?;
    let p = input.body;
    text::line("/run_id", &p.run_id, 64)?;
    text::line("/title", &p.title, 200)?;
    let summary = p.summary.unwrap_or_default();
    text::multiline("/summary", &summary, 4000)?;
    let not_found = || ApiError::NotFound(format!("run `{}` not found", p.run_id));
    let run = ctx
        .store
        .get_run(&p.run_id, user)
        .await
        .map_err(|e| match e {
            StoreError::Invalid(_) | StoreError::NotFound(_) => not_found(),
            other => other.into(),
        })?;
    if run.status != auster_types::RunStatus::Success {
        return Err(ApiError::Conflict(format!(
            "run `{}` failed; only successful runs can be published",
            run.id
        )));
    }
    // The artifact keeps the result as JSON: it is what readers download.
    let body =
        crate::run_blob::to_json(ctx.store.get_run_output(&run.id, user).await?).map_err(|e| {
            ApiError::Internal(format!(
                "stored output of run {} is unreadable: {e}",
                run.id
            ))
        })?;
    let slug = slug_from_title(&p.title);
    let record = ctx
        .store
        .create_artifact(NewArtifact {
            slug,
            owner_id: user.to_string(),
            run_id: run.id.clone(),
            title: p.title.trim().to_string(),
            summary,
            visibility: convert::visibility_in(p.visibility),
            body,
        })
        .await?;
    Ok(Created(PublishResponse {
        url: format!("/artifacts/{}", record.slug),
        slug: record.slug,
    }))
}

/// `GET /api/artifacts/{slug}`: a published result; anyone may read public and unlisted
/// ones. Each read counts a view.
pub async fn get_artifact(ctx: &Ctx, input: Path) -> Result<Ok200<Artifact>, ApiError> {
    let viewer = input.caller.user_id();
    let slug = input.param;
    let rec = ctx
        .store
        .get_artifact(&slug, viewer)
        .await
        .map_err(|e| match e {
            StoreError::Invalid(_) => ApiError::NotFound(format!("artifact `{slug}` not found")),
            other => other.into(),
        })?;
    let body = ctx.store.get_artifact_body(&slug, viewer).await?;
    let mut result: RunResult = serde_json::from_slice(&body)
        .map_err(|e| ApiError::Internal(format!("artifact {slug} body is unreadable: {e}")))?;
    result.run_id = Some(rec.run_id.clone());
    let views = ctx
        .store
        .record_artifact_view(&slug)
        .await
        .unwrap_or(rec.views + 1);
    let model_name = ctx
        .store
        .get_model(&rec.model_slug, viewer)
        .await
        .ok()
        .map(|m| m.meta.name);
    Ok(Ok200(Artifact {
        slug: rec.slug,
        title: rec.title,
        summary: (!rec.summary.is_empty()).then_some(rec.summary),
        visibility: convert::visibility_out(rec.visibility),
        created_at: convert::rfc3339(rec.created_at),
        owner: Some(rec.owner_id),
        views,
        model_slug: rec.model_slug,
        model_name,
        version: result.version,
        result,
    }))
}
