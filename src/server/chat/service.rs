//! Client conversations: starting one, reading it, accepting it, marking it read, sending into
//! it. Each function passes the conversation through `access::load` first.

use crate::model::chat::{
    ChatDetail, ChatSummary, ChatTopic, DealView, DuplicateView, MessageView,
};
use crate::model::chat::{ConversationKind, ConversationStatus};
use crate::model::command::PaymentAsk;
use crate::model::ids::{ChannelId, ConversationId, DealId, UserId};
use crate::model::message_text::MessageBody;
use crate::model::payment::Provider;
use crate::model::{AppError, Role};
use crate::server::access::{Viewer, load};
use crate::server::accounts::duplicates as accounts_duplicates;
use crate::server::accounts::service::display_name;
use crate::server::channels::service as channels;
use crate::server::chat::list::{self as chat_list, Filter};
use crate::server::chat::routing::{self, Routed, Router, Taking};
use crate::server::chat::sessions;
use crate::server::chat::writer::{MessageWriter, Submit};
use crate::server::deals::service as deals;
use crate::server::files::home as files_home;
use crate::server::jobs::{self, Job};
use crate::server::messages::{self, KIND_TEXT, NewMessage, Reader};
use crate::server::payments::service as payments;
use crate::server::platform::config::ChatSettings;
use crate::server::platform::db::is_unique_violation;
use crate::server::platform::entities::{conversation, conversation_member};
use crate::server::platform::rate_limit::RateLimit;
use crate::server::realtime::Hub;
use crate::server::realtime::changes::{self, stmt};
use crate::server::storage::FileStore;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    Value,
};

/// A client message id: what the browser generates for each message (a UUID or similar).
pub fn parse_client_msg_id(raw: &str) -> Result<String, AppError> {
    let id = raw.trim();
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::invalid(
            "client_msg_id",
            "client_msg_id must be 1–64 letters, digits, '-' or '_'.",
        ));
    }
    Ok(id.to_owned())
}

async fn summary(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    conversation_id: ConversationId,
) -> Result<ChatSummary, AppError> {
    chat_list::summaries(db, viewer, Filter::One(conversation_id))
        .await?
        .pop()
        .map(|row| row.summary)
        .ok_or(AppError::NotFound)
}

/// The sidebar (clients) or inbox (staff), optionally searched.
#[tracing::instrument(skip(db))]
pub async fn list(
    db: &DatabaseConnection,
    viewer: Viewer,
    search: Option<&str>,
) -> Result<Vec<ChatSummary>, AppError> {
    let filter = match search.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) if text.chars().count() > 100 => {
            return Err(AppError::invalid(
                "search",
                "Search for at most 100 characters.",
            ));
        }
        Some(text) => Filter::Search(text),
        None => Filter::All,
    };
    Ok(chat_list::summaries(db, viewer, filter)
        .await?
        .into_iter()
        .map(|row| row.summary)
        .collect())
}

/// What a client submits to start a chat: the topic, a name for it and the first message.
#[derive(Debug)]
pub struct NewChat<'a> {
    pub topic: ChatTopic,
    pub title: &'a str,
    pub body: &'a str,
    pub client_msg_id: &'a str,
    /// The channel the client picked (None: the default, or their only one).
    pub channel: Option<ChannelId>,
}

