//! The two hottest chat endpoints, `POST /api/chats/poll` and `POST /api/chats/send`, served by
//! plain axum handlers instead of the server-function layer. They speak the same wire format
//! as the `#[server]` functions of the same name in `api::chats` (form-encoded arguments in,
//! JSON out, an `AppError` as JSON with its status on failure), so the browser calls them
//! through those functions unchanged.
//!
//! Why: every waiting long-poll is held open for up to half a minute, thousands at a time.
//! Through the server-function layer each one also kept a reactive owner, a copy of the
//! request head and the layer's boxed futures alive; here a parked poll holds its cursor, its
//! hub subscription and the connection, nothing more.

use crate::model::AppError;
use crate::model::chat::{MessageView, PollCursor, PollUpdate};
use crate::model::ids::ConversationId;
use crate::model::ids::UserId;
use crate::model::payment::Provider;
use crate::server::access::Viewer;
use crate::server::accounts::auth::SignedIn;
use crate::server::accounts::session_cache::SessionCache;
use crate::server::accounts::sessions::SessionUser;
use crate::server::chat::poll_reads::PollReads;
use crate::server::chat::polling::{self, PollLimits, PollSeats, Poller};
use crate::server::chat::routing;
use crate::server::chat::service::{self as chats, Outgoing};
use crate::server::chat::writer::MessageWriter;
use crate::server::platform::config::Settings;
use crate::server::platform::rate_limit::RateLimit;
use crate::server::realtime::Hub;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

pub const POLL_PATH: &str = "/api/chats/poll";
pub const SEND_PATH: &str = "/api/chats/send";

/// The header the server-function layer puts on its error answers.
const SERVER_FN_ERROR: HeaderName = HeaderName::from_static("serverfnerror");

/// What the chat's handlers and server functions need of the application.
#[derive(Clone)]
pub struct ChatState {
    pub db: DatabaseConnection,
    pub hub: Arc<Hub>,
    pub writer: MessageWriter,
    /// Routing: presence of operators, automatic assignment.
    pub router: Arc<routing::Router>,
    pub rate: Arc<RateLimit<UserId>>,
    pub seats: Arc<PollSeats>,
    /// Polls woken together read together.
    pub reads: Arc<PollReads>,
    /// Where a woken poll asks whether its session still stands.
    pub sessions: Arc<SessionCache>,
    pub settings: Arc<Settings>,
    /// The payment provider a manager's `#p` goes through.
    pub payment_provider: Provider,
}

/// The two routes, holding only the chat's state: a request clones one `Arc`, not the whole
/// application's state (the Leptos options with it), thousands of times a second under load.
pub fn router<S>(state: ChatState) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route(POLL_PATH, post(poll_handler))
        .route(SEND_PATH, post(send_handler))
        .with_state(Arc::new(state))
}

/// The arguments of `api::chat::poll`.
#[derive(Debug, Deserialize)]
pub struct PollArgs {
    pub tick: i64,
    pub conversation_id: Option<ConversationId>,
    pub after_seq: i64,
}

/// The arguments of `api::chat::send_message`.
#[derive(Debug, Deserialize)]
pub struct SendArgs {
    pub conversation_id: ConversationId,
    pub client_msg_id: String,
    pub body: String,
}

pub async fn poll(
    state: &ChatState,
    me: &SessionUser,
    args: PollArgs,
) -> Result<PollUpdate, AppError> {
    let chat = &state.settings.chat;
    let viewer = Viewer::of(&me.user);
    // An employee's console polls: they are present (a write every few seconds at most).
    if let Err(e) = routing::seen(&state.db, &state.hub, &state.router, viewer).await {
        tracing::warn!(error = %e, "could not note an operator's presence");
    }
    polling::poll(
        &state.db,
        &state.hub,
        &state.seats,
        &state.reads,
        Poller {
            viewer,
            session_id: &me.session_id,
            sessions: &state.sessions,
        },
        PollCursor {
            tick: args.tick,
            conversation_id: args.conversation_id,
            after_seq: args.after_seq,
        },
        PollLimits {
            timeout: Duration::from_secs(chat.poll_timeout_secs),
            page: chat.history_page * 4,
        },
    )
    .await
}

pub async fn send(
    state: &ChatState,
    me: &SessionUser,
    args: SendArgs,
) -> Result<MessageView, AppError> {
    chats::send(
        chats::SendDeps {
            db: &state.db,
            hub: &state.hub,
            writer: &state.writer,
            rate: &state.rate,
            settings: &state.settings.chat,
            payment_provider: state.payment_provider,
        },
        Viewer::of(&me.user),
        &me.user.display_name,
        Outgoing {
            conversation_id: args.conversation_id,
            client_msg_id: &args.client_msg_id,
            body: &args.body,
        },
    )
    .await
}

async fn poll_handler(
    State(state): State<Arc<ChatState>>,
    me: Result<SignedIn, AppError>,
    args: Result<Form<PollArgs>, FormRejection>,
) -> Response {
    let result = match (me, args) {
        (Err(e), _) => Err(e),
        (Ok(_), Err(bad)) => Err(bad_arguments(&bad)),
        (Ok(SignedIn(me)), Ok(Form(args))) => poll(&state, &me, args).await,
    };
    answer(POLL_PATH, result)
}

async fn send_handler(
    State(state): State<Arc<ChatState>>,
    me: Result<SignedIn, AppError>,
    args: Result<Form<SendArgs>, FormRejection>,
) -> Response {
    let result = match (me, args) {
        (Err(e), _) => Err(e),
        (Ok(_), Err(bad)) => Err(bad_arguments(&bad)),
        (Ok(SignedIn(me)), Ok(Form(args))) => send(&state, &me, args).await,
    };
    answer(SEND_PATH, result)
}

fn bad_arguments(rejection: &FormRejection) -> AppError {
    AppError::invalid(
        "arguments",
        format!("Bad arguments: {}", rejection.body_text()),
    )
}

/// JSON on success; on failure the error as JSON with its status, the way server functions
/// answer, so the browser's server-function client decodes it.
fn answer<T: Serialize>(path: &'static str, result: Result<T, AppError>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(err) => {
            let mut res = err.into_response();
            res.headers_mut()
                .insert(SERVER_FN_ERROR, HeaderValue::from_static(path));
            res
        }
    }
}
