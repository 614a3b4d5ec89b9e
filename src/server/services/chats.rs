//! Client conversations: starting one, reading it, accepting it, moving its deal, marking it
//! read, sending into it. Each function checks `chat_access` first.

use crate::model::chat::{ChatDetail, ChatSummary, ChatTopic, DealView, MessageView};
use crate::model::message_text::MessageBody;
use crate::model::money::Money;
use crate::model::{AppError, DealStage, Role};
use crate::server::config::ChatSettings;
use crate::server::db::is_unique_violation;
use crate::server::entities::{conversation, conversation_member, deal, user};
use crate::server::integrations::files::FileStore;
use crate::server::realtime::Hub;
use crate::server::realtime::changes::{self, stmt};
use crate::server::services::chat_access::{Access, STATUS_OPEN, Viewer, access};
use crate::server::services::chat_list::{self, Filter};
use crate::server::services::message_log::{self, KIND_TEXT, NewMessage};
use crate::server::services::message_writer::{MessageWriter, Submit};
use crate::server::services::send_rate::SendRate;
use crate::server::services::{crm_sync, deals, payments};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};
use std::time::Instant;

pub const KIND_CLIENT: &str = "client";

/// The conversation and what `viewer` may do in it; NotFound when they may not even read it,
/// so a stranger cannot tell a forbidden chat from a missing one.
pub async fn load(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    conversation_id: i64,
) -> Result<(conversation::Model, Access), AppError> {
    let conv = conversation::Entity::find_by_id(conversation_id)
        .one(db)
        .await?
        .filter(|c| c.kind == KIND_CLIENT)
        .ok_or(AppError::NotFound)?;
    let can = access(viewer, &conv);
    if can.read {
        Ok((conv, can))
    } else {
        Err(AppError::NotFound)
    }
}

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
    conversation_id: i64,
) -> Result<ChatSummary, AppError> {
    chat_list::summaries(db, viewer, Filter::One(conversation_id))
        .await?
        .pop()
        .map(|row| row.summary)
        .ok_or(AppError::NotFound)
}

async fn display_name(db: &impl ConnectionTrait, user_id: i64) -> Result<String, AppError> {
    Ok(user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default())
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
}

/// A client starts a chat with its first message. Starting again with the same message id
/// returns the chat the first attempt created.
#[tracing::instrument(skip(db, hub, store, settings, new))]
pub async fn start(
    db: &DatabaseConnection,
    hub: &Hub,
    store: &dyn FileStore,
    settings: &ChatSettings,
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
    if let Some(done) = message_log::find_by_client_id(db, viewer.id, &client_msg_id).await? {
        return summary(db, viewer, done.conversation_id).await;
    }
    let mut w = changes::begin(db).await?;
    let deal = match topic {
        ChatTopic::Project => Some(deals::create(&w, &title, viewer.id, None).await?),
        ChatTopic::Question => None,
    };
    let deal_id = deal.as_ref().map(|d| d.id);
    let now = Utc::now();
    let conv = conversation::ActiveModel {
        kind: Set(KIND_CLIENT.to_owned()),
        subject: Set(title),
        client_id: Set(Some(viewer.id)),
        deal_id: Set(deal_id),
        assignee_id: Set(None),
        status: Set(STATUS_OPEN.to_owned()),
        last_seq: Set(0),
        last_message_at: Set(now),
        queued_at: Set(Some(now)),
        tick: Set(w.tick),
        assigned_tick: Set(0),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&w.txn)
    .await?;
    upsert_member(&w.txn, conv.id, viewer.id, "member", 0).await?;
    let first = NewMessage {
        client_msg_id: Some(client_msg_id.clone()),
        ..NewMessage::by(Some(viewer.id), KIND_TEXT, body.into_string())
    };
    let appended = message_log::append(&mut w, conv.id, vec![first]).await;
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
            let done = message_log::find_by_client_id(db, viewer.id, &client_msg_id)
                .await?
                .ok_or(AppError::Internal)?;
            return summary(db, viewer, done.conversation_id).await;
        }
        Err(e) => return Err(e.into()),
    }
    w.commit(hub).await?;
    if let Some(deal) = &deal {
        deals::make_folder(store, deal).await;
    }
    summary(db, viewer, conv.id).await
}

