//! The OpenAPI 3.1 document of every route and error, served at `/api/openapi.json`.
//!
//! Written by hand next to the route table; a test checks that every route in
//! [`crate::ROUTES`] has an operation here (and nothing else does), so they cannot drift.

use serde_json::{json, Map, Value};

use crate::router::ROUTES;

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn nullable(t: &str) -> Value {
    json!({"type": [t, "null"]})
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": r("Error")}}})
}

/// The errors a route can answer besides its success, by status.
fn errors(statuses: &[u16]) -> Map<String, Value> {
    let mut m = Map::new();
    for s in statuses {
        let (desc, extra) = match s {
            400 => (
                "`invalid_request`: malformed JSON, wrong types or bad values",
                None,
            ),
            401 => (
                "`unauthenticated`: missing, unknown or revoked API key",
                None,
            ),
            402 => (
                "`payment_required`: the day's included runs are used and credits ran out",
                None,
            ),
            403 => ("`forbidden`: only the owner may do this", None),
            404 => ("`not_found` (also another user's private model)", None),
            405 => ("`method_not_allowed`", Some("Allow")),
            409 => (
                "`conflict`: slug or email taken, or an idempotency key reused",
                None,
            ),
            413 => ("`too_large`: the body exceeds the limit", None),
            422 => (
                "`invalid_model` or `invalid_inputs` (details: path + message)",
                None,
            ),
            429 => ("`rate_limited`", Some("Retry-After")),
            500 => ("`internal`: generic message with the request id", None),
            503 => ("`unavailable`: a backing service is down", None),
            504 => ("`timeout`: the run exceeded its time budget", None),
            _ => ("error", None),
        };
        let mut resp = error_response(desc);
        if let Some(h) = extra {
            resp["headers"] =
                json!({h: {"schema": {"type": "string"}, "description": "see RFC 9110"}});
        }
        m.insert(s.to_string(), resp);
    }
    m
}

struct Op {
    id: &'static str,
    summary: &'static str,
    auth: Auth,
    success: (u16, Value),
    body: Option<Value>,
    params: Vec<Value>,
    errors: &'static [u16],
}

#[derive(PartialEq)]
enum Auth {
    None,
    Optional,
    Required,
}

fn query(name: &str, schema: Value, desc: &str, required: bool) -> Value {
    json!({"name": name, "in": "query", "required": required, "schema": schema, "description": desc})
}

fn path(name: &str, desc: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}, "description": desc})
}

fn body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

const COMMON: &[u16] = &[400, 413, 500, 503];