/// A client starts a chat with its first message. Starting again with the same message id
/// returns the chat the first attempt created.
#[tracing::instrument(skip(db, hub, store, settings, router, new))]
pub async fn start(
    db: &DatabaseConnection,
    hub: &Hub,
    store: &dyn FileStore,
    settings: &ChatSettings,
    router: &Router,
    viewer: Viewer,
    new: NewChat<'_>,
) -> Result<ChatSummary, AppError> {
    if viewer.role != Role::Client {
        return Err(AppError::Forbidden);
    }
    let topic = new.topic;
    let title = deals::parse_title(new.title, "title")?;
    let body = MessageBody::parse(new.body, settings.max_message_chars)?;
    let client_msg_id = parse_client_msg_id(new.client_msg_id)?;
    if let Some(done) = messages::find_by_client_id(db, viewer.id, &client_msg_id).await? {
        return summary(db, viewer, done.conversation_id).await;
    }
    let channel = channels::pick_for_start(db, viewer, new.channel).await?;
    let mut w = changes::begin(db).await?;
    let deal = match topic {
        ChatTopic::Project => Some(deals::create(&w, &title, viewer.id, None).await?),
        ChatTopic::Question => None,
    };
    let deal_id = deal.as_ref().map(|d| d.id);
    let now = Utc::now();
    let conv = conversation::ActiveModel {
        kind: Set(ConversationKind::Client),
        subject: Set(title),
        client_id: Set(Some(viewer.id)),
        deal_id: Set(deal_id),
        assignee_id: Set(None),
        status: Set(ConversationStatus::Open),
        last_seq: Set(0),
        last_message_at: Set(now),
        queued_at: Set(Some(now)),
        tick: Set(w.tick),
        assigned_tick: Set(0),
        created_at: Set(now),
        client_seq: Set(0),
        queue_id: Set(Some(channel.queue_id)),
        channel_id: Set(Some(channel.id)),
        ..Default::default()
    }
    .insert(&w.txn)
    .await?;
    upsert_member(&w.txn, conv.id, viewer.id, "member", 0).await?;
    sessions::open(&w, conv.id, now, conv.queue_id).await?;
    // The client's lead or contact in the CRM, by the connector's rules.
    jobs::enqueue(
        &w.txn,
        Job::CrmPerson {
            conversation_id: conv.id,
        },
    )
    .await?;
    let first = NewMessage {
        client_msg_id: Some(client_msg_id.clone()),
        ..NewMessage::by(Some(viewer.id), KIND_TEXT, body.into_string())
    };
    let appended = messages::append(&mut w, conv.id, vec![first]).await;
    match appended {
        Ok(_) => {}
        Err(e)
            if is_unique_violation(
                &e,
                "ux_messages_sender_client_msg",
                "messages.sender_id, messages.client_msg_id",
            ) =>
        {
            // A concurrent retry won the race: answer with its chat.
            drop(w);
            let done = messages::find_by_client_id(db, viewer.id, &client_msg_id)
                .await?
                .ok_or(AppError::Internal)?;
            return summary(db, viewer, done.conversation_id).await;
        }
        Err(e) => return Err(e.into()),
    }
    // An automatic queue gives the chat its operator in the same write: it never waits when
    // someone is free. Then no inbox ever showed it waiting: only its operator (and the
    // administrators, who hear everything) need waking, not every employee.
    if let Routed::Assigned(_) = routing::route(&mut w, router, &conv).await? {
        w.audience.staff = false;
    }
    w.commit(hub).await?;
    if let Some(deal) = &deal {
        deals::make_folder(store, deal).await;
    }
    summary(db, viewer, conv.id).await
}

/// Other client accounts that may be this chat's client, for staff who may read the chat.
#[tracing::instrument(skip(db))]
pub async fn duplicates(
    db: &DatabaseConnection,
    viewer: Viewer,
    conversation_id: ConversationId,
) -> Result<Vec<DuplicateView>, AppError> {
    let (conv, _) = load(db, viewer, conversation_id).await?;
    if !viewer.role.is_staff() {
        return Err(AppError::Forbidden);
    }
    match conv.client_id {
        Some(client) => Ok(accounts_duplicates::of_client(db, client).await?),
        None => Ok(Vec::new()),
    }
}

/// Everything the chat window shows when it opens: newest page, deal, permissions.
#[tracing::instrument(skip(db, settings))]
pub async fn detail(
    db: &DatabaseConnection,
    settings: &ChatSettings,
    viewer: Viewer,
    conversation_id: ConversationId,
) -> Result<ChatDetail, AppError> {
    let (conv, can) = load(db, viewer, conversation_id).await?;
    let deal = match conv.deal_id {
        Some(id) => deal_as_read(db, viewer, id, conv.channel_id).await?,
        None => None,
    };
    // A closed deal's stage stays where the close left it.
    let can_change_stage = can.manage_deal && deal.as_ref().is_some_and(|d| !d.is_closed());
    let summary = summary(db, viewer, conv.id).await?;
    let voice_image = match viewer.role {
        Role::Client => channels::voice_image_of(db, conv.channel_id).await?,
        _ => None,
    };
    let can_attach = files_home::may_attach(db, viewer, &conv, can.reply).await?;
    // The lines are read last: a change and its line commit together, so a view whose rights or
    // deal show a change also shows the line that tells of it.
    let messages = messages::before(
        db,
        Reader::of(viewer.role),
        conv.id,
        None,
        settings.history_page,
    )
    .await?;
    Ok(ChatDetail {
        summary,
        deal,
        has_older: messages.first().is_some_and(|m| m.seq > 1),
        messages,
        can_reply: can.reply,
        can_accept: can.accept,
        can_change_stage,
        voice_image,
        can_attach,
    })
}

