//! A labelled input with its error message beside it (`{id}-error`, linked by aria-describedby).

use crate::model::AppError;
use crate::ui::forms::form_errors::FieldError;
use leptos::prelude::*;

#[component]
pub fn TextField(
    id: &'static str,
    /// The form field name; errors naming it are shown here.
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <label for=id>{label}</label>
        <input
            id=id
            type=input_type
            name=name
            autocomplete=autocomplete
            aria-describedby=error_id.clone()
        />
        <FieldError error field=name id=error_id />
    }
}
