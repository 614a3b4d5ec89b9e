//! Deals: created at Inquiry for a client, read as a view with the client's contact details,
//! moved through the stages, priced, created for or linked to a question chat. Every change is
//! queued for the CRM (a `SyncDeal` job) in the same transaction, and told in the chat.

use crate::model::chat::{DealView, FileRef};
use crate::model::ids::{ConversationId, DealId, FileId, UserId};
use crate::model::message::SystemEvent;
use crate::model::money::Money;
use crate::model::{AppError, DealOutcome, DealStage};
use crate::server::access::{self, Access, Viewer};
use crate::server::accounts::service::display_name;
use crate::server::jobs::{self, Job};
use crate::server::messages::{self, NewMessage};
use crate::server::platform::db::is_unique_violation;
use crate::server::platform::entities::{conversation, deal};
use crate::server::realtime::Hub;
use crate::server::realtime::changes::{self, Write, stmt};
use crate::server::storage::{FileStore, StoreKey};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
};

/// The folder a deal's files go to in the store.
pub fn folder_of(deal_id: DealId) -> String {
    format!("deals/{deal_id}")
}

/// A deal title: 1 to 120 characters after removing control and direction-changing characters
/// and trimming.
pub fn parse_title(raw: &str, field: &str) -> Result<String, AppError> {
    let cleaned = crate::model::label::clean(raw);
    let title = cleaned.as_str();
    if title.is_empty() {
        return Err(AppError::invalid(field, "Give it a short name."));
    }
    if title.chars().count() > 120 {
        return Err(AppError::invalid(
            field,
            "Keep the name within 120 characters.",
        ));
    }
    Ok(title.to_owned())
}

