//! The HTTP side shared by live providers: one client per provider with timeouts, a
//! concurrency limit, retries with exponential backoff that honour `Retry-After`, and
//! error messages that never carry a key or a full URL (FRED keys travel in the query).

use std::sync::Arc;
use std::time::Duration;

use auster_engine::DataError;
use reqwest::header::{HeaderValue, AUTHORIZATION, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use serde_json::Value as Json;
use tokio::sync::Semaphore;

use crate::config::HttpSettings;
use crate::secret::ApiKey;

/// How a request failed once retries are spent (or were pointless).
#[derive(Debug)]
pub(crate) enum Failure {
    /// A 4xx other than 429: the provider's verdict, for the provider to interpret.
    Client {
        /// HTTP status.
        status: u16,
        /// Body text (redacted, truncated).
        body: String,
    },
    /// Unreachable, timing out, rate-limited, failing or answering nonsense.
    Other(DataError),
}

/// Where the key goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// `Authorization: Bearer KEY` (Polygon).
    Bearer,
    /// `api_key=KEY` query parameter (FRED), added here so callers never hold the URL with it.
    QueryApiKey,
}

/// A client for one provider.
pub(crate) struct HttpClient {
    /// Provider name for messages (`fred`, `polygon`).
    pub(crate) name: &'static str,
    base: Url,
    client: reqwest::Client,
    key: ApiKey,
    auth: Auth,
    limit: Arc<Semaphore>,
    settings: HttpSettings,
}

impl HttpClient {
    /// A client for `base_url`.
    pub(crate) fn new(
        name: &'static str,
        base_url: &str,
        key: ApiKey,
        auth: Auth,
        settings: HttpSettings,
    ) -> Result<Self, String> {
        let base = Url::parse(base_url)
            .map_err(|e| format!("{name}: base URL {base_url:?} is not a URL: {e}"))?;
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .user_agent(concat!("auster-data/", env!("CARGO_PKG_VERSION")))
            // Redirects could carry the Authorization header to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("{name}: cannot build the HTTP client: {e}"))?;
        Ok(Self {
            name,
            base,
            client,
            key,
            auth,
            limit: Arc::new(Semaphore::new(settings.max_concurrency.max(1))),
            settings,
        })
    }

    /// `base` joined with `path` and `query` (the key is added later, at send time).
    pub(crate) fn url(&self, path: &str, query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        let prefix = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{prefix}{path}"));
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        url
    }

    /// Whether `url` points at this provider (same scheme, host and port), so a `next_url`
    /// from a response cannot send the key elsewhere.
    pub(crate) fn same_origin(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default()
    }

    /// Text with the key removed, for every message that leaves this module.
    pub(crate) fn redact(&self, text: &str) -> String {
        self.key.redact(text)
    }

    /// GETs `url` and parses a JSON body, retrying timeouts, transport errors, 429 and 5xx.
    pub(crate) async fn get_json(&self, url: Url) -> Result<Json, Failure> {
        let path = url.path().to_string();
        let mut url = url;
        if self.auth == Auth::QueryApiKey {
            url.query_pairs_mut()
                .append_pair("api_key", self.key.expose());
        }
        let attempts = self.settings.max_retries + 1;
        let mut last = String::new();
        for attempt in 0..attempts {
            let permit = self
                .limit
                .acquire()
                .await
                .map_err(|_| Failure::Other(DataError::Unavailable("client closed".into())))?;
            let mut req = self.client.get(url.clone());
            if self.auth == Auth::Bearer {
                let mut v = HeaderValue::from_str(&format!("Bearer {}", self.key.expose()))
                    .map_err(|_| {
                        Failure::Other(DataError::Unavailable(format!(
                            "{}: the API key cannot be sent in a header",
                            self.name
                        )))
                    })?;
                v.set_sensitive(true);
                req = req.header(AUTHORIZATION, v);
            }
            let mut wait: Option<Duration> = None;
            match req.send().await {
                Err(e) => {
                    last = if e.is_timeout() {
                        format!("timed out after {} ms", self.settings.timeout.as_millis())
                    } else {
                        // `without_url` drops the URL (and FRED's api_key) from the message.
                        format!(
                            "request failed: {}",
                            self.redact(&e.without_url().to_string())
                        )
                    };
                }
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after = resp
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|s| s.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let body = match resp.text().await {
                        Ok(b) => b,
                        Err(e) => {
                            last = if e.is_timeout() {
                                format!(
                                    "timed out after {} ms reading the body",
                                    self.settings.timeout.as_millis()
                                )
                            } else {
                                format!(
                                    "reading the body failed: {}",
                                    self.redact(&e.without_url().to_string())
                                )
                            };
                            drop(permit);
                            self.pause(attempt, attempts, None, &path, &last).await;
                            continue;
                        }
                    };
                    if status.is_success() {
                        return serde_json::from_str(&body).map_err(|e| {
                            Failure::Other(DataError::Unavailable(format!(
                                "{} {path} answered a malformed body ({e}): {}",
                                self.name,
                                self.snippet(&body)
                            )))
                        });
                    }
                    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                        last = format!("HTTP {}{}", status.as_u16(), {
                            let s = self.snippet(&body);
                            if s.is_empty() {
                                String::new()
                            } else {
                                format!(": {s}")
                            }
                        });
                        if let Some(ra) = retry_after {
                            if ra > self.settings.backoff_max {
                                return Err(Failure::Other(DataError::Unavailable(format!(
                                    "{} {path} is rate-limited ({last}) and asks to retry after \
                                     {} s; try again later.",
                                    self.name,
                                    ra.as_secs()
                                ))));
                            }
                        }
                        wait = retry_after;
                    } else {
                        return Err(Failure::Client {
                            status: status.as_u16(),
                            body: self.snippet(&body),
                        });
                    }
                }
            }
            drop(permit);
            self.pause(attempt, attempts, wait, &path, &last).await;
        }
        Err(Failure::Other(DataError::Unavailable(format!(
            "{} {path} failed after {attempts} attempts: {last}",
            self.name
        ))))
    }

    /// Sleeps before the next attempt: `Retry-After` when given, else exponential backoff.
    async fn pause(
        &self,
        attempt: u32,
        attempts: u32,
        retry_after: Option<Duration>,
        path: &str,
        why: &str,
    ) {
        if attempt + 1 >= attempts {
            return;
        }
        let backoff = self
            .settings
            .backoff_base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.settings.backoff_max);
        let wait = retry_after
            .unwrap_or(backoff)
            .min(self.settings.backoff_max);
        tracing::warn!(
            provider = self.name,
            path,
            attempt = attempt + 1,
            wait_ms = wait.as_millis() as u64,
            "retrying: {why}"
        );
        tokio::time::sleep(wait).await;
    }

    /// The start of a body for an error message, redacted and on one line.
    fn snippet(&self, body: &str) -> String {
        let one_line: String = body
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(200)
            .collect();
        self.redact(one_line.trim())
    }
}

/// A provider's `message`/`error`/`error_message` field from an error body, if any.
pub(crate) fn provider_message(body: &str) -> String {
    serde_json::from_str::<Json>(body)
        .ok()
        .and_then(|j| {
            ["error_message", "message", "error"]
                .iter()
                .find_map(|k| j.get(*k).and_then(Json::as_str).map(String::from))
        })
        .unwrap_or_else(|| body.to_string())
}
