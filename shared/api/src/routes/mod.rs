//! Route functions: one `async fn(&Ctx, Input) -> Result<Output, ApiError>` per route.
//!
//! Inputs are typed values extracted from the request by [`FromApiRequest`]; outputs are
//! serializable values turned into responses by [`Reply`]. The router
//! ([`crate::router`]) is the only place that knows about both.

pub mod accounts;
pub mod artifacts;
pub mod meta;
pub mod models;
pub mod runs;
pub mod social;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract;
use crate::request::{ApiRequest, ApiResponse};
use crate::text;

/// How a route's typed input is read from a request.
pub trait FromApiRequest: Sized {
    /// Extracts the input; 400 with the offending field on failure.
    fn from_request(req: &ApiRequest, caller: Caller) -> Result<Self, ApiError>;
}

/// How a route's output becomes a response.
pub trait Reply {
    /// The response.
    fn into_reply(self) -> ApiResponse;
}

/// 201 Created with a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Created<T>(pub T);

impl<T: Serialize> Reply for Created<T> {
    fn into_reply(self) -> ApiResponse {
        ApiResponse::json(201, &self.0)
    }
}

/// 200 with a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Ok200<T>(pub T);

impl<T: Serialize> Reply for Ok200<T> {
    fn into_reply(self) -> ApiResponse {
        ApiResponse::json(200, &self.0)
    }
}

/// 200 with a body that is already JSON (the OpenAPI document, the catalogue, run answers).
#[derive(Debug, Clone, PartialEq)]
pub struct RawJson(pub std::sync::Arc<Vec<u8>>);

impl Reply for RawJson {
    fn into_reply(self) -> ApiResponse {
        let body = std::sync::Arc::try_unwrap(self.0).unwrap_or_else(|shared| (*shared).clone());
        ApiResponse::raw_json(200, body)
    }
}

/// Only the caller (routes without parameters).
#[derive(Debug, Clone)]
pub struct Plain {
    /// Caller.
    pub caller: Caller,
}

impl FromApiRequest for Plain {
    fn from_request(_req: &ApiRequest, caller: Caller) -> Result<Self, ApiError> {
        Ok(Plain { caller })
    }
}

/// The caller and the query pairs.
#[derive(Debug, Clone)]
pub struct Query {
    /// Caller.
    pub caller: Caller,
    /// Decoded query pairs.
    pub query: Vec<(String, String)>,
}

impl Query {
    /// A value by name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl FromApiRequest for Query {
    fn from_request(req: &ApiRequest, caller: Caller) -> Result<Self, ApiError> {
        for (k, v) in &req.query {
            text::multiline(&format!("/query/{k}"), v, 1000)?;
        }
        Ok(Query {
            caller,
            query: req.query.clone(),
        })
    }
}

/// The caller and a JSON body of type `T`.
#[derive(Debug, Clone)]
pub struct Body<T> {
    /// Caller.
    pub caller: Caller,
    /// Parsed body.
    pub body: T,
    /// `Idempotency-Key` header, when sent.
    pub idempotency_key: Option<String>,
}

impl<T: DeserializeOwned> FromApiRequest for Body<T> {
    fn from_request(req: &ApiRequest, caller: Caller) -> Result<Self, ApiError> {
        let idempotency_key = match req.header("idempotency-key") {
            None => None,
            Some(k) => {
                let k = k.trim();
                if k.is_empty() || k.len() > 128 || !k.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(ApiError::invalid(
                        "/headers/Idempotency-Key",
                        "Idempotency-Key must be 1–128 printable ASCII characters without spaces",
                    ));
                }
                Some(k.to_string())
            }
        };
        Ok(Body {
            caller,
            body: extract::json_body(req)?,
            idempotency_key,
        })
    }
}

/// The caller and an optional JSON body of type `T`: an empty body reads as
/// `T::default()` (routes whose every field is optional, such as `POST /api/me/keys`).
#[derive(Debug, Clone)]
pub struct OptionalBody<T> {
    /// Caller.
    pub caller: Caller,
    /// Parsed body, or the default when none was sent.
    pub body: T,
}

impl<T: DeserializeOwned + Default> FromApiRequest for OptionalBody<T> {
    fn from_request(req: &ApiRequest, caller: Caller) -> Result<Self, ApiError> {
        let body = if req.body.iter().all(u8::is_ascii_whitespace) {
            T::default()
        } else {
            extract::json_body(req)?
        };
        Ok(OptionalBody { caller, body })
    }
}

/// Another input plus the hash of the API key the request was made with (`None` for
/// anonymous callers): lets the key routes mark the caller's current key.
#[derive(Debug, Clone)]
pub struct WithKey<T> {
    /// The route's input.
    pub input: T,
    /// SHA-256 hex of the bearer key, when one was sent.
    pub key_hash: Option<String>,
}

impl<T: FromApiRequest> FromApiRequest for WithKey<T> {
    fn from_request(req: &ApiRequest, caller: Caller) -> Result<Self, ApiError> {
        let key_hash = crate::auth::bearer_key(req)?.map(auster_store::hash_api_key);
        Ok(WithKey {
            input: T::from_request(req, caller)?,
            key_hash,
        })
    }
}

/// The caller and one path parameter (`{slug}` or `{id}`).
#[derive(Debug, Clone)]
pub struct Path {
    /// Caller.
    pub caller: Caller,
    /// The parameter.
    pub param: String,
}

impl FromApiRequest for Path {
    fn from_request(req: &ApiRequest, caller: Caller) -> Result<Self, ApiError> {
        let param = req
            .path_params
            .first()
            .map(|(_, v)| v.clone())
            .ok_or_else(|| ApiError::invalid("/path", "a path parameter is missing"))?;
        text::line("/path", &param, 200)?;
        Ok(Path { caller, param })
    }
}

/// The caller, one path parameter and a JSON body.
#[derive(Debug, Clone)]
pub struct PathBody<T> {
    /// Caller.
    pub caller: Caller,
    /// The parameter.
    pub param: String,
    /// Parsed body.
    pub body: T,
}

impl<T: DeserializeOwned> FromApiRequest for PathBody<T> {
    fn from_request(req: &ApiRequest, caller: Caller) -> Result<Self, ApiError> {
        let Path { caller, param } = Path::from_request(req, caller)?;
        Ok(PathBody {
            caller,
            param,
            body: extract::json_body(req)?,
        })
    }
}

/// A `model_slug` from a JSON body `{model_slug}` or, for clients that cannot send a body
/// with DELETE, from the query `?model_slug=`.
#[derive(Debug, Clone)]
pub struct SlugRef {
    /// Caller.
    pub caller: Caller,
    /// The model.
    pub model_slug: String,
}

impl FromApiRequest for SlugRef {
    fn from_request(req: &ApiRequest, caller: Caller) -> Result<Self, ApiError> {
        let model_slug = if req.body.iter().all(u8::is_ascii_whitespace) {
            extract::required_query(req, "model_slug")?.to_string()
        } else {
            extract::json_body::<auster_types::api::ModelRef>(req)?.model_slug
        };
        text::line("/model_slug", &model_slug, 64)?;
        Ok(SlugRef { caller, model_slug })
    }
}
