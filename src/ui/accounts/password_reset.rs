//! A forgotten password: ask for a reset link by email, then choose a new password with it.

use crate::api::accounts::{CompletePasswordReset, RequestPasswordReset};
use crate::ui::forms::form_errors::{FormError, last_error};
use crate::ui::forms::password_input::PasswordInput;
use crate::ui::forms::text_field::TextField;
use crate::ui::shell::hydration_marker::HydrationMarker;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

crate::lazy_page!(ForgotPasswordRoute, ForgotPasswordPage);
crate::lazy_page!(ResetPasswordRoute, ResetPasswordPage);

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let ask = ServerAction::<RequestPasswordReset>::new();
    let error = last_error(ask.value());
    let sent = move || matches!(ask.value().get(), Some(Ok(())));
    view! {
        <main class="auth-page">
            <section class="auth-card">
                <h1>"Reset your password"</h1>
                <HydrationMarker />
                <Show
                    when=sent
                    fallback=move || {
                        view! {
                            <p class="hint">
                                "Enter the email address of your account. We will send you a link to choose a new password."
                            </p>
                            <ActionForm action=ask attr:aria-label="Reset password" attr:novalidate=true>
                                <FormError error />
                                <TextField
                                    id="reset-email"
                                    name="email"
                                    label="Email"
                                    input_type="email"
                                    autocomplete="username"
                                    error
                                />
                                <button type="submit" class="primary" disabled=move || ask.pending().get()>
                                    "Send the link"
                                </button>
                            </ActionForm>
                        }
                    }
                >
                    <p class="form-ok" role="status">
                        "If an account has this address, a link to reset its password is on its way. "
                        "It works for one hour."
                    </p>
                </Show>
                <p class="switch"><A href="/login">"Back to log in"</A></p>
            </section>
        </main>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let reset = ServerAction::<CompletePasswordReset>::new();
    let error = last_error(reset.value());
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    view! {
        <main class="auth-page">
            <section class="auth-card">
                <h1>"Choose a new password"</h1>
                <HydrationMarker />
                <ActionForm action=reset attr:aria-label="Choose a new password" attr:novalidate=true>
                    <input type="hidden" name="token" prop:value=token />
                    <FormError error />
                    <PasswordInput
                        id="reset-new-password"
                        name="new_password"
                        label="New password"
                        autocomplete="new-password"
                        error
                    />
                    <button type="submit" class="primary" disabled=move || reset.pending().get()>
                        "Set the new password"
                    </button>
                </ActionForm>
                <p class="switch"><A href="/forgot-password">"Ask for a new link"</A></p>
            </section>
        </main>
    }
}
