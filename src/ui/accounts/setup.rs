//! First run: create the first administrator with the setup code from the server's log.

use crate::api::accounts::CreateFirstAdmin;
use crate::ui::forms::form_errors::{FormError, last_error};
use crate::ui::forms::password_input::PasswordInput;
use crate::ui::forms::text_field::TextField;
use crate::ui::shell::hydration_marker::HydrationMarker;
use leptos::prelude::*;

crate::lazy_page!(SetupRoute, SetupPage);

#[component]
pub fn SetupPage() -> impl IntoView {
    let create = ServerAction::<CreateFirstAdmin>::new();
    let error = last_error(create.value());
    view! {
        <main class="auth-page">
            <section class="auth-card">
                <h1>"Set up dealchat"</h1>
                <HydrationMarker />
                <p class="hint">
                    "Create the first administrator. The setup code is in the server's log, "
                    "on the line that starts with \u{201c}no administrator exists yet\u{201d}."
                </p>
                <ActionForm action=create attr:aria-label="Create the first administrator" attr:novalidate=true>
                    <FormError error />
                    <TextField id="setup-code" name="code" label="Setup code" error />
                    <TextField
                        id="setup-email"
                        name="email"
                        label="Email"
                        input_type="email"
                        autocomplete="username"
                        error
                    />
                    <TextField
                        id="setup-name"
                        name="display_name"
                        label="Display name"
                        autocomplete="name"
                        error
                    />
                    <PasswordInput
                        id="setup-password"
                        name="password"
                        label="Password"
                        autocomplete="new-password"
                        error
                    />
                    <button type="submit" class="primary" disabled=move || create.pending().get()>
                        "Create administrator"
                    </button>
                </ActionForm>
            </section>
        </main>
    }
}
