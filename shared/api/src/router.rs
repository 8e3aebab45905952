//! The route table and the one dispatch function both adapters call.
//!
//! [`ROUTES`] lists every route once: its kebab-case id (= Lambda binary name), method,
//! path template and handler. A handler is the route function wrapped by [`endpoint!`]:
//! authenticate → extract the typed input → call → reply, with every error going through
//! [`ApiError::into_response`].

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::auth::authenticate;
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::request::{ApiRequest, ApiResponse};
use crate::routes::{self, FromApiRequest, Reply};

/// A boxed route handler.
pub type Handler = fn(Arc<Ctx>, ApiRequest) -> BoxFuture<'static, ApiResponse>;

/// One route.
#[derive(Clone, Copy)]
pub struct Route {
    /// Kebab-case id: the Lambda binary's name.
    pub id: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// Path template, `{name}` for a parameter.
    pub path: &'static str,
    /// The wrapped route function.
    pub handler: Handler,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.method, self.path, self.id)
    }
}

/// Wraps `async fn(&Ctx, Input) -> Result<Output, ApiError>` as a [`Handler`].
macro_rules! endpoint {
    ($f:path) => {{
        fn handler(ctx: Arc<Ctx>, req: ApiRequest) -> BoxFuture<'static, ApiResponse> {
            Box::pin(async move {
                let result = async {
                    let caller = authenticate(&ctx, &req).await?;
                    let input = FromApiRequest::from_request(&req, caller)?;
                    $f(&ctx, input).await.map(Reply::into_reply)
                }
                .await;
                match result {
                    Ok(resp) => resp,
                    Err(e) => e.into_response(&req.request_id),
                }
            })
        }
        handler as Handler
    }};
}

macro_rules! route {
    ($id:literal, $method:literal, $path:literal, $f:path) => {
        Route {
            id: $id,
            method: $method,
            path: $path,
            handler: endpoint!($f),
        }
    };
}

/// Every route. Literal paths come before templates so `/api/models/run` never reads as
/// a slug.
pub static ROUTES: &[Route] = &[
    route!("health", "GET", "/api/health", routes::meta::health),
    route!(
        "create-account",
        "POST",
        "/api/accounts",
        routes::accounts::create_account
    ),
    route!("get-me", "GET", "/api/me", routes::accounts::get_me),
    route!(
        "list-saves",
        "GET",
        "/api/me/saves",
        routes::accounts::list_saves
    ),
    route!(
        "list-api-keys",
        "GET",
        "/api/me/keys",
        routes::accounts::list_api_keys
    ),
    route!(
        "create-api-key",
        "POST",
        "/api/me/keys",
        routes::accounts::create_api_key
    ),
    route!(
        "revoke-api-key",
        "DELETE",
        "/api/me/keys/{key_id}",
        routes::accounts::revoke_api_key
    ),
    route!(
        "list-models",
        "GET",
        "/api/models",
        routes::models::list_models
    ),
    route!(
        "create-model",
        "POST",
        "/api/models",
        routes::models::create_model
    ),
    route!(
        "run-model",
        "POST",
        "/api/models/run",
        routes::runs::run_model
    ),
    route!(
        "fork-model",
        "POST",
        "/api/models/fork",
        routes::models::fork_model
    ),
    route!(
        "save-model",
        "POST",
        "/api/models/save",
        routes::social::save_model
    ),
    route!(
        "unsave-model",
        "DELETE",
        "/api/models/save",
        routes::social::unsave_model
    ),
    route!(
        "get-rating",
        "GET",
        "/api/models/rate",
        routes::social::get_rating
    ),
    route!(
        "rate-model",
        "POST",
        "/api/models/rate",
        routes::social::rate_model
    ),
    route!(
        "unrate-model",
        "DELETE",
        "/api/models/rate",
        routes::social::unrate_model
    ),
    route!(
        "publish-run",
        "POST",
        "/api/models/publish",
        routes::artifacts::publish_run
    ),
    route!(
        "get-model",
        "GET",
        "/api/models/{slug}",
        routes::models::get_model
    ),
    route!(
        "update-model",
        "PATCH",
        "/api/models/{slug}",
        routes::models::update_model
    ),
    route!(
        "delete-model",
        "DELETE",
        "/api/models/{slug}",
        routes::models::delete_model
    ),
    route!("get-run", "GET", "/api/runs/{id}", routes::runs::get_run),
    route!(
        "get-artifact",
        "GET",
        "/api/artifacts/{slug}",
        routes::artifacts::get_artifact
    ),
    route!(
        "validate-dsl",
        "POST",
        "/api/validate",
        routes::meta::validate_dsl
    ),
    route!(
        "list-primitives",
        "GET",
        "/api/primitives",
        routes::meta::list_primitives
    ),
    route!(
        "get-openapi",
        "GET",
        "/api/openapi.json",
        routes::meta::openapi
    ),
];

