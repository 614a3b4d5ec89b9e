//! The CRM → app half of deal sync: every `crm.poll_secs` the deals changed in the CRM since the
//! cursor are read, and a stage, amount or owner someone changed there is applied to our deal,
//! so the client's stepper follows a stage moved in Zoho.
//!
//! Our own writes come back from the CRM too. A value is applied only when it differs from what
//! we last sent (`crm_deal_syncs`): the echo of our write equals it, and a write of ours still
//! waiting to go out is not undone by the CRM's older value.

use crate::model::DealStage;
use crate::model::ids::DealId;
use crate::server::crm::port::{CrmError, CrmPort, RemoteDeal};
use crate::server::crm::switch::Crms;
use crate::server::crm::sync::{Sent, last_sent, sent};
use crate::server::deals::service::{FromCrm, apply_from_crm};
use crate::server::platform::entities::{crm_poll_cursor, crm_ref, deal, user};
use crate::server::realtime::Hub;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::OnConflict,
};

/// Changes read per poll at most; the rest waits for the next one.
const BATCH: usize = 500;

/// How far back the first poll looks.
const FIRST_LOOK_BACK: Duration = Duration::days(1);

/// The CRM's change is read again from a second before the cursor: CRM times have whole
/// seconds, and applying a change twice changes nothing.
const OVERLAP: Duration = Duration::seconds(1);

/// What the CRM's deal means for ours, in the CRM's terms compared with what we last sent.
/// `stage_of` reads a CRM stage value as ours.
pub fn incoming(
    sent: Option<&Sent>,
    theirs: &RemoteDeal,
    stage_of: impl Fn(&str) -> Option<DealStage>,
) -> Incoming {
    let sent = sent.cloned().unwrap_or_default();
    let stage = (sent.stage.as_deref() != Some(theirs.stage.as_str()))
        .then(|| stage_of(&theirs.stage))
        .flatten();
    let amount_minor = (sent.amount_minor != theirs.amount_minor)
        .then_some(theirs.amount_minor)
        .flatten();
    // An owner we never saw is where the comparison starts, not a change.
    let owner_email = match (&sent.owner_email, &theirs.owner_email) {
        (Some(before), Some(now)) if !before.eq_ignore_ascii_case(now) => Some(now.clone()),
        _ => None,
    };
    Incoming {
        stage,
        amount_minor,
        owner_email,
    }
}

/// A change made in the CRM, to apply here.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Incoming {
    pub stage: Option<DealStage>,
    pub amount_minor: Option<i64>,
    pub owner_email: Option<String>,
}

/// One poll of the CRM in use; answers how many of our deals changed.
#[tracing::instrument(skip_all)]
pub async fn poll_deals(
    db: &DatabaseConnection,
    hub: &Hub,
    crms: &Crms,
) -> Result<usize, CrmError> {
    let crm = crms.current().await?;
    let provider = crm.provider();
    let cursor = crm_poll_cursor::Entity::find_by_id(provider.to_owned())
        .one(db)
        .await?
        .map_or_else(|| Utc::now() - FIRST_LOOK_BACK, |c| c.modified_after);
    let changes = crm.deals_changed_since(cursor - OVERLAP, BATCH).await?;
    let mut applied = 0;
    let mut newest = cursor;
    for theirs in &changes {
        newest = newest.max(theirs.modified_at);
        if apply_one(db, hub, crm.as_ref(), theirs).await? {
            applied += 1;
        }
    }
    if newest > cursor {
        advance(db, provider, newest).await?;
    }
    if applied > 0 {
        tracing::info!(
            provider,
            applied,
            read = changes.len(),
            "applied deal changes made in the CRM"
        );
    }
    Ok(applied)
}

