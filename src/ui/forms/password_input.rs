//! A password field with a show/hide toggle (the toggle needs the hydrated page) and its error.

use crate::model::AppError;
use crate::ui::forms::form_errors::FieldError;
use leptos::prelude::*;

#[component]
pub fn PasswordInput(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    autocomplete: &'static str,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let shown = RwSignal::new(false);
    let error_id = format!("{id}-error");
    view! {
        <label for=id>{label}</label>
        <div class="password-row">
            <input
                id=id
                name=name
                type=move || if shown.get() { "text" } else { "password" }
                autocomplete=autocomplete
                aria-describedby=error_id.clone()
            />
            <button
                type="button"
                class="ghost"
                aria-controls=id
                aria-pressed=move || shown.get().to_string()
                on:click=move |_| shown.update(|s| *s = !*s)
            >
                {move || if shown.get() { "Hide password" } else { "Show password" }}
            </button>
        </div>
        <FieldError error field=name id=error_id />
    }
}