/// Everything the chat window shows when it opens: newest page, deal, permissions.
#[tracing::instrument(skip(db, settings))]
pub async fn detail(
    db: &DatabaseConnection,
    settings: &ChatSettings,
    viewer: Viewer,
    conversation_id: i64,
) -> Result<ChatDetail, AppError> {
    let (conv, can) = load(db, viewer, conversation_id).await?;
    let messages = message_log::before(db, conv.id, None, settings.history_page).await?;
    let deal = match conv.deal_id {
        Some(id) => deals::view(db, id).await?,
        None => None,
    };
    Ok(ChatDetail {
        summary: summary(db, viewer, conv.id).await?,
        deal,
        has_older: messages.first().is_some_and(|m| m.seq > 1),
        messages,
        can_reply: can.reply,
        can_accept: can.accept,
        can_change_stage: can.manage_deal && conv.deal_id.is_some(),
    })
}

/// Older messages, for scrolling back.
pub async fn history(
    db: &DatabaseConnection,
    settings: &ChatSettings,
    viewer: Viewer,
    conversation_id: i64,
    before_seq: i64,
) -> Result<Vec<MessageView>, AppError> {
    let (conv, _) = load(db, viewer, conversation_id).await?;
    Ok(message_log::before(db, conv.id, Some(before_seq), settings.history_page).await?)
}

/// A message as its sender submits it.
#[derive(Debug)]
pub struct Outgoing<'a> {
    pub conversation_id: i64,
    pub client_msg_id: &'a str,
    pub body: &'a str,
}

/// What a send needs besides the message: the store, the writer, the limits and the payment
/// provider a manager's `#p` goes through.
pub struct SendDeps<'a> {
    pub db: &'a DatabaseConnection,
    pub hub: &'a Hub,
    pub writer: &'a MessageWriter,
    pub rate: &'a SendRate,
    pub settings: &'a ChatSettings,
    pub payment_provider: &'a str,
}

/// Stores a message (once, however often it is retried) and returns it as stored.
/// `sender_name` is the viewer's display name, for the returned view. A staff message with
/// `#p` is a payment request instead.
#[tracing::instrument(skip(deps, sender_name, out), fields(conversation_id = out.conversation_id))]
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
        if let Some(done) = message_log::find_by_client_id(db, viewer.id, &client_msg_id).await? {
            return Ok(message_log::sent_view(done, sender_name, viewer.role));
        }
        return Err(if can.accept {
            AppError::Conflict("Accept the chat before replying.".into())
        } else {
            AppError::Forbidden
        });
    }
    if let Err(wait) = rate.take(viewer.id, Instant::now()) {
        return Err(AppError::RateLimited {
            retry_after_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1),
        });
    }
    if viewer.role.is_staff()
        && let Some(ask) = payments::parse_payment_note(body.as_str())
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
    Ok(message_log::sent_view(stored, sender_name, viewer.role))
}

/// A manager takes a waiting chat. The deal gets them as owner if it has none.
#[tracing::instrument(skip(db, hub))]
pub async fn accept(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    conversation_id: i64,
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
    let taken = w
        .txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE conversations SET assignee_id = ?, queued_at = NULL, assigned_tick = ? \
             WHERE id = ? AND assignee_id IS NULL AND status = 'open'",
            [viewer.id.into(), w.tick.into(), conv.id.into()],
        ))
        .await?;
    if taken.rows_affected() != 1 {
        return Err(AppError::Conflict(
            "Another manager accepted this chat.".into(),
        ));
    }
    upsert_member(&w.txn, conv.id, viewer.id, "member", 0).await?;
    if let Some(deal_id) = conv.deal_id {
        let claimed = deal::Entity::update_many()
            .col_expr(
                deal::Column::OwnerId,
                sea_orm::sea_query::Expr::value(viewer.id),
            )
            .col_expr(deal::Column::Tick, sea_orm::sea_query::Expr::value(w.tick))
            .filter(deal::Column::Id.eq(deal_id))
            .filter(deal::Column::OwnerId.is_null())
            .exec(&w.txn)
            .await?;
        if claimed.rows_affected == 1 {
            crm_sync::enqueue_deal(&w.txn, deal_id).await?;
        }
    }
    message_log::append(
        &mut w,
        conv.id,
        vec![NewMessage::system(format!("{name} accepted the chat."))],
    )
    .await?;
    // Every inbox must drop the chat, not only the people on it.
    w.audience.staff = true;
    w.commit(hub).await?;
    summary(db, viewer, conv.id).await
}