/// Creates a deal at Inquiry inside a write, with its folder recorded, and queues it for the
/// CRM. The folder itself is made after the commit (`make_folder`).
pub async fn create(
    w: &Write,
    title: &str,
    client_id: UserId,
    owner_id: Option<UserId>,
) -> Result<deal::Model, DbErr> {
    let txn = &w.txn;
    let row = deal::ActiveModel {
        title: Set(title.to_owned()),
        client_id: Set(client_id),
        owner_id: Set(owner_id),
        stage: Set(DealStage::Inquiry),
        amount_minor: Set(None),
        currency: Set(None),
        created_at: Set(Utc::now()),
        closed_at: Set(None),
        tick: Set(w.tick),
        folder_ref: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let mut with_folder: deal::ActiveModel = row.into();
    with_folder.folder_ref = Set(Some(folder_of(*with_folder.id.as_ref())));
    let row = with_folder.update(txn).await?;
    jobs::enqueue(txn, Job::SyncDeal { deal_id: row.id }).await?;
    Ok(row)
}

/// Makes `owner_id` the deal's owner if it has none yet (the first manager to accept its chat),
/// inside the caller's write.
pub async fn claim_owner(w: &Write, deal_id: DealId, owner_id: UserId) -> Result<(), DbErr> {
    let claimed = deal::Entity::update_many()
        .col_expr(
            deal::Column::OwnerId,
            sea_orm::sea_query::Expr::value(owner_id),
        )
        .col_expr(deal::Column::Tick, sea_orm::sea_query::Expr::value(w.tick))
        .filter(deal::Column::Id.eq(deal_id))
        .filter(deal::Column::OwnerId.is_null())
        .exec(&w.txn)
        .await?;
    if claimed.rows_affected == 1 {
        jobs::enqueue(&w.txn, Job::SyncDeal { deal_id }).await?;
    }
    Ok(())
}

/// The deal whose folder in the file store is `folder`, if any.
pub async fn with_folder(db: &impl ConnectionTrait, folder: &str) -> Result<Option<DealId>, DbErr> {
    Ok(deal::Entity::find()
        .filter(deal::Column::FolderRef.eq(folder))
        .one(db)
        .await?
        .map(|d| d.id))
}

/// Makes the deal's folder in the store. A failure is logged, not fatal: the store makes
/// missing folders when the first file arrives.
pub async fn make_folder(store: &dyn FileStore, deal: &deal::Model) {
    let Some(folder) = deal.folder_ref.as_deref() else {
        return;
    };
    let made = match StoreKey::parse(folder) {
        Ok(key) => store.create_folder(&key).await,
        Err(e) => Err(e),
    };
    if let Err(e) = made {
        tracing::warn!(error = %e, deal = %deal.id, "could not make the deal's folder");
    }
}

pub fn amount_of(deal: &deal::Model) -> Option<Money> {
    stored_amount(deal.id, deal.amount_minor, deal.currency.as_deref())
}

/// A stored amount: both columns set (they are written together) and a valid currency. Columns
/// that are set but do not read as money are logged: the deal then shows no amount.
pub fn stored_amount(deal_id: DealId, minor: Option<i64>, currency: Option<&str>) -> Option<Money> {
    let (minor, currency) = (minor?, currency?);
    let amount = Money::stored(minor, currency);
    if amount.is_none() {
        tracing::error!(
            deal = %deal_id,
            currency,
            "a stored deal amount cannot be read"
        );
    }
    amount
}

#[derive(Debug, FromQueryResult)]
struct ViewRow {
    id: DealId,
    title: String,
    stage: DealStage,
    amount_minor: Option<i64>,
    currency: Option<String>,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    outcome: Option<DealOutcome>,
    close_note: Option<String>,
    closed_by_name: Option<String>,
    client_name: Option<String>,
    client_email: Option<String>,
    owner_name: Option<String>,
    transcript_id: Option<FileId>,
    transcript_name: Option<String>,
    transcript_size: Option<i64>,
    transcript_sha256: Option<String>,
}

/// The deal with its client's contact details and its owner's name, in one read.
pub async fn view(db: &impl ConnectionTrait, deal_id: DealId) -> Result<Option<DealView>, DbErr> {
    let row = ViewRow::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT d.id, d.title, d.stage, d.amount_minor, d.currency, d.created_at, d.closed_at, \
                d.outcome, d.close_note, bu.display_name AS closed_by_name, \
                cu.display_name AS client_name, cu.email AS client_email, \
                ou.display_name AS owner_name, tf.id AS transcript_id, \
                tf.name AS transcript_name, tf.size AS transcript_size, \
                tf.sha256 AS transcript_sha256 \
         FROM deals d \
         LEFT JOIN files tf ON tf.id = d.transcript_file_id \
         LEFT JOIN users cu ON cu.id = d.client_id \
         LEFT JOIN users ou ON ou.id = d.owner_id \
         LEFT JOIN users bu ON bu.id = d.closed_by \
         WHERE d.id = ?",
        [deal_id.into()],
    ))
    .one(db)
    .await?;
    Ok(row.map(|r| DealView {
        id: r.id,
        stage: r.stage,
        amount: stored_amount(r.id, r.amount_minor, r.currency.as_deref()),
        title: r.title,
        client_name: r.client_name.unwrap_or_default(),
        client_email: r.client_email.unwrap_or_default(),
        owner_name: r.owner_name,
        created_at_ms: r.created_at.timestamp_millis(),
        closed_at_ms: r.closed_at.map(|t| t.timestamp_millis()),
        outcome: r.outcome,
        close_note: r.close_note,
        closed_by_name: r.closed_by_name,
        transcript: match (r.transcript_id, r.transcript_name) {
            (Some(id), Some(name)) => Some(FileRef {
                id,
                name,
                size: r.transcript_size.unwrap_or(0),
                content_type: "application/pdf".to_owned(),
                sha256: r.transcript_sha256.unwrap_or_default(),
            }),
            _ => None,
        },
    }))
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

/// What a change to a closed deal is told: its chat is history now.
pub const CLOSED: &str =
    "This deal is closed: its chat, files, offers and payments are kept as they were.";

/// Refuses a change to a closed deal (409).
pub fn still_open(deal: &deal::Model) -> Result<(), AppError> {
    match deal.closed_at {
        Some(_) => Err(AppError::Conflict(CLOSED.into())),
        None => Ok(()),
    }
}

