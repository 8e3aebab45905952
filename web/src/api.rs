//! The typed HTTP client: one function per API route the app uses (interfaces.md §3),
//! every body typed by `auster-types`. Errors arrive as [`ApiError`], which carries the
//! server's code, sentence and per-field details so pages can show them where they belong.

use auster_types::api::{
    ApiKeyList, ApiKeySummary, Artifact, CreateAccountRequest, CreateAccountResponse,
    CreateApiKeyRequest, CreateApiKeyResponse, ForkRequest, Me, ModelDetail, ModelList,
    ModelListQuery, ModelRef, ModelSummary, PublishRequest, PublishResponse, RateRequest,
    RatingSummary, RunRequest, SavesResponse,
};
use auster_types::{ApiErrorBody, Issue, RunResult};
use gloo_net::http::{Method, RequestBuilder};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;

use crate::query::{encode, list_query};

/// A failed call: HTTP status (0 when the network failed), the server's error code,
/// its sentence and per-field details.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status; 0 for network failures.
    pub status: u16,
    /// Machine code, e.g. `invalid_inputs`, or `network` / `bad_response`.
    pub code: String,
    /// Human sentence.
    pub message: String,
    /// Per-field problems.
    pub details: Vec<Issue>,
    /// Seconds to wait, from `Retry-After` on 429.
    pub retry_after: Option<u32>,
}

impl ApiError {
    fn local(code: &str, message: impl Into<String>) -> Self {
        Self {
            status: 0,
            code: code.into(),
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
        }
    }