/// Adds the user as a member, or moves their read marker forward; the marker never goes back
/// and an existing member keeps their role.
async fn upsert_member(
    txn: &impl ConnectionTrait,
    conversation_id: i64,
    user_id: i64,
    role: &str,
    read_seq: i64,
) -> Result<(), AppError> {
    txn.execute_raw(stmt(
        txn.get_database_backend(),
        "INSERT INTO conversation_members (conversation_id, user_id, role, last_read_seq, joined_at) \
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (conversation_id, user_id) DO UPDATE SET \
         last_read_seq = CASE WHEN excluded.last_read_seq > conversation_members.last_read_seq \
         THEN excluded.last_read_seq ELSE conversation_members.last_read_seq END",
        [
            conversation_id.into(),
            user_id.into(),
            role.into(),
            read_seq.into(),
            Utc::now().into(),
        ],
    ))
    .await?;
    Ok(())
}

async fn deal_of(
    db: &impl ConnectionTrait,
    conv: &conversation::Model,
) -> Result<deal::Model, AppError> {
    let id = conv
        .deal_id
        .ok_or_else(|| AppError::Conflict("This chat has no deal yet.".into()))?;
    deal::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

fn require_manage(can: Access) -> Result<(), AppError> {
    if can.manage_deal {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Moves the deal to `stage`; the chat gets a system message saying so.
#[tracing::instrument(skip(db, hub))]
pub async fn set_stage(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    conversation_id: i64,
    stage: &str,
) -> Result<DealView, AppError> {
    let stage = DealStage::parse(stage).ok_or_else(|| {
        AppError::invalid(
            "stage",
            "Choose inquiry, proposal, negotiation, approval or completion.",
        )
    })?;
    let (conv, can) = load(db, viewer, conversation_id).await?;
    require_manage(can)?;
    let deal = deal_of(db, &conv).await?;
    let from = deals::stage_of(&deal);
    if from != stage {
        let name = display_name(db, viewer.id).await?;
        let mut w = changes::begin(db).await?;
        let mut row: deal::ActiveModel = deal.clone().into();
        row.stage = Set(stage.as_str().to_owned());
        row.tick = Set(w.tick);
        row.update(&w.txn).await?;
        crm_sync::enqueue_deal(&w.txn, deal.id).await?;
        message_log::append(
            &mut w,
            conv.id,
            vec![NewMessage::system(format!(
                "{name} moved the deal from {from} to {stage}."
            ))],
        )
        .await?;
        w.commit(hub).await?;
    }
    deals::view(db, deal.id).await?.ok_or(AppError::NotFound)
}

/// Sets the deal's amount.
#[tracing::instrument(skip(db, hub))]
pub async fn set_amount(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    conversation_id: i64,
    amount: &str,
    currency: &str,
) -> Result<DealView, AppError> {
    let money = Money::parse(amount, currency)?;
    let (conv, can) = load(db, viewer, conversation_id).await?;
    require_manage(can)?;
    let deal = deal_of(db, &conv).await?;
    let mut w = changes::begin(db).await?;
    let mut row: deal::ActiveModel = deal.clone().into();
    row.amount_minor = Set(Some(money.minor));
    row.currency = Set(Some(money.currency.as_str().to_owned()));
    row.tick = Set(w.tick);
    row.update(&w.txn).await?;
    crm_sync::enqueue_deal(&w.txn, deal.id).await?;
    message_log::append(
        &mut w,
        conv.id,
        vec![NewMessage::system(format!("Deal amount set to {money}."))],
    )
    .await?;
    w.commit(hub).await?;
    deals::view(db, deal.id).await?.ok_or(AppError::NotFound)
}

/// Creates a deal for a general-question chat and links it.
#[tracing::instrument(skip(db, hub, store))]
pub async fn create_deal(
    db: &DatabaseConnection,
    hub: &Hub,
    store: &dyn FileStore,
    viewer: Viewer,
    conversation_id: i64,
    title: &str,
) -> Result<DealView, AppError> {
    let title = deals::parse_title(title, "title")?;
    let (conv, can) = load(db, viewer, conversation_id).await?;
    require_manage(can)?;
    if conv.deal_id.is_some() {
        return Err(AppError::Conflict("This chat already has a deal.".into()));
    }
    let client_id = conv.client_id.ok_or(AppError::NotFound)?;
    let mut w = changes::begin(db).await?;
    let deal = deals::create(&w, &title, client_id, conv.assignee_id.or(Some(viewer.id))).await?;
    link_in(&mut w, &conv, &deal, "created").await?;
    w.commit(hub).await?;
    deals::make_folder(store, &deal).await;
    deals::view(db, deal.id).await?.ok_or(AppError::NotFound)
}

/// Links an existing deal of the same client that has no chat yet.
#[tracing::instrument(skip(db, hub))]
pub async fn link_deal(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    conversation_id: i64,
    deal_id: i64,
) -> Result<DealView, AppError> {
    let (conv, can) = load(db, viewer, conversation_id).await?;
    require_manage(can)?;
    if conv.deal_id.is_some() {
        return Err(AppError::Conflict("This chat already has a deal.".into()));
    }
    let deal = deal::Entity::find_by_id(deal_id)
        .one(db)
        .await?
        .filter(|d| Some(d.client_id) == conv.client_id)
        .ok_or_else(|| AppError::invalid("deal_id", "Choose one of this client's deals."))?;
    let mut w = changes::begin(db).await?;
    link_in(&mut w, &conv, &deal, "linked").await?;
    w.commit(hub).await?;
    deals::view(db, deal.id).await?.ok_or(AppError::NotFound)
}

async fn link_in(
    w: &mut changes::Write,
    conv: &conversation::Model,
    deal: &deal::Model,
    verb: &str,
) -> Result<(), AppError> {
    let linked = w
        .txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE conversations SET deal_id = ? WHERE id = ? AND deal_id IS NULL",
            [deal.id.into(), conv.id.into()],
        ))
        .await;
    match linked {
        Ok(r) if r.rows_affected() == 1 => {}
        Ok(_) => return Err(AppError::Conflict("This chat already has a deal.".into())),
        Err(e) if is_unique_violation(&e, "ux_conversations_deal", "conversations.deal_id") => {
            return Err(AppError::Conflict("That deal already has a chat.".into()));
        }
        Err(e) => return Err(e.into()),
    }
    // The chat's poll sends a deal when the deal's tick is new; a linked one is new to the chat.
    w.txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE deals SET tick = ? WHERE id = ?",
            [w.tick.into(), deal.id.into()],
        ))
        .await?;
    message_log::append(
        w,
        conv.id,
        vec![NewMessage::system(format!(
            "Deal “{}” {verb} for this chat.",
            deal.title
        ))],
    )
    .await?;
    Ok(())
}

