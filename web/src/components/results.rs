//! A run's results, charts first: number cards, charts (series of similar magnitude share
//! an axis), sortable tables, then where the time went (step timings) and where the data
//! came from (with a "synthetic" badge when the provider made it up on purpose).

use auster_types::{RunResult, RunStatus};
use leptos::prelude::*;

use crate::chart_math::{group_by_scale, Prepared};
use crate::components::chart::LineChart;
use crate::components::table::SortableTable;
use crate::format::{millis, scalar};
use crate::split::SplitView;

/// The results view as a split point (see `split`): the model page shows results only after
/// a run, so in the size build their code (charts, tables) is a module of its own, which the
/// page fetches while the user fills in the form ([`prefetch_results_view`]).
#[cfg_attr(
    auster_split,
    wasm_split_helpers::wasm_split(results_view, fallible, preload(preload_results_view))
)]
pub fn results_view(result: RunResult) -> SplitView {
    Ok(view! { <ResultsView result /> }.into_any())
}

/// Downloads the results view's module in the background once the model page's form is on
/// screen and the browser is idle, so that it is there when the first run's result arrives
/// without competing with what the page needs to show. A failed download is not
/// remembered: showing the results tries again, and says so if that fails too. Nothing to
/// do in a build that does not split.
pub fn prefetch_results_view() {
    #[cfg(auster_split)]
    prefetch_when_form_shown(0);
}

/// Checks at each idle period whether the form (its Run button) is in the document; the page
/// builds it before its other answers (ratings, saves) have arrived, and shows it after.
#[cfg(auster_split)]
fn prefetch_when_form_shown(tries: u32) {
    request_idle_callback(move || {
        let shown = document().get_element_by_id("run-button").is_some();
        if shown {
            leptos::task::spawn_local(async {
                let _ = preload_results_view().await;
            });
        } else if tries < 200 {
            // Not on screen yet (or never: the page showed an error); look again later.
            prefetch_when_form_shown(tries + 1);
        }
    });
}

/// Everything a run produced.
#[component]
pub fn ResultsView(result: RunResult) -> impl IntoView {
    if result.status == RunStatus::Error {
        return view! {
            <div class="note note-error" role="alert">
                <strong>"The run failed: "</strong>
                {result.error.clone().unwrap_or_else(|| "no reason was given.".into())}
            </div>
        }
        .into_any();
    }
    let prepared: Vec<Prepared> = result
        .outputs
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| Prepared::from_output(s, i))
        .collect();
    let groups = group_by_scale(&prepared);
    // Each group's legend names its series, so the charts need no titles of their own.
    let charts = groups
        .into_iter()
        .map(|g| {
            let members: Vec<Prepared> = g.iter().map(|i| prepared[*i].clone()).collect();
            view! { <LineChart series=members /> }
        })
        .collect_view();
    let downsampled = result
        .outputs
        .series
        .iter()
        .find_map(|s| s.downsampled_from);
    let total_ms: f64 = result.steps.iter().map(|s| s.ms).sum::<f64>().max(1e-9);
    view! {
        <section class="results" aria-label="Results">
            <p class="run-meta">
                <span>{format!("Version {}", result.version)}</span>
                <span>{format!("Engine {}", millis(result.runtime_ms))}</span>
                <span>{format!("Cost {} credit{}", result.cost, if result.cost == 1 { "" } else { "s" })}</span>
                {result.cached.then(|| view! { <span class="pill">"cached"</span> })}
            </p>
            {(!result.outputs.scalars.is_empty()).then(|| view! {
                <div class="scalars">
                    {result.outputs.scalars.iter().map(|s| view! {
                        <div class="card scalar" data-id=s.id.clone()>
                            <div class="scalar-label">{s.label.clone()}</div>
                            <div class="scalar-value">{scalar(s.value, s.format.as_deref())}</div>
                        </div>
                    }).collect_view()}
                </div>
            })}
            {charts}
            {downsampled.map(|n| view! {
                <p class="hint">{format!("Charts show a thinned copy of {n} points; downloads have every point.")}</p>
            })}
            {result.outputs.tables.iter().cloned().map(|t| view! { <SortableTable table=t /> }).collect_view()}
            <div class="two-col">
                <section class="card">
                    <h3>"Step timings"</h3>
                    <table class="data-table steps">
                        <thead><tr><th scope="col">"Step"</th><th scope="col">"Operation"</th><th scope="col" class="num">"Points"</th><th scope="col" class="num">"Time"</th></tr></thead>
                        <tbody>
                            {result.steps.iter().map(|s| {
                                let pct = (s.ms / total_ms * 100.0).clamp(0.0, 100.0);
                                view! {
                                    <tr>
                                        <td class="mono">{s.id.clone()}</td>
                                        <td>{s.operation.clone()}<span class="kind">{format!(" · {}", s.kind)}</span></td>
                                        <td class="num">{crate::format::grouped(s.len as i64)}</td>
                                        <td class="num timing">
                                            <span class="bar" style=format!("width:{pct:.1}%") aria-hidden="true"></span>
                                            <span>{millis(s.ms)}</span>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </section>
                <section class="card">
                    <h3>"Data sources"</h3>
                    <ul class="sources">
                        {result.data_sources.iter().map(|d| {
                            let synthetic = d.provider == "synthetic";
                            view! {
                                <li>
                                    <span class={if synthetic { "pill badge-synthetic" } else { "pill" }}
                                        title={if synthetic { "Generated data, not market observations" } else { "" }}>
                                        {if synthetic { "synthetic".to_string() } else { d.provider.clone() }}
                                    </span>
                                    <span class="mono">{d.dataset.clone()}</span>
                                    <span class="hash mono" title=d.hash.clone()>{d.hash.chars().take(10).collect::<String>()}</span>
                                </li>
                            }
                        }).collect_view()}
                        {result.data_sources.is_empty().then(|| view! { <li class="hint">"No external data."</li> })}
                    </ul>
                </section>
            </div>
        </section>
    }
    .into_any()
}
