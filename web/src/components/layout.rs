//! The page frame: skip link, header with navigation (current page marked for assistive
//! tech), the main landmark, the toast live region and the footer.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::state::{use_session, use_toasts};

/// Header, main content and footer around the routed page.
#[component]
pub fn Shell(children: Children) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let pathname = use_location().pathname;
    let current = move |prefix: &'static str| {
        let path = pathname.get();
        if path == prefix || path.starts_with(&format!("{prefix}/")) {
            "page"
        } else {
            "false"
        }
    };
    view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <header class="site-header">
            <div class="wrap header-row">
                <a class="brand" href="/models" aria-label="Auster Models, home">
                    <svg class="logo" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M3 18 L9 10 L13 14 L21 5" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round"></path>
                    </svg>
                    <span>"Auster"<span class="brand-sub">" Models"</span></span>
                </a>
                <nav aria-label="Main" class="main-nav">
                    <a href="/models" aria-current=move || current("/models")>"Models"</a>
                    <a href="/labs/econ" aria-current=move || current("/labs/econ")>"Econ"</a>
                    <a href="/labs/derivatives" aria-current=move || current("/labs/derivatives")>"Derivatives"</a>
                    <a href="/labs/crypto" aria-current=move || current("/labs/crypto")>"Crypto"</a>
                    <a href="/account" class="nav-account" aria-current=move || current("/account")>
                        {move || if session.key.get().is_some() { "Account" } else { "Sign up" }}
                    </a>
                </nav>
            </div>
        </header>
        <main id="main" class="wrap" tabindex="-1">{children()}</main>
        <footer class="site-footer">
            <div class="wrap">
                <span>"Auster Models: quantitative models you can read, run and share."</span>
                <a href="/api/openapi.json">"API"</a>
            </div>
        </footer>
        <div class="toasts" role="status" aria-live="polite">
            {move || {
                toasts
                    .items()
                    .into_iter()
                    .map(|(_, m)| view! { <div class="toast">{m}</div> })
                    .collect_view()
            }}
        </div>
    }
}