/// Inside a write (which holds the change clock, so no close can commit in between): whether
/// the deal exists and is still open. The read every write about a deal makes before it lands.
pub async fn is_open_in(w: &Write, deal_id: DealId) -> Result<bool, DbErr> {
    Ok(deal::Entity::find_by_id(deal_id)
        .one(&w.txn)
        .await?
        .is_some_and(|d| d.closed_at.is_none()))
}

/// `is_open_in` as a refusal (409) for writes that answer with the app's errors.
pub async fn still_open_in(w: &Write, deal_id: DealId) -> Result<(), AppError> {
    if is_open_in(w, deal_id).await? {
        Ok(())
    } else {
        Err(AppError::Conflict(CLOSED.into()))
    }
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
    conversation_id: ConversationId,
    stage: &str,
) -> Result<DealView, AppError> {
    let stage = DealStage::parse(stage).ok_or_else(|| {
        AppError::invalid(
            "stage",
            "Choose inquiry, proposal, negotiation, approval or completion.",
        )
    })?;
    let (conv, can) = access::load(db, viewer, conversation_id).await?;
    require_manage(can)?;
    let deal = deal_of(db, &conv).await?;
    still_open(&deal)?;
    let from = deal.stage;
    if from != stage {
        let by = display_name(db, viewer.id).await?;
        let mut row: deal::ActiveModel = deal.clone().into();
        row.stage = Set(stage);
        let event = SystemEvent::StageMoved {
            by,
            from,
            to: stage,
        };
        change(db, hub, row, conv.id, &event).await?;
    }
    view(db, deal.id).await?.ok_or(AppError::NotFound)
}

/// Sets the deal's amount.
#[tracing::instrument(skip(db, hub))]
pub async fn set_amount(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    conversation_id: ConversationId,
    amount: &str,
    currency: &str,
) -> Result<DealView, AppError> {
    let money = Money::parse(amount, currency)?;
    let (conv, can) = access::load(db, viewer, conversation_id).await?;
    require_manage(can)?;
    let deal = deal_of(db, &conv).await?;
    still_open(&deal)?;
    let mut row: deal::ActiveModel = deal.clone().into();
    row.amount_minor = Set(Some(money.minor));
    row.currency = Set(Some(money.currency.as_str().to_owned()));
    change(
        db,
        hub,
        row,
        conv.id,
        &SystemEvent::AmountSet { amount: money },
    )
    .await?;
    view(db, deal.id).await?.ok_or(AppError::NotFound)
}

/// What someone changed on a deal in the CRM, to apply here.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FromCrm {
    pub stage: Option<DealStage>,
    pub amount_minor: Option<i64>,
    pub owner: Option<UserId>,
}

/// Applies a change made in the CRM (named `crm_name` in the chat) in one write; the deal's
/// chats are told. No CRM job is queued: the CRM already holds these values. A closed deal
/// takes no change. Answers whether anything changed.
#[tracing::instrument(skip(db, hub))]
pub async fn apply_from_crm(
    db: &DatabaseConnection,
    hub: &Hub,
    deal_id: DealId,
    crm_name: &str,
    change: &FromCrm,
) -> Result<bool, DbErr> {
    let mut w = changes::begin(db).await?;
    let Some(deal) = deal::Entity::find_by_id(deal_id).one(&w.txn).await? else {
        return Ok(false);
    };
    if deal.closed_at.is_some() {
        return Ok(false);
    }
    let mut events = Vec::new();
    let mut row: deal::ActiveModel = deal.clone().into();
    if let Some(stage) = change.stage.filter(|s| *s != deal.stage) {
        row.stage = Set(stage);
        events.push(SystemEvent::StageMoved {
            by: crm_name.to_owned(),
            from: deal.stage,
            to: stage,
        });
    }
    if let Some(minor) = change
        .amount_minor
        .filter(|m| *m > 0 && Some(*m) != deal.amount_minor)
        && let Some(amount) = deal
            .currency
            .as_deref()
            .and_then(|c| Money::stored(minor, c))
    {
        row.amount_minor = Set(Some(minor));
        events.push(SystemEvent::AmountSet { amount });
    }
    let owner_changed = change.owner.is_some() && change.owner != deal.owner_id;
    if owner_changed {
        row.owner_id = Set(change.owner);
    }
    if events.is_empty() && !owner_changed {
        return Ok(false);
    }
    row.tick = Set(w.tick);
    row.update(&w.txn).await?;
    let chats = conversation::Entity::find()
        .filter(conversation::Column::DealId.eq(deal_id))
        .all(&w.txn)
        .await?;
    for chat in chats {
        let lines = events.iter().map(NewMessage::event).collect();
        messages::append(&mut w, chat.id, lines).await?;
    }
    w.commit(hub).await?;
    Ok(true)
}

