use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="auth-page">
            <section class="auth-card">
                <h1>"Page not found"</h1>
                <p><A href="/">"Back to your chats"</A></p>
            </section>
        </main>
    }
}
