//! `/account`: create an account (the API key is shown once, with a copy button, and kept
//! in this browser), or sign in with an existing key; then credits, plan, today's usage,
//! the ledger, the runs made on this browser, the account's API keys (create: shown once;
//! revoke: confirmed, with a warning for this browser's own key), and My models (saved,
//! forked, own).

use auster_types::api::{ApiKeySummary, CreateApiKeyResponse, Me, ModelListQuery, ModelSummary};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::components::card::ModelCard;
use crate::components::error::{Empty, ErrorNote, ErrorTemplate, Loading};
use crate::dates::format_timestamp;
use crate::format::{grouped, millis, plural};
use crate::pages::model::NewKey;
use crate::state::{recent_runs, use_session, use_toasts};

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
        <ApiKeys />
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

/// The account's API keys: list, create (the key shown once) and revoke (confirmed).
#[component]
fn ApiKeys() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let refresh = RwSignal::new(0u32);
    let keys = LocalResource::new(move || {
        let key = session.key.get();
        let _ = refresh.get();
        async move { api::list_keys(key).await }
    });
    let label = RwSignal::new(String::new());
    let created: RwSignal<Option<CreateApiKeyResponse>> = RwSignal::new(None);
    let confirm: RwSignal<Option<ApiKeySummary>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = label.get_untracked().trim().to_string();
        busy.set(true);
        spawn_local(async move {
            match api::create_key((!l.is_empty()).then_some(l), session.key_now()).await {
                Ok(k) => {
                    error.set(None);
                    label.set(String::new());
                    created.set(Some(k));
                    refresh.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let revoke = move |_| {
        let Some(k) = confirm.get_untracked() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            match api::revoke_key(k.key_id.clone(), session.key_now()).await {
                Ok(_) => {
                    error.set(None);
                    confirm.set(None);
                    if created
                        .get_untracked()
                        .is_some_and(|c| c.key_id == k.key_id)
                    {
                        created.set(None);
                    }
                    if k.current {
                        toasts.push("Key revoked; this browser is signed out");
                        session.set_key(None, None);
                    } else {
                        toasts.push(format!("Key {}… revoked", k.prefix));
                        refresh.update(|n| *n += 1);
                    }
                }
                Err(e) => {
                    confirm.set(None);
                    error.set(Some(e));
                }
            }
            busy.set(false);
        });
    };
    let use_here = move |k: CreateApiKeyResponse| {
        session.set_key(Some(k.api_key), session.email.get_untracked());
        toasts.push("This browser now uses the new key");
    };
    view! {
        <section class="card api-keys" aria-labelledby="keys-title">
            <h2 id="keys-title" class="h3">"API keys"</h2>
            <p class="hint">"Send a key as "<code>"Authorization: Bearer <key>"</code>". Keys are stored hashed: a new key is shown once."</p>
            <form class="key-create" on:submit=create>
                <div class="field">
                    <label for="key-label">"Label (optional)"</label>
                    <input id="key-label" type="text" maxlength="64" placeholder="e.g. laptop, CI"
                        prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev)) />
                </div>
                <button id="create-key" class="btn" type="submit" disabled=move || busy.get()>"Create key"</button>
            </form>
            {move || created.get().map(|k| {
                let copy = k.api_key.clone();
                let here = k.clone();
                view! {
                    <div class="note note-key" role="status" id="new-key">
                        <strong>"New API key (shown once)"</strong>
                        <p class="hint">"Copy it now: it cannot be shown again."</p>
                        <div class="key-row">
                            <code class="mono new-api-key">{k.api_key.clone()}</code>
                            <button class="btn btn-small" type="button" on:click=move |_| {
                                let c = copy.clone();
                                spawn_local(async move {
                                    let ok = crate::util::copy_text(c).await;
                                    toasts.push(if ok { "API key copied" } else { "Copy failed: select the key and copy it" });
                                });
                            }>"Copy key"</button>
                            <button class="btn btn-small btn-ghost" type="button" on:click=move |_| use_here(here.clone())>"Use in this browser"</button>
                            <button class="btn btn-small btn-ghost" type="button" on:click=move |_| created.set(None)>"Done"</button>
                        </div>
                    </div>
                }
            })}
            {move || error.get().map(|e| view! { <ErrorNote error=e /> })}
            <Transition fallback=|| view! { <Loading label="Loading your keys…" /> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        let list = keys.await?.items;
                        let active = list.iter().filter(|k| k.revoked_at.is_none()).count();
                        Ok::<_, ApiError>(view! {
                            <div class="scroll-x">
                            <table class="data-table key-list">
                                <thead><tr>
                                    <th scope="col">"Key"</th><th scope="col">"Label"</th><th scope="col">"Created"</th>
                                    <th scope="col">"Last used"</th><th scope="col">"Status"</th><th scope="col"><span class="sr-only">"Actions"</span></th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|k| {
                                        let only = k.revoked_at.is_none() && active <= 1;
                                        let status = match (&k.revoked_at, k.current) {
                                            (Some(at), _) => format!("revoked {}", format_timestamp(at)),
                                            (None, true) => "active · this browser".to_string(),
                                            (None, false) => "active".to_string(),
                                        };
                                        let revoked = k.revoked_at.is_some();
                                        let row = k.clone();
                                        view! {
                                            <tr data-key-id=k.key_id.clone() class:revoked=revoked>
                                                <td class="mono">{format!("{}…", k.prefix)}</td>
                                                <td>{k.label.clone().unwrap_or_default()}</td>
                                                <td>{format_timestamp(&k.created_at)}</td>
                                                <td>{k.last_used_at.as_deref().map(format_timestamp).unwrap_or_else(|| "never".into())}</td>
                                                <td class="key-status">{status}</td>
                                                <td>{(!revoked).then(|| view! {
                                                    <button class="btn btn-small btn-ghost revoke-key" type="button" disabled=only
                                                        title=if only { "Create another key before revoking the only active one" } else { "Revoke this key" }
                                                        on:click=move |_| confirm.set(Some(row.clone()))>"Revoke"</button>
                                                })}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
            {move || confirm.get().map(|k| view! {
                <div class="backdrop" on:click=move |_| confirm.set(None)></div>
                <div class="dialog card" role="alertdialog" aria-modal="true" aria-labelledby="revoke-title" aria-describedby="revoke-text"
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { confirm.set(None) }>
                    <h2 id="revoke-title" class="h3">{format!("Revoke key {}…?", k.prefix)}</h2>
                    <p id="revoke-text">"Programs that use it are refused at once. This cannot be undone."</p>
                    {k.current.then(|| view! {
                        <div class="note note-error" role="alert" id="revoke-current-warning">
                            <strong>"This is the key this browser uses. "</strong>
                            "Revoking it signs this browser out; sign in again with another key you have copied."
                        </div>
                    })}
                    <p class="actions">
                        <button id="confirm-revoke" class="btn btn-danger" type="button" disabled=move || busy.get() on:click=revoke>"Revoke key"</button>
                        <button class="btn btn-ghost" type="button" autofocus on:click=move |_| confirm.set(None)>"Cancel"</button>
                    </p>
                </div>
            })}
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