/// The chat's deal as the reader sees it: a client of a channel that answers in its own name
/// reads the channel, not the person, as whoever closed it.
pub(super) async fn deal_as_read(
    db: &DatabaseConnection,
    viewer: Viewer,
    deal_id: DealId,
    channel: Option<ChannelId>,
) -> Result<Option<DealView>, DbErr> {
    let mut deal = deals::view(db, deal_id).await?;
    if viewer.role == Role::Client
        && let Some(d) = deal.as_mut()
        && d.closed_by_name.is_some()
        && let Some(voice) = channels::voice_of(db, channel).await?
    {
        d.closed_by_name = Some(voice);
    }
    Ok(deal)
}

/// Older messages, for scrolling back.
pub async fn history(
    db: &DatabaseConnection,
    settings: &ChatSettings,
    viewer: Viewer,
    conversation_id: ConversationId,
    before_seq: i64,
) -> Result<Vec<MessageView>, AppError> {
    let (conv, _) = load(db, viewer, conversation_id).await?;
    Ok(messages::before(
        db,
        Reader::of(viewer.role),
        conv.id,
        Some(before_seq),
        settings.history_page,
    )
    .await?)
}

/// A message as its sender submits it.
#[derive(Debug)]
pub struct Outgoing<'a> {
    pub conversation_id: ConversationId,
    pub client_msg_id: &'a str,
    pub body: &'a str,
}

/// What a send needs besides the message: the store, the writer, the limits and the payment
/// provider a manager's `#p` goes through.
pub struct SendDeps<'a> {
    pub db: &'a DatabaseConnection,
    pub hub: &'a Hub,
    pub writer: &'a MessageWriter,
    pub rate: &'a RateLimit<UserId>,
    pub settings: &'a ChatSettings,
    pub payment_provider: Provider,
}

/// Stores a message (once, however often it is retried) and returns it as stored.
/// `sender_name` is the viewer's display name, for the returned view. A staff message with
/// `#p` is a payment request instead.
#[tracing::instrument(skip(deps, sender_name, out), fields(conversation_id = %out.conversation_id))]
pub async fn send(
    deps: SendDeps<'_>,
    viewer: Viewer,
    sender_name: &str,
    out: Outgoing<'_>,
) -> Result<MessageView, AppError> {
    let SendDeps {
        db,
        hub,
        writer,
        rate,
        settings,
        payment_provider,
    } = deps;
    let conversation_id = out.conversation_id;
    let client_msg_id = parse_client_msg_id(out.client_msg_id)?;
    let body = MessageBody::parse(out.body, settings.max_message_chars)?;
    let (conv, can) = load(db, viewer, conversation_id).await?;
    if !can.reply {
        // A retry of a message stored before the chat changed hands still gets its answer.
        if let Some(done) = messages::find_by_client_id(db, viewer.id, &client_msg_id).await? {
            return Ok(messages::sent_view(done, sender_name, viewer.role));
        }
        return Err(
            if conv.status == ConversationStatus::Closed && conv.kind.is_internal() {
                AppError::Conflict("The chat is closed: it can be read, not written in.".into())
            } else if conv.status == ConversationStatus::Closed {
                AppError::Conflict(deals::CLOSED.into())
            } else if can.accept {
                AppError::Conflict("Accept the chat before replying.".into())
            } else {
                AppError::Forbidden
            },
        );
    }
    rate.check(viewer.id)?;
    // `#p` asks the client of a deal chat to pay; elsewhere it is just text.
    if viewer.role.is_staff()
        && conv.kind == ConversationKind::Client
        && let Some(ask) = PaymentAsk::parse(body.as_str())
    {
        return payments::request(db, hub, payment_provider, viewer, &conv, client_msg_id, ask)
            .await;
    }
    let stored = writer
        .submit(Submit {
            conversation_id: conv.id,
            sender_id: viewer.id,
            body: body.into_string(),
            client_msg_id,
        })
        .await?;
    Ok(messages::sent_view(stored, sender_name, viewer.role))
}

