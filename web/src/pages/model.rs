//! `/models/:slug`: read a model, fill in its inputs, run it and look at the charts;
//! then publish the run, fork the model, save it, rate it, browse its versions and read
//! its DSL. Signing up is offered inline when a signed-out visitor presses Run.

use auster_types::api::{
    ModelDetail, PublishRequest, PublishResponse, RateRequest, RunRequest, Visibility,
};
use auster_types::RunResult;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use leptos_router::NavigateOptions;
use serde_json::{Map, Value};

use crate::api::{self, ApiError};
use crate::components::dsl_view::DslView;
use crate::components::error::{ErrorNote, ErrorTemplate, Loading};
use crate::components::form::{FormState, InputFields};
use crate::components::results::{prefetch_results_view, results_view};
use crate::components::stars::{StarInput, Stars};
use crate::format::{compact, plural};
use crate::state::{remember_run, use_session, use_toasts, RecentRun};
use crate::validate::{collect, field_of_path};

/// The model page.
#[component]
pub fn ModelPage() -> impl IntoView {
    let params = use_params_map();
    let session = use_session();
    let slug = Memo::new(move |_| params.get().get("slug").unwrap_or_default());
    // The key is read untracked: signing up on this page must not reload it and lose
    // the form and the results.
    let detail = LocalResource::new(move || {
        let s = slug.get();
        let key = session.key_now();
        async move { api::get_model(s, key).await }
    });
    view! {
        <Transition fallback=|| view! { <Loading label="Loading the model…" /> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                {move || Suspend::new(async move {
                    let d = detail.await?;
                    Ok::<_, ApiError>(view! { <ModelView detail=d /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn ModelView(detail: ModelDetail) -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    crate::util::set_title(&detail.summary.name);
    let slug = detail.summary.slug.clone();
    let schema = detail.input_schema.clone();
    let form = FormState::new(&schema, |name| query.get_untracked().get(name));
    let result: RwSignal<Option<RunResult>> = RwSignal::new(None);
    prefetch_results_view();
    let running = RwSignal::new(false);
    let run_error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let need_account = RwSignal::new(false);
    let pending_inputs: StoredValue<Option<Map<String, Value>>> = StoredValue::new(None);
    let schema_sv = StoredValue::new(schema.clone());
    let slug_sv = StoredValue::new(slug.clone());

    let do_run = move |inputs: Map<String, Value>| {
        running.set(true);
        run_error.set(None);
        let req = RunRequest {
            model_slug: slug_sv.get_value(),
            version: None,
            inputs,
        };
        let key = session.key_now();
        spawn_local(async move {
            let r = api::run_model(req, key).await;
            running.set(false);
            match r {
                Ok(r) => {
                    if let Some(id) = r.run_id.clone() {
                        remember_run(RecentRun {
                            run_id: id,
                            model_slug: r.model_slug.clone(),
                            at: crate::util::now_iso(),
                            cost: r.cost,
                            runtime_ms: r.runtime_ms,
                            cached: r.cached,
                        });
                    }
                    result.set(Some(r));
                    session.changed();
                }
                Err(e) => {
                    if !e.details.is_empty() {
                        form.errors.update(|errs| {
                            for d in &e.details {
                                let f = field_of_path(&d.path);
                                if schema_sv.with_value(|s| s.field(f).is_some()) {
                                    errs.insert(f.to_string(), d.message.clone());
                                }
                            }
                        });
                    }
                    run_error.set(Some(e));
                }
            }
        });
    };
    let on_run = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match schema_sv.with_value(|s| collect(s, |n| form.text(n))) {
            Err(errs) => {
                let first = errs.first().map(|e| e.0.clone());
                form.errors.set(errs.into_iter().collect());
                if let Some(f) = first {
                    focus(&format!("in-{f}"));
                }
            }
            Ok(inputs) => {
                form.errors.set(Default::default());
                if session.key_now().is_none() {
                    pending_inputs.set_value(Some(inputs));
                    need_account.set(true);
                    focus("signup-email");
                } else {
                    do_run(inputs);
                }
            }
        }
    };

    // Inline sign-up, then the run the visitor asked for.
    let email = RwSignal::new(String::new());
    let signup_error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let fresh_key: RwSignal<Option<String>> = RwSignal::new(None);
    let signing_up = RwSignal::new(false);
    let on_signup = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let addr = email.get_untracked().trim().to_string();
        if !addr.contains('@') {
            signup_error.set(Some(local_error(
                "Enter an email address, e.g. you@example.com.",
            )));
            return;
        }
        signing_up.set(true);
        spawn_local(async move {
            match api::create_account(addr.clone()).await {
                Ok(acc) => {
                    session.set_key(Some(acc.api_key.clone()), Some(addr));
                    fresh_key.set(Some(acc.api_key));
                    need_account.set(false);
                    signup_error.set(None);
                    if let Some(inputs) = pending_inputs.get_value() {
                        do_run(inputs);
                    }
                }
                Err(e) => signup_error.set(Some(e)),
            }
            signing_up.set(false);
        });
    };

    let summary = detail.summary.clone();
    let stats = summary.stats.clone();
    // The DSL view is built (and, in the split build, fetched) when first opened.
    let dsl = StoredValue::new(detail.dsl.clone());
    let dsl_opened = RwSignal::new(false);
    let versions = detail.versions.clone();
    let current_version = detail.version;
    let references = detail.references.clone();

    view! {
        <header class="page-head model-head">
            <p class="crumbs">
                <a href="/models">"Models"</a>" / "
                <a href=format!("/labs/{}", summary.lab_scope.as_str())>{summary.lab_scope.as_str()}</a>
            </p>
            <div class="title-row">
                <h1>{summary.name.clone()}</h1>
                <ModelActions slug=slug.clone() result=result />
            </div>
            <p class="lede">{summary.description.clone()}</p>
            <div class="meta-row">
                <span class=format!("pill diff diff-{}", summary.difficulty.as_str())>{summary.difficulty.as_str()}</span>
                {summary.tags.iter().map(|t| view! { <a class="tag" href=format!("/models?tag={}", crate::query::encode(t))>{"#"}{t.clone()}</a> }).collect_view()}
                <span class="stat">{plural(stats.runs, "run", "runs")}</span>
                <span class="stat">{format!("{} saves", compact(stats.saves as f64))}</span>
                <span class="stat">{format!("{} forks", compact(stats.forks as f64))}</span>
                <Stars average=stats.rating_average count=stats.rating_count />
                {summary.forked_from.clone().map(|f| view! {
                    <span class="stat">"Forked from "<a href=format!("/models/{f}")>{f.clone()}</a></span>
                })}
            </div>
        </header>

        <div class="model-layout">
            <aside class="card run-panel">
                <h2 class="h3">"Inputs"</h2>
                <form on:submit=on_run novalidate aria-describedby="run-status">
                    <InputFields schema=schema state=form />
                    <button id="run-button" class="btn btn-primary btn-block" type="submit"
                        disabled=move || running.get() aria-busy=move || running.get().to_string()>
                        {move || if running.get() { view! { <span class="spinner small" aria-hidden="true"></span>"Running…" }.into_any() } else { "Run model".into_any() }}
                    </button>
                    <p id="run-status" class="sr-only" aria-live="polite">
                        {move || if running.get() { "Running the model." } else if result.get().is_some() { "Results are ready." } else { "" }}
                    </p>
                </form>
                {move || fresh_key.get().map(|k| view! { <NewKey api_key=k /> })}
                <Show when=move || need_account.get()>
                    <form class="signup-inline" on:submit=on_signup>
                        <h3 class="h4">"Create a free account to run"</h3>
                        <p class="hint">"Free accounts get 10 runs a day. No password: you get an API key."</p>
                        <div class="field">
                            <label for="signup-email">"Email"</label>
                            <input id="signup-email" type="email" autocomplete="email" required
                                prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
                        </div>
                        <button class="btn btn-primary btn-block" type="submit" disabled=move || signing_up.get()>
                            "Create account and run"
                        </button>
                        {move || signup_error.get().map(|e| view! { <ErrorNote error=e /> })}
                    </form>
                </Show>
            </aside>
            <section class="results-panel" aria-label="Run results">
                {move || run_error.get().map(|e| view! { <ErrorNote error=e /> })}
                {move || match result.get() {
                    Some(r) => crate::split_view!(results_view(r), "Loading the results view…"),
                    None if running.get() => view! { <Loading label="Running the model…" /> }.into_any(),
                    None => view! {
                        <div class="state state-empty placeholder">
                            <svg viewBox="0 0 120 48" class="placeholder-chart" aria-hidden="true">
                                <path d="M4 40 L24 30 L40 34 L60 16 L80 22 L100 8 L116 12" fill="none" stroke="currentColor" stroke-width="2"></path>
                            </svg>
                            <h3>"Run the model to see its charts"</h3>
                            <p>"The defaults work on the bundled data. Change any input and press Run."</p>
                        </div>
                    }.into_any(),
                }}
            </section>
        </div>

        <div class="two-col below">
            <RatingPanel slug=slug.clone() />
            <section class="card">
                <h2 class="h3">"Versions"</h2>
                <ol class="versions">
                    {if versions.is_empty() {
                        view! { <li><span class="pill">{format!("v{current_version}")}</span>" current"</li> }.into_any()
                    } else {
                        versions.into_iter().map(|v| view! {
                            <li>
                                <span class="pill">{format!("v{}", v.version)}</span>
                                {(v.version == current_version).then_some(" current")}
                                <span class="hint">{format!(" {}", crate::dates::format_timestamp(&v.created_at))}</span>
                                {v.note.map(|n| view! { <span>{format!(" — {n}")}</span> })}
                            </li>
                        }).collect_view().into_any()
                    }}
                </ol>
                {(!references.is_empty()).then(|| view! {
                    <h3 class="h4">"References"</h3>
                    <ul class="refs">{references.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
                })}
            </section>
        </div>
        <details class="card dsl" on:toggle=move |_| dsl_opened.set(true)>
            <summary>"Model DSL (read-only)"</summary>
            {move || dsl_opened.get().then(|| crate::split_view!(dsl_view(dsl.get_value()), "Loading the DSL…"))}
        </details>
    }
}

fn local_error(msg: &str) -> ApiError {
    ApiError {
        status: 0,
        code: "invalid_request".into(),
        message: msg.into(),
        details: vec![],
        retry_after: None,
    }
}

fn focus(id: &str) {
    use wasm_bindgen::JsCast;
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// The API key of a just-created account, shown once with a copy button.
#[component]
pub fn NewKey(api_key: String) -> impl IntoView {
    let toasts = use_toasts();
    let k = api_key.clone();
    view! {
        <div class="note note-key" role="status">
            <strong>"Your API key (shown once)"</strong>
            <p class="hint">"This browser remembers it. Copy it now to use the API or another browser."</p>
            <div class="key-row">
                <code class="mono api-key">{api_key}</code>
                <button class="btn btn-small" type="button" on:click=move |_| {
                    let k = k.clone();
                    spawn_local(async move {
                        let ok = crate::util::copy_text(k).await;
                        toasts.push(if ok { "API key copied" } else { "Copy failed: select the key and copy it" });
                    });
                }>"Copy key"</button>
            </div>
        </div>
    }
}

/// Save, Fork and Publish.
#[component]
fn ModelActions(slug: String, result: RwSignal<Option<RunResult>>) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let slug = StoredValue::new(slug);
    let saves = LocalResource::new(move || {
        let key = session.key.get();
        let _ = session.version.get();
        async move {
            match key {
                Some(k) => api::my_saves(Some(k)).await.ok(),
                None => None,
            }
        }
    });
    let saved = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Some(s)) = saves.get() {
            saved.set(slug.with_value(|me| s.items.iter().any(|m| &m.slug == me)));
        }
    });
    let busy = RwSignal::new(false);
    let need_key = move || {
        if session.key_now().is_none() {
            toasts.push("Create a free account first (Account page or Run).");
            true
        } else {
            false
        }
    };
    let toggle_save = move |_| {
        if need_key() {
            return;
        }
        let want = !saved.get_untracked();
        busy.set(true);
        spawn_local(async move {
            match api::set_saved(slug.get_value(), want, session.key_now()).await {
                Ok(()) => {
                    saved.set(want);
                    toasts.push(if want {
                        "Saved to your models"
                    } else {
                        "Removed from saved"
                    });
                    session.changed();
                }
                Err(e) => toasts.push(e.to_string()),
            }
            busy.set(false);
        });
    };
    let fork = move |_| {
        if need_key() {
            return;
        }
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::fork_model(slug.get_value(), session.key_now()).await {
                Ok(m) => {
                    toasts.push(format!("Forked into your account as {}", m.slug));
                    session.changed();
                    navigate(&format!("/models/{}", m.slug), NavigateOptions::default());
                }
                Err(e) => toasts.push(e.to_string()),
            }
            busy.set(false);
        });
    };
    let open = RwSignal::new(false);
    view! {
        <div class="actions" role="group" aria-label="Model actions">
            <button class="btn btn-ghost" id="save-button" aria-pressed=move || saved.get().to_string()
                disabled=move || busy.get() on:click=toggle_save>
                {move || if saved.get() { "★ Saved" } else { "☆ Save" }}
            </button>
            <button class="btn btn-ghost" id="fork-button" disabled=move || busy.get() on:click=fork>"Fork"</button>
            <button class="btn" id="publish-button"
                disabled=move || result.with(|r| r.as_ref().and_then(|r| r.run_id.as_ref()).is_none())
                title="Run the model first, then publish the result"
                on:click=move |_| open.set(true)>"Publish"</button>
        </div>
        <Show when=move || open.get()>
            {crate::split_view!(publish_dialog(open, result), "Loading…")}
        </Show>
    }
}

/// The DSL, pretty-printed and highlighted (a split module in the size build).
#[cfg_attr(auster_split, wasm_split_helpers::wasm_split(dsl_view, fallible))]
fn dsl_view(dsl: auster_types::Dsl) -> crate::split::SplitView {
    let json = serde_json::to_string_pretty(&dsl).unwrap_or_default();
    Ok(view! { <DslView json /> }.into_any())
}

/// The publish dialog (a split module in the size build).
#[cfg_attr(auster_split, wasm_split_helpers::wasm_split(publish_dialog, fallible))]
fn publish_dialog(
    open: RwSignal<bool>,
    result: RwSignal<Option<RunResult>>,
) -> crate::split::SplitView {
    Ok(view! { <PublishDialog open result /> }.into_any())
}

#[component]
fn PublishDialog(open: RwSignal<bool>, result: RwSignal<Option<RunResult>>) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let default_title = result.with_untracked(|r| {
        r.as_ref()
            .map(|r| format!("{} run", r.model_slug))
            .unwrap_or_default()
    });
    let title = RwSignal::new(default_title);
    let summary = RwSignal::new(String::new());
    let visibility = RwSignal::new("public".to_string());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let done: RwSignal<Option<PublishResponse>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let title_ref = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = title_ref.get() {
            let _ = el.focus();
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(run_id) = result.with_untracked(|r| r.as_ref().and_then(|r| r.run_id.clone()))
        else {
            return;
        };
        let t = title.get_untracked().trim().to_string();
        if t.is_empty() {
            error.set(Some(local_error("Give the result a title.")));
            return;
        }
        let s = summary.get_untracked().trim().to_string();
        let req = PublishRequest {
            run_id,
            title: t,
            summary: (!s.is_empty()).then_some(s),
            visibility: Visibility::parse(&visibility.get_untracked()).unwrap_or_default(),
        };
        busy.set(true);
        spawn_local(async move {
            match api::publish(req, session.key_now()).await {
                Ok(p) => {
                    error.set(None);
                    done.set(Some(p));
                    toasts.push("Published");
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="backdrop" on:click=move |_| open.set(false)></div>
        <div class="dialog card" role="dialog" aria-modal="true" aria-labelledby="publish-title"
            on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { open.set(false) }>
            <h2 id="publish-title" class="h3">"Publish this result"</h2>
            {move || match done.get() {
                Some(p) => {
                    let path = format!("/artifacts/{}", p.slug);
                    let abs = crate::util::absolute_url(&path);
                    view! {
                        <p>"Anyone with the link can open it:"</p>
                        <p><a id="artifact-link" href=path.clone()>{abs.clone()}</a></p>
                        <p class="actions">
                            <button class="btn" type="button" on:click=move |_| {
                                let abs = abs.clone();
                                spawn_local(async move {
                                    let ok = crate::util::copy_text(abs).await;
                                    toasts.push(if ok { "Link copied" } else { "Copy failed" });
                                });
                            }>"Copy link"</button>
                            <button class="btn btn-ghost" type="button" on:click=move |_| open.set(false)>"Close"</button>
                        </p>
                    }.into_any()
                }
                None => view! {
                    <form on:submit=submit>
                        <div class="field">
                            <label for="pub-title">"Title"</label>
                            <input id="pub-title" node_ref=title_ref type="text" maxlength="200" required
                                prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev)) />
                        </div>
                        <div class="field">
                            <label for="pub-summary">"Summary (optional)"</label>
                            <textarea id="pub-summary" rows="3" maxlength="2000"
                                prop:value=move || summary.get() on:input=move |ev| summary.set(event_target_value(&ev))></textarea>
                        </div>
                        <div class="field">
                            <label for="pub-vis">"Who can see it"</label>
                            <select id="pub-vis" prop:value=move || visibility.get() on:change=move |ev| visibility.set(event_target_value(&ev))>
                                <option value="public">"Public: listed and open to all"</option>
                                <option value="unlisted">"Unlisted: anyone with the link"</option>
                                <option value="private">"Private: only me"</option>
                            </select>
                        </div>
                        {move || error.get().map(|e| view! { <ErrorNote error=e /> })}
                        <p class="actions">
                            <button class="btn btn-primary" type="submit" disabled=move || busy.get()>"Publish"</button>
                            <button class="btn btn-ghost" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                        </p>
                    </form>
                }.into_any(),
            }}
        </div>
    }
}

#[component]
fn RatingPanel(slug: String) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let slug = StoredValue::new(slug);
    let summary = LocalResource::new(move || {
        let key = session.key.get();
        let _ = session.version.get();
        async move { api::get_rating(slug.get_value(), key).await }
    });
    let stars = RwSignal::new(0u8);
    let review = RwSignal::new(String::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(s)) = summary.get() {
            if let Some(m) = s.mine {
                stars.set(m.rating);
                review.set(m.review.unwrap_or_default());
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if session.key_now().is_none() {
            error.set(Some(local_error("Create a free account to rate models.")));
            return;
        }
        let rating = stars.get_untracked();
        if rating == 0 {
            error.set(Some(local_error("Pick 1 to 5 stars.")));
            return;
        }
        let text = review.get_untracked().trim().to_string();
        let req = RateRequest {
            model_slug: slug.get_value(),
            rating,
            review: (!text.is_empty()).then_some(text),
        };
        busy.set(true);
        spawn_local(async move {
            match api::rate(req, session.key_now()).await {
                Ok(()) => {
                    error.set(None);
                    toasts.push("Thanks for rating");
                    session.changed();
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card rating-panel">
            <h2 class="h3">"Ratings"</h2>
            <p class="rating-summary">
                {move || summary.get().and_then(|r| r.ok()).map(|s| view! {
                    <Stars average=s.average count=s.count />
                    <span>{match s.average { Some(a) => format!(" {a:.1} from {}", plural(s.count, "rating", "ratings")), None => " No ratings yet".into() }}</span>
                })}
            </p>
            <form on:submit=submit class="rate-form">
                <StarInput value=stars name="stars" />
                <div class="field">
                    <label for="review">"Review (optional)"</label>
                    <textarea id="review" rows="2" maxlength="2000" prop:value=move || review.get()
                        on:input=move |ev| review.set(event_target_value(&ev))></textarea>
                </div>
                {move || error.get().map(|e| view! { <ErrorNote error=e /> })}
                <button class="btn" id="rate-button" type="submit" disabled=move || busy.get()>"Submit rating"</button>
            </form>
        </section>
    }
}
