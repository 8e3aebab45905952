//! The store's error enum and its categories.
//!
//! Every backend maps its failures into these variants so the API has exactly one
//! mapping to HTTP. Messages of the first six are safe to show users; `Unavailable` and
//! `Internal` carry details for the log only (the API answers them generically).

/// Error of every store operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The thing does not exist, or the caller may not know it exists.
    #[error("{0}")]
    NotFound(String),
    /// Uniqueness or a concurrent change refused the write (slug taken, email taken).
    #[error("{0}")]
    Conflict(String),
    /// The input is malformed; the message names the field and what is allowed.
    #[error("{0}")]
    Invalid(String),
    /// The caller can see it but may not change it.
    #[error("{0}")]
    Forbidden(String),
    /// Not enough credits.
    #[error("{0}")]
    PaymentRequired(String),
    /// A quota is exhausted; retry after the given number of seconds.
    #[error("{message}")]
    RateLimited {
        /// Human sentence.
        message: String,
        /// Seconds until the window resets.
        retry_after_secs: u64,
    },
    /// The backing service cannot be reached or keeps throttling; nothing was changed
    /// half-way.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A bug or corrupt data.
    #[error("store internal error: {0}")]
    Internal(String),
}

/// The category of a [`StoreError`], for the single error→HTTP mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCategory {
    /// 404.
    NotFound,
    /// 409.
    Conflict,
    /// 400.
    Invalid,
    /// 403.
    Forbidden,
    /// 402.
    PaymentRequired,
    /// 429.
    RateLimited,
    /// 503.
    Unavailable,
    /// 500.
    Internal,
}

impl StoreError {
    /// The category.
    pub fn category(&self) -> ErrorCategory {
        match self {
            StoreError::NotFound(_) => ErrorCategory::NotFound,
            StoreError::Conflict(_) => ErrorCategory::Conflict,
            StoreError::Invalid(_) => ErrorCategory::Invalid,
            StoreError::Forbidden(_) => ErrorCategory::Forbidden,
            StoreError::PaymentRequired(_) => ErrorCategory::PaymentRequired,
            StoreError::RateLimited { .. } => ErrorCategory::RateLimited,
            StoreError::Unavailable(_) => ErrorCategory::Unavailable,
            StoreError::Internal(_) => ErrorCategory::Internal,
        }
    }

    /// `NotFound` with a message `"<what> `<id>` not found"`.
    pub fn not_found(what: &str, id: &str) -> Self {
        StoreError::NotFound(format!("{what} `{id}` not found"))
    }
}
