//! The HTML shell and the route table.

use crate::ui::accounts::password_reset::{ForgotPasswordPage, ResetPasswordPage};
use crate::ui::accounts::setup::SetupPage;
use crate::ui::accounts::{account::AccountPage, admin_users::AdminUsersPage};
use crate::ui::accounts::{login::LoginPage, signup::SignupPage};
use crate::ui::chat::{chat_page::ChatPage, home::HomePanel, new_chat::NewChatPage};
use crate::ui::jobs::failed_jobs::AdminJobsPage;
use crate::ui::shell::chat_layout::ChatLayout;
use crate::ui::shell::not_found::NotFound;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The page's Content-Security-Policy names the nonce Leptos puts on its inline scripts.
    #[cfg(feature = "ssr")]
    if let (Some(res), Ok(csp)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&crate::server::platform::security_headers::page_policy(
            leptos::nonce::use_nonce().as_deref(),
        )),
    ) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, csp);
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/dealchat.css" />
        <Title text="dealchat" />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=LoginPage />
                <Route path=path!("/signup") view=SignupPage />
                <Route path=path!("/forgot-password") view=ForgotPasswordPage />
                <Route path=path!("/reset-password") view=ResetPasswordPage />
                <Route path=path!("/setup") view=SetupPage />
                // Async: the signed-in pages are sent whole, so they also work without JavaScript.
                <ParentRoute path=path!("") view=ChatLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=HomePanel ssr=SsrMode::Async />
                    // Before `/chats/:id`, which would otherwise take "new" for an id.
                    <Route path=path!("/chats/new") view=NewChatPage ssr=SsrMode::Async />
                    <Route path=path!("/chats/:id") view=ChatPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users") view=AdminUsersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/jobs") view=AdminJobsPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
