//! Handler tests from real API Gateway v2 (HTTP API) events, through the same adapter the
//! Lambda binaries use.

use std::sync::Arc;

use auster_api::{Config, Ctx};
use auster_functions::{handle, single_route};
use serde_json::{json, Value};

/// An API Gateway v2 event as the service sends it (payload format 2.0).
fn event(method: &str, path: &str, query: &str, headers: Value, body: Option<&str>) -> String {
    json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "id.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "id",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.1", "userAgent": "agent"},
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": format!("{method} {path}"),
            "stage": "$default",
            "time": "10/Mar/2020:05:16:23 +0000",
            "timeEpoch": 1583817383220u64
        },
        "body": body,
        "isBase64Encoded": false
    })
    .to_string()
}

/// An event without query, headers or body.
fn bare(method: &str, path: &str) -> String {
    event(method, path, "", json!({}), None)
}

/// A JSON `POST /api/accounts` event with this body.
fn post_account(body: &str) -> String {
    event(
        "POST",
        "/api/accounts",
        "",
        json!({"content-type": "application/json"}),
        Some(body),
    )
}

/// A `GET` event sent with this bearer key.
fn get_with_key(path: &str, key: &str) -> String {
    event(
        "GET",
        path,
        "",
        json!({"authorization": format!("Bearer {key}")}),
        None,
    )
}

/// The `error.message` of an error answer ("" when there is none).
fn error_message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

async fn ctx() -> (Arc<Ctx>, std::path::PathBuf) {
    let home = std::env::temp_dir().join(format!("auster-fn-test-{}", auster_store_id()));
    let config = Config::from_lookup(|k| match k {
        "AUSTER_HOME" => Some(home.display().to_string()),
        "AUSTER_DATASETS" => Some(format!("{}/../seeds/data", env!("CARGO_MANIFEST_DIR"))),
        _ => None,
    })
    .unwrap();
    let ctx = Ctx::from_config(config).await.unwrap();
    (Arc::new(ctx), home)
}

fn auster_store_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

async fn call(
    ctx: &Arc<Ctx>,
    route: &str,
    ev: String,
) -> (u16, Value, lambda_http::http::HeaderMap) {
    let req = lambda_http::request::from_str(&ev).expect("a valid API Gateway v2 event");
    let resp = handle(ctx.clone(), single_route(route), req).await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = match resp.body() {
        lambda_http::Body::Text(t) => serde_json::from_str(t).unwrap(),
        lambda_http::Body::Binary(b) => serde_json::from_slice(b).unwrap(),
        _ => Value::Null,
    };
    (status, body, headers)
}