async fn apply_one(
    db: &DatabaseConnection,
    hub: &Hub,
    crm: &dyn CrmPort,
    theirs: &RemoteDeal,
) -> Result<bool, CrmError> {
    let provider = crm.provider();
    let Some(ours) = crm_ref::Entity::find()
        .filter(crm_ref::Column::Provider.eq(provider))
        .filter(crm_ref::Column::Entity.eq("deal"))
        .filter(crm_ref::Column::RemoteId.eq(theirs.id.clone()))
        .one(db)
        .await?
    else {
        return Ok(false); // Not one of ours.
    };
    let deal_id = DealId(ours.entity_id);
    let before = last_sent(db, provider, deal_id).await?;
    let change = incoming(before.as_ref(), theirs, |v| crm.stage_of(v));
    let owner = match &change.owner_email {
        Some(email) => staff_named(db, email).await?,
        None => None,
    };
    let applied = if change.stage.is_some() || change.amount_minor.is_some() || owner.is_some() {
        let name = crm_name(provider);
        apply_from_crm(
            db,
            hub,
            deal_id,
            name,
            &FromCrm {
                stage: change.stage,
                amount_minor: change.amount_minor,
                owner,
            },
        )
        .await?
    } else {
        false
    };
    // The CRM's values are where the next comparison starts, applied or not (a stage no stage of
    // ours means, a closed deal, an owner who is not staff here).
    if deal::Entity::find_by_id(deal_id).one(db).await?.is_some() {
        sent(
            db,
            provider,
            deal_id,
            Sent {
                stage: Some(theirs.stage.clone()),
                amount_minor: theirs.amount_minor,
                owner_email: theirs.owner_email.clone(),
            },
        )
        .await?;
    }
    Ok(applied)
}

/// The staff member with this email, who may own deals.
async fn staff_named(
    db: &DatabaseConnection,
    email: &str,
) -> Result<Option<crate::model::ids::UserId>, sea_orm::DbErr> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.to_lowercase()))
        .one(db)
        .await?
        .filter(|u| u.role.is_staff() && !u.disabled)
        .map(|u| u.id))
}

/// How the chat names the CRM a change came from.
fn crm_name(provider: &str) -> &'static str {
    match provider {
        "zoho" => "Zoho CRM",
        _ => "The CRM",
    }
}

async fn advance(
    db: &DatabaseConnection,
    provider: &str,
    to: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    crm_poll_cursor::Entity::insert(crm_poll_cursor::ActiveModel {
        provider: Set(provider.to_owned()),
        modified_after: Set(to),
    })
    .on_conflict(
        OnConflict::column(crm_poll_cursor::Column::Provider)
            .update_column(crm_poll_cursor::Column::ModifiedAfter)
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::crm::stage_map::StageMap;

    fn theirs(stage: &str, amount: Option<i64>, owner: Option<&str>) -> RemoteDeal {
        RemoteDeal {
            id: "1".into(),
            stage: stage.into(),
            amount_minor: amount,
            owner_email: owner.map(str::to_owned),
            modified_at: Utc::now(),
        }
    }

    fn sent(stage: &str, amount: Option<i64>, owner: Option<&str>) -> Sent {
        Sent {
            stage: Some(stage.into()),
            amount_minor: amount,
            owner_email: owner.map(str::to_owned),
        }
    }

    #[test]
    fn the_echo_of_our_own_write_changes_nothing() {
        let map = StageMap::zoho_standard();
        let ours = sent(
            "Proposal/Price Quote",
            Some(150_000),
            Some("mia@example.com"),
        );
        let echo = theirs(
            "Proposal/Price Quote",
            Some(150_000),
            Some("MIA@example.com"),
        );
        assert_eq!(
            incoming(Some(&ours), &echo, |v| map.from_crm(v)),
            Incoming::default()
        );
    }

    #[test]
    fn what_someone_changed_in_the_crm_is_applied() {
        let map = StageMap::zoho_standard();
        let ours = sent(
            "Proposal/Price Quote",
            Some(150_000),
            Some("mia@example.com"),
        );
        let moved = theirs("Negotiation/Review", Some(180_000), Some("max@example.com"));
        assert_eq!(
            incoming(Some(&ours), &moved, |v| map.from_crm(v)),
            Incoming {
                stage: Some(DealStage::Negotiation),
                amount_minor: Some(180_000),
                owner_email: Some("max@example.com".into()),
            }
        );
    }

    #[test]
    fn unknown_stages_removed_amounts_and_first_seen_owners_are_not_applied() {
        let map = StageMap::zoho_standard();
        let ours = Sent {
            stage: Some("Qualification".into()),
            amount_minor: Some(100),
            owner_email: None,
        };
        let odd = theirs("Closed Lost", None, Some("max@example.com"));
        assert_eq!(
            incoming(Some(&ours), &odd, |v| map.from_crm(v)),
            Incoming::default()
        );
        // Never sent anything: the CRM's values are new to us and applied, but not the owner.
        let first = theirs("Negotiation/Review", Some(500), Some("max@example.com"));
        let seen = incoming(None, &first, |v| map.from_crm(v));
        assert_eq!(seen.stage, Some(DealStage::Negotiation));
        assert_eq!(seen.amount_minor, Some(500));
        assert_eq!(seen.owner_email, None);
    }
}
