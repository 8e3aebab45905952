//! Route functions through the real dispatcher on an embedded store with the seed models:
//! runs, the run cache, quotas, credits, refunds and idempotent retries.

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

async fn env(free_runs: u64, credits: i64) -> Env {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let root = format!("{}/../..", env!("CARGO_MANIFEST_DIR"));
    let home = std::env::temp_dir().join(format!(
        "auster-api-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let mut config = Config::from_lookup(|k| match k {
        "AUSTER_HOME" => Some(home.display().to_string()),
        "AUSTER_DATASETS" => Some(format!("{root}/seeds/data")),
        _ => None,
    })
    .unwrap();
    config.pricing.free_runs_per_day = free_runs;
    config.pricing.signup_credits = credits;
    let ctx = Arc::new(Ctx::from_config(config).await.unwrap());
    let report = auster_api::seed::load_seeds(
        ctx.store.as_ref(),
        std::path::Path::new(&format!("{root}/seeds/models")),
    )
    .await
    .unwrap();
    assert!(
        report.created.iter().any(|s| s == "momentum-strategy"),
        "{report:?}"
    );
    let again = auster_api::seed::load_seeds(
        ctx.store.as_ref(),
        std::path::Path::new(&format!("{root}/seeds/models")),
    )
    .await
    .unwrap();
    assert!(again.created.is_empty(), "seeding twice creates nothing");
    Env { ctx, home }
}

async fn call(
    e: &Env,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut headers: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some(k) = key {
        headers.push(("authorization".into(), format!("Bearer {k}")));
    }
    let req = ApiRequest {
        method: method.into(),
        path: path.into(),
        query: ApiRequest::parse_query(query),
        headers,
        body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
        request_id: "test".into(),
        path_params: Vec::new(),
    };
    let resp = dispatch(e.ctx.clone(), ROUTES, req).await;
    (
        resp.status,
        serde_json::from_slice(&resp.body).unwrap_or(Value::Null),
    )
}

/// `POST /api/models/run` with `body`, as the holder of `key`.
async fn post_run(e: &Env, key: &str, body: Value) -> (u16, Value) {
    call(e, "POST", "/api/models/run", Some(key), Some(body), &[]).await
}

async fn account(e: &Env, email: &str) -> String {
    let (s, b) = call(
        e,
        "POST",
        "/api/accounts",
        None,
        Some(json!({"email": email})),
        &[],
    )
    .await;
    assert_eq!(s, 201, "{b}");
    b["api_key"].as_str().unwrap().to_string()
}

/// Waits, when the clock is in the last 15 s of a UTC minute, for the next one: the
/// per-minute run limit counts in clock-aligned windows, and a test that expects its runs
/// to share one window must not start just before a boundary.
async fn start_of_a_fresh_minute() {
    let into = auster_store::now_ms().rem_euclid(60_000);
    if into > 45_000 {
        tokio::time::sleep(std::time::Duration::from_millis(
            (60_000 - into + 50) as u64,
        ))
        .await;
    }
}

