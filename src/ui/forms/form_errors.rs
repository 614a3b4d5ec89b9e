//! Error messages beside the field they belong to, and above the form for the rest.

use crate::model::AppError;
use leptos::prelude::*;

/// The error of the last submission, if it failed.
pub fn last_error<T, S>(value: S) -> Signal<Option<AppError>>
where
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.get().and_then(Result::err))
}

#[component]
pub fn FieldError(
    #[prop(into)] error: Signal<Option<AppError>>,
    field: &'static str,
    #[prop(into)] id: String,
) -> impl IntoView {
    view! {
        <p class="field-error" id=id aria-live="polite">
            {move || error.get().and_then(|e| e.for_field(field))}
        </p>
    }
}

#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <Show when=move || error.get().is_some_and(|e| e.is_form_level())>
            <p class="form-error" role="alert">
                {move || error.get().map(|e| e.to_string())}
            </p>
        </Show>
    }
}
