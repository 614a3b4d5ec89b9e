//! Deals as the chat sees them: created at Inquiry for a client, read as a view with the
//! client's contact details. Every change is queued for the CRM in the same transaction.

use crate::model::chat::DealView;
use crate::model::money::{Currency, Money};
use crate::model::{AppError, DealStage};
use crate::server::entities::{deal, user};
use crate::server::services::crm_sync;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

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

/// Creates a deal at Inquiry and queues it for the CRM.
pub async fn create(
    txn: &impl ConnectionTrait,
    title: &str,
    client_id: i64,
    owner_id: Option<i64>,
) -> Result<deal::Model, DbErr> {
    let row = deal::ActiveModel {
        title: Set(title.to_owned()),
        client_id: Set(client_id),
        owner_id: Set(owner_id),
        stage: Set(DealStage::Inquiry.as_str().to_owned()),
        amount_minor: Set(None),
        currency: Set(None),
        created_at: Set(Utc::now()),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    crm_sync::enqueue_deal(txn, row.id).await?;
    Ok(row)
}

pub fn stage_of(deal: &deal::Model) -> DealStage {
    DealStage::parse(&deal.stage).unwrap_or(DealStage::Inquiry)
}

pub fn amount_of(deal: &deal::Model) -> Option<Money> {
    let currency = Currency::parse(deal.currency.as_deref()?).ok()?;
    Some(Money {
        minor: deal.amount_minor?,
        currency,
    })
}

pub async fn view(db: &impl ConnectionTrait, deal_id: i64) -> Result<Option<DealView>, DbErr> {
    let Some(deal) = deal::Entity::find_by_id(deal_id).one(db).await? else {
        return Ok(None);
    };
    let client = user::Entity::find_by_id(deal.client_id).one(db).await?;
    let owner = match deal.owner_id {
        Some(id) => user::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    Ok(Some(DealView {
        id: deal.id,
        title: deal.title.clone(),
        stage: stage_of(&deal),
        amount: amount_of(&deal),
        client_name: client
            .as_ref()
            .map(|c| c.display_name.clone())
            .unwrap_or_default(),
        client_email: client.map(|c| c.email).unwrap_or_default(),
        owner_name: owner.map(|o| o.display_name),
        created_at_ms: deal.created_at.timestamp_millis(),
        closed_at_ms: deal.closed_at.map(|t| t.timestamp_millis()),
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
