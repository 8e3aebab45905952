//! Error bodies and validation issues as they travel over the wire.

use serde::{Deserialize, Serialize};

/// One problem found while validating a model, a DSL document or run inputs.
///
/// `path` is a JSON pointer (RFC 6901) into the document the caller sent, e.g.
/// `/dsl/steps/2/params/window`; `message` is a sentence saying what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// JSON pointer to the offending value.
    pub path: String,
    /// Human sentence: what is wrong and what would be accepted.
    pub message: String,
}

impl Issue {
    /// Builds an issue from a pointer and a message.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The same issue with `prefix` put in front of its pointer (e.g. `/dsl`).
    pub fn prefixed(mut self, prefix: &str) -> Self {
        self.path = format!("{prefix}{}", self.path);
        self
    }
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.message)
    }
}

/// A detail line of an API error (same shape as [`Issue`]).
pub type ApiErrorDetail = Issue;

/// The JSON body of every API error: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// The error object.
    pub error: ApiErrorInner,
}

/// The inside of an API error body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiErrorInner {
    /// Stable machine code, e.g. `invalid_inputs`.
    pub code: String,
    /// Human sentence.
    pub message: String,
    /// Request id, to find the request in the logs.
    pub request_id: String,
    /// Per-field problems, when there are any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ApiErrorDetail>,
}