/// The route with this id.
pub fn route_by_id(id: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.id == id)
}

/// Matches a path against a template; the parameters on success.
fn match_path(template: &'static str, path: &str) -> Option<Vec<(&'static str, String)>> {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let mut params = Vec::new();
    let mut t = template.split('/');
    let mut p = path.split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(params),
            (Some(ts), Some(ps)) => {
                if let Some(name) = ts.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    if ps.is_empty() {
                        return None;
                    }
                    params.push((
                        name,
                        crate::request::percent_decode(&ps.replace('+', "%2B")),
                    ));
                } else if ts != ps {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// Path parameters matched from a route pattern: `(name, value)` pairs.
pub type PathParams = Vec<(&'static str, String)>;

/// Finds the route for `method path` among `routes`: the route and its path parameters,
/// 405 when the path exists with other methods, 404 otherwise.
pub fn find_route(
    routes: &'static [Route],
    method: &str,
    path: &str,
) -> Result<(&'static Route, PathParams), ApiError> {
    let mut allow = Vec::new();
    for r in routes {
        if let Some(params) = match_path(r.path, path) {
            if r.method == method {
                return Ok((r, params));
            }
            if !allow.contains(&r.method) {
                allow.push(r.method);
            }
        }
    }
    if allow.is_empty() {
        Err(ApiError::NotFound(format!(
            "no API route {method} {}; see GET /api/openapi.json",
            truncate(path, 200)
        )))
    } else {
        Err(ApiError::MethodNotAllowed {
            message: format!("{} accepts {}", truncate(path, 200), allow.join(", ")),
            allow,
        })
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Serves one request with the routes in `routes` (all of [`ROUTES`] locally, one route
/// in a Lambda). Checks the body limit first (413), then routes.
pub async fn dispatch(ctx: Arc<Ctx>, routes: &'static [Route], mut req: ApiRequest) -> ApiResponse {
    use tracing::Instrument;
    let span = tracing::info_span!("request", id = %req.request_id, method = %req.method, path = %req.path);
    if req.body.len() > ctx.config.max_body_bytes {
        return ApiError::TooLarge(format!(
            "the request body is {} bytes; at most {} are accepted",
            req.body.len(),
            ctx.config.max_body_bytes
        ))
        .into_response(&req.request_id);
    }
    let (route, params) = match find_route(routes, &req.method, &req.path) {
        Ok(x) => x,
        Err(e) => return e.into_response(&req.request_id),
    };
    req.path_params = params;
    let accept_encoding = req.header("accept-encoding").map(str::to_owned);
    let resp = (route.handler)(ctx, req).instrument(span.clone()).await;
    span.in_scope(|| tracing::debug!(status = resp.status, "answered"));
    resp.gzip_if_accepted(accept_encoding.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_routes_win_over_templates() {
        let (r, _) = find_route(ROUTES, "POST", "/api/models/run").unwrap();
        assert_eq!(r.id, "run-model");
        let (r, p) = find_route(ROUTES, "GET", "/api/models/momentum-strategy").unwrap();
        assert_eq!(r.id, "get-model");
        assert_eq!(p, vec![("slug", "momentum-strategy".to_string())]);
        let (r, _) = find_route(ROUTES, "DELETE", "/api/models/save").unwrap();
        assert_eq!(r.id, "unsave-model");
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405() {
        assert_eq!(
            find_route(ROUTES, "GET", "/api/nope").unwrap_err().status(),
            404
        );
        let e = find_route(ROUTES, "PUT", "/api/models").unwrap_err();
        assert_eq!(e.status(), 405);
        assert!(e.to_string().contains("GET"));
        assert_eq!(
            find_route(ROUTES, "GET", "/api/models/").unwrap().0.id,
            "list-models"
        );
        assert_eq!(
            find_route(ROUTES, "GET", "/api/models//x")
                .unwrap_err()
                .status(),
            404
        );
    }

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut ids: Vec<&str> = ROUTES.iter().map(|r| r.id).collect();
        assert!(ids
            .iter()
            .all(|i| i.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')));
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), ROUTES.len());
    }
}
