use crate::api::accounts::Login;
use crate::ui::forms::form_errors::{FormError, last_error};
use crate::ui::forms::password_input::PasswordInput;
use crate::ui::forms::text_field::TextField;
use crate::ui::shell::hydration_marker::HydrationMarker;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

crate::lazy_page!(LoginRoute, LoginPage);

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let error = last_error(login.value());
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let after_reset = move || query.read().get("reset").is_some();
    view! {
        <main class="auth-page">
            <section class="auth-card">
                <h1>"Log in to dealchat"</h1>
                <HydrationMarker />
                <Show when=after_reset>
                    <p class="form-ok" role="status">
                        "Your password is changed. Log in with the new one."
                    </p>
                </Show>
                <ActionForm action=login attr:aria-label="Log in" attr:novalidate=true>
                    <input type="hidden" name="next" prop:value=next />
                    <FormError error />
                    <TextField
                        id="login-email"
                        name="email"
                        label="Email"
                        input_type="email"
                        autocomplete="username"
                        error
                    />
                    <PasswordInput
                        id="login-password"
                        name="password"
                        label="Password"
                        autocomplete="current-password"
                        error
                    />
                    <button type="submit" class="primary" disabled=move || login.pending().get()>
                        "Log in"
                    </button>
                </ActionForm>
                <p class="switch">
                    <A href="/forgot-password">"Forgot your password?"</A>
                </p>
                <p class="switch">"New here? " <A href="/signup">"Create an account"</A></p>
            </section>
        </main>
    }
}
