//! `/artifacts/:slug`: a published result, read-only for anyone with the link, with
//! copy-link, CSV and JSON downloads, and the model and inputs that produced it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

use crate::api::{self, ApiError};
use crate::components::error::{ErrorTemplate, Loading};
use crate::components::results::ResultsView;
use crate::format::input_value;
use crate::state::{use_session, use_toasts};
use crate::tabular::{series_csv, table_csv};
use crate::util::{absolute_url, download};

/// The artifact page.
#[component]
pub fn ArtifactPage() -> impl IntoView {
    let params = use_params_map();
    let session = use_session();
    let artifact = LocalResource::new(move || {
        let slug = params.get().get("slug").unwrap_or_default();
        let key = session.key_now();
        async move { api::get_artifact(slug, key).await }
    });
    let toasts = use_toasts();
    view! {
        <Transition fallback=|| view! { <Loading label="Loading the published result…" /> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                {move || Suspend::new(async move {
                    let a = artifact.await?;
                    crate::util::set_title(&a.title);
                    let path = format!("/artifacts/{}", a.slug);
                    let link = absolute_url(&path);
                    let json = serde_json::to_string_pretty(&a).unwrap_or_default();
                    let csv = if a.result.outputs.series.is_empty() {
                        a.result.outputs.tables.first().map(table_csv).unwrap_or_default()
                    } else {
                        series_csv(&a.result.outputs.series)
                    };
                    let slug = a.slug.clone();
                    let slug2 = a.slug.clone();
                    let model_name = a.model_name.clone().unwrap_or_else(|| a.model_slug.clone());
                    let inputs: Vec<(String, String)> = a.result.inputs.iter().map(|(k, v)| (k.clone(), input_value(v))).collect();
                    Ok::<_, ApiError>(view! {
                        <header class="page-head">
                            <p class="crumbs"><a href="/models">"Models"</a>" / published result"</p>
                            <div class="title-row">
                                <h1>{a.title.clone()}</h1>
                                <div class="actions" role="group" aria-label="Share and download">
                                    <button class="btn" id="copy-link" on:click=move |_| {
                                        let link = link.clone();
                                        spawn_local(async move {
                                            let ok = crate::util::copy_text(link).await;
                                            toasts.push(if ok { "Link copied" } else { "Copy failed: copy the address bar" });
                                        });
                                    }>"Copy link"</button>
                                    <button class="btn btn-ghost" id="download-csv" disabled=csv.is_empty()
                                        on:click=move |_| download(&format!("{slug}.csv"), "text/csv", &csv)>"CSV"</button>
                                    <button class="btn btn-ghost" id="download-json"
                                        on:click=move |_| download(&format!("{slug2}.json"), "application/json", &json)>"JSON"</button>
                                </div>
                            </div>
                            {a.summary.clone().filter(|s| !s.is_empty()).map(|s| view! { <p class="lede">{s}</p> })}
                            <div class="meta-row">
                                <span class="stat">"Model "<a href=format!("/models/{}", a.model_slug)>{model_name}</a>{format!(" v{}", a.version)}</span>
                                <span class="stat">{format!("Published {}", crate::dates::format_timestamp(&a.created_at))}</span>
                                <span class="stat">{format!("{} views", a.views)}</span>
                                <span class="pill">{a.visibility.as_str()}</span>
                            </div>
                        </header>
                        <section class="card inputs-used">
                            <h2 class="h3">"Inputs"</h2>
                            <dl class="kv">
                                {inputs.into_iter().map(|(k, v)| view! { <div><dt>{k}</dt><dd class="mono">{v}</dd></div> }).collect_view()}
                            </dl>
                        </section>
                        <ResultsView result=a.result />
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
