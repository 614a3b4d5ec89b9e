use crate::api::accounts::Signup;
use crate::ui::forms::form_errors::{FormError, last_error};
use crate::ui::forms::password_input::PasswordInput;
use crate::ui::forms::text_field::TextField;
use crate::ui::shell::hydration_marker::HydrationMarker;
use leptos::prelude::*;
use leptos_router::components::A;

crate::lazy_page!(SignupRoute, SignupPage);

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
                    <TextField
                        id="signup-email"
                        name="email"
                        label="Email"
                        input_type="email"
                        autocomplete="email"
                        error
                    />
                    <TextField
                        id="signup-name"
                        name="display_name"
                        label="Display name"
                        autocomplete="name"
                        error
                    />
                    <PasswordInput
                        id="signup-password"
                        name="password"
                        label="Password"
                        autocomplete="new-password"
                        error
                    />
                    <button type="submit" class="primary" disabled=move || signup.pending().get()>
                        "Sign up"
                    </button>
                </ActionForm>
                <p class="switch">"Already have an account? " <A href="/login">"Log in"</A></p>
            </section>
        </main>
    }
}
