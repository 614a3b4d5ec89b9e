//! Deals as the chat sees them: created at Inquiry for a client, read as a view with the
//! client's contact details. Every change is queued for the CRM in the same transaction.

use crate::model::chat::DealView;
use crate::model::money::Money;
use crate::model::{AppError, DealStage};
use crate::server::entities::deal;
use crate::server::integrations::files::{FileStore, StoreKey};
use crate::server::realtime::changes::{Write, stmt};
use crate::server::services::{crm_sync, deal_files};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, FromQueryResult};

/// A deal title: 1 to 120 characters after trimming.
pub fn parse_title(raw: &str, field: &str) -> Result<String, AppError> {
    let title = raw.trim();
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
    client_id: i64,
    owner_id: Option<i64>,
) -> Result<deal::Model, DbErr> {
    let txn = &w.txn;
    let row = deal::ActiveModel {
        title: Set(title.to_owned()),
        client_id: Set(client_id),
        owner_id: Set(owner_id),
        stage: Set(DealStage::Inquiry.as_str().to_owned()),
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
    with_folder.folder_ref = Set(Some(deal_files::folder_of(*with_folder.id.as_ref())));
    let row = with_folder.update(txn).await?;
    crm_sync::enqueue_deal(txn, row.id).await?;
    Ok(row)
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
        tracing::warn!(error = %e, deal = deal.id, "could not make the deal's folder");
    }
}

pub fn stage_of(deal: &deal::Model) -> DealStage {
    stage_named(&deal.stage)
}

/// A stored stage name; a row can only hold one we wrote, so anything else reads as Inquiry.
fn stage_named(stored: &str) -> DealStage {
    DealStage::parse(stored).unwrap_or(DealStage::Inquiry)
}

pub fn amount_of(deal: &deal::Model) -> Option<Money> {
    money(deal.amount_minor, deal.currency.as_deref())
}

/// A stored amount: both columns set (they are written together) and a valid currency.
fn money(minor: Option<i64>, currency: Option<&str>) -> Option<Money> {
    Money::stored(minor?, currency?)
}

#[derive(Debug, FromQueryResult)]
struct ViewRow {
    id: i64,
    title: String,
    stage: String,
    amount_minor: Option<i64>,
    currency: Option<String>,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    client_name: Option<String>,
    client_email: Option<String>,
    owner_name: Option<String>,
}

/// The deal with its client's contact details and its owner's name, in one read.
pub async fn view(db: &impl ConnectionTrait, deal_id: i64) -> Result<Option<DealView>, DbErr> {
    let row = ViewRow::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT d.id, d.title, d.stage, d.amount_minor, d.currency, d.created_at, d.closed_at, \
                cu.display_name AS client_name, cu.email AS client_email, \
                ou.display_name AS owner_name \
         FROM deals d \
         LEFT JOIN users cu ON cu.id = d.client_id \
         LEFT JOIN users ou ON ou.id = d.owner_id \
         WHERE d.id = ?",
        [deal_id.into()],
    ))
    .one(db)
    .await?;
    Ok(row.map(|r| DealView {
        id: r.id,
        stage: stage_named(&r.stage),
        amount: money(r.amount_minor, r.currency.as_deref()),
        title: r.title,
        client_name: r.client_name.unwrap_or_default(),
        client_email: r.client_email.unwrap_or_default(),
        owner_name: r.owner_name,
        created_at_ms: r.created_at.timestamp_millis(),
        closed_at_ms: r.closed_at.map(|t| t.timestamp_millis()),
    }))
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
    }
}
