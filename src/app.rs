//! The HTML shell and the route table.

use crate::ui::accounts::password_reset::{ForgotPasswordRoute, ResetPasswordRoute};
use crate::ui::accounts::setup::SetupRoute;
use crate::ui::accounts::{account::AccountRoute, admin_users::AdminUsersRoute};
use crate::ui::accounts::{login::LoginRoute, signup::SignupRoute};
use crate::ui::archive::deal_record::DealRecordRoute;
use crate::ui::channels::admin_channels::AdminChannelsRoute;
use crate::ui::chat::{chat_page::ChatPage, home::HomePanel, new_chat::NewChatRoute};
use crate::ui::crm::admin_crm::AdminCrmRoute;
use crate::ui::deals::deals_page::DealsRoute;
use crate::ui::internal_chats::internal_chat_page::InternalChatRoute;
use crate::ui::internal_chats::new_internal_chat::NewInternalChatRoute;
use crate::ui::jobs::failed_jobs::AdminJobsRoute;
use crate::ui::metrics::admin_metrics::AdminMetricsRoute;
use crate::ui::queues::admin_queues::AdminQueuesRoute;
use crate::ui::quick_replies::admin_quick_replies::AdminQuickRepliesRoute;
use crate::ui::shell::chat_layout::ChatLayout;
use crate::ui::shell::not_found::NotFound;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{Lazy, SsrMode, path};

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
    #[cfg(feature = "ssr")]
    crate::ui::lazy_page::provide_preload_registry();
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
    #[cfg(feature = "ssr")]
    crate::ui::page_data::RequestPageData::provide();
    view! {
        <Stylesheet id="leptos" href="/pkg/dealchat.css" />
        <Title text="dealchat" />
        <Router>
            <Routes fallback=NotFound>
                // Every page but the chat (the one most visits open) is a chunk of its own,
                // fetched when it is first opened (`ui::lazy_page`).
                <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} />
                <Route path=path!("/signup") view={Lazy::<SignupRoute>::new()} />
                <Route path=path!("/forgot-password") view={Lazy::<ForgotPasswordRoute>::new()} />
                <Route path=path!("/reset-password") view={Lazy::<ResetPasswordRoute>::new()} />
                <Route path=path!("/setup") view={Lazy::<SetupRoute>::new()} />
                // Async: the signed-in pages are sent whole, so they also work without JavaScript.
                <ParentRoute path=path!("") view=ChatLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=HomePanel ssr=SsrMode::Async />
                    // Before `/chats/:id`, which would otherwise take "new" for an id.
                    <Route path=path!("/chats/new") view={Lazy::<NewChatRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/chats/:id") view=ChatPage ssr=SsrMode::Async />
                    <Route path=path!("/team/new") view={Lazy::<NewInternalChatRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/team/:id") view={Lazy::<InternalChatRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/users") view={Lazy::<AdminUsersRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/jobs") view={Lazy::<AdminJobsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/queues") view={Lazy::<AdminQueuesRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/channels") view={Lazy::<AdminChannelsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/quick-replies") view={Lazy::<AdminQuickRepliesRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/metrics") view={Lazy::<AdminMetricsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/crm") view={Lazy::<AdminCrmRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/deals") view={Lazy::<DealsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/deals/:id") view={Lazy::<DealRecordRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account") view={Lazy::<AccountRoute>::new()} ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