fn ops() -> Vec<Op> {
    vec![
        Op {
            id: "health",
            summary: "Liveness (round trip to the store)",
            auth: Auth::None,
            success: (200, r("Health")),
            body: None,
            params: vec![],
            errors: &[],
        },
        Op {
            id: "create-account",
            summary: "Create an account; the API key is shown once",
            auth: Auth::None,
            success: (201, r("CreateAccountResponse")),
            body: Some(body(r("CreateAccountRequest"))),
            params: vec![],
            errors: &[409],
        },
        Op {
            id: "get-me",
            summary: "The caller's profile, plan, credits, today's usage and ledger",
            auth: Auth::Required,
            success: (200, r("Me")),
            body: None,
            params: vec![],
            errors: &[401],
        },
        Op {
            id: "list-saves",
            summary: "The caller's saved models",
            auth: Auth::Required,
            success: (200, r("SavesResponse")),
            body: None,
            params: vec![],
            errors: &[401],
        },
        Op {
            id: "list-api-keys",
            summary: "The caller's API keys (prefix, label, times; never the key or its hash)",
            auth: Auth::Required,
            success: (200, r("ApiKeyList")),
            body: None,
            params: vec![],
            errors: &[401],
        },
        Op {
            id: "create-api-key",
            summary: "Add an API key to the caller's account; the key is shown once",
            auth: Auth::Required,
            success: (201, r("CreateApiKeyResponse")),
            body: Some(
                json!({"required": false, "content": {"application/json": {"schema": r("CreateApiKeyRequest")}}}),
            ),
            params: vec![],
            errors: &[401, 409],
        },
        Op {
            id: "revoke-api-key",
            summary: "Revoke one of the caller's API keys (not the only active one)",
            auth: Auth::Required,
            success: (200, r("ApiKeySummary")),
            body: None,
            params: vec![path(
                "key_id",
                "key id from GET /api/me/keys (16 hex digits)",
            )],
            errors: &[401, 404, 409],
        },
        Op {
            id: "list-models",
            summary: "List and search public models (owner=me: the caller's own)",
            auth: Auth::Optional,
            success: (200, r("ModelList")),
            body: None,
            params: vec![
                query(
                    "lab",
                    json!({"type": "string", "enum": ["econ", "derivatives", "crypto", "both"]}),
                    "lab filter",
                    false,
                ),
                query("tag", json!({"type": "string"}), "exact tag", false),
                query(
                    "difficulty",
                    json!({"type": "string", "enum": ["basic", "intermediate", "advanced"]}),
                    "difficulty filter",
                    false,
                ),
                query("q", json!({"type": "string"}), "free-text search", false),
                query(
                    "sort",
                    json!({"type": "string", "enum": ["popular", "rating", "new"]}),
                    "order",
                    false,
                ),
                query(
                    "limit",
                    json!({"type": "integer", "minimum": 1, "maximum": 100}),
                    "page size (default 20)",
                    false,
                ),
                query(
                    "cursor",
                    json!({"type": "string"}),
                    "next_cursor of the previous page",
                    false,
                ),
                query(
                    "owner",
                    json!({"type": "string", "enum": ["me"]}),
                    "only the caller's models",
                    false,
                ),
            ],
            errors: &[401],
        },
        Op {
            id: "create-model",
            summary: "Create a model from a model file (DSL validated)",
            auth: Auth::Required,
            success: (201, r("ModelDetail")),
            body: Some(body(r("ModelFile"))),
            params: vec![],
            errors: &[401, 409, 422],
        },
        Op {
            id: "run-model",
            summary: "Run a model; send Idempotency-Key to make retries safe",
            auth: Auth::Required,
            success: (200, r("RunResult")),
            body: Some(body(r("RunRequest"))),
            params: vec![
                json!({"name": "Idempotency-Key", "in": "header", "required": false,
                "schema": {"type": "string", "minLength": 1, "maxLength": 128},
                "description": "a retried request with the same key returns the same run and is charged once"}),
            ],
            errors: &[401, 402, 404, 409, 422, 429, 504],
        },
        Op {
            id: "fork-model",
            summary: "Copy a model into the caller's account",
            auth: Auth::Required,
            success: (201, r("ModelDetail")),
            body: Some(body(r("ForkRequest"))),
            params: vec![],
            errors: &[401, 404, 409],
        },
        Op {
            id: "save-model",
            summary: "Bookmark a model",
            auth: Auth::Required,
            success: (200, r("SaveState")),
            body: Some(body(r("ModelRef"))),
            params: vec![],
            errors: &[401, 404],
        },
        Op {
            id: "unsave-model",
            summary: "Remove a bookmark",
            auth: Auth::Required,
            success: (200, r("SaveState")),
            body: Some(body(r("ModelRef"))),
            params: vec![],
            errors: &[401, 404],
        },
        Op {
            id: "get-rating",
            summary: "Rating average, count and the caller's own",
            auth: Auth::Optional,
            success: (200, r("RatingSummary")),
            body: None,
            params: vec![query(
                "model_slug",
                json!({"type": "string"}),
                "the model",
                true,
            )],
            errors: &[401, 404],
        },
        Op {
            id: "rate-model",
            summary: "Rate a model 1–5 (one rating per user)",
            auth: Auth::Required,
            success: (200, r("RatingSummary")),
            body: Some(body(r("RateRequest"))),
            params: vec![],
            errors: &[401, 404],
        },
        Op {
            id: "unrate-model",
            summary: "Remove the caller's rating",
            auth: Auth::Required,
            success: (200, r("RatingSummary")),
            body: Some(body(r("ModelRef"))),
            params: vec![],
            errors: &[401, 404],
        },
        Op {
            id: "publish-run",
            summary: "Publish one of the caller's runs as an artifact",
            auth: Auth::Required,
            success: (201, r("PublishResponse")),
            body: Some(body(r("PublishRequest"))),
            params: vec![],
            errors: &[401, 404, 409],
        },
        Op {
            id: "get-model",
            summary: "A model with its latest version, input schema and stats",
            auth: Auth::Optional,
            success: (200, r("ModelDetail")),
            body: None,
            params: vec![path("slug", "model slug")],
            errors: &[401, 404],
        },
        Op {
            id: "update-model",
            summary: "Change metadata and/or add a new immutable version (owner only)",
            auth: Auth::Required,
            success: (200, r("ModelDetail")),
            body: Some(body(r("ModelUpdate"))),
            params: vec![path("slug", "model slug")],
            errors: &[401, 403, 404, 409, 422],
        },
        Op {
            id: "delete-model",
            summary: "Delete a model (owner only)",
            auth: Auth::Required,
            success: (200, r("Deleted")),
            body: None,
            params: vec![path("slug", "model slug")],
            errors: &[401, 403, 404],
        },
        Op {
            id: "get-run",
            summary: "A past run of the caller",
            auth: Auth::Required,
            success: (200, r("RunResult")),
            body: None,
            params: vec![path("id", "run id")],
            errors: &[401, 404],
        },
        Op {
            id: "get-artifact",
            summary: "A published result (counts a view)",
            auth: Auth::Optional,
            success: (200, r("Artifact")),
            body: None,
            params: vec![path("slug", "artifact slug")],
            errors: &[401, 404],
        },
        Op {
            id: "validate-dsl",
            summary: "Validate a DSL document without running it",
            auth: Auth::Optional,
            success: (200, r("ValidateResponse")),
            body: Some(body(r("ValidateRequest"))),
            params: vec![],
            errors: &[401],
        },
        Op {
            id: "list-primitives",
            summary: "The primitive catalogue, from the registry",
            auth: Auth::None,
            success: (200, json!({"type": "object"})),
            body: None,
            params: vec![],
            errors: &[],
        },
        Op {
            id: "get-openapi",
            summary: "This document",
            auth: Auth::None,
            success: (200, json!({"type": "object"})),
            body: None,
            params: vec![],
            errors: &[],
        },
    ]
}

