//! The run form, generated from a model's input schema: the right control per field type,
//! defaults and prefills, hints with the allowed range, and inline validation as you type
//! with the server's own rules (`validate.rs`). Errors are tied to their control with
//! `aria-describedby` and `aria-invalid`.

use std::collections::HashMap;

use auster_types::{InputField, InputSchema};
use leptos::prelude::*;

use crate::validate::{check, hint, label, widget, Widget};

/// Form state owned by the page: the text of each field and its current error.
#[derive(Clone, Copy)]
pub struct FormState {
    /// Text per field name.
    pub values: RwSignal<HashMap<String, String>>,
    /// Error sentence per field name.
    pub errors: RwSignal<HashMap<String, String>>,
}

impl FormState {
    /// Starting state: prefill or default text for every field.
    pub fn new(schema: &InputSchema, prefill: impl Fn(&str) -> Option<String>) -> Self {
        let values = schema
            .fields
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    crate::validate::initial_text(f, prefill(&f.name).as_deref()),
                )
            })
            .collect();
        Self {
            values: RwSignal::new(values),
            errors: RwSignal::new(HashMap::new()),
        }
    }

    /// The text of a field, untracked.
    pub fn text(&self, name: &str) -> String {
        self.values
            .with_untracked(|v| v.get(name).cloned().unwrap_or_default())
    }

    fn set(&self, field: &InputField, text: String) {
        let result = check(field, &text);
        self.values.update(|v| {
            v.insert(field.name.clone(), text);
        });
        self.errors.update(|e| match result {
            Ok(_) => {
                e.remove(&field.name);
            }
            Err(msg) => {
                e.insert(field.name.clone(), msg);
            }
        });
    }
}

/// The generated fields (the page supplies the `<form>` and its buttons).
#[component]
pub fn InputFields(schema: InputSchema, state: FormState) -> impl IntoView {
    if schema.fields.is_empty() {
        return view! { <p class="hint">"This model takes no inputs."</p> }.into_any();
    }
    view! {
        <div class="fields">
            {schema.fields.into_iter().map(|f| view! { <Field field=f state=state /> }).collect_view()}
        </div>
    }
    .into_any()
}

#[component]
fn Field(field: InputField, state: FormState) -> impl IntoView {
    let id = format!("in-{}", field.name);
    let hint_id = format!("{id}-hint");
    let err_id = format!("{id}-err");
    let name = field.name.clone();
    let field = StoredValue::new(field);
    let text = {
        let name = name.clone();
        move || {
            state
                .values
                .with(|v| v.get(&name).cloned().unwrap_or_default())
        }
    };
    let error = {
        let name = name.clone();
        move || state.errors.with(|e| e.get(&name).cloned())
    };
    let invalid = {
        let error = error.clone();
        move || if error().is_some() { "true" } else { "false" }
    };
    let described = format!("{hint_id} {err_id}");
    let on_text =
        move |ev: leptos::ev::Event| field.with_value(|f| state.set(f, event_target_value(&ev)));
    let w = field.with_value(widget);
    let required = field.with_value(|f| f.required && f.default.is_none());
    let (min, max) = field.with_value(|f| {
        let s = |v: &Option<serde_json::Value>| {
            v.as_ref()
                .map(crate::format::input_value)
                .unwrap_or_default()
        };
        (s(&f.min), s(&f.max))
    });
    let control = match w {
        Widget::Checkbox => view! {
            <input type="checkbox" id=id.clone() name=name.clone()
                prop:checked={ let text = text.clone(); move || text() == "true" }
                aria-describedby=described.clone()
                on:change=move |ev| field.with_value(|f| state.set(f, event_target_checked(&ev).to_string())) />
        }
        .into_any(),
        Widget::Select(options) => view! {
            <select id=id.clone() name=name.clone() aria-describedby=described.clone()
                aria-invalid=invalid.clone() prop:value=text.clone() on:change=on_text>
                {options.into_iter().map(|o| view! { <option value=o.clone()>{o.clone()}</option> }).collect_view()}
            </select>
        }
        .into_any(),
        Widget::Date => view! {
            <input type="date" id=id.clone() name=name.clone() required=required
                min=min.clone() max=max.clone()
                aria-describedby=described.clone() aria-invalid=invalid.clone()
                prop:value=text.clone() on:input=on_text />
        }
        .into_any(),
        Widget::Integer | Widget::Number => {
            let step = if matches!(w, Widget::Integer) { "1" } else { "any" };
            let mode = if matches!(w, Widget::Integer) { "numeric" } else { "decimal" };
            view! {
                <input type="number" id=id.clone() name=name.clone() step=step inputmode=mode
                    required=required min=min.clone() max=max.clone()
                    aria-describedby=described.clone() aria-invalid=invalid.clone()
                    prop:value=text.clone() on:input=on_text />
            }
            .into_any()
        }
        Widget::Symbol => view! {
            <input type="text" id=id.clone() name=name.clone() class="mono upper" autocomplete="off"
                spellcheck="false" autocapitalize="characters" required=required
                aria-describedby=described.clone() aria-invalid=invalid.clone()
                prop:value=text.clone() on:input=on_text />
        }
        .into_any(),
        Widget::Text => view! {
            <input type="text" id=id.clone() name=name.clone() required=required
                aria-describedby=described.clone() aria-invalid=invalid.clone()
                prop:value=text.clone() on:input=on_text />
        }
        .into_any(),
    };
    let is_check = matches!(field.with_value(widget), Widget::Checkbox);
    view! {
        <div class="field" class:check=is_check class:invalid=move || error().is_some()>
            <label for=id.clone()>
                {field.with_value(label)}
                {required.then(|| view! { <span class="req" aria-hidden="true">" *"</span> })}
            </label>
            {control}
            <small class="hint" id=hint_id>{field.with_value(hint).unwrap_or_default()}</small>
            <p class="field-error" id=err_id role="alert">{error.clone()}</p>
        </div>
    }
}