    /// A short title for the error template.
    pub fn title(&self) -> &'static str {
        match self.code.as_str() {
            "not_found" => "Not found",
            "unauthenticated" => "Sign in needed",
            "forbidden" => "Not allowed",
            "payment_required" => "Out of credits",
            "rate_limited" => "Slow down",
            "invalid_inputs" | "invalid_request" | "invalid_model" => "Check the inputs",
            "network" => "Cannot reach the server",
            "timeout" => "The run took too long",
            _ => "Something went wrong",
        }
    }

    /// Builds the error from a response status and body text; a body that is not the
    /// pinned error shape still yields a readable sentence.
    pub fn from_response(status: u16, body: &str, retry_after: Option<u32>) -> Self {
        match serde_json::from_str::<ApiErrorBody>(body) {
            Ok(b) => Self {
                status,
                code: b.error.code,
                message: b.error.message,
                details: b.error.details,
                retry_after,
            },
            Err(_) => Self {
                status,
                code: match status {
                    404 => "not_found",
                    401 => "unauthenticated",
                    _ => "http_error",
                }
                .into(),
                message: format!("The server answered {status} without an explanation."),
                details: Vec::new(),
                retry_after,
            },
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(s) = self.retry_after {
            write!(f, " Try again in {s} s.")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// Sends one request and answers the body text of a 2xx response (`null` for an empty
/// body), or the [`ApiError`] of any other outcome.
///
/// Not generic and boxed: every route shares this one copy of the request machinery
/// (gloo-net, headers, error mapping); only the small [`decode`] step is compiled per
/// response type, which keeps the wasm module small (docs/performance.md, Web app).
fn send(
    method: Method,
    path: String,
    key: Option<String>,
    body: Option<String>,
) -> Pin<Box<dyn Future<Output = Result<String, ApiError>>>> {
    Box::pin(async move {
        let mut req = RequestBuilder::new(&path).method(method);
        req = req.header("Accept", "application/json");
        if let Some(k) = key.as_deref().filter(|k| !k.is_empty()) {
            req = req.header("Authorization", &format!("Bearer {k}"));
        }
        let req = match body {
            Some(b) => req.header("Content-Type", "application/json").body(b),
            None => req.build(),
        }
        .map_err(|e| ApiError::local("network", format!("Could not build the request: {e}.")))?;
        let resp = req.send().await.map_err(|_| {
            ApiError::local(
                "network",
                "The server could not be reached. Check that `auster serve` is running, then retry.",
            )
        })?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get("Retry-After")
            .and_then(|v| v.trim().parse().ok());
        let text = resp.text().await.unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(ApiError::from_response(status, &text, retry_after));
        }
        Ok(if text.trim().is_empty() {
            "null".to_string()
        } else {
            text
        })
    })
}

/// Reads a 2xx body as `T`.
fn decode<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(|e| {
        ApiError::local(
            "bad_response",
            format!("The server's answer could not be read: {e}."),
        )
    })
}

/// One call: [`send`], then [`decode`].
async fn call<T: DeserializeOwned>(
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<String>,
) -> Result<T, ApiError> {
    let text = send(method, path.to_string(), key.map(str::to_string), body).await?;
    decode(&text)
}

fn json<B: Serialize>(b: &B) -> Option<String> {
    serde_json::to_string(b).ok()
}

/// `GET /api/models?…`.
pub async fn list_models(q: ModelListQuery, key: Option<String>) -> Result<ModelList, ApiError> {
    call(
        Method::GET,
        &format!("/api/models?{}", list_query(&q)),
        key.as_deref(),
        None,
    )
    .await
}

/// `GET /api/models/{slug}`.
pub async fn get_model(slug: String, key: Option<String>) -> Result<ModelDetail, ApiError> {
    call(
        Method::GET,
        &format!("/api/models/{}", encode(&slug)),
        key.as_deref(),
        None,
    )
    .await
}

/// `POST /api/models/run`.
pub async fn run_model(req: RunRequest, key: Option<String>) -> Result<RunResult, ApiError> {
    call(Method::POST, "/api/models/run", key.as_deref(), json(&req)).await
}

/// `GET /api/runs/{id}`.
pub async fn get_run(id: String, key: Option<String>) -> Result<RunResult, ApiError> {
    call(
        Method::GET,
        &format!("/api/runs/{}", encode(&id)),
        key.as_deref(),
        None,
    )
    .await
}

/// `POST /api/models/fork`.
pub async fn fork_model(slug: String, key: Option<String>) -> Result<ModelSummary, ApiError> {
    let body = ForkRequest {
        model_slug: slug,
        new_slug: None,
    };
    call(
        Method::POST,
        "/api/models/fork",
        key.as_deref(),
        json(&body),
    )
    .await
}

/// `POST` (save) or `DELETE` (unsave) `/api/models/save`.
pub async fn set_saved(slug: String, saved: bool, key: Option<String>) -> Result<(), ApiError> {
    let method = if saved { Method::POST } else { Method::DELETE };
    let body = ModelRef { model_slug: slug };
    call::<IgnoredAny>(method, "/api/models/save", key.as_deref(), json(&body))
        .await
        .map(|_| ())
}

/// `GET /api/me/saves`.
pub async fn my_saves(key: Option<String>) -> Result<SavesResponse, ApiError> {
    call(Method::GET, "/api/me/saves", key.as_deref(), None).await
}

/// `GET /api/models/rate?model_slug=`.
pub async fn get_rating(slug: String, key: Option<String>) -> Result<RatingSummary, ApiError> {
    let path = format!("/api/models/rate?model_slug={}", encode(&slug));
    call(Method::GET, &path, key.as_deref(), None).await
}

/// `POST /api/models/rate`.
pub async fn rate(req: RateRequest, key: Option<String>) -> Result<(), ApiError> {
    call::<IgnoredAny>(Method::POST, "/api/models/rate", key.as_deref(), json(&req))
        .await
        .map(|_| ())
}

/// `POST /api/models/publish`.
pub async fn publish(
    req: PublishRequest,
    key: Option<String>,
) -> Result<PublishResponse, ApiError> {
    call(
        Method::POST,
        "/api/models/publish",
        key.as_deref(),
        json(&req),
    )
    .await
}

/// `GET /api/artifacts/{slug}`.
pub async fn get_artifact(slug: String, key: Option<String>) -> Result<Artifact, ApiError> {
    call(
        Method::GET,
        &format!("/api/artifacts/{}", encode(&slug)),
        key.as_deref(),
        None,
    )
    .await
}

/// `POST /api/accounts`.
pub async fn create_account(email: String) -> Result<CreateAccountResponse, ApiError> {
    call(
        Method::POST,
        "/api/accounts",
        None,
        json(&CreateAccountRequest { email }),
    )
    .await
}

/// `GET /api/me`.
pub async fn me(key: Option<String>) -> Result<Me, ApiError> {
    call(Method::GET, "/api/me", key.as_deref(), None).await
}

/// `GET /api/me/keys`.
pub async fn list_keys(key: Option<String>) -> Result<ApiKeyList, ApiError> {
    call(Method::GET, "/api/me/keys", key.as_deref(), None).await
}

/// `POST /api/me/keys {label?}`: the new key, shown once.
pub async fn create_key(
    label: Option<String>,
    key: Option<String>,
) -> Result<CreateApiKeyResponse, ApiError> {
    let body = CreateApiKeyRequest { label };
    call(Method::POST, "/api/me/keys", key.as_deref(), json(&body)).await
}

/// `DELETE /api/me/keys/{key_id}`: the revoked key's summary.
pub async fn revoke_key(key_id: String, key: Option<String>) -> Result<ApiKeySummary, ApiError> {
    let path = format!("/api/me/keys/{}", encode(&key_id));
    call(Method::DELETE, &path, key.as_deref(), None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_read_with_details() {
        let body = r#"{"error":{"code":"invalid_inputs","message":"Bad inputs.","request_id":"r1",
            "details":[{"path":"/inputs/lookback","message":"`lookback` must be between 5 and 756, got 4."}]}}"#;
        let e = ApiError::from_response(422, body, None);
        assert_eq!(e.code, "invalid_inputs");
        assert_eq!(e.title(), "Check the inputs");
        assert_eq!(e.details[0].path, "/inputs/lookback");
        let e = ApiError::from_response(429, "{\"error\":{\"code\":\"rate_limited\",\"message\":\"Too many runs.\",\"request_id\":\"x\"}}", Some(20));
        assert_eq!(e.to_string(), "Too many runs. Try again in 20 s.");
        let e = ApiError::from_response(502, "<html>gateway</html>", None);
        assert_eq!(e.code, "http_error");
        assert!(e.message.contains("502"));
    }
}
