//! The streamed poll's client: one request, then each answer as the server writes it, one JSON
//! line (`PollLine`) at a time, until the server ends the stream (its wait ran out) or this side
//! drops it. Dropping the stream cancels the body, which aborts the request (another chat
//! opened, the layout is gone).
//!
//! The request goes through the same `fetch` client as the server functions, with the same form
//! arguments as `api::chat::poll`; an error before the stream is answered as that function's
//! errors are, so it reads the same way.

use crate::api::chat::STREAM_PATH;
use crate::model::AppError;
use crate::model::chat::{PollLine, PollUpdate};
use crate::model::ids::ConversationId;
use crate::model::wire;
use futures::{Stream, StreamExt};
use http::Method;
use leptos::server_fn::client::Client;
use leptos::server_fn::client::browser::BrowserClient;
use leptos::server_fn::request::ClientReq;
use leptos::server_fn::request::browser::BrowserRequest;
use leptos::server_fn::response::ClientRes;
use leptos::server_fn::response::browser::BrowserResponse;

/// Opens a streamed poll from the cursor; its answers, each an update or the error that ended it.
pub async fn open(
    tick: i64,
    conversation_id: Option<ConversationId>,
    after_seq: i64,
) -> Result<impl Stream<Item = Result<PollUpdate, AppError>>, AppError> {
    let mut form = format!("tick={tick}&after_seq={after_seq}");
    if let Some(id) = conversation_id {
        form.push_str(&format!("&conversation_id={}", id.0));
    }
    let req = <BrowserRequest as ClientReq<AppError>>::try_new_req_text(
        STREAM_PATH,
        "application/x-www-form-urlencoded",
        "application/x-ndjson",
        form,
        Method::POST,
    )?;
    let res = <BrowserClient as Client<AppError>>::send(req).await?;
    if <BrowserResponse as ClientRes<AppError>>::status(&res) != 200 {
        let text = <BrowserResponse as ClientRes<AppError>>::try_into_string(res).await?;
        return Err(
            wire::read::<AppError>(&text).unwrap_or_else(|e| AppError::Transport(e.to_string()))
        );
    }
    let chunks = <BrowserResponse as ClientRes<AppError>>::try_into_stream(res)?;
    Ok(lines(chunks).map(|line| match line {
        Ok(text) => match wire::read::<PollLine>(&text) {
            Ok(PollLine::Update(update)) => Ok(*update),
            Ok(PollLine::Error(e)) => Err(e),
            Err(e) => Err(AppError::Transport(e.to_string())),
        },
        Err(e) => Err(e),
    }))
}

/// The body's chunks as whole lines: a line may arrive in several chunks, or several in one.
fn lines(
    chunks: impl Stream<Item = Result<leptos::server_fn::Bytes, leptos::server_fn::Bytes>>,
) -> impl Stream<Item = Result<String, AppError>> {
    futures::stream::unfold(
        (Box::pin(chunks), Vec::<u8>::new(), false),
        |(mut chunks, mut pending, failed)| async move {
            if failed {
                return None;
            }
            loop {
                if let Some(end) = pending.iter().position(|b| *b == b'\n') {
                    let rest = pending.split_off(end + 1);
                    let line = String::from_utf8_lossy(&pending[..end]).into_owned();
                    return Some((Ok(line), (chunks, rest, false)));
                }
                match chunks.next().await {
                    Some(Ok(bytes)) => pending.extend_from_slice(&bytes),
                    Some(Err(_)) => {
                        let lost = AppError::Transport("the stream broke off".into());
                        return Some((Err(lost), (chunks, pending, true)));
                    }
                    // Ended between lines, as the server ends it; a half line is not an answer.
                    None => return None,
                }
            }
        },
    )
}
