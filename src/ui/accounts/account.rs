//! The signed-in user's own account: change the password (other sessions are signed out).

use crate::api::accounts::ChangePassword;
use crate::model::UserView;
use crate::ui::forms::form_errors::{FormError, last_error};
use crate::ui::forms::password_input::PasswordInput;
use leptos::prelude::*;

#[component]
pub fn AccountPage() -> impl IntoView {
    let me = expect_context::<UserView>();
    let change = ServerAction::<ChangePassword>::new();
    let error = last_error(change.value());
    let done = move || matches!(change.value().get(), Some(Ok(())));
    view! {
        <section class="panel" aria-labelledby="account-title">
            <h1 id="account-title">"Account"</h1>
            <p class="hint">{me.display_name} " · " {me.email}</p>
            <h2>"Change password"</h2>
            <ActionForm action=change attr:aria-label="Change password" attr:novalidate=true attr:class="grid-form">
                <FormError error />
                <PasswordInput
                    id="current-password"
                    name="current_password"
                    label="Current password"
                    autocomplete="current-password"
                    error
                />
                <PasswordInput
                    id="new-password"
                    name="new_password"
                    label="New password"
                    autocomplete="new-password"
                    error
                />
                <button type="submit" class="primary" disabled=move || change.pending().get()>
                    "Change password"
                </button>
                <Show when=done>
                    <p class="form-ok" role="status">
                        "Password changed. Your other sessions have been signed out."
                    </p>
                </Show>
            </ActionForm>
        </section>
    }
}
