//! The caller's API keys through the real dispatcher on an embedded store: list, create
//! (shown once, stored hashed), revoke (the key stops working at once, also when it was
//! cached), isolation between accounts, and every bad input's 4xx.

use std::sync::Arc;

use auster_api::{dispatch, ApiRequest, Config, Ctx, ROUTES};
use serde_json::{json, Value};

struct Env {
    ctx: Arc<Ctx>,
    home: std::path::PathBuf,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

async fn env() -> Env {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let root = format!("{}/../..", env!("CARGO_MANIFEST_DIR"));
    let home = std::env::temp_dir().join(format!(
        "auster-keys-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let config = Config::from_lookup(|k| match k {
        "AUSTER_HOME" => Some(home.display().to_string()),
        "AUSTER_DATASETS" => Some(format!("{root}/seeds/data")),
        _ => None,
    })
    .unwrap();
    let ctx = Arc::new(Ctx::from_config(config).await.unwrap());
    Env { ctx, home }
}

/// One request through the dispatcher; `body` is sent verbatim.
async fn call_raw(
    e: &Env,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let mut headers = Vec::new();
    if let Some(k) = key {
        headers.push(("authorization".to_string(), format!("Bearer {k}")));
    }
    let req = ApiRequest {
        method: method.into(),
        path: path.into(),
        query: Vec::new(),
        headers,
        body: body.as_bytes().to_vec(),
        request_id: "test".into(),
        path_params: Vec::new(),
    };
    let resp = dispatch(e.ctx.clone(), ROUTES, req).await;
    (
        resp.status,
        serde_json::from_slice(&resp.body).unwrap_or(Value::Null),
    )
}

async fn call(
    e: &Env,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    call_raw(e, method, path, key, &body).await
}

/// A new account's key.
async fn account(e: &Env, email: &str) -> String {
    let (s, b) = call(
        e,
        "POST",
        "/api/accounts",
        None,
        Some(json!({"email": email})),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    b["api_key"].as_str().unwrap().to_string()
}

fn items(b: &Value) -> Vec<Value> {
    b["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_new_account_lists_its_first_key_without_the_secret() {
    let e = env().await;
    let key = account(&e, "first@example.com").await;
    let (s, b) = call(&e, "GET", "/api/me/keys", Some(&key), None).await;
    assert_eq!(s, 200, "{b}");
    let list = items(&b);
    assert_eq!(list.len(), 1, "{b}");
    let k = &list[0];
    assert_eq!(k["prefix"], key[..9]);
    assert_eq!(k["key_id"].as_str().unwrap().len(), 16);
    assert_eq!(k["label"], "default");
    assert_eq!(k["current"], true);
    assert!(k["created_at"].as_str().unwrap().ends_with('Z'), "{k}");
    assert!(k["revoked_at"].is_null(), "{k}");
    // The listing request itself authenticated with this key.
    assert!(k["last_used_at"].is_string(), "{k}");
    let text = b.to_string();
    assert!(!text.contains(&key), "the key itself is listed: {text}");
    assert!(
        !text.contains(&auster_store::hash_api_key(&key)),
        "the key's hash is listed: {text}"
    );
    assert!(k.get("hash").is_none() && k.get("api_key").is_none());
}

#[tokio::test]
async fn a_created_key_is_shown_once_and_works() {
    let e = env().await;
    let first = account(&e, "create@example.com").await;
    let (s, b) = call(
        &e,
        "POST",
        "/api/me/keys",
        Some(&first),
        Some(json!({"label": "  ci runner  "})),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let second = b["api_key"].as_str().unwrap().to_string();
    assert!(second.starts_with("ak_") && second.len() == 51, "{second}");
    assert_ne!(second, first);
    assert_eq!(b["prefix"], second[..9]);
    assert_eq!(b["label"], "ci runner", "labels are trimmed");
    let new_id = b["key_id"].as_str().unwrap().to_string();
    // The store keeps only the hash: the id is derived from it.
    assert!(auster_store::hash_api_key(&second).starts_with(&new_id));

    // An empty body is accepted (no label).
    let (s, b) = call_raw(&e, "POST", "/api/me/keys", Some(&first), "").await;
    assert_eq!(s, 201, "{b}");
    assert!(b["label"].is_null(), "{b}");

    // The new key authenticates as the same user.
    let (_, me1) = call(&e, "GET", "/api/me", Some(&first), None).await;
    let (s, me2) = call(&e, "GET", "/api/me", Some(&second), None).await;
    assert_eq!(s, 200);
    assert_eq!(me1["user_id"], me2["user_id"]);

    // Newest first; `current` follows the key the list was asked with.
    let (_, b) = call(&e, "GET", "/api/me/keys", Some(&second), None).await;
    let list = items(&b);
    assert_eq!(list.len(), 3, "{b}");
    assert!(list[2]["label"] == "default", "{b}");
    let current: Vec<&Value> = list.iter().filter(|k| k["current"] == true).collect();
    assert_eq!(current.len(), 1, "{b}");
    assert_eq!(current[0]["key_id"], new_id.as_str());
    assert!(!b.to_string().contains(&second));
}

#[tokio::test]
async fn a_revoked_key_stops_working_at_once_even_when_cached() {
    let e = env().await;
    let first = account(&e, "revoke@example.com").await;
    let (_, b) = call(&e, "POST", "/api/me/keys", Some(&first), None).await;
    let second = b["api_key"].as_str().unwrap().to_string();
    let second_id = b["key_id"].as_str().unwrap().to_string();
    // Use the key so its owner sits in the 5-second auth cache.
    let (s, _) = call(&e, "GET", "/api/me", Some(&second), None).await;
    assert_eq!(s, 200);

    let (s, b) = call(
        &e,
        "DELETE",
        &format!("/api/me/keys/{second_id}"),
        Some(&first),
        None,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["key_id"], second_id.as_str());
    assert!(b["revoked_at"].is_string(), "{b}");
    assert_eq!(b["current"], false);
    let revoked_at = b["revoked_at"].clone();

    let (s, b) = call(&e, "GET", "/api/me", Some(&second), None).await;
    assert_eq!(s, 401, "a revoked key still works: {b}");
    assert_eq!(b["error"]["code"], "unauthenticated");
    assert_eq!(call(&e, "GET", "/api/me", Some(&first), None).await.0, 200);

    // Revoking again answers the first revocation.
    let (s, b) = call(
        &e,
        "DELETE",
        &format!("/api/me/keys/{second_id}"),
        Some(&first),
        None,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["revoked_at"], revoked_at);

    // The list keeps the revoked key, marked.
    let (_, b) = call(&e, "GET", "/api/me/keys", Some(&first), None).await;
    let k = items(&b)
        .into_iter()
        .find(|k| k["key_id"] == second_id.as_str())
        .unwrap();
    assert_eq!(k["revoked_at"], revoked_at);
}

#[tokio::test]
async fn the_key_of_the_request_itself_can_be_revoked_when_another_remains() {
    let e = env().await;
    let first = account(&e, "self@example.com").await;
    let (_, b) = call(&e, "GET", "/api/me/keys", Some(&first), None).await;
    let first_id = items(&b)[0]["key_id"].as_str().unwrap().to_string();

    // The only active key cannot be revoked: the account would be locked out.
    let path = format!("/api/me/keys/{first_id}");
    let (s, b) = call(&e, "DELETE", &path, Some(&first), None).await;
    assert_eq!(s, 409, "{b}");
    assert!(b["error"]["message"]
        .as_str()
        .unwrap()
        .contains("only active API key"));
    assert_eq!(call(&e, "GET", "/api/me", Some(&first), None).await.0, 200);

    let (_, b) = call(&e, "POST", "/api/me/keys", Some(&first), None).await;
    let second = b["api_key"].as_str().unwrap().to_string();
    let (s, b) = call(&e, "DELETE", &path, Some(&first), None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["current"], true, "it was revoked with itself: {b}");
    assert_eq!(call(&e, "GET", "/api/me", Some(&first), None).await.0, 401);
    assert_eq!(call(&e, "GET", "/api/me", Some(&second), None).await.0, 200);
}

#[tokio::test]
async fn another_users_key_and_unknown_ids_are_404() {
    let e = env().await;
    let alice = account(&e, "alice@example.com").await;
    let bob = account(&e, "bob@example.com").await;
    let (_, b) = call(&e, "POST", "/api/me/keys", Some(&bob), None).await;
    let bob_second = b["api_key"].as_str().unwrap().to_string();
    let bob_id = b["key_id"].as_str().unwrap().to_string();

    let (s, b) = call(
        &e,
        "DELETE",
        &format!("/api/me/keys/{bob_id}"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(s, 404, "{b}");
    assert_eq!(b["error"]["code"], "not_found");
    assert_eq!(
        call(&e, "GET", "/api/me", Some(&bob_second), None).await.0,
        200,
        "bob's key survived alice's attempt"
    );
    // Alice's list shows only her key.
    let (_, b) = call(&e, "GET", "/api/me/keys", Some(&alice), None).await;
    assert_eq!(items(&b).len(), 1, "{b}");

    let (s, b) = call(
        &e,
        "DELETE",
        "/api/me/keys/0123456789abcdef",
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(s, 404, "{b}");
    for bad in ["xyz", "0123456789ABCDEF", "0123456789abcdef0", "%E2%9C%93"] {
        let (s, b) = call(
            &e,
            "DELETE",
            &format!("/api/me/keys/{bad}"),
            Some(&alice),
            None,
        )
        .await;
        assert_eq!(s, 400, "{bad}: {b}");
        assert_eq!(b["error"]["details"][0]["path"], "/path/key_id", "{b}");
    }
    let (s, _) = call(&e, "DELETE", "/api/me/keys/", Some(&alice), None).await;
    assert_eq!(s, 405, "DELETE on the list path");
}

#[tokio::test]
async fn anonymous_callers_and_bad_bodies_get_their_4xx() {
    let e = env().await;
    for (m, p) in [
        ("GET", "/api/me/keys"),
        ("POST", "/api/me/keys"),
        ("DELETE", "/api/me/keys/0123456789abcdef"),
    ] {
        let (s, b) = call(&e, m, p, None, None).await;
        assert_eq!(s, 401, "{m} {p}: {b}");
    }
    let key = account(&e, "bodies@example.com").await;
    for (body, path) in [
        (r#"{"label": 5}"#, "/label"),
        (r#"{"label": ""}"#, "/label"),
        (r#"{"label": "   "}"#, "/label"),
        (r#"{"label": "tab\there"}"#, "/label"),
        ("\"label\"", ""),
        ("{", ""),
    ] {
        let (s, b) = call_raw(&e, "POST", "/api/me/keys", Some(&key), body).await;
        assert_eq!(s, 400, "{body}: {b}");
        assert_eq!(b["error"]["code"], "invalid_request");
        assert_eq!(b["error"]["details"][0]["path"], path, "{body}: {b}");
    }
    let long = "x".repeat(65);
    let (s, b) = call(
        &e,
        "POST",
        "/api/me/keys",
        Some(&key),
        Some(json!({ "label": long })),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    assert!(b["error"]["message"]
        .as_str()
        .unwrap()
        .contains("at most 64"));
    // Nothing was created by the refused requests.
    let (_, b) = call(&e, "GET", "/api/me/keys", Some(&key), None).await;
    assert_eq!(items(&b).len(), 1, "{b}");
}

#[tokio::test]
async fn an_account_holds_at_most_twenty_active_keys() {
    let e = env().await;
    let key = account(&e, "many@example.com").await;
    for i in 1..auster_api::routes::accounts::MAX_ACTIVE_KEYS {
        let (s, b) = call(&e, "POST", "/api/me/keys", Some(&key), None).await;
        assert_eq!(s, 201, "key {i}: {b}");
    }
    let (s, b) = call(&e, "POST", "/api/me/keys", Some(&key), None).await;
    assert_eq!(s, 409, "{b}");
    assert!(b["error"]["message"]
        .as_str()
        .unwrap()
        .contains("revoke one"));
    // Revoking one makes room again.
    let (_, b) = call(&e, "GET", "/api/me/keys", Some(&key), None).await;
    let other = items(&b)
        .into_iter()
        .find(|k| k["current"] == false)
        .unwrap();
    let path = format!("/api/me/keys/{}", other["key_id"].as_str().unwrap());
    assert_eq!(call(&e, "DELETE", &path, Some(&key), None).await.0, 200);
    assert_eq!(
        call(&e, "POST", "/api/me/keys", Some(&key), None).await.0,
        201
    );
}

#[test]
fn the_key_routes_are_in_the_openapi_document() {
    let doc = auster_api::openapi::document();
    for (method, path, id, ok) in [
        ("get", "/api/me/keys", "list-api-keys", "200"),
        ("post", "/api/me/keys", "create-api-key", "201"),
        ("delete", "/api/me/keys/{key_id}", "revoke-api-key", "200"),
    ] {
        let op = &doc["paths"][path][method];
        assert_eq!(op["operationId"], id, "{method} {path}");
        assert_eq!(op["security"], json!([{"bearer": []}]), "{id}");
        assert!(op["responses"][ok].is_object(), "{id}: {ok}");
        assert!(op["responses"]["401"].is_object(), "{id}: 401");
        let schema = op["responses"][ok]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap()
            .trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{id}: dangling {schema}"
        );
    }
    let revoke = &doc["paths"]["/api/me/keys/{key_id}"]["delete"];
    for status in ["400", "404", "409"] {
        assert!(revoke["responses"][status].is_object(), "revoke: {status}");
    }
    assert_eq!(revoke["parameters"][0]["name"], "key_id");
    // Every route of the table has its operation.
    for r in ROUTES {
        assert_eq!(
            doc["paths"][r.path][r.method.to_ascii_lowercase()]["operationId"],
            r.id
        );
    }
}
