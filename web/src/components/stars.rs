//! Star ratings: a read-only display and an input built from real radio buttons, so it is
//! keyboard operable (arrow keys) and announced properly.

use leptos::prelude::*;

/// Read-only stars for an average.
#[component]
pub fn Stars(average: Option<f64>, count: u64) -> impl IntoView {
    let filled = average.map_or(0, |a| a.round().clamp(0.0, 5.0) as usize);
    let label = match average {
        Some(a) => format!(
            "{a:.1} out of 5 from {count} rating{}",
            if count == 1 { "" } else { "s" }
        ),
        None => "No ratings yet".to_string(),
    };
    view! {
        <span class="stars" role="img" aria-label=label.clone() title=label>
            {(1..=5).map(|i| view! { <span class={if i <= filled { "on" } else { "off" }}>"★"</span> }).collect_view()}
        </span>
    }
}

/// A 1–5 star picker bound to `value` (0 = none yet).
#[component]
pub fn StarInput(value: RwSignal<u8>, name: &'static str) -> impl IntoView {
    view! {
        <fieldset class="star-input">
            <legend>"Your rating"</legend>
            {(1u8..=5)
                .map(|i| {
                    let id = format!("{name}-{i}");
                    view! {
                        <input type="radio" id=id.clone() name=name value=i.to_string()
                            prop:checked={move || value.get() == i}
                            on:change=move |_| value.set(i) />
                        <label for=id class:on={move || value.get() >= i}
                            title=format!("{i} star{}", if i == 1 { "" } else { "s" })>
                            <span aria-hidden="true">"★"</span>
                            <span class="sr-only">{format!("{i} star{}", if i == 1 { "" } else { "s" })}</span>
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}
