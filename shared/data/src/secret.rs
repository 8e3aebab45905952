//! Provider keys: held in a type whose `Debug` never shows them, plus redaction for any
//! text (errors, logs) that might have picked one up from a URL or a provider's echo.

use std::fmt;
use std::sync::Arc;

/// An API key read from the environment or a secret store. `Debug` prints `ApiKey(***)`;
/// the key itself is only reachable inside this crate, where requests are built.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(Arc<str>);

impl ApiKey {
    /// Wraps a key; `None` when it is empty or has characters no provider key contains
    /// (whitespace and control characters would also break the `Authorization` header).
    pub fn new(key: &str) -> Option<Self> {
        let ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_graphic());
        ok.then(|| Self(Arc::from(key)))
    }

    /// The key, for building a request.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the key replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        text.replace(&*self.0, "***")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_redact_hide_the_key() {
        let k = ApiKey::new("abc123SECRET").unwrap();
        assert_eq!(format!("{k:?}"), "ApiKey(***)");
        assert_eq!(
            k.redact("url?api_key=abc123SECRET&x=1"),
            "url?api_key=***&x=1"
        );
        assert!(ApiKey::new("").is_none());
        assert!(ApiKey::new("has space").is_none());
        assert!(ApiKey::new("line\n").is_none());
    }
}
