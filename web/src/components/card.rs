//! A model card for the catalogue, the labs and "My models": everything needed to pick a
//! model at a glance (name, description, lab, tags, difficulty, runs, rating, saves and
//! where it was forked from).

use auster_types::api::ModelSummary;
use leptos::prelude::*;

use crate::format::{compact, rating};

/// One model card. `prefill` is a query string (lab context) appended to the link.
#[component]
pub fn ModelCard(model: ModelSummary, #[prop(optional)] prefill: Option<String>) -> impl IntoView {
    let href = match prefill.filter(|p| !p.is_empty()) {
        Some(p) => format!("/models/{}?{p}", model.slug),
        None => format!("/models/{}", model.slug),
    };
    let lab = model.lab_scope.as_str();
    let diff = model.difficulty.as_str();
    let stats = model.stats.clone();
    let rating_label = match stats.rating_average {
        Some(a) => format!("Rated {a:.1} of 5 by {} people", stats.rating_count),
        None => "Not rated yet".to_string(),
    };
    let rating_title = rating_label.clone();
    view! {
        <article class="card model-card" data-slug=model.slug.clone()>
            <div class="card-top">
                <span class=format!("pill lab lab-{lab}")>{lab}</span>
                <span class=format!("pill diff diff-{diff}")>{diff}</span>
                {(model.visibility != auster_types::api::Visibility::Public)
                    .then(|| view! { <span class="pill">{model.visibility.as_str()}</span> })}
            </div>
            <h3 class="card-title"><a href=href>{model.name.clone()}</a></h3>
            <p class="card-desc">{model.description.clone()}</p>
            {model.forked_from.clone().map(|f| {
                view! { <p class="forked">"Forked from "<a href=format!("/models/{f}")>{f.clone()}</a></p> }
            })}
            <ul class="tags" aria-label="Tags">
                {model.tags.iter().map(|t| view! {
                    <li><a class="tag" href=format!("/models?tag={}", crate::query::encode(t))>{"#"}{t.clone()}</a></li>
                }).collect_view()}
            </ul>
            <dl class="card-stats">
                <div><dt>"Runs"</dt><dd>{compact(stats.runs as f64)}</dd></div>
                <div title=rating_title><dt>"Rating"</dt><dd aria-label=rating_label>
                    <span class="star" aria-hidden="true">"★"</span>{rating(stats.rating_average)}
                </dd></div>
                <div><dt>"Saves"</dt><dd>{compact(stats.saves as f64)}</dd></div>
            </dl>
        </article>
    }
}