/// A manager takes a waiting chat. The deal gets them as owner if it has none.
#[tracing::instrument(skip(db, hub))]
pub async fn accept(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    conversation_id: ConversationId,
) -> Result<ChatSummary, AppError> {
    let (conv, can) = load(db, viewer, conversation_id).await?;
    if !can.accept {
        return Err(match conv.assignee_id {
            Some(id) if id == viewer.id => {
                AppError::Conflict("You already accepted this chat.".into())
            }
            Some(_) => AppError::Conflict("Another manager accepted this chat.".into()),
            None => AppError::Forbidden,
        });
    }
    let name = display_name(db, viewer.id).await?;
    let mut w = changes::begin(db).await?;
    if !routing::take(&mut w, &conv, viewer.id, name, Taking::Accepted).await? {
        return Err(AppError::Conflict(
            "Another manager accepted this chat.".into(),
        ));
    }
    routing::hold(&w, viewer.id, Utc::now()).await?;
    w.commit(hub).await?;
    summary(db, viewer, conv.id).await
}

/// Adds the user as a member, or moves their read marker forward; the marker never goes back
/// and an existing member keeps their role. The seen count moves with the marker
/// (`messages::SEEN_SQL`), so call it after the write stamped or touched the conversation.
pub(crate) async fn upsert_member(
    txn: &impl ConnectionTrait,
    conversation_id: ConversationId,
    user_id: UserId,
    role: &str,
    read_seq: i64,
) -> Result<(), DbErr> {
    let sql = format!(
        "INSERT INTO conversation_members \
         (conversation_id, user_id, role, last_read_seq, joined_at, seen_count) \
         VALUES (?, ?, ?, ?, ?, {seen}) ON CONFLICT (conversation_id, user_id) DO UPDATE SET \
         last_read_seq = CASE WHEN excluded.last_read_seq > conversation_members.last_read_seq \
         THEN excluded.last_read_seq ELSE conversation_members.last_read_seq END, \
         seen_count = CASE WHEN excluded.last_read_seq > conversation_members.last_read_seq \
         THEN excluded.seen_count ELSE conversation_members.seen_count END",
        seen = messages::SEEN_SQL
    );
    let mut values: Vec<Value> = vec![
        conversation_id.into(),
        user_id.into(),
        role.into(),
        read_seq.into(),
        Utc::now().into(),
    ];
    values.extend(messages::seen_values(conversation_id, user_id, read_seq));
    txn.execute_raw(stmt(txn.get_database_backend(), &sql, values))
        .await?;
    Ok(())
}

/// Records that the viewer has read up to `seq` (never moving backwards).
#[tracing::instrument(skip(db, hub))]
pub async fn mark_read(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    conversation_id: ConversationId,
    seq: i64,
) -> Result<(), AppError> {
    let (conv, _) = load(db, viewer, conversation_id).await?;
    let seq = seq.clamp(0, conv.last_seq);
    let current = conversation_member::Entity::find_by_id((conv.id, viewer.id))
        .one(db)
        .await?
        .map(|m| m.last_read_seq);
    if current.is_some_and(|c| c >= seq) {
        return Ok(());
    }
    let mut w = changes::begin(db).await?;
    let role = if viewer.role == Role::Client {
        "member"
    } else {
        "viewer"
    };
    // The touch first: its row lock waits for a message being written to this chat, so the
    // seen count read next includes it.
    messages::touch(&mut w, conv.id).await?;
    upsert_member(&w.txn, conv.id, viewer.id, role, seq).await?;
    w.commit(hub).await?;
    Ok(())
}