#[tokio::test]
async fn a_run_is_stored_cached_and_charged_once_free_runs_are_used() {
    start_of_a_fresh_minute().await;
    let e = env(1, 1).await;
    let key = account(&e, "a@example.com").await;
    let run = json!({"model_slug": "momentum-strategy", "inputs": {"lookback": 60}});
    let (s, r1) = post_run(&e, &key, run.clone()).await;
    assert_eq!(s, 200, "{r1}");
    assert_eq!(
        (r1["cached"].as_bool(), r1["cost"].as_u64()),
        (Some(false), Some(0))
    );
    let (s, r2) = post_run(&e, &key, run.clone()).await;
    assert_eq!(s, 200, "{r2}");
    assert_eq!(
        (r2["cached"].as_bool(), r2["cost"].as_u64()),
        (Some(true), Some(1))
    );
    assert_eq!(r1["outputs"], r2["outputs"]);
    assert_ne!(r1["run_id"], r2["run_id"]);
    // The per-minute limit is checked first and counts attempts: the third run in the
    // minute passes it and finds neither included runs nor credits (402); the fourth is
    // over the limit of 3 a minute per model (429).
    let (s, b) = post_run(&e, &key, run.clone()).await;
    assert_eq!(s, 402, "no free runs, no credits; {b}");
    let (s, b) = post_run(&e, &key, run).await;
    assert_eq!(s, 429, "3 a minute per model; {b}");
    assert_eq!(b["error"]["code"], "rate_limited");
    let other = json!({"model_slug": "mean-reversion"});
    let (s, b) = post_run(&e, &key, other).await;
    assert_eq!(s, 402, "{b}");
    assert_eq!(b["error"]["code"], "payment_required");
    let (_, me) = call(&e, "GET", "/api/me", Some(&key), None, &[]).await;
    assert_eq!(me["credits"], 0);
    assert_eq!(me["usage_today"]["runs"], 2);
    let id = r1["run_id"].as_str().unwrap();
    let (s, got) = call(&e, "GET", &format!("/api/runs/{id}"), Some(&key), None, &[]).await;
    assert_eq!(s, 200);
    assert_eq!(got["outputs"], r1["outputs"]);
    assert_eq!(
        (got["cached"].as_bool(), got["cost"].as_u64()),
        (Some(false), Some(0))
    );
    // A past run reads back as it was answered: served from the cache, charged 1 credit.
    let id2 = r2["run_id"].as_str().unwrap();
    let (s, got) = call(
        &e,
        "GET",
        &format!("/api/runs/{id2}"),
        Some(&key),
        None,
        &[],
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        (got["cached"].as_bool(), got["cost"].as_u64()),
        (Some(true), Some(1))
    );
    // The charge names the run it paid for.
    let charge = me["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["reason"] == "run")
        .expect("a run charge in the ledger")
        .clone();
    assert_eq!(
        (charge["delta"].as_i64(), &charge["run_id"]),
        (Some(-1), &r2["run_id"])
    );
    let (_, detail) = call(&e, "GET", "/api/models/momentum-strategy", None, None, &[]).await;
    assert_eq!(detail["stats"]["runs"], 2);
}

#[tokio::test]
async fn an_idempotent_retry_returns_the_same_run_and_charges_once() {
    let e = env(0, 5).await;
    let key = account(&e, "b@example.com").await;
    let run = json!({"model_slug": "mean-reversion"});
    let hdr = [("idempotency-key", "abc-123")];
    let (s, r1) = call(
        &e,
        "POST",
        "/api/models/run",
        Some(&key),
        Some(run.clone()),
        &hdr,
    )
    .await;
    assert_eq!(s, 200, "{r1}");
    let (s, r2) = call(&e, "POST", "/api/models/run", Some(&key), Some(run), &hdr).await;
    assert_eq!(s, 200, "{r2}");
    assert_eq!(r1["run_id"], r2["run_id"]);
    let (_, me) = call(&e, "GET", "/api/me", Some(&key), None, &[]).await;
    assert_eq!(me["credits"], 4, "{me}");
}

#[tokio::test]
async fn a_failed_run_is_refunded_and_logged() {
    let e = env(0, 3).await;
    let key = account(&e, "c@example.com").await;
    let run = json!({"model_slug": "momentum-strategy", "inputs": {"symbol": "ZZZZ"}});
    let (s, b) = post_run(&e, &key, run).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["code"], "invalid_inputs");
    let (_, me) = call(&e, "GET", "/api/me", Some(&key), None, &[]).await;
    assert_eq!(me["credits"], 3, "{me}");
    let reasons: Vec<&str> = me["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["refund", "run", "signup"]);
    // The charge and its refund name the same (failed) run.
    let ledger = me["ledger"].as_array().unwrap();
    assert!(ledger[0]["run_id"].is_string(), "{me}");
    assert_eq!(ledger[0]["run_id"], ledger[1]["run_id"]);
}

#[tokio::test]
async fn inputs_are_checked_before_anything_runs_or_is_charged() {
    let e = env(0, 1).await;
    let key = account(&e, "d@example.com").await;
    let run = json!({"model_slug": "momentum-strategy", "inputs": {"lookback": "many"}});
    let (s, b) = post_run(&e, &key, run).await;
    assert_eq!(s, 422, "{b}");
    assert!(
        b["error"]["details"][0]["path"]
            .as_str()
            .unwrap()
            .contains("lookback"),
        "{b}"
    );
    let (_, me) = call(&e, "GET", "/api/me", Some(&key), None, &[]).await;
    assert_eq!(me["credits"], 1);
}

#[tokio::test]
async fn anonymous_callers_browse_but_cannot_act() {
    let e = env(10, 0).await;
    let (s, b) = call(&e, "GET", "/api/models?lab=crypto", None, None, &[]).await;
    assert_eq!(s, 200);
    assert!(b["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["lab_scope"] == "crypto" || m["lab_scope"] == "both"));
    for (m, p, body) in [
        (
            "POST",
            "/api/models/run",
            json!({"model_slug": "momentum-strategy"}),
        ),
        (
            "POST",
            "/api/models/save",
            json!({"model_slug": "momentum-strategy"}),
        ),
        (
            "POST",
            "/api/models/fork",
            json!({"model_slug": "momentum-strategy"}),
        ),
    ] {
        let (s, b) = call(&e, m, p, None, Some(body), &[]).await;
        assert_eq!(s, 401, "{m} {p}: {b}");
    }
}

#[tokio::test]
async fn another_instance_answers_an_identical_run_from_the_shared_cache() {
    let e = env(5, 0).await;
    let key = account(&e, "l2@example.com").await;
    let run = json!({"model_slug": "momentum-strategy", "inputs": {"lookback": 42}});
    let (s, r1) = post_run(&e, &key, run.clone()).await;
    assert_eq!((s, r1["cached"].as_bool()), (200, Some(false)), "{r1}");
    // A second instance (another Lambda) over the same store: its own in-process cache is
    // empty, so the answer comes from the store's results cache and the shared blob.
    let other = Env {
        ctx: Arc::new(Ctx::with_store(e.ctx.config.clone(), e.ctx.store.clone()).unwrap()),
        home: e.home.join("unused-second-instance"),
    };
    let (s, r2) = call(
        &other,
        "POST",
        "/api/models/run",
        Some(&key),
        Some(run),
        &[],
    )
    .await;
    assert_eq!((s, r2["cached"].as_bool()), (200, Some(true)), "{r2}");
    assert_ne!(r1["run_id"], r2["run_id"]);
    for field in [
        "outputs",
        "inputs",
        "steps",
        "data_sources",
        "runtime_ms",
        "model_slug",
        "version",
    ] {
        assert_eq!(r1[field], r2[field], "{field}");
    }
    let id = r2["run_id"].as_str().unwrap();
    let (s, got) = call(
        &other,
        "GET",
        &format!("/api/runs/{id}"),
        Some(&key),
        None,
        &[],
    )
    .await;
    assert_eq!((s, got["cached"].as_bool()), (200, Some(true)));
    assert_eq!(got["outputs"], r1["outputs"]);
}
