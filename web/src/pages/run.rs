//! `/runs/:id`: a past run of the signed-in user, re-opened from the account page.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{self, ApiError};
use crate::components::error::{ErrorTemplate, Loading};
use crate::components::results::ResultsView;
use crate::state::use_session;

/// A stored run.
#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let session = use_session();
    let run = LocalResource::new(move || {
        let id = params.get().get("id").unwrap_or_default();
        let key = session.key.get();
        async move { api::get_run(id, key).await }
    });
    crate::util::set_title("Run");
    view! {
        <Transition fallback=|| view! { <Loading label="Loading the run…" /> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                {move || Suspend::new(async move {
                    let r = run.await?;
                    let slug = r.model_slug.clone();
                    Ok::<_, ApiError>(view! {
                        <header class="page-head">
                            <p class="crumbs"><a href="/account">"Account"</a>" / run"</p>
                            <h1>"Run of "<a href=format!("/models/{slug}")>{slug.clone()}</a></h1>
                            <p class="mono hint">{r.run_id.clone().unwrap_or_default()}</p>
                        </header>
                        <ResultsView result=r />
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
