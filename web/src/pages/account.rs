//! `/account`: create an account (the API key is shown once, with a copy button, and kept
//! in this browser), or sign in with an existing key; then credits, plan, today's usage,
//! the ledger, the runs made on this browser, and My models (saved, forked, own).

use auster_types::api::{Me, ModelListQuery, ModelSummary};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::components::card::ModelCard;
use crate::components::error::{Empty, ErrorNote, ErrorTemplate, Loading};
use crate::dates::format_timestamp;
use crate::format::{grouped, millis, plural};
use crate::pages::model::NewKey;
use crate::state::{recent_runs, use_session};

/// The account page.
#[component]
pub fn AccountPage() -> impl IntoView {
    crate::util::set_title("Account");
    let session = use_session();
    let fresh_key: RwSignal<Option<String>> = RwSignal::new(None);
    view! {
        <header class="page-head"><h1>"Account"</h1></header>
        {move || match session.key.get() {
            None => view! { <SignIn fresh_key=fresh_key /> }.into_any(),
            Some(_) => view! {
                {move || fresh_key.get().map(|k| view! { <NewKey api_key=k /> })}
                <Dashboard />
            }.into_any(),
        }}
    }
}

#[component]
fn SignIn(fresh_key: RwSignal<Option<String>>) -> impl IntoView {
    let session = use_session();
    let email = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let addr = email.get_untracked().trim().to_string();
        busy.set(true);
        spawn_local(async move {
            match api::create_account(addr.clone()).await {
                Ok(acc) => {
                    fresh_key.set(Some(acc.api_key.clone()));
                    session.set_key(Some(acc.api_key), Some(addr));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let use_key = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let k = key.get_untracked().trim().to_string();
        if k.is_empty() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match api::me(Some(k.clone())).await {
                Ok(me) => session.set_key(Some(k), Some(me.email)),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="two-col">
            <form class="card" on:submit=create>
                <h2 class="h3">"Create a free account"</h2>
                <p class="hint">"10 free runs a day. You get an API key instead of a password."</p>
                <div class="field">
                    <label for="acc-email">"Email"</label>
                    <input id="acc-email" type="email" required autocomplete="email"
                        prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
                </div>
                <button class="btn btn-primary" type="submit" disabled=move || busy.get()>"Create account"</button>
            </form>
            <form class="card" on:submit=use_key>
                <h2 class="h3">"I have an API key"</h2>
                <p class="hint">"Paste the key you saved when you signed up."</p>
                <div class="field">
                    <label for="acc-key">"API key"</label>
                    <input id="acc-key" type="password" autocomplete="off" class="mono"
                        prop:value=move || key.get() on:input=move |ev| key.set(event_target_value(&ev)) />
                </div>
                <button class="btn" type="submit" disabled=move || busy.get()>"Sign in"</button>
            </form>
        </div>
        {move || error.get().map(|e| view! { <ErrorNote error=e /> })}
    }
}

#[component]
fn Dashboard() -> impl IntoView {
    let session = use_session();
    let me = LocalResource::new(move || {
        let key = session.key.get();
        let _ = session.version.get();
        async move { api::me(key).await }
    });
    view! {
        <Transition fallback=|| view! { <Loading label="Loading your account…" /> }>
            <ErrorBoundary fallback=move |errors| view! {
                <ErrorTemplate errors />
                <p><button class="btn btn-ghost" on:click=move |_| session.set_key(None, None)>"Sign out"</button></p>
            }>
                {move || Suspend::new(async move {
                    let m = me.await?;
                    Ok::<_, ApiError>(view! { <Profile me=m /> })
                })}
            </ErrorBoundary>
        </Transition>
        <MyModels />
    }
}

#[component]
fn Profile(me: Me) -> impl IntoView {
    let session = use_session();
    let u = me.usage_today.clone();
    let limit = u.run_limit;
    let pct = limit
        .map(|l| (u.runs as f64 / l.max(1) as f64 * 100.0).min(100.0))
        .unwrap_or(0.0);
    let runs = recent_runs();
    view! {
        <section class="profile">
            <div class="stat-cards">
                <div class="card scalar"><div class="scalar-label">"Credits"</div><div class="scalar-value" id="credits">{grouped(me.credits)}</div></div>
                <div class="card scalar"><div class="scalar-label">"Plan"</div><div class="scalar-value">{me.plan.clone()}</div></div>
                <div class="card scalar">
                    <div class="scalar-label">"Runs today"</div>
                    <div class="scalar-value" id="runs-today">{match limit { Some(l) => format!("{} / {l}", u.runs), None => u.runs.to_string() }}</div>
                    {limit.map(|_| view! { <div class="meter" role="meter" aria-valuemin="0" aria-valuemax="100" aria-valuenow=format!("{pct:.0}") aria-label="Share of today's runs used"><span style=format!("width:{pct:.0}%")></span></div> })}
                    <div class="hint">{format!("{} credits spent today", u.credits_spent)}{u.free_runs_left.map(|f| format!(" · {f} free runs left"))}</div>
                </div>
            </div>
            <p class="account-line">
                "Signed in as "<strong>{me.email.clone()}</strong>
                <span class="hint mono">{format!(" ({})", me.user_id)}</span>" "
                <button class="btn btn-small btn-ghost" on:click=move |_| session.set_key(None, None)>"Sign out"</button>
            </p>
            <div class="two-col">
                <section class="card">
                    <h2 class="h3">"Ledger"</h2>
                    {if me.ledger.is_empty() {
                        view! { <p class="hint">"No credit movements yet."</p> }.into_any()
                    } else {
                        view! {
                            <div class="scroll-x">
                            <table class="data-table ledger">
                                <thead><tr><th scope="col">"When"</th><th scope="col">"What"</th><th scope="col" class="num">"Credits"</th><th scope="col" class="num">"Balance"</th></tr></thead>
                                <tbody>
                                    {me.ledger.iter().map(|l| view! {
                                        <tr>
                                            <td>{format_timestamp(&l.at)}</td>
                                            <td>{l.reason.clone()}{l.model_slug.clone().map(|s| format!(" · {s}"))}</td>
                                            <td class="num" class:neg={l.delta < 0}>{if l.delta > 0 { format!("+{}", l.delta) } else { l.delta.to_string() }}</td>
                                            <td class="num">{l.balance.map(|b| b.to_string()).unwrap_or_default()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                        }.into_any()
                    }}
                </section>
                <section class="card">
                    <h2 class="h3">"Recent runs on this browser"</h2>
                    {if runs.is_empty() {
                        view! { <p class="hint">"Runs you make appear here. "<a href="/models">"Pick a model"</a></p> }.into_any()
                    } else {
                        view! {
                            <ul class="recent-runs">
                                {runs.into_iter().map(|r| view! {
                                    <li>
                                        <a href=format!("/runs/{}", r.run_id)>{r.model_slug.clone()}</a>
                                        <span class="hint">{format!(" {} · {} · ", format_timestamp(&r.at), millis(r.runtime_ms))}</span>
                                        <span class="charge">{if r.cost == 0 { "0 credits (included run)".to_string() } else { plural(r.cost as u64, "credit", "credits") }}</span>
                                        {r.cached.then(|| view! { <span class="pill">"cached"</span> })}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </section>
            </div>
        </section>
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    Saved,
    Forked,
    Own,
}

#[component]
fn MyModels() -> impl IntoView {
    let session = use_session();
    let tab = RwSignal::new(Tab::Saved);
    let data = LocalResource::new(move || {
        let key = session.key.get();
        let _ = session.version.get();
        async move {
            let me = api::me(key.clone()).await?;
            let saves = api::my_saves(key.clone()).await?;
            let q = ModelListQuery {
                owner: Some("me".into()),
                limit: Some(50),
                ..Default::default()
            };
            let mut own: Vec<ModelSummary> = api::list_models(q, key).await?.items;
            // Only the caller's models, whatever the server makes of `owner=me`.
            own.retain(|m| m.owner.as_deref() == Some(me.user_id.as_str()));
            Ok::<_, ApiError>((saves.items, own))
        }
    });
    let tab_button = move |t: Tab, label: &'static str, id: &'static str| {
        view! {
            <button role="tab" id=id aria-selected=move || (tab.get() == t).to_string()
                class:active={move || tab.get() == t} on:click=move |_| tab.set(t)>{label}</button>
        }
    };
    view! {
        <section class="my-models">
            <h2>"My models"</h2>
            <div role="tablist" class="tabs" aria-label="My models">
                {tab_button(Tab::Saved, "Saved", "tab-saved")}
                {tab_button(Tab::Forked, "Forked", "tab-forked")}
                {tab_button(Tab::Own, "Own", "tab-own")}
            </div>
            <div role="tabpanel">
            <Transition fallback=|| view! { <Loading /> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || { let t = tab.get(); Suspend::new(async move {
                        let (saved, own) = data.await?;
                        let items: Vec<ModelSummary> = match t {
                            Tab::Saved => saved,
                            Tab::Forked => own.into_iter().filter(|m| m.forked_from.is_some()).collect(),
                            Tab::Own => own,
                        };
                        if items.is_empty() {
                            let (title, hint) = match t {
                                Tab::Saved => ("Nothing saved yet", "Press Save on a model to keep it here."),
                                Tab::Forked => ("No forks yet", "Fork a model to make your own copy of it."),
                                Tab::Own => ("No models of your own yet", "Fork a model to start from a working one."),
                            };
                            return Ok::<_, ApiError>(view! { <Empty title=title.to_string() hint=hint.to_string() /> }.into_any());
                        }
                        Ok(view! {
                            <div class="grid cards">
                                {items.into_iter().map(|m| view! { <ModelCard model=m /> }).collect_view()}
                            </div>
                        }.into_any())
                    })}}
                </ErrorBoundary>
            </Transition>
            </div>
        </section>
    }
}
