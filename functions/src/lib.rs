//! The Lambda adapter: one generic function that serves a route of `auster-api` through
//! `lambda_http`.
//!
//! Each binary in `src/bin/` names its route id and calls [`serve`]. The context is built
//! once per cold start ([`auster_api::Ctx::from_env`]); every invocation converts the API
//! Gateway v2 event into an [`ApiRequest`], dispatches it with the same code the local
//! server uses, and converts the [`ApiResponse`] back.

use std::sync::Arc;

use auster_api::{ApiRequest, ApiResponse, Ctx, Route};
use lambda_http::{Body, Request, RequestExt, Response};

/// Converts a `lambda_http` request (API Gateway v2) into the API's request.
pub fn to_api_request(req: &Request) -> ApiRequest {
    let request_id = match req.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(c)) => c.request_id.clone(),
        _ => None,
    }
    .or_else(|| req.lambda_context_ref().map(|c| c.request_id.clone()))
    .filter(|id| !id.is_empty())
    .unwrap_or_else(auster_store_free_id);
    ApiRequest {
        method: req.method().as_str().to_ascii_uppercase(),
        path: req.uri().path().to_string(),
        query: ApiRequest::parse_query(req.uri().query().unwrap_or("")),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: match req.body() {
            Body::Empty => Vec::new(),
            Body::Text(t) => t.as_bytes().to_vec(),
            Body::Binary(b) => b.clone(),
        },
        request_id,
        path_params: Vec::new(),
    }
}

/// A request id when the event carries none (never in API Gateway; tests may omit it).
fn auster_store_free_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("lambda-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Converts the API's response into a `lambda_http` response.
pub fn to_lambda_response(resp: ApiResponse) -> Response<Body> {
    let mut b = Response::builder().status(resp.status);
    for (k, v) in &resp.headers {
        b = b.header(*k, v);
    }
    let body = match String::from_utf8(resp.body) {
        Ok(text) => Body::Text(text),
        Err(e) => Body::Binary(e.into_bytes()),
    };
    b.body(body).unwrap_or_else(|_| {
        let mut r = Response::new(Body::Text(
            r#"{"error":{"code":"internal","message":"an internal error occurred","request_id":""}}"#.into(),
        ));
        *r.status_mut() = lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

/// Handles one event with `routes` (a one-route slice for a function).
pub async fn handle(ctx: Arc<Ctx>, routes: &'static [Route], req: Request) -> Response<Body> {
    let api = to_api_request(&req);
    to_lambda_response(auster_api::dispatch(ctx, routes, api).await)
}

/// The route with id `id` as a one-element slice (what a function serves).
pub fn single_route(id: &str) -> &'static [Route] {
    match auster_api::ROUTES.iter().position(|r| r.id == id) {
        Some(i) => &auster_api::ROUTES[i..=i],
        None => &[],
    }
}

/// Serves route `id` for the lifetime of the Lambda: builds the context once (cold start),
/// then answers events. Configuration errors end the process with every problem listed.
pub async fn serve(id: &'static str) -> Result<(), lambda_http::Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .without_time()
        .init();
    let routes = single_route(id);
    if routes.is_empty() {
        return Err(format!("no route with id `{id}`").into());
    }
    let ctx = Arc::new(
        Ctx::from_env()
            .await
            .map_err(|e| -> lambda_http::Error { e.into() })?,
    );
    lambda_http::run(lambda_http::service_fn(move |req: Request| {
        let ctx = ctx.clone();
        async move { Ok::<_, std::convert::Infallible>(handle(ctx, routes, req).await) }
    }))
    .await
}
