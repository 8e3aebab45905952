//! Auster Models web app: a Leptos client-side app built to `web/dist` and served by
//! `auster serve` locally or a CDN in production. It talks only to the HTTP API
//! (interfaces.md §3) through the typed client in [`api`].
//!
//! Layout: [`pages`] (one module per route), [`components`] (shared views: the one error
//! template, chart, tables, form, results), and DOM-free logic modules ([`chart_math`],
//! [`validate`], [`highlight`], [`query`], [`tabular`], [`format`], [`dates`]) that the host
//! unit tests cover with `cargo test -p auster-web`.

pub mod api;
pub mod chart_math;
pub mod components;
pub mod dates;
pub mod format;
pub mod highlight;
pub mod pages;
pub mod query;
pub mod split;
pub mod state;
pub mod tabular;
pub mod util;
pub mod validate;

use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::components::layout::Shell;
use crate::pages::{
    account::AccountPage, artifact::ArtifactPage, catalogue::CataloguePage, labs::LabPage,
    model::ModelPage, not_found::NotFound, run::RunPage,
};
use crate::state::{Session, Toasts, Viewport};

fn viewport_width() -> f64 {
    web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|v| v.as_f64())
        .unwrap_or(1280.0)
}

/// The whole app: shared state in context, the router and its routes.
#[component]
pub fn App() -> impl IntoView {
    provide_context(Session::load());
    provide_context(Toasts::new());
    let vp = Viewport(RwSignal::new(viewport_width()));
    provide_context(vp);
    let handle = window_event_listener(leptos::ev::resize, move |_| vp.0.set(viewport_width()));
    // The listener lives as long as the page; keep it from being dropped early.
    std::mem::forget(handle);
    view! {
        <Router>
            <Shell>
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view=|| view! { <Redirect path="/models" /> } />
                    <Route path=path!("/models") view=CataloguePage />
                    <Route path=path!("/models/:slug") view=|| crate::split_view!(model_page(), "Loading the model…") />
                    <Route path=path!("/artifacts/:slug") view=|| crate::split_view!(artifact_page(), "Loading the result…") />
                    <Route path=path!("/labs/:lab") view=LabPage />
                    <Route path=path!("/account") view=|| crate::split_view!(account_page(), "Loading your account…") />
                    <Route path=path!("/runs/:id") view=|| crate::split_view!(run_page(), "Loading the run…") />
                </Routes>
            </Shell>
        </Router>
    }
}

// The pages loaded on demand (see `split`): each is its own wasm module in the size build.

/// The model page (`/models/:slug`).
#[cfg_attr(auster_split, wasm_split_helpers::wasm_split(model_page, fallible))]
fn model_page() -> split::SplitView {
    Ok(view! { <ModelPage /> }.into_any())
}

/// A published result (`/artifacts/:slug`).
#[cfg_attr(auster_split, wasm_split_helpers::wasm_split(artifact_page, fallible))]
fn artifact_page() -> split::SplitView {
    Ok(view! { <ArtifactPage /> }.into_any())
}

/// The account page (`/account`).
#[cfg_attr(auster_split, wasm_split_helpers::wasm_split(account_page, fallible))]
fn account_page() -> split::SplitView {
    Ok(view! { <AccountPage /> }.into_any())
}

/// A stored run (`/runs/:id`).
#[cfg_attr(auster_split, wasm_split_helpers::wasm_split(run_page, fallible))]
fn run_page() -> split::SplitView {
    Ok(view! { <RunPage /> }.into_any())
}

/// Entry point called by the wasm-bindgen glue when the module loads.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    mount_to_body(App);
}
