//! Typed gateway configuration from the environment (interfaces.md §2). Every problem is
//! collected and reported at once, so a user fixes their setup in one go.

use std::path::PathBuf;
use std::time::Duration;

use crate::secret::ApiKey;

/// Which data a run sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataMode {
    /// Bundled datasets and synthetic option chains only (offline).
    Bundled,
    /// Live providers for whatever the keys present allow; bundled data otherwise.
    Live,
}

/// HTTP behaviour of one live provider.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSettings {
    /// Whole-request timeout (connect, send, read the body).
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Retries after the first attempt, for timeouts, transport errors, 429 and 5xx.
    pub max_retries: u32,
    /// First backoff; doubled after each failed attempt.
    pub backoff_base: Duration,
    /// Longest single wait, whether from backoff or from `Retry-After`.
    pub backoff_max: Duration,
    /// Requests in flight at once to this provider.
    pub max_concurrency: usize,
}

impl HttpSettings {
    /// Defaults for a provider allowing `max_concurrency` parallel requests.
    pub fn with_concurrency(max_concurrency: usize) -> Self {
        Self {
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(5),
            max_retries: 4,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            max_concurrency,
        }
    }
}

/// Settings of one live provider: where it is, its key and its HTTP behaviour.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// Base URL, e.g. `https://api.stlouisfed.org` (no trailing slash needed).
    pub base_url: String,
    /// The key.
    pub key: ApiKey,
    /// Timeouts, retries and concurrency.
    pub http: HttpSettings,
}

/// Everything the gateway needs to know.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// `AUSTER_DATA`.
    pub mode: DataMode,
    /// `AUSTER_DATASETS`: root of the bundled datasets.
    pub datasets: PathBuf,
    /// FRED, when `FRED_API_KEY` is set (used in live mode).
    pub fred: Option<ProviderConfig>,
    /// Polygon/Massive, when `POLYGON_API_KEY` is set (used in live mode).
    pub polygon: Option<ProviderConfig>,
}

/// All configuration problems found, each a sentence naming the variable and what it accepts.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("data configuration is invalid: {}", .0.join(" "))]
pub struct ConfigError(pub Vec<String>);

/// Default FRED endpoint.
pub const FRED_URL: &str = "https://api.stlouisfed.org";
/// Default Polygon/Massive endpoint.
pub const POLYGON_URL: &str = "https://api.polygon.io";

