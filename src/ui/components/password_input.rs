//! A password field with a show/hide toggle (the toggle needs the hydrated page).

use leptos::prelude::*;

#[component]
pub fn PasswordInput(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    autocomplete: &'static str,
    described_by: &'static str,
) -> impl IntoView {
    let shown = RwSignal::new(false);
    view! {
        <label for=id>{label}</label>
        <div class="password-row">
            <input
                id=id
                name=name
                type=move || if shown.get() { "text" } else { "password" }
                autocomplete=autocomplete
                aria-describedby=described_by
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
    }
}
