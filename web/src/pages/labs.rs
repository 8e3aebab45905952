//! `/labs/econ|derivatives|crypto`: the catalogue filtered to one lab, with a lab context
//! (symbol, date range; for derivatives the valuation date and expiration) that is saved
//! on this browser and prefills the inputs of whichever model is opened from here.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::error::ErrorNote;
use crate::dates::parse_iso;
use crate::pages::catalogue::{lab_name, CatalogueView};
use crate::pages::not_found::NotFound;
use crate::state::LabContext;

/// The lab page (dispatches on the `:lab` parameter).
#[component]
pub fn LabPage() -> impl IntoView {
    let params = use_params_map();
    move || match params.get().get("lab").as_deref() {
        Some("econ") => view! { <Lab lab="econ" /> }.into_any(),
        Some("derivatives") => view! { <Lab lab="derivatives" /> }.into_any(),
        Some("crypto") => view! { <Lab lab="crypto" /> }.into_any(),
        _ => view! { <NotFound /> }.into_any(),
    }
}

fn blurb(lab: &str) -> &'static str {
    match lab {
        "econ" => {
            "Trend, mean reversion, volatility and drawdowns on equity indices and macro series."
        }
        "derivatives" => {
            "Option analytics: implied volatility smiles, expected moves and spread payoffs."
        }
        _ => "Bitcoin valuation models: power law, stock-to-flow, thermocap and their ensemble.",
    }
}

#[component]
fn Lab(lab: &'static str) -> impl IntoView {
    crate::util::set_title(&format!("{} lab", lab_name(lab)));
    let saved = LabContext::load(lab);
    let ctx = RwSignal::new(saved.clone());
    let draft = RwSignal::new(saved);
    let error = RwSignal::new(None::<String>);
    let derivatives = lab == "derivatives";
    let prefill = Signal::derive(move || ctx.get().prefill_query());
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let d = draft.get_untracked();
        let bad_date = [
            (&d.start_date, "Start"),
            (&d.end_date, "End"),
            (&d.as_of, "As of"),
            (&d.expiration, "Expiration"),
        ]
        .into_iter()
        .find(|(v, _)| !v.is_empty() && parse_iso(v).is_none());
        if let Some((_, name)) = bad_date {
            error.set(Some(format!("{name} must be a date written YYYY-MM-DD.")));
            return;
        }
        if !d.start_date.is_empty() && !d.end_date.is_empty() && d.start_date > d.end_date {
            error.set(Some("Start must be on or before End.".into()));
            return;
        }
        error.set(None);
        d.save(lab);
        ctx.set(d);
    };
    let text_field = move |id: &'static str,
                           label: &'static str,
                           kind: &'static str,
                           get: fn(&LabContext) -> String,
                           set: fn(&mut LabContext, String)| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id type=kind class:upper={kind == "text"} prop:value=move || draft.with(get)
                    on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev))) />
            </div>
        }
    };
    view! {
        <header class="page-head lab-head">
            <p class="crumbs"><a href="/models">"Models"</a>" / lab"</p>
            <h1>{format!("{} lab", lab_name(lab))}</h1>
            <p class="lede">{blurb(lab)}</p>
        </header>
        <form class="card lab-context" on:submit=apply aria-label="Lab context">
            <h2 class="h3">"Lab context"</h2>
            <p class="hint">"Set these once; every model you open from this lab starts with them."</p>
            <div class="row">
                {text_field("ctx-symbol", if lab == "crypto" { "Asset" } else { "Symbol" }, "text", |c| c.symbol.clone(), |c, v| c.symbol = v.to_ascii_uppercase())}
                {if derivatives {
                    view! {
                        {text_field("ctx-asof", "As of", "date", |c| c.as_of.clone(), |c, v| c.as_of = v)}
                        {text_field("ctx-exp", "Expiration", "date", |c| c.expiration.clone(), |c, v| c.expiration = v)}
                    }.into_any()
                } else {
                    view! {
                        {text_field("ctx-start", "Start", "date", |c| c.start_date.clone(), |c, v| c.start_date = v)}
                        {text_field("ctx-end", "End", "date", |c| c.end_date.clone(), |c, v| c.end_date = v)}
                    }.into_any()
                }}
                <div class="field field-end">
                    <button class="btn" type="submit">"Apply"</button>
                </div>
            </div>
            {move || error.get().map(|e| view! {
                <ErrorNote error={crate::api::ApiError { status: 0, code: "invalid_request".into(), message: e, details: vec![], retry_after: None }} />
            })}
            {move || { let q = prefill.get(); (!q.is_empty()).then(|| view! { <p class="hint">"Applied: "<span class="mono">{q.replace('&', " · ")}</span></p> }) }}
        </form>
        <CatalogueView fixed_lab=lab prefill=prefill />
    }
}