impl GatewayConfig {
    /// Offline configuration over a datasets folder.
    pub fn bundled(datasets: impl Into<PathBuf>) -> Self {
        Self {
            mode: DataMode::Bundled,
            datasets: datasets.into(),
            fred: None,
            polygon: None,
        }
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `get` (the environment, a secret store, or a test map).
    ///
    /// Variables: `AUSTER_DATA` (`bundled`|`live`, default `bundled`), `AUSTER_DATASETS`
    /// (default `seeds/data`), `FRED_API_KEY`, `POLYGON_API_KEY`, and optionally
    /// `AUSTER_FRED_URL`, `AUSTER_POLYGON_URL` (http(s) base URLs, e.g. a proxy) and
    /// `AUSTER_DATA_TIMEOUT_MS` (1–600000).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let mode = match get("AUSTER_DATA").as_deref().map(str::trim) {
            None | Some("") | Some("bundled") => DataMode::Bundled,
            Some("live") => DataMode::Live,
            Some(other) => {
                problems.push(format!(
                    "AUSTER_DATA must be `bundled` or `live`, not {other:?}."
                ));
                DataMode::Bundled
            }
        };
        let datasets = PathBuf::from(
            get("AUSTER_DATASETS")
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| "seeds/data".into()),
        );
        if mode == DataMode::Bundled && !datasets.is_dir() {
            problems.push(format!(
                "AUSTER_DATASETS={} is not a folder; point it at the bundled datasets \
                 (seeds/data in the repository).",
                datasets.display()
            ));
        }
        let timeout = match get("AUSTER_DATA_TIMEOUT_MS") {
            None => None,
            Some(t) => match t.trim().parse::<u64>() {
                Ok(ms) if (1..=600_000).contains(&ms) => Some(Duration::from_millis(ms)),
                _ => {
                    problems.push(format!(
                        "AUSTER_DATA_TIMEOUT_MS must be a whole number of milliseconds \
                         from 1 to 600000, not {t:?}."
                    ));
                    None
                }
            },
        };
        let mut provider = |key_var: &str, url_var: &str, default_url: &str, conc: usize| {
            let key = match get(key_var) {
                None => None,
                Some(k) => match ApiKey::new(k.trim()) {
                    Some(k) => Some(k),
                    None => {
                        // Never echo the value: it may be a real key with a stray character.
                        problems.push(format!(
                            "{key_var} is set but empty or contains spaces or control \
                             characters; set it to the key exactly as the provider issued it."
                        ));
                        None
                    }
                },
            };
            let url = get(url_var).unwrap_or_else(|| default_url.to_string());
            let url = url.trim().trim_end_matches('/').to_string();
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 9 {
                problems.push(format!(
                    "{url_var} must be an http:// or https:// base URL, not {url:?}."
                ));
            }
            key.map(|key| {
                let mut http = HttpSettings::with_concurrency(conc);
                if let Some(t) = timeout {
                    http.timeout = t;
                }
                ProviderConfig {
                    base_url: url,
                    key,
                    http,
                }
            })
        };
        // FRED allows 120 requests/min per key; Polygon's free plan 5/min.
        let fred = provider("FRED_API_KEY", "AUSTER_FRED_URL", FRED_URL, 4);
        let polygon = provider("POLYGON_API_KEY", "AUSTER_POLYGON_URL", POLYGON_URL, 2);
        if mode == DataMode::Live && fred.is_none() && polygon.is_none() && problems.is_empty() {
            problems.push(
                "AUSTER_DATA=live needs FRED_API_KEY (macro series, CBBTCUSD for bitcoin) \
                 and/or POLYGON_API_KEY (daily bars, option chains, X:BTCUSD); neither is set. \
                 Set a key, or set AUSTER_DATA=bundled for the bundled datasets."
                    .into(),
            );
        }
        if problems.is_empty() {
            Ok(Self {
                mode,
                datasets,
                fred,
                polygon,
            })
        } else {
            Err(ConfigError(problems))
        }
    }

    /// One line per data kind saying which provider serves it, for `auster` diagnostics.
    pub fn describe_routes(&self) -> Vec<String> {
        let live = self.mode == DataMode::Live;
        let p = live && self.polygon.is_some();
        let f = live && self.fred.is_some();
        vec![
            format!("market: {}", if p { "polygon" } else { "bundled" }),
            format!("macro: {}", if f { "fred" } else { "bundled" }),
            format!(
                "crypto: {}",
                if p {
                    "polygon"
                } else if f {
                    "fred"
                } else {
                    "bundled"
                }
            ),
            format!(
                "options: {}",
                if p {
                    "polygon (today), synthetic (past dates)"
                } else {
                    "synthetic"
                }
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(vars: &[(&str, &str)]) -> Result<GatewayConfig, ConfigError> {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        GatewayConfig::from_lookup(|k| m.get(k).cloned())
    }

    const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../seeds/data");

    #[test]
    fn defaults_to_bundled() {
        let c = cfg(&[("AUSTER_DATASETS", ROOT)]).unwrap();
        assert_eq!(c.mode, DataMode::Bundled);
        assert!(c.fred.is_none() && c.polygon.is_none());
        assert_eq!(c.describe_routes()[0], "market: bundled");
    }

    #[test]
    fn live_with_keys() {
        let c = cfg(&[
            ("AUSTER_DATA", "live"),
            ("FRED_API_KEY", "fredkey"),
            ("POLYGON_API_KEY", "polykey"),
            ("AUSTER_POLYGON_URL", "http://127.0.0.1:9/"),
            ("AUSTER_DATA_TIMEOUT_MS", "1500"),
        ])
        .unwrap();
        assert_eq!(c.mode, DataMode::Live);
        let p = c.polygon.unwrap();
        assert_eq!(p.base_url, "http://127.0.0.1:9");
        assert_eq!(p.http.timeout, Duration::from_millis(1500));
        assert_eq!(c.fred.unwrap().base_url, FRED_URL);
    }

    #[test]
    fn every_problem_is_reported_at_once_and_keys_are_never_echoed() {
        let e = cfg(&[
            ("AUSTER_DATA", "online"),
            ("AUSTER_DATASETS", "/no/such/folder"),
            ("FRED_API_KEY", "secret with space"),
            ("AUSTER_POLYGON_URL", "ftp://x"),
            ("AUSTER_DATA_TIMEOUT_MS", "0"),
        ])
        .unwrap_err();
        let msg = e.to_string();
        assert_eq!(e.0.len(), 5, "{msg}");
        for needle in [
            "AUSTER_DATA must be",
            "AUSTER_DATASETS=/no/such/folder",
            "FRED_API_KEY is set but",
            "AUSTER_POLYGON_URL",
            "AUSTER_DATA_TIMEOUT_MS",
        ] {
            assert!(msg.contains(needle), "{needle} missing from {msg}");
        }
        assert!(!msg.contains("secret"));
    }

    #[test]
    fn live_without_keys_names_both_keys() {
        let e = cfg(&[("AUSTER_DATA", "live")]).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("FRED_API_KEY") && msg.contains("POLYGON_API_KEY"),
            "{msg}"
        );
    }
}