fn schemas() -> Value {
    let issue = json!({"type": "object", "required": ["path", "message"],
        "properties": {"path": {"type": "string"}, "message": {"type": "string"}}});
    let stats = json!({"type": "object", "required": ["runs", "saves", "forks", "rating_count"], "properties": {
        "runs": {"type": "integer"}, "saves": {"type": "integer"}, "forks": {"type": "integer"},
        "rating_average": nullable("number"), "rating_count": {"type": "integer"}}});
    let visibility = json!({"type": "string", "enum": ["public", "unlisted", "private"]});
    let lab = json!({"type": "string", "enum": ["econ", "derivatives", "crypto", "both"]});
    let difficulty = json!({"type": "string", "enum": ["basic", "intermediate", "advanced"]});
    let summary_props = json!({
        "slug": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
        "lab_scope": lab, "tags": {"type": "array", "items": {"type": "string"}},
        "difficulty": difficulty, "visibility": visibility, "stats": r("ModelStats"),
        "forked_from": nullable("string"), "owner": nullable("string"), "created_at": {"type": "string"}});
    let summary_required = json!([
        "slug",
        "name",
        "description",
        "lab_scope",
        "tags",
        "difficulty",
        "visibility",
        "stats",
        "forked_from",
        "owner"
    ]);
    let mut detail_props = summary_props.as_object().cloned().unwrap_or_default();
    for (k, v) in [
        ("version", json!({"type": "integer", "minimum": 1})),
        ("input_schema", r("InputSchema")),
        ("dsl", r("Dsl")),
        (
            "references",
            json!({"type": "array", "items": {"type": "string"}}),
        ),
        (
            "versions",
            json!({"type": "array", "items": {"type": "object", "required": ["version", "created_at"],
            "properties": {"version": {"type": "integer"}, "created_at": {"type": "string"}, "note": {"type": "string"}}}}),
        ),
    ] {
        detail_props.insert(k.into(), v);
    }
    let mut detail_required = summary_required.as_array().cloned().unwrap_or_default();
    detail_required.extend(["version", "input_schema", "dsl", "versions"].map(Value::from));
    let num_or_null = nullable("number");
    json!({
        "Issue": issue,
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message", "request_id"], "properties": {
                "code": {"type": "string", "enum": ["invalid_request", "unauthenticated", "payment_required",
                    "forbidden", "not_found", "method_not_allowed", "conflict", "too_large", "invalid_model",
                    "invalid_inputs", "rate_limited", "internal", "unavailable", "timeout"]},
                "message": {"type": "string"}, "request_id": {"type": "string"},
                "details": {"type": "array", "items": r("Issue")}}}}},
        "Health": {"type": "object", "required": ["status", "store", "engine_version"], "properties": {
            "status": {"type": "string"}, "store": {"type": "string"}, "engine_version": {"type": "string"}}},
        "CreateAccountRequest": {"type": "object", "required": ["email"], "properties": {
            "email": {"type": "string", "format": "email", "maxLength": 254}}},
        "CreateAccountResponse": {"type": "object", "required": ["user_id", "api_key", "credits"], "properties": {
            "user_id": {"type": "string"}, "api_key": {"type": "string"}, "credits": {"type": "integer"}}},
        "Me": {"type": "object", "required": ["user_id", "email", "plan", "credits", "usage_today", "ledger"], "properties": {
            "user_id": {"type": "string"}, "email": {"type": "string"}, "plan": {"type": "string", "enum": ["free", "paid"]},
            "credits": {"type": "integer"},
            "usage_today": {"type": "object", "required": ["runs", "credits_spent"], "properties": {
                "runs": {"type": "integer"}, "run_limit": {"type": "integer"}, "free_runs_left": {"type": "integer"},
                "credits_spent": {"type": "integer"}}},
            "ledger": {"type": "array", "items": {"type": "object", "required": ["at", "delta", "reason"], "properties": {
                "at": {"type": "string"}, "delta": {"type": "integer"}, "reason": {"type": "string"},
                "run_id": {"type": "string"}, "model_slug": {"type": "string"}, "balance": {"type": "integer"}}}}}},
        "CreateApiKeyRequest": {"type": "object", "properties": {
            "label": {"type": "string", "minLength": 1, "maxLength": 64}}},
        "CreateApiKeyResponse": {"type": "object", "required": ["key_id", "api_key", "prefix", "label", "created_at"], "properties": {
            "key_id": {"type": "string"}, "api_key": {"type": "string"}, "prefix": {"type": "string"},
            "label": nullable("string"), "created_at": {"type": "string"}}},
        "ApiKeySummary": {"type": "object", "required": ["key_id", "prefix", "label", "created_at", "last_used_at",
            "revoked_at", "current"], "properties": {
            "key_id": {"type": "string"}, "prefix": {"type": "string"}, "label": nullable("string"),
            "created_at": {"type": "string"}, "last_used_at": nullable("string"), "revoked_at": nullable("string"),
            "current": {"type": "boolean", "description": "whether this request was made with this key"}}},
        "ApiKeyList": {"type": "object", "required": ["items"], "properties": {
            "items": {"type": "array", "items": r("ApiKeySummary")}}},
        "ModelStats": stats,
        "ModelSummary": {"type": "object", "required": summary_required, "properties": summary_props},
        "ModelList": {"type": "object", "required": ["items", "next_cursor"], "properties": {
            "items": {"type": "array", "items": r("ModelSummary")}, "next_cursor": nullable("string")}},
        "SavesResponse": {"type": "object", "required": ["items"], "properties": {
            "items": {"type": "array", "items": r("ModelSummary")}}},
        "InputSchema": {"type": "object", "properties": {"fields": {"type": "array", "items": {"type": "object",
            "required": ["name", "type"], "properties": {"name": {"type": "string"},
            "type": {"type": "string", "enum": ["string", "symbol", "date", "integer", "number", "boolean", "enum", "series_id"]}}}}}},
        "Dsl": {"type": "object", "required": ["steps"], "properties": {
            "version": {"type": "string"},
            "steps": {"type": "array", "items": {"type": "object", "required": ["id", "operation"], "properties": {
                "id": {"type": "string"}, "operation": {"type": "string"}, "params": {"type": "object"},
                "inputs": {"type": "array", "items": {"type": "string"}}}}},
            "outputs": {"type": "object"}}},
        "ModelFile": {"type": "object", "required": ["slug", "name", "dsl"], "description":
            "A model file (dsl.md §1) plus an optional visibility (default public).", "properties": {
            "slug": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
            "lab_scope": lab, "tags": {"type": "array", "items": {"type": "string"}}, "difficulty": difficulty,
            "references": {"type": "array", "items": {"type": "string"}}, "input_schema": r("InputSchema"),
            "dsl": r("Dsl"), "visibility": visibility}},
        "ModelDetail": {"type": "object", "required": detail_required, "properties": detail_props},
        "ModelUpdate": {"type": "object", "additionalProperties": false, "properties": {
            "name": {"type": "string"}, "description": {"type": "string"}, "visibility": visibility,
            "tags": {"type": "array", "items": {"type": "string"}}, "difficulty": difficulty, "lab_scope": lab,
            "references": {"type": "array", "items": {"type": "string"}}, "dsl": r("Dsl"),
            "input_schema": r("InputSchema"), "changelog": {"type": "string"}}},
        "Deleted": {"type": "object", "required": ["slug", "deleted"], "properties": {
            "slug": {"type": "string"}, "deleted": {"type": "boolean"}}},
        "RunRequest": {"type": "object", "required": ["model_slug"], "properties": {
            "model_slug": {"type": "string"}, "version": {"type": "integer", "minimum": 1},
            "inputs": {"type": "object"}}},
        "RunResult": {"type": "object", "required": ["run_id", "model_slug", "version", "status", "inputs", "outputs",
            "steps", "data_sources", "cached", "runtime_ms", "cost", "engine_version"], "properties": {
            "run_id": nullable("string"), "model_slug": {"type": "string"}, "version": {"type": "integer"},
            "status": {"type": "string", "enum": ["success", "error"]}, "inputs": {"type": "object"},
            "outputs": {"type": "object", "required": ["series", "tables", "scalars"], "properties": {
                "series": {"type": "array", "items": {"type": "object", "required": ["id", "label", "points"], "properties": {
                    "id": {"type": "string"}, "label": {"type": "string"}, "color": {"type": "string"},
                    "points": {"type": "array", "items": {"type": "array", "prefixItems": [{"type": "string"}, num_or_null]}}}}},
                "tables": {"type": "array", "items": {"type": "object", "required": ["id", "columns", "rows"], "properties": {
                    "id": {"type": "string"}, "columns": {"type": "array", "items": {"type": "string"}},
                    "rows": {"type": "array", "items": {"type": "array"}}}}},
                "scalars": {"type": "array", "items": {"type": "object", "required": ["id", "label", "value"], "properties": {
                    "id": {"type": "string"}, "label": {"type": "string"}, "value": num_or_null}}}}},
            "steps": {"type": "array", "items": {"type": "object", "required": ["id", "operation", "ms", "kind", "len"]}},
            "data_sources": {"type": "array", "items": {"type": "object", "required": ["provider", "dataset", "hash"]}},
            "cached": {"type": "boolean"}, "runtime_ms": {"type": "number"}, "cost": {"type": "integer"},
            "engine_version": {"type": "string"}, "error": {"type": "string"}}},
        "ForkRequest": {"type": "object", "required": ["model_slug"], "properties": {
            "model_slug": {"type": "string"}, "new_slug": {"type": "string"}}},
        "ModelRef": {"type": "object", "required": ["model_slug"], "properties": {"model_slug": {"type": "string"}}},
        "SaveState": {"type": "object", "required": ["model_slug", "saved", "changed"], "properties": {
            "model_slug": {"type": "string"}, "saved": {"type": "boolean"}, "changed": {"type": "boolean"}}},
        "RateRequest": {"type": "object", "required": ["model_slug", "rating"], "properties": {
            "model_slug": {"type": "string"}, "rating": {"type": "integer", "minimum": 1, "maximum": 5},
            "review": {"type": "string", "maxLength": 2000}}},
        "RatingSummary": {"type": "object", "required": ["average", "count", "mine"], "properties": {
            "average": nullable("number"), "count": {"type": "integer"},
            "mine": {"oneOf": [{"type": "null"}, {"type": "object", "required": ["rating"], "properties": {
                "rating": {"type": "integer"}, "review": {"type": "string"}}}]}}},
        "PublishRequest": {"type": "object", "required": ["run_id", "title"], "properties": {
            "run_id": {"type": "string"}, "title": {"type": "string", "maxLength": 200},
            "summary": {"type": "string"}, "visibility": visibility}},
        "PublishResponse": {"type": "object", "required": ["slug", "url"], "properties": {
            "slug": {"type": "string"}, "url": {"type": "string"}}},
        "Artifact": {"type": "object", "required": ["slug", "title", "visibility", "created_at", "views", "model_slug",
            "version", "result"], "properties": {
            "slug": {"type": "string"}, "title": {"type": "string"}, "summary": nullable("string"),
            "visibility": visibility, "created_at": {"type": "string"}, "owner": nullable("string"),
            "views": {"type": "integer"}, "model_slug": {"type": "string"}, "model_name": nullable("string"),
            "version": {"type": "integer"}, "result": r("RunResult")}},
        "ValidateRequest": {"type": "object", "required": ["dsl"], "properties": {
            "dsl": {"type": "object"}, "input_schema": {"type": "object"}}},
        "ValidateResponse": {"type": "object", "required": ["valid", "errors"], "properties": {
            "valid": {"type": "boolean"}, "errors": {"type": "array", "items": r("Issue")}}},
    })
}

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in ops() {
        let Some(route) = ROUTES.iter().find(|r| r.id == op.id) else {
            continue;
        };
        let mut responses = Map::new();
        let (status, schema) = op.success;
        responses.insert(
            status.to_string(),
            json!({"description": "success", "content": {"application/json": {"schema": schema}}}),
        );
        let mut codes: Vec<u16> = COMMON.iter().chain(op.errors).copied().collect();
        if op.auth != Auth::None {
            codes.push(401);
        }
        if route.method != "GET" {
            codes.push(405);
        }
        codes.sort_unstable();
        codes.dedup();
        responses.extend(errors(&codes));
        let mut operation = json!({
            "operationId": op.id,
            "summary": op.summary,
            "parameters": op.params,
            "responses": responses,
        });
        match op.auth {
            Auth::None => operation["security"] = json!([]),
            Auth::Optional => operation["security"] = json!([{}, {"bearer": []}]),
            Auth::Required => operation["security"] = json!([{"bearer": []}]),
        }
        if let Some(b) = op.body {
            operation["requestBody"] = b;
        }
        let entry = paths
            .entry(route.path.to_string())
            .or_insert_with(|| json!({}));
        entry[route.method.to_ascii_lowercase()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Auster Models API",
            "version": auster_engine::ENGINE_VERSION,
            "description": "Discover, run, publish and fork quantitative-finance models written in a JSON DSL. \
                Errors are {\"error\": {code, message, request_id, details}}. Anonymous callers may browse \
                public models and artifacts; everything else needs `Authorization: Bearer <api key>`."
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "an API key from POST /api/accounts"}},
            "schemas": schemas(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_exactly_one_operation() {
        let doc = document();
        for r in ROUTES {
            let op = &doc["paths"][r.path][r.method.to_ascii_lowercase()];
            assert_eq!(op["operationId"], r.id, "{} {}", r.method, r.path);
        }
        let n: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum();
        assert_eq!(n, ROUTES.len());
        assert_eq!(ops().len(), ROUTES.len());
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            assert!(schemas.contains_key(&name), "dangling $ref {name}");
        }
    }
}
