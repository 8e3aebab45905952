//! The one error template (used under every `ErrorBoundary`), the inline error note for
//! failed actions, and the shared loading and empty states, so every page looks and reads
//! the same when something is slow, missing or broken.

use leptos::prelude::*;

use crate::api::ApiError;

/// What the error boundary shows: a title from the API error code, the server's
/// sentence, any per-field details, and a way back.
#[component]
pub fn ErrorTemplate(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let list = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, e)| {
                let api = e.downcast_ref::<ApiError>().cloned();
                match api {
                    Some(a) => (
                        a.title().to_string(),
                        a.to_string(),
                        a.details.clone(),
                        a.code,
                    ),
                    None => (
                        "Something went wrong".to_string(),
                        e.to_string(),
                        Vec::new(),
                        String::new(),
                    ),
                }
            })
            .collect::<Vec<_>>()
    };
    view! {
        <section class="state state-error" role="alert">
            {move || {
                list()
                    .into_iter()
                    .map(|(title, message, details, code)| {
                        let retry = code != "not_found";
                        view! {
                            <h2>{title}</h2>
                            <p>{message}</p>
                            <ul class="issues">
                                {details
                                    .into_iter()
                                    .map(|d| view! { <li><code>{d.path}</code>" "{d.message}</li> })
                                    .collect_view()}
                            </ul>
                            <p class="actions">
                                <a class="btn" href="/models">"Browse models"</a>
                                <Show when=move || retry>
                                    <button class="btn btn-ghost" on:click=|_| reload()>"Retry"</button>
                                </Show>
                            </p>
                        }
                    })
                    .collect_view()
            }}
        </section>
    }
}

/// Reloads the page (the Retry of an error that a new attempt may fix).
pub fn reload() {
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}

/// An inline error for a failed action (run, publish, rate…), next to what failed.
#[component]
pub fn ErrorNote(error: ApiError) -> impl IntoView {
    let details = error.details.clone();
    view! {
        <div class="note note-error" role="alert">
            <strong>{error.title()}": "</strong>
            {error.to_string()}
            <ul class="issues">
                {details
                    .into_iter()
                    .map(|d| view! { <li><code>{d.path}</code>" "{d.message}</li> })
                    .collect_view()}
            </ul>
        </div>
    }
}

/// The loading state: a skeleton with a visually hidden sentence for screen readers.
#[component]
pub fn Loading(#[prop(default = "Loading…")] label: &'static str) -> impl IntoView {
    view! {
        <div class="state state-loading" aria-busy="true">
            <span class="spinner" aria-hidden="true"></span>
            <span>{label}</span>
        </div>
    }
}

/// The empty state: what is missing and what to do about it.
#[component]
pub fn Empty(
    title: String,
    #[prop(optional)] hint: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="state state-empty">
            <h3>{title}</h3>
            {hint.map(|h| view! { <p>{h}</p> })}
            {children.map(|c| c())}
        </div>
    }
}
