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
//!
//! The third, `POST /api/chats/stream`, is the browser's: the poll's arguments, and then every
//! answer as one JSON line (`PollLine`) on one open response, until the wait runs out. A member
//! of a busy group chat then costs one written line per message, not an answer and a new
//! request (measured on a group of 500: see the README's group fan-out).

use crate::model::AppError;
use crate::model::chat::{MessageView, PollCursor, PollLine, PollUpdate};
use crate::model::ids::ConversationId;
use crate::model::ids::UserId;
use crate::model::payment::Provider;
use crate::server::access::Viewer;
use crate::server::accounts::auth::SignedIn;
use crate::server::accounts::session_cache::SessionCache;
use crate::server::accounts::sessions::SessionUser;
use crate::server::chat::poll_reads::PollReads;
use crate::server::chat::polling::{self, PollLimits, PollSeats, Poller, Sources};
use crate::server::chat::routing;
use crate::server::chat::service::{self as chats, Outgoing};
use crate::server::chat::writer::MessageWriter;
use crate::server::platform::config::Settings;
use crate::server::platform::rate_limit::RateLimit;
use crate::server::realtime::Hub;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

pub const POLL_PATH: &str = "/api/chats/poll";
pub const SEND_PATH: &str = "/api/chats/send";
pub use crate::api::chat::STREAM_PATH;

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
        .route(STREAM_PATH, post(stream_handler))
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

/// The sources, the poller and the cursor of a poll, as its arguments say; the operator's
/// presence noted on the way.
async fn watch_from(
    state: &ChatState,
    me: &SessionUser,
    args: PollArgs,
) -> Result<polling::Watch, AppError> {
    let chat = &state.settings.chat;
    let viewer = Viewer::of(&me.user);
    // An employee's console polls: they are present (a write every few seconds at most).
    if let Err(e) = routing::seen(&state.db, &state.hub, &state.router, viewer).await {
        tracing::warn!(error = %e, "could not note an operator's presence");
    }
    polling::Watch::start(
        Sources {
            db: state.db.clone(),
            hub: state.hub.clone(),
            seats: state.seats.clone(),
            reads: state.reads.clone(),
            sessions: state.sessions.clone(),
        },
        Poller {
            viewer,
            session_id: me.session_id.clone(),
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

pub async fn poll(
    state: &ChatState,
    me: &SessionUser,
    args: PollArgs,
) -> Result<PollUpdate, AppError> {
    let mut watch = Box::pin(watch_from(state, me, args)).await?;
    Ok(match watch.next().await? {
        Some(update) => update,
        None => PollUpdate {
            cursor: watch.cursor(),
            ..Default::default()
        },
    })
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
    let result = match caller(me, args) {
        Ok((me, args)) => poll(&state, &me, args).await,
        Err(e) => Err(e),
    };
    answer(POLL_PATH, result)
}

/// The streamed poll. What is wrong before the wait (no session, bad arguments, a chat the caller
/// may not read) is answered as `poll` answers it; after that, each answer is one line, and an
/// error ends the stream as its last line.
async fn stream_handler(
    State(state): State<Arc<ChatState>>,
    me: Result<SignedIn, AppError>,
    args: Result<Form<PollArgs>, FormRejection>,
) -> Response {
    let watch = match caller(me, args) {
        Ok((me, args)) => Box::pin(watch_from(&state, &me, args)).await,
        Err(e) => Err(e),
    };
    let watch = match watch {
        Ok(watch) => watch,
        Err(e) => return answer(STREAM_PATH, Err::<(), _>(e)),
    };
    // The watch runs in a task of its own, and the answer's body reads its lines from a channel
    // of one. Polled inside the body instead, through the connection's dispatcher, the polls
    // one message woke no longer ran together: each read alone, one after the other (measured:
    // 500 members in batches of one, 60 ms to reach them all, 4 times the long-poll's CPU).
    let (tx, rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(1);
    let task = async move {
        let mut watch = watch;
        loop {
            let next = tokio::select! {
                next = watch.next() => next,
                // The client went away (another chat opened): free the seat now.
                () = tx.closed() => return,
            };
            let (line, more) = match next {
                Ok(Some(update)) => (PollLine::Update(Box::new(update)), true),
                Ok(None) => return,
                Err(e) => (PollLine::Error(e), false),
            };
            let mut text = match serde_json::to_vec(&line) {
                Ok(text) => text,
                Err(e) => {
                    tracing::error!(error = %e, "a streamed poll's line could not be written");
                    return;
                }
            };
            text.push(b'\n');
            if tx.send(bytes::Bytes::from(text)).await.is_err() || !more {
                return;
            }
        }
    };
    tokio::spawn(task.instrument(tracing::Span::current()));
    let lines = futures::stream::unfold(rx, |mut rx| async move {
        let line = rx.recv().await?;
        Some((Ok::<_, std::convert::Infallible>(line), rx))
    });
    (
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (header::CACHE_CONTROL, "no-store"),
            // A buffering proxy in front would hold every line until the stream ends.
            (HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(lines),
    )
        .into_response()
}

async fn send_handler(
    State(state): State<Arc<ChatState>>,
    me: Result<SignedIn, AppError>,
    args: Result<Form<SendArgs>, FormRejection>,
) -> Response {
    let result = match caller(me, args) {
        Ok((me, args)) => send(&state, &me, args).await,
        Err(e) => Err(e),
    };
    answer(SEND_PATH, result)
}

/// The signed-in caller and their arguments; without a session that comes first, as server
/// functions answer.
fn caller<A>(
    me: Result<SignedIn, AppError>,
    args: Result<Form<A>, FormRejection>,
) -> Result<(SessionUser, A), AppError> {
    match (me, args) {
        (Err(e), _) => Err(e),
        (Ok(_), Err(bad)) => Err(bad_arguments(&bad)),
        (Ok(SignedIn(me)), Ok(Form(args))) => Ok((me, args)),
    }
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