/// The client's deals that could be linked to this chat (those without a chat).
pub async fn linkable_deals(
    db: &DatabaseConnection,
    viewer: Viewer,
    conversation_id: i64,
) -> Result<Vec<DealView>, AppError> {
    let (conv, can) = load(db, viewer, conversation_id).await?;
    require_manage(can)?;
    let Some(client_id) = conv.client_id else {
        return Ok(Vec::new());
    };
    let without_chat = deal::Entity::find()
        .filter(deal::Column::ClientId.eq(client_id))
        .filter(
            deal::Column::Id.not_in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(conversation::Column::DealId)
                    .from(conversation::Entity)
                    .and_where(conversation::Column::DealId.is_not_null())
                    .to_owned(),
            ),
        )
        .order_by_desc(deal::Column::CreatedAt)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for d in without_chat {
        if let Some(view) = deals::view(db, d.id).await? {
            out.push(view);
        }
    }
    Ok(out)
}

/// Records that the viewer has read up to `seq` (never moving backwards).
#[tracing::instrument(skip(db, hub))]
pub async fn mark_read(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    conversation_id: i64,
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
    upsert_member(&w.txn, conv.id, viewer.id, role, seq).await?;
    message_log::touch(&mut w, conv.id).await?;
    w.commit(hub).await?;
    Ok(())
}
