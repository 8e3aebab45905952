//! `/models`: the catalogue. Search as you type, filters by lab, tag and difficulty, sort,
//! and cursor pagination; the whole state lives in the URL query so views can be shared
//! and Back works. The labs reuse [`CatalogueView`] with the lab fixed.

use auster_types::api::{ModelListQuery, SortOrder};
use auster_types::{Difficulty, LabScope};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api::{self, ApiError};
use crate::components::card::ModelCard;
use crate::components::error::{Empty, ErrorTemplate, Loading};
use crate::query::Catalogue;
use crate::state::use_session;

/// The catalogue page.
#[component]
pub fn CataloguePage() -> impl IntoView {
    crate::util::set_title("Models");
    view! {
        <header class="page-head">
            <h1>"Models"</h1>
            <p class="lede">"Quantitative models you can read, run on real data and share. Pick one to see its charts."</p>
        </header>
        <CatalogueView />
    }
}

/// Search, filters, sort, cards and pagination. `fixed_lab` pins the lab filter;
/// `prefill` (a query string) is appended to every card link.
#[component]
pub fn CatalogueView(
    #[prop(optional)] fixed_lab: Option<&'static str>,
    #[prop(optional, into)] prefill: Option<Signal<String>>,
) -> impl IntoView {
    let query = use_query_map();
    let pathname = use_location().pathname;
    let navigate = use_navigate();
    let session = use_session();
    let state = Memo::new(move |_| {
        let q = query.get();
        let mut c = Catalogue::from_lookup(|k| q.get(k));
        if let Some(l) = fixed_lab {
            c.lab = l.to_string();
        }
        c
    });
    let list = LocalResource::new(move || {
        let q = state.get().to_api();
        let key = session.key.get();
        async move { api::list_models(q, key).await }
    });
    // Tag options come from the whole (lab's) catalogue, not from the filtered page.
    let facets = LocalResource::new(move || async move {
        let q = ModelListQuery {
            lab: fixed_lab.map(str::to_string),
            limit: Some(50),
            ..Default::default()
        };
        api::list_models(q, None).await
    });
    let tags = move || {
        let mut t: Vec<String> = facets
            .get()
            .and_then(|r| r.ok())
            .map(|l| l.items.into_iter().flat_map(|m| m.tags).collect())
            .unwrap_or_default();
        let cur = state.get().tag;
        if !cur.is_empty() {
            t.push(cur);
        }
        t.sort();
        t.dedup();
        t
    };

    let go = {
        let navigate = navigate.clone();
        move |c: Catalogue| {
            let qs = c.to_url_query(fixed_lab.is_some());
            let path = pathname.get_untracked();
            let url = if qs.is_empty() {
                path
            } else {
                format!("{path}?{qs}")
            };
            navigate(
                &url,
                NavigateOptions {
                    replace: true,
                    scroll: false,
                    ..Default::default()
                },
            );
        }
    };
    let cursors: StoredValue<Vec<String>> = StoredValue::new(Vec::new());
    let set_field = {
        let go = go.clone();
        move |f: fn(&mut Catalogue, String), v: String| {
            let mut c = state.get_untracked();
            f(&mut c, v);
            c.cursor.clear();
            cursors.set_value(Vec::new());
            go(c);
        }
    };

    // Search as you type, debounced so each keystroke does not hit the server.
    let text = RwSignal::new(state.get_untracked().q);
    let generation = StoredValue::new(0u32);
    let on_search = {
        let set_field = set_field.clone();
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            text.set(v.clone());
            generation.update_value(|g| *g += 1);
            let mine = generation.get_value();
            let set_field = set_field.clone();
            set_timeout(
                move || {
                    if generation.get_value() == mine {
                        set_field(|c, v| c.q = v, v);
                    }
                },
                std::time::Duration::from_millis(200),
            );
        }
    };
    let sf_lab = set_field.clone();
    let sf_tag = set_field.clone();
    let sf_diff = set_field.clone();
    let sf_sort = set_field.clone();
    let clear = {
        let go = go.clone();
        move |_| {
            text.set(String::new());
            cursors.set_value(Vec::new());
            go(Catalogue {
                lab: fixed_lab.unwrap_or_default().to_string(),
                ..Default::default()
            });
        }
    };
    let go_next = go.clone();
    let go_prev = go.clone();
    let clear_empty = clear.clone();

    view! {
        <form class="filters" role="search" on:submit=|ev| ev.prevent_default()>
            <div class="field grow">
                <label for="search">"Search"</label>
                <input id="search" type="search" placeholder="Name, description or tag"
                    autocomplete="off" prop:value=move || text.get() on:input=on_search />
            </div>
            {fixed_lab.is_none().then(|| view! {
                <div class="field">
                    <label for="f-lab">"Lab"</label>
                    <select id="f-lab" prop:value=move || state.get().lab
                        on:change=move |ev| sf_lab(|c, v| c.lab = v, event_target_value(&ev))>
                        <option value="">"All labs"</option>
                        {LabScope::ALL.iter().filter(|l| **l != LabScope::Both).map(|l| view! {
                            <option value=l.as_str()>{lab_name(l.as_str())}</option>
                        }).collect_view()}
                    </select>
                </div>
            })}
            <div class="field">
                <label for="f-tag">"Tag"</label>
                <select id="f-tag" prop:value=move || state.get().tag
                    on:change=move |ev| sf_tag(|c, v| c.tag = v, event_target_value(&ev))>
                    <option value="">"All tags"</option>
                    {move || {
                        let cur = state.get().tag;
                        tags().into_iter().map(|t| {
                            let selected = t == cur;
                            view! { <option value=t.clone() selected=selected>{t.clone()}</option> }
                        }).collect_view()
                    }}
                </select>
            </div>
            <div class="field">
                <label for="f-diff">"Difficulty"</label>
                <select id="f-diff" prop:value=move || state.get().difficulty
                    on:change=move |ev| sf_diff(|c, v| c.difficulty = v, event_target_value(&ev))>
                    <option value="">"Any"</option>
                    {Difficulty::ALL.iter().map(|d| view! { <option value=d.as_str()>{d.as_str()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-sort">"Sort by"</label>
                <select id="f-sort" prop:value=move || { let s = state.get().sort; if s.is_empty() { "popular".to_string() } else { s } }
                    on:change=move |ev| sf_sort(|c, v| c.sort = v, event_target_value(&ev))>
                    {SortOrder::ALL.iter().map(|o| view! { <option value=o.as_str()>{sort_name(*o)}</option> }).collect_view()}
                </select>
            </div>
            <div class="field field-end">
                <button type="button" class="btn btn-ghost" on:click=clear
                    disabled={move || !state.get().is_filtered() && state.get().sort.is_empty()}>"Clear"</button>
            </div>
        </form>
        <Transition fallback=|| view! { <Loading label="Loading models…" /> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                {
                    let go_next = go_next.clone();
                    let go_prev = go_prev.clone();
                    let clear_empty = clear_empty.clone();
                    move || {
                    let go_next = go_next.clone();
                    let go_prev = go_prev.clone();
                    let clear_empty = clear_empty.clone();
                    Suspend::new(async move {
                    let page = list.await?;
                    let st = state.get_untracked();
                    if page.items.is_empty() {
                        let title = if st.q.is_empty() { "No models here yet".to_string() } else { format!("No models match “{}”", st.q) };
                        return Ok::<_, ApiError>(view! {
                            <Empty title=title hint="Try fewer filters or another word.".to_string()>
                                <button class="btn" on:click=clear_empty>"Clear filters"</button>
                            </Empty>
                        }.into_any());
                    }
                    let next = page.next_cursor.clone();
                    let has_prev = !st.cursor.is_empty();
                    let page_no = cursors.with_value(|c| c.len()) + 1;
                    let count = page.items.len();
                    Ok(view! {
                        <p class="result-count" aria-live="polite">
                            {format!("{count} model{} on page {page_no}", if count == 1 { "" } else { "s" })}
                        </p>
                        <div class="grid cards">
                            {page.items.into_iter().map(|m| {
                                let pre = prefill.map(|p| p.get()).unwrap_or_default();
                                view! { <ModelCard model=m prefill=pre /> }
                            }).collect_view()}
                        </div>
                        <nav class="pager" aria-label="Pages">
                            <button class="btn btn-ghost" disabled=!has_prev on:click=move |_| {
                                let mut c = state.get_untracked();
                                let mut stack = cursors.get_value();
                                c.cursor = stack.pop().unwrap_or_default();
                                cursors.set_value(stack);
                                go_prev(c);
                            }>"← Previous"</button>
                            <span>{format!("Page {page_no}")}</span>
                            <button class="btn btn-ghost" disabled=next.is_none() on:click=move |_| {
                                if let Some(n) = next.clone() {
                                    let mut c = state.get_untracked();
                                    cursors.update_value(|s| s.push(c.cursor.clone()));
                                    c.cursor = n;
                                    go_next(c);
                                }
                            }>"Next →"</button>
                        </nav>
                    }.into_any())
                })}}
            </ErrorBoundary>
        </Transition>
    }
}

/// Display name of a lab.
pub fn lab_name(lab: &str) -> &'static str {
    match lab {
        "econ" => "Econ",
        "derivatives" => "Derivatives",
        "crypto" => "Crypto",
        _ => "All labs",
    }
}

fn sort_name(o: SortOrder) -> &'static str {
    match o {
        SortOrder::Popular => "Most popular",
        SortOrder::Rating => "Top rated",
        SortOrder::New => "Newest",
    }
}
