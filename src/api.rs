//! Server functions, grouped by area. Each is thin: who is asking → one service call → typed error.

pub mod admin;
pub mod auth;
pub mod chats;
pub mod files;
pub mod payments;

/// Registers every server function explicitly, so binaries that link the library (the server,
/// the integration tests) serve them whether or not the linker kept their `inventory` entries.
#[cfg(feature = "ssr")]
pub fn register_server_functions() {
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<auth::Signup>();
    register_explicit::<auth::Login>();
    register_explicit::<auth::Logout>();
    register_explicit::<auth::CurrentUser>();
    register_explicit::<auth::ChangePassword>();
    register_explicit::<admin::ListUsers>();
    register_explicit::<admin::CreateUser>();
    register_explicit::<admin::SetUserDisabled>();
    register_explicit::<chats::ListChats>();
    register_explicit::<chats::StartChat>();
    register_explicit::<chats::OpenChat>();
    register_explicit::<chats::ChatHistory>();
    register_explicit::<chats::SendMessage>();
    register_explicit::<chats::MarkRead>();
    register_explicit::<chats::AcceptChat>();
    register_explicit::<chats::SetStage>();
    register_explicit::<chats::SetDealAmount>();
    register_explicit::<chats::CreateDeal>();
    register_explicit::<chats::LinkableDeals>();
    register_explicit::<chats::LinkDeal>();
    register_explicit::<chats::Poll>();
    register_explicit::<files::DealFiles>();
    register_explicit::<files::DecideOffer>();
    register_explicit::<files::WithdrawOffer>();
    register_explicit::<payments::StartCheckout>();
    register_explicit::<payments::CancelPayment>();
}

/// Gives a failed call its HTTP status (the one mapping lives in `AppError::status_code`).
/// Plain HTML form posts (no JavaScript) keep the framework's redirect back to the form instead,
/// which carries the error in the URL for the page to show.
#[cfg(feature = "ssr")]
pub(crate) fn respond<T>(
    result: Result<T, crate::model::AppError>,
) -> Result<T, crate::model::AppError> {
    if let Err(err) = &result {
        let form_post = leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|p| p.headers.get(http::header::ACCEPT).cloned())
            .and_then(|v| v.to_str().ok().map(|s| s.contains("text/html")))
            .unwrap_or(false);
        if let (false, Some(opts)) = (
            form_post,
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        ) {
            opts.set_status(crate::server::http_error::status_of(err));
        }
    }
    result
}

/// The signed-in user, as the services' access rules know them.
#[cfg(feature = "ssr")]
pub(crate) fn viewer()
-> Result<crate::server::services::chat_access::Viewer, crate::model::AppError> {
    Ok(crate::server::services::chat_access::Viewer::of(
        &crate::server::auth::current_user()?.user,
    ))
}

/// The application state inside a server function.
#[cfg(feature = "ssr")]
pub(crate) fn state() -> crate::server::state::AppState {
    leptos::prelude::expect_context::<crate::server::state::AppState>()
}
