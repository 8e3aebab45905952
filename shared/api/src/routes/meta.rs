//! `GET /api/health`, `POST /api/validate`, `GET /api/primitives`, `GET /api/openapi.json`.

use std::sync::{Arc, OnceLock};

use auster_types::api::{ValidateRequest, ValidateResponse};
use serde::Serialize;

use super::{Body, Ok200, Plain, RawJson};
use crate::ctx::Ctx;
use crate::error::ApiError;
#[allow(unused_imports)]
use crate::prelude::*;

/// `GET /api/health` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// Store backend (`sqlite` or `aws`).
    pub store: &'static str,
    /// Engine version.
    pub engine_version: &'static str,
}

/// Liveness, with a round trip to the store (503 when it is down).
pub async fn health(ctx: &Ctx, _input: Plain) -> Result<Ok200<Health>, ApiError> {
    ctx.store.ping().await?;
    Ok(Ok200(Health {
        status: "ok",
        store: ctx.store.backend(),
        engine_version: auster_engine::ENGINE_VERSION,
    }))
}

/// `POST /api/validate`: checks a DSL document (and optional input schema) without
/// running it; always 200 with every problem.
pub async fn validate_dsl(
    ctx: &Ctx,
    input: Body<ValidateRequest>,
) -> Result<Ok200<ValidateResponse>, ApiError> {
    let v = input.body;
    let file = serde_json::json!({
        "slug": "validate",
        "name": "validate",
        "input_schema": v.input_schema.unwrap_or_else(|| serde_json::json!({"fields": []})),
        "dsl": v.dsl,
    });
    Ok(Ok200(
        match auster_engine::check_model(&file, &ctx.limits) {
            Ok(_) => ValidateResponse {
                valid: true,
                errors: Vec::new(),
            },
            Err(errors) => ValidateResponse {
                valid: false,
                errors,
            },
        },
    ))
}

/// `GET /api/primitives`: the registry's catalogue (built once).
pub async fn list_primitives(_ctx: &Ctx, _input: Plain) -> Result<RawJson, ApiError> {
    static DOC: OnceLock<Arc<Vec<u8>>> = OnceLock::new();
    let doc = DOC.get_or_init(|| {
        Arc::new(
            serde_json::to_vec(&auster_engine::registry().catalogue_json()).unwrap_or_default(),
        )
    });
    Ok(RawJson(doc.clone()))
}

/// `GET /api/openapi.json`: the OpenAPI 3.1 document (built once).
pub async fn openapi(_ctx: &Ctx, _input: Plain) -> Result<RawJson, ApiError> {
    static DOC: OnceLock<Arc<Vec<u8>>> = OnceLock::new();
    let doc = DOC.get_or_init(|| {
        Arc::new(serde_json::to_vec(&crate::openapi::document()).unwrap_or_default())
    });
    Ok(RawJson(doc.clone()))
}
