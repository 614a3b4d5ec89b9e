use crate::api::auth::Signup;
use crate::ui::components::form_errors::{FieldError, FormError, last_error};
use crate::ui::components::hydration_marker::HydrationMarker;
use crate::ui::components::password_input::PasswordInput;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn SignupPage() -> impl IntoView {
    let signup = ServerAction::<Signup>::new();
    let error = last_error(signup.value());
    view! {
        <main class="auth-page">
            <section class="auth-card">
                <h1>"Create your dealchat account"</h1>
                <HydrationMarker />
                <p class="hint">"Talk to your deal manager about your projects."</p>
                <ActionForm action=signup attr:aria-label="Sign up" attr:novalidate=true>
                    <FormError error />
                    <label for="signup-email">"Email"</label>
                    <input
                        id="signup-email"
                        type="email"
                        name="email"
                        autocomplete="email"
                        aria-describedby="signup-email-error"
                    />
                    <FieldError error field="email" id="signup-email-error" />
                    <label for="signup-name">"Display name"</label>
                    <input
                        id="signup-name"
                        type="text"
                        name="display_name"
                        autocomplete="name"
                        aria-describedby="signup-name-error"
                    />
                    <FieldError error field="display_name" id="signup-name-error" />
                    <PasswordInput
                        id="signup-password"
                        name="password"
                        label="Password"
                        autocomplete="new-password"
                        described_by="signup-password-error"
                    />
                    <FieldError error field="password" id="signup-password-error" />
                    <button type="submit" class="primary" disabled=move || signup.pending().get()>
                        "Sign up"
                    </button>
                </ActionForm>
                <p class="switch">"Already have an account? " <A href="/login">"Log in"</A></p>
            </section>
        </main>
    }
}
