//! The 404 page for any path the router does not know.

use leptos::prelude::*;

/// Not found.
#[component]
pub fn NotFound() -> impl IntoView {
    crate::util::set_title("Page not found");
    view! {
        <section class="state state-error not-found">
            <p class="big" aria-hidden="true">"404"</p>
            <h1>"This page does not exist"</h1>
            <p>"The link may be old or mistyped. Models live in the catalogue."</p>
            <p class="actions">
                <a class="btn" href="/models">"Browse models"</a>
                <a class="btn btn-ghost" href="/account">"Your account"</a>
            </p>
        </section>
    }
}