#[tokio::test]
async fn health_answers_through_the_lambda_adapter() {
    let (ctx, home) = ctx().await;
    let (s, b, h) = call(&ctx, "health", bare("GET", "/api/health")).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "ok");
    assert_eq!(h["content-type"], "application/json");
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test]
async fn account_then_me_with_the_bearer_key() {
    let (ctx, home) = ctx().await;
    let (s, b, _) = call(
        &ctx,
        "create-account",
        post_account(r#"{"email":"lambda@example.com"}"#),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let key = b["api_key"].as_str().unwrap().to_string();
    let (s, me, _) = call(&ctx, "get-me", get_with_key("/api/me", &key)).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["email"], "lambda@example.com");
    assert_eq!(me["plan"], "free");
    let (s, err, _) = call(&ctx, "get-me", bare("GET", "/api/me")).await;
    assert_eq!(s, 401);
    assert_eq!(err["error"]["code"], "unauthenticated");
    assert_eq!(err["error"]["request_id"], "JKJaXmPLvHcESHA=");
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test]
async fn query_strings_and_path_parameters_reach_the_route() {
    let (ctx, home) = ctx().await;
    let (s, b, _) = call(
        &ctx,
        "list-models",
        event("GET", "/api/models", "sort=sideways", json!({}), None),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["error"]["details"][0]["path"], "/query/sort");
    let (s, b, _) = call(&ctx, "get-model", bare("GET", "/api/models/no-such-model")).await;
    assert_eq!(s, 404, "{b}");
    assert!(error_message(&b).contains("no-such-model"), "{b}");
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test]
async fn a_function_serves_only_its_own_route() {
    let (ctx, home) = ctx().await;
    let (s, _, _) = call(&ctx, "health", bare("GET", "/api/me")).await;
    assert_eq!(s, 404);
    let (s, _, h) = call(
        &ctx,
        "health",
        event("POST", "/api/health", "", json!({}), Some("{}")),
    )
    .await;
    assert_eq!(s, 405);
    assert_eq!(h["allow"], "GET");
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test]
async fn malformed_bodies_are_400_with_the_field() {
    let (ctx, home) = ctx().await;
    let (s, b, _) = call(&ctx, "create-account", post_account(r#"{"email": 42}"#)).await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["error"]["details"][0]["path"], "/email");
    let (s, b, _) = call(&ctx, "create-account", post_account("{\"email\": ")).await;
    assert_eq!(s, 400, "{b}");
    assert!(error_message(&b).contains("not valid JSON"), "{b}");
    let _ = std::fs::remove_dir_all(home);
}

#[tokio::test]
async fn keys_are_created_listed_and_revoked_through_their_functions() {
    let (ctx, home) = ctx().await;
    let (_, b, _) = call(
        &ctx,
        "create-account",
        event(
            "POST",
            "/api/accounts",
            "",
            json!({"content-type": "application/json"}),
            Some(r#"{"email":"keys@example.com"}"#),
        ),
    )
    .await;
    let first = b["api_key"].as_str().unwrap().to_string();
    let auth = |k: &str| json!({"authorization": format!("Bearer {k}"), "content-type": "application/json"});
    // No body at all: API Gateway sends `"body": null`.
    let (s, created, _) = call(
        &ctx,
        "create-api-key",
        event("POST", "/api/me/keys", "", auth(&first), None),
    )
    .await;
    assert_eq!(s, 201, "{created}");
    let second = created["api_key"].as_str().unwrap().to_string();
    let second_id = created["key_id"].as_str().unwrap().to_string();
    let (s, list, _) = call(
        &ctx,
        "list-api-keys",
        event("GET", "/api/me/keys", "", auth(&second), None),
    )
    .await;
    assert_eq!(s, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!(items[0]["key_id"], second_id.as_str());
    assert_eq!(items[0]["current"], true);
    assert!(!list.to_string().contains(&second));

    let path = format!("/api/me/keys/{second_id}");
    let (s, revoked, _) = call(
        &ctx,
        "revoke-api-key",
        event("DELETE", &path, "", auth(&first), None),
    )
    .await;
    assert_eq!(s, 200, "{revoked}");
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    let (s, err, _) = call(
        &ctx,
        "list-api-keys",
        event("GET", "/api/me/keys", "", auth(&second), None),
    )
    .await;
    assert_eq!(s, 401, "the revoked key still works: {err}");
    // Another function does not serve this route.
    let (s, _, _) = call(
        &ctx,
        "list-api-keys",
        event("DELETE", &path, "", auth(&first), None),
    )
    .await;
    assert_eq!(s, 404);
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn every_route_has_a_binary_and_every_binary_a_route() {
    let dir = format!("{}/src/bin", env!("CARGO_MANIFEST_DIR"));
    let mut bins: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string()
        })
        .collect();
    bins.sort();
    let mut ids: Vec<String> = auster_api::ROUTES
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    ids.sort();
    assert_eq!(bins, ids);
    for r in auster_api::ROUTES {
        let src = std::fs::read_to_string(format!("{dir}/{}.rs", r.id)).unwrap();
        assert!(
            src.starts_with(&format!("//! {} {}", r.method, r.path)),
            "{} must begin with a //! line naming its method and path",
            r.id
        );
        assert!(src.contains(&format!("serve(\"{}\")", r.id)));
    }
}
