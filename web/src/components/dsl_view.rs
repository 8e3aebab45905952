//! The model's DSL, read-only, pretty-printed with JSON syntax colouring. Tokens are text
//! spans, never HTML, so nothing in a model can inject markup.

use leptos::prelude::*;

use crate::highlight::tokenize;

/// A highlighted, scrollable JSON block.
#[component]
pub fn DslView(json: String) -> impl IntoView {
    let tokens = tokenize(&json);
    view! {
        <pre class="code" tabindex="0" aria-label="Model DSL (JSON)"><code>
            {tokens.into_iter().map(|(k, t)| view! { <span class=k.class()>{t}</span> }).collect_view()}
        </code></pre>
    }
}