/// Writes a change to the deal, queues it for the CRM and tells the chat, in one write.
async fn change(
    db: &DatabaseConnection,
    hub: &Hub,
    mut row: deal::ActiveModel,
    conversation_id: ConversationId,
    event: &SystemEvent,
) -> Result<(), AppError> {
    let mut w = changes::begin(db).await?;
    still_open_in(&w, *row.id.as_ref()).await?;
    row.tick = Set(w.tick);
    let deal = row.update(&w.txn).await?;
    jobs::enqueue(&w.txn, Job::SyncDeal { deal_id: deal.id }).await?;
    messages::append(&mut w, conversation_id, vec![NewMessage::event(event)]).await?;
    w.commit(hub).await?;
    Ok(())
}

/// Creates a deal for a general-question chat and links it.
#[tracing::instrument(skip(db, hub, store))]
pub async fn create_deal(
    db: &DatabaseConnection,
    hub: &Hub,
    store: &dyn FileStore,
    viewer: Viewer,
    conversation_id: ConversationId,
    title: &str,
) -> Result<DealView, AppError> {
    let title = parse_title(title, "title")?;
    let (conv, can) = access::load(db, viewer, conversation_id).await?;
    require_manage(can)?;
    if conv.deal_id.is_some() {
        return Err(AppError::Conflict("This chat already has a deal.".into()));
    }
    let client_id = conv.client_id.ok_or(AppError::NotFound)?;
    let mut w = changes::begin(db).await?;
    let deal = create(&w, &title, client_id, conv.assignee_id.or(Some(viewer.id))).await?;
    link_in(&mut w, &conv, &deal, true).await?;
    w.commit(hub).await?;
    make_folder(store, &deal).await;
    view(db, deal.id).await?.ok_or(AppError::NotFound)
}

/// Links an existing deal of the same client that has no chat yet.
#[tracing::instrument(skip(db, hub))]
pub async fn link_deal(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    conversation_id: ConversationId,
    deal_id: DealId,
) -> Result<DealView, AppError> {
    let (conv, can) = access::load(db, viewer, conversation_id).await?;
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
    link_in(&mut w, &conv, &deal, false).await?;
    w.commit(hub).await?;
    view(db, deal.id).await?.ok_or(AppError::NotFound)
}

async fn link_in(
    w: &mut changes::Write,
    conv: &conversation::Model,
    deal: &deal::Model,
    created: bool,
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
    messages::append(
        w,
        conv.id,
        vec![NewMessage::event(&SystemEvent::DealLinked {
            title: deal.title.clone(),
            created,
        })],
    )
    .await?;
    Ok(())
}

/// The client's deals that could be linked to this chat (those without a chat).
pub async fn linkable_deals(
    db: &DatabaseConnection,
    viewer: Viewer,
    conversation_id: ConversationId,
) -> Result<Vec<DealView>, AppError> {
    let (conv, can) = access::load(db, viewer, conversation_id).await?;
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
        if let Some(view) = view(db, d.id).await? {
            out.push(view);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(
            parse_title("  Website redesign ", "title").unwrap(),
            "Website redesign"
        );
        assert!(
            parse_title("   ", "title")
                .unwrap_err()
                .for_field("title")
                .is_some()
        );
        assert!(parse_title(&"x".repeat(121), "title").is_err());
        assert_eq!(
            parse_title("Site\u{202E}gnp.exe\n", "title").unwrap(),
            "Sitegnp.exe"
        );
        assert!(parse_title("\u{202E}\u{2066}", "title").is_err());
    }
}
