//! Server functions, grouped by area. Each is thin: who is asking → one service call → typed error.

pub mod accounts;
pub mod archive;
pub mod channels;
pub mod chat;
pub mod crm;
pub mod deals;
pub mod files;
pub mod internal_chats;
pub mod jobs;
pub mod metrics;
pub mod payments;
pub mod queues;
pub mod quick_replies;

/// Registers every server function explicitly, so binaries that link the library (the server,
/// the integration tests) serve them whether or not the linker kept their `inventory` entries.
#[cfg(feature = "ssr")]
pub fn register_server_functions() {
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<accounts::Signup>();
    register_explicit::<accounts::Login>();
    register_explicit::<accounts::Logout>();
    register_explicit::<accounts::CurrentUser>();
    register_explicit::<accounts::ChangePassword>();
    register_explicit::<accounts::ListSessions>();
    register_explicit::<accounts::RequestPasswordReset>();
    register_explicit::<accounts::CompletePasswordReset>();
    register_explicit::<accounts::CreateFirstAdmin>();
    register_explicit::<accounts::EndSession>();
    register_explicit::<accounts::EndAllSessions>();
    register_explicit::<accounts::ListUsers>();
    register_explicit::<accounts::CreateUser>();
    register_explicit::<accounts::SetUserDisabled>();
    register_explicit::<accounts::SetSound>();
    register_explicit::<chat::ListChats>();
    register_explicit::<internal_chats::ListInternalChats>();
    register_explicit::<internal_chats::FindPeople>();
    register_explicit::<internal_chats::ListTeamsForGroups>();
    register_explicit::<internal_chats::StartDirectChat>();
    register_explicit::<internal_chats::CreateGroupChat>();
    register_explicit::<internal_chats::OpenInternalChat>();
    register_explicit::<internal_chats::RenameGroupChat>();
    register_explicit::<internal_chats::AddGroupMembers>();
    register_explicit::<internal_chats::RemoveGroupMember>();
    register_explicit::<internal_chats::SetGroupMemberRole>();
    register_explicit::<internal_chats::CloseGroupChat>();
    register_explicit::<internal_chats::LoadInternalChatSettings>();
    register_explicit::<internal_chats::SaveInternalChatSettings>();
    register_explicit::<chat::ChatDuplicates>();
    register_explicit::<chat::StartChat>();
    register_explicit::<chat::OpenChat>();
    register_explicit::<chat::ChatHistory>();
    register_explicit::<chat::SendMessage>();
    register_explicit::<chat::MarkRead>();
    register_explicit::<chat::AcceptChat>();
    register_explicit::<chat::EndChat>();
    register_explicit::<chat::TransferChat>();
    register_explicit::<chat::TransferTargets>();
    register_explicit::<channels::UsableChannels>();
    register_explicit::<channels::LoadChannelsAdmin>();
    register_explicit::<channels::SaveChannel>();
    register_explicit::<quick_replies::QuickRepliesForChat>();
    register_explicit::<quick_replies::LoadQuickRepliesAdmin>();
    register_explicit::<quick_replies::SaveQuickReply>();
    register_explicit::<quick_replies::DeleteQuickReply>();
    register_explicit::<queues::LoadConsole>();
    register_explicit::<queues::SetStatus>();
    register_explicit::<queues::LoadQueuesAdmin>();
    register_explicit::<queues::CreateTeam>();
    register_explicit::<queues::SetTeamMember>();
    register_explicit::<queues::SaveQueue>();
    register_explicit::<queues::SetCapacity>();
    register_explicit::<deals::SetStage>();
    register_explicit::<deals::SetDealAmount>();
    register_explicit::<deals::CreateDeal>();
    register_explicit::<deals::LinkableDeals>();
    register_explicit::<deals::LinkDeal>();
    register_explicit::<chat::Poll>();
    register_explicit::<files::DealFiles>();
    register_explicit::<files::DecideOffer>();
    register_explicit::<files::WithdrawOffer>();
    register_explicit::<payments::StartCheckout>();
    register_explicit::<payments::CancelPayment>();
    register_explicit::<jobs::FailedJobs>();
    register_explicit::<jobs::RetryJob>();
    register_explicit::<crm::CrmConnection>();
    register_explicit::<crm::ConnectZoho>();
    register_explicit::<crm::ChooseZohoOrg>();
    register_explicit::<crm::DisconnectZoho>();
    register_explicit::<crm::CrmStages>();
    register_explicit::<crm::SaveCrmStages>();
    register_explicit::<crm::CrmSyncLog>();
    register_explicit::<crm::RetryCrmSync>();
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
            opts.set_status(crate::server::platform::http_error::status_of(err));
            if let Some(v) = crate::server::platform::http_error::retry_after(err) {
                opts.insert_header(http::header::RETRY_AFTER, v);
            }
        }
    }
    result
}

/// The signed-in user, as the services' access rules know them.
#[cfg(feature = "ssr")]
pub(crate) fn viewer() -> Result<crate::server::access::Viewer, crate::model::AppError> {
    Ok(crate::server::access::Viewer::of(
        &crate::server::accounts::auth::current_user()?.user,
    ))
}

/// The caller's address (behind a trusted proxy, the one it forwards).
#[cfg(feature = "ssr")]
pub(crate) fn client_ip() -> Option<std::net::IpAddr> {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| state().limits.client_ip(&p.extensions, &p.headers))
}

/// Counts one request against a per-address limit (`limit` picks it from the state's limits).
#[cfg(feature = "ssr")]
pub(crate) fn limit_by_ip(
    limit: impl FnOnce(
        &crate::server::platform::rate_limit::AbuseLimits,
    ) -> &crate::server::platform::rate_limit::RateLimit<std::net::IpAddr>,
) -> Result<(), crate::model::AppError> {
    use crate::server::platform::rate_limit::AbuseLimits;
    AbuseLimits::check_ip(limit(&state().limits), client_ip())
}

/// The application state inside a server function.
#[cfg(feature = "ssr")]
pub(crate) fn state() -> crate::server::startup::state::AppState {
    leptos::prelude::expect_context::<crate::server::startup::state::AppState>()
}

/// The signed-in administrator; Forbidden for anyone else.
#[cfg(feature = "ssr")]
pub(crate) fn require_admin()
-> Result<crate::server::accounts::sessions::SessionUser, crate::model::AppError> {
    let me = crate::server::accounts::auth::current_user()?;
    if me.user.role == crate::model::Role::Admin {
        Ok(me)
    } else {
        Err(crate::model::AppError::Forbidden)
    }
}
