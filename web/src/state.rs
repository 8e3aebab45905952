//! App-wide client state: the signed-in API key (kept in `localStorage` so a reload keeps
//! the session), toasts, the viewport width that sizes the charts, the recent-runs list
//! shown on the account page, and each lab's context (symbol, dates, expiration).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

const KEY_STORAGE: &str = "auster.api_key";
const EMAIL_STORAGE: &str = "auster.email";
const RUNS_STORAGE: &str = "auster.recent_runs";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// Reads a `localStorage` entry.
pub fn storage_get(key: &str) -> Option<String> {
    storage().and_then(|s| s.get_item(key).ok().flatten())
}

/// Writes (or with `None`, removes) a `localStorage` entry; private browsing may refuse,
/// in which case the app still works for this tab.
pub fn storage_set(key: &str, value: Option<&str>) {
    if let Some(s) = storage() {
        let _ = match value {
            Some(v) => s.set_item(key, v),
            None => s.remove_item(key),
        };
    }
}

/// The signed-in session.
#[derive(Clone, Copy)]
pub struct Session {
    /// The bearer key, when signed in.
    pub key: RwSignal<Option<String>>,
    /// The email used at sign-up on this browser.
    pub email: RwSignal<Option<String>>,
    /// Bumped after anything that changes credits, saves or ratings, so views refetch.
    pub version: RwSignal<u32>,
}

impl Session {
    /// Restores the session from `localStorage`.
    pub fn load() -> Self {
        Self {
            key: RwSignal::new(storage_get(KEY_STORAGE).filter(|k| !k.is_empty())),
            email: RwSignal::new(storage_get(EMAIL_STORAGE)),
            version: RwSignal::new(0),
        }
    }

    /// Signs in with a key (or out with `None`).
    pub fn set_key(&self, key: Option<String>, email: Option<String>) {
        storage_set(KEY_STORAGE, key.as_deref());
        storage_set(EMAIL_STORAGE, email.as_deref());
        self.key.set(key);
        self.email.set(email);
        self.changed();
    }

    /// The key now, without subscribing.
    pub fn key_now(&self) -> Option<String> {
        self.key.get_untracked()
    }

    /// Marks server-side state as changed.
    pub fn changed(&self) {
        self.version.update(|v| *v += 1);
    }
}

/// The session from context.
pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Short-lived notices shown in a polite live region.
#[derive(Clone, Copy)]
pub struct Toasts {
    items: RwSignal<Vec<(u32, String)>>,
    next: StoredValue<u32>,
}

impl Toasts {
    /// An empty queue.
    pub fn new() -> Self {
        Self {
            items: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
        }
    }

    /// Shows `msg` for four seconds.
    pub fn push(&self, msg: impl Into<String>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.items.update(|v| v.push((id, msg.into())));
        let items = self.items;
        set_timeout(
            move || items.update(|v| v.retain(|(i, _)| *i != id)),
            std::time::Duration::from_secs(4),
        );
    }

    /// Current notices.
    pub fn items(&self) -> Vec<(u32, String)> {
        self.items.get()
    }
}

impl Default for Toasts {
    fn default() -> Self {
        Self::new()
    }
}

/// The toasts from context.
pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

/// Viewport width in CSS pixels, updated on resize; charts size themselves from it.
#[derive(Clone, Copy)]
pub struct Viewport(pub RwSignal<f64>);

/// A run remembered on this browser, for the account page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentRun {
    /// Server run id.
    pub run_id: String,
    /// Model that ran.
    pub model_slug: String,
    /// When (ISO, browser clock).
    pub at: String,
    /// Credits charged.
    pub cost: u32,
    /// Engine time.
    pub runtime_ms: f64,
    /// Served from the cache.
    pub cached: bool,
}

/// Recent runs on this browser, newest first.
pub fn recent_runs() -> Vec<RecentRun> {
    storage_get(RUNS_STORAGE)
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

/// Remembers a run (keeps the newest 20).
pub fn remember_run(run: RecentRun) {
    let mut runs = recent_runs();
    runs.retain(|r| r.run_id != run.run_id);
    runs.insert(0, run);
    runs.truncate(20);
    if let Ok(s) = serde_json::to_string(&runs) {
        storage_set(RUNS_STORAGE, Some(&s));
    }
}

/// A lab's context: values that prefill matching model inputs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LabContext {
    /// Ticker or asset.
    #[serde(default)]
    pub symbol: String,
    /// Start of the date range.
    #[serde(default)]
    pub start_date: String,
    /// End of the date range.
    #[serde(default)]
    pub end_date: String,
    /// Valuation date (derivatives).
    #[serde(default)]
    pub as_of: String,
    /// Option expiration (derivatives).
    #[serde(default)]
    pub expiration: String,
}

impl LabContext {
    /// The saved context of `lab`.
    pub fn load(lab: &str) -> Self {
        storage_get(&format!("auster.lab.{lab}"))
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default()
    }

    /// Saves the context of `lab`.
    pub fn save(&self, lab: &str) {
        if let Ok(s) = serde_json::to_string(self) {
            storage_set(&format!("auster.lab.{lab}"), Some(&s));
        }
    }

    /// Query string that prefills a model's inputs of the same names.
    pub fn prefill_query(&self) -> String {
        crate::query::to_query([
            ("symbol", self.symbol.as_str()),
            ("start_date", self.start_date.as_str()),
            ("end_date", self.end_date.as_str()),
            ("as_of", self.as_of.as_str()),
            ("expiration", self.expiration.as_str()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_context_prefills_only_given_values() {
        let c = LabContext {
            symbol: "SPX".into(),
            start_date: "2015-01-01".into(),
            ..Default::default()
        };
        assert_eq!(c.prefill_query(), "symbol=SPX&start_date=2015-01-01");
        assert_eq!(LabContext::default().prefill_query(), "");
    }
}
