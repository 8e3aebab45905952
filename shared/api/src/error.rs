//! [`ApiError`] and the one place errors become HTTP responses.
//!
//! Client errors carry a message that is safe to show (it names the field and what is
//! allowed). Server errors (5xx) answer a generic sentence with the request id; the
//! details go to the log through `tracing`, never to the caller.

use auster_store::StoreError;
use auster_types::error::ApiErrorInner;
use auster_types::{ApiErrorBody, Issue};

use crate::request::ApiResponse;

/// Every way a route can fail.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// 400 `invalid_request`: malformed JSON, wrong types, bad query or field values.
    #[error("{message}")]
    InvalidRequest {
        /// Sentence.
        message: String,
        /// Per-field problems.
        details: Vec<Issue>,
    },
    /// 401 `unauthenticated`: no key, or an unknown or revoked key.
    #[error("{0}")]
    Unauthenticated(String),
    /// 402 `payment_required`: the day's included runs are used and credits ran out.
    #[error("{0}")]
    PaymentRequired(String),
    /// 403 `forbidden`: the caller can see the thing but may not change it.
    #[error("{0}")]
    Forbidden(String),
    /// 404 `not_found` (also another user's private model).
    #[error("{0}")]
    NotFound(String),
    /// 405 `method_not_allowed`: the path exists with other methods.
    #[error("{message}")]
    MethodNotAllowed {
        /// Sentence.
        message: String,
        /// Methods the path accepts.
        allow: Vec<&'static str>,
    },
    /// 409 `conflict`: a slug or email is taken.
    #[error("{0}")]
    Conflict(String),
    /// 413 `too_large`: the body exceeds the limit.
    #[error("{0}")]
    TooLarge(String),
    /// 422 `invalid_model`: the model file or DSL does not validate.
    #[error("the model is invalid")]
    InvalidModel(Vec<Issue>),
    /// 422 `invalid_inputs`: run inputs do not match the model's input schema, or the
    /// data they ask for does not exist.
    #[error("{message}")]
    InvalidInputs {
        /// Sentence.
        message: String,
        /// Per-field problems.
        details: Vec<Issue>,
    },
    /// 429 `rate_limited` with `Retry-After`.
    #[error("{message}")]
    RateLimited {
        /// Sentence.
        message: String,
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// 503 `unavailable`: a backing service failed; the string is for the log only.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// 504 `timeout`: the run exceeded its time budget.
    #[error("{0}")]
    Timeout(String),
    /// 500 `internal`: a bug; the string is for the log only.
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 400 with one detail naming the offending field.
    pub fn invalid(path: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::InvalidRequest {
            details: vec![Issue::new(path, message.clone())],
            message,
        }
    }

    /// 401 for routes that need a signed-in caller.
    pub fn unauthenticated() -> Self {
        ApiError::Unauthenticated(
            "this route needs an API key: send `Authorization: Bearer <api key>` \
             (create one with POST /api/accounts)"
                .into(),
        )
    }

    /// HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::InvalidRequest { .. } => 400,
            ApiError::Unauthenticated(_) => 401,
            ApiError::PaymentRequired(_) => 402,
            ApiError::Forbidden(_) => 403,
            ApiError::NotFound(_) => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Conflict(_) => 409,
            ApiError::TooLarge(_) => 413,
            ApiError::InvalidModel(_) | ApiError::InvalidInputs { .. } => 422,
            ApiError::RateLimited { .. } => 429,
            ApiError::Internal(_) => 500,
            ApiError::Unavailable(_) => 503,
            ApiError::Timeout(_) => 504,
        }
    }

    /// Stable machine code of the error body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidRequest { .. } => "invalid_request",
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::PaymentRequired(_) => "payment_required",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooLarge(_) => "too_large",
            ApiError::InvalidModel(_) => "invalid_model",
            ApiError::InvalidInputs { .. } => "invalid_inputs",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Internal(_) => "internal",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Timeout(_) => "timeout",
        }
    }

    /// The single error→HTTP mapping: status, `{"error": {...}}` body, `Retry-After`
    /// and `Allow` headers. 5xx bodies are generic; their details are logged here.
    pub fn into_response(self, request_id: &str) -> ApiResponse {
        let status = self.status();
        let message = match &self {
            ApiError::Internal(detail) => {
                tracing::error!(request_id, error = %detail, "internal error");
                "an internal error occurred; quote the request id when reporting it".to_string()
            }
            ApiError::Unavailable(detail) => {
                tracing::warn!(request_id, error = %detail, "backing service unavailable");
                "a backing service is unavailable; retry in a moment".to_string()
            }
            other => {
                if status >= 500 {
                    tracing::warn!(request_id, error = %other, "server error");
                }
                other.to_string()
            }
        };
        let details = match &self {
            ApiError::InvalidRequest { details, .. } | ApiError::InvalidInputs { details, .. } => {
                details.clone()
            }
            ApiError::InvalidModel(d) => d.clone(),
            _ => Vec::new(),
        };
        let body = ApiErrorBody {
            error: ApiErrorInner {
                code: self.code().to_string(),
                message,
                request_id: request_id.to_string(),
                details,
            },
        };
        let mut resp = ApiResponse::json(status, &body);
        match self {
            ApiError::RateLimited {
                retry_after_secs, ..
            } => resp
                .headers
                .push(("retry-after", retry_after_secs.max(1).to_string())),
            ApiError::MethodNotAllowed { allow, .. } => {
                resp.headers.push(("allow", allow.join(", ")))
            }
            _ => {}
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ApiError::NotFound(m),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Invalid(m) => ApiError::InvalidRequest {
                message: m,
                details: Vec::new(),
            },
            StoreError::Forbidden(m) => ApiError::Forbidden(m),
            StoreError::PaymentRequired(m) => ApiError::PaymentRequired(m),
            StoreError::RateLimited {
                message,
                retry_after_secs,
            } => ApiError::RateLimited {
                message,
                retry_after_secs,
            },
            StoreError::Unavailable(m) => ApiError::Unavailable(m),
            StoreError::Internal(m) => ApiError::Internal(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(r: &ApiResponse) -> serde_json::Value {
        serde_json::from_slice(&r.body).unwrap()
    }

    #[test]
    fn server_errors_hide_details_and_carry_the_request_id() {
        let r = ApiError::Internal("db file is corrupt at page 7".into()).into_response("req-1");
        assert_eq!(r.status, 500);
        let b = body(&r);
        assert_eq!(b["error"]["code"], "internal");
        assert_eq!(b["error"]["request_id"], "req-1");
        assert!(!b.to_string().contains("corrupt"));
    }

    #[test]
    fn rate_limits_set_retry_after() {
        let r = ApiError::RateLimited {
            message: "slow down".into(),
            retry_after_secs: 17,
        }
        .into_response("r");
        assert_eq!(r.status, 429);
        assert!(r
            .headers
            .iter()
            .any(|(k, v)| *k == "retry-after" && v == "17"));
    }

    #[test]
    fn store_categories_map_to_their_statuses() {
        let cases = [
            (StoreError::NotFound("x".into()), 404),
            (StoreError::Conflict("x".into()), 409),
            (StoreError::Invalid("x".into()), 400),
            (StoreError::Forbidden("x".into()), 403),
            (StoreError::PaymentRequired("x".into()), 402),
            (StoreError::Unavailable("x".into()), 503),
            (StoreError::Internal("x".into()), 500),
        ];
        for (e, status) in cases {
            assert_eq!(ApiError::from(e).status(), status);
        }
    }

    #[test]
    fn invalid_model_lists_every_issue() {
        let r = ApiError::InvalidModel(vec![
            Issue::new("/dsl/steps/0/operation", "unknown"),
            Issue::new("/slug", "bad"),
        ])
        .into_response("r");
        assert_eq!(r.status, 422);
        let b = body(&r);
        assert_eq!(b["error"]["code"], "invalid_model");
        assert_eq!(b["error"]["details"].as_array().unwrap().len(), 2);
    }
}
