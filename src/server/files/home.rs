//! Where a chat's file lives, and who may put one there. A chat with a deal keeps seed 000's rule:
//! files go into the deal's folder (clients and the deal's managers), and staff share files in the
//! chat. A chat without a deal (a general question) keeps its files itself: its staff may share
//! there, and its clients too when the chat's channel allows it. An internal chat (personal or
//! group) keeps its files itself too, and every member who may write there may share them.

use crate::model::chat::FileOrigin;
use crate::model::command::ShareNote;
use crate::model::file_size::file_size;
use crate::model::ids::{ConversationId, DealId};
use crate::model::{AppError, Role};
use crate::server::access::{self, Viewer};
use crate::server::channels::service as channels;
use crate::server::files::deal_files;
use crate::server::files::rules as file_rules;
use crate::server::platform::entities::deal;
use crate::server::realtime::changes::stmt;
use crate::server::storage::{StoreError, StoreKey};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};

/// Where a file of a chat goes.
#[derive(Clone, Debug)]
pub enum Home {
    /// The deal's folder (a share in its chat is a file of the deal too).
    Deal(Box<deal::Model>),
    /// A chat without a deal: the file belongs to the chat alone.
    Chat(ConversationId),
}

/// Said when an offer (`#q`) is asked for where there is no deal to decide it for.
pub const OFFER_NEEDS_DEAL: &str =
    "An offer needs a deal: create or link one to this chat first, then share the file with #q.";

impl Home {
    /// The deal the file belongs to, if any.
    pub fn deal_id(&self) -> Option<DealId> {
        match self {
            Home::Deal(deal) => Some(deal.id),
            Home::Chat(_) => None,
        }
    }

    /// The store key of an upload's file: the folder, then the name after a piece of the token
    /// (two files of the same name never meet).
    pub fn key(&self, token: &str, name: &str) -> Result<StoreKey, StoreError> {
        let folder = match self {
            Home::Deal(deal) => deal
                .folder_ref
                .clone()
                .unwrap_or_else(|| crate::server::deals::service::folder_of(deal.id)),
            Home::Chat(id) => chat_folder(*id),
        };
        StoreKey::parse(&folder)
            .and_then(|f| f.child(&format!("{}-{}", &token[..12], file_rules::key_name(name))))
    }

    /// Refuses a share whose text asks for an offer where there is no deal.
    pub fn check_share(&self, share: Option<&ShareNote>) -> Result<(), AppError> {
        match (self, share) {
            (Home::Chat(_), Some(ShareNote { offer: true, .. })) => {
                Err(AppError::Conflict(OFFER_NEEDS_DEAL.into()))
            }
            _ => Ok(()),
        }
    }

    /// The bytes this home's files take, stored and arriving (unfinished uploads that have not
    /// expired), and the most it may take.
    pub async fn usage(
        &self,
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
        deal_quota: u64,
        chat_quota: u64,
    ) -> Result<Usage, AppError> {
        let (sql, id, quota, what) = match self {
            Home::Deal(deal) => (
                "SELECT CAST(COALESCE((SELECT SUM(size) FROM files WHERE deal_id = ?), 0) \
                 + COALESCE((SELECT SUM(size) FROM uploads WHERE deal_id = ? AND file_id IS NULL \
                 AND expires_at > ?), 0) AS BIGINT) AS used",
                deal.id.0,
                deal_quota,
                "This deal's files",
            ),
            Home::Chat(id) => (
                "SELECT CAST(COALESCE((SELECT SUM(size) FROM files \
                   WHERE conversation_id = ? AND deal_id IS NULL), 0) \
                 + COALESCE((SELECT SUM(size) FROM uploads WHERE conversation_id = ? \
                   AND deal_id IS NULL AND file_id IS NULL AND expires_at > ?), 0) AS BIGINT) \
                 AS used",
                id.0,
                chat_quota,
                "This chat's files",
            ),
        };
        let used = db
            .query_one_raw(stmt(
                db.get_database_backend(),
                sql,
                [id.into(), id.into(), now.into()],
            ))
            .await?
            .map(|r| r.try_get::<i64>("", "used"))
            .transpose()?
            .unwrap_or(0);
        Ok(Usage {
            used: u64::try_from(used).unwrap_or(0),
            quota,
            what,
        })
    }
}

/// What a home's files take and may take.
pub struct Usage {
    pub used: u64,
    pub quota: u64,
    what: &'static str,
}

impl Usage {
    /// Refuses a file that would take the home over its quota, saying what is used.
    pub fn check(&self, size: u64) -> Result<(), AppError> {
        if self.used.saturating_add(size) <= self.quota {
            return Ok(());
        }
        let shown = |n: u64| file_size(i64::try_from(n).unwrap_or(i64::MAX));
        Err(AppError::invalid(
            "size",
            format!(
                "{} may take {} in all and {} are taken; this file needs {}. \
                 Remove files or ask an administrator for more room.",
                self.what,
                shown(self.quota),
                shown(self.used),
                shown(size)
            ),
        ))
    }
}

/// Where the files of a chat without a deal are kept in the store.
pub fn chat_folder(id: ConversationId) -> String {
    format!("chats/{id}")
}

/// The checks every upload passes, at creation and again when it completes (rights may have
/// changed while the bytes travelled): where its file goes.
pub async fn authorise(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    conversation_id: ConversationId,
    purpose: FileOrigin,
) -> Result<Home, AppError> {
    let (conv, can) = access::load(db, viewer, conversation_id).await?;
    let Some(deal_id) = conv.deal_id else {
        return match purpose {
            FileOrigin::DealFolder => Err(AppError::Conflict(
                "This chat has no deal yet, so it has no deal files.".into(),
            )),
            FileOrigin::ChatShare => {
                let allowed = can.reply
                    && match viewer.role {
                        _ if conv.kind.is_internal() => true,
                        Role::Client => channels::clients_attach(db, conv.channel_id).await?,
                        Role::Manager | Role::Admin => true,
                    };
                if allowed {
                    Ok(Home::Chat(conv.id))
                } else {
                    Err(AppError::Forbidden)
                }
            }
            FileOrigin::Transcript => Err(AppError::Forbidden),
        };
    };
    let deal = deal::Entity::find_by_id(deal_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if deal.closed_at.is_some() {
        return Err(AppError::Conflict(
            "This deal is closed; its files can no longer change.".into(),
        ));
    }
    let allowed = match purpose {
        FileOrigin::DealFolder => deal_files::may_upload_to_folder(viewer, can, &deal),
        FileOrigin::ChatShare => can.reply && viewer.role != Role::Client,
        // Made by the product only.
        FileOrigin::Transcript => false,
    };
    if !allowed {
        return Err(AppError::Forbidden);
    }
    Ok(Home::Deal(Box::new(deal)))
}

/// Whether the viewer may attach files in the composer of this chat: staff who may reply, and a
/// client in a chat without a deal whose channel allows it (a deal's client uses its folder).
pub async fn may_attach(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    conv: &crate::server::platform::entities::conversation::Model,
    can_reply: bool,
) -> Result<bool, AppError> {
    Ok(can_reply
        && match viewer.role {
            _ if conv.kind.is_internal() => true,
            Role::Manager | Role::Admin => true,
            Role::Client => {
                conv.deal_id.is_none() && channels::clients_attach(db, conv.channel_id).await?
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(used: u64, quota: u64) -> Usage {
        Usage {
            used,
            quota,
            what: "This chat's files",
        }
    }

    #[test]
    fn a_file_fits_up_to_the_quota_and_not_a_byte_more() {
        assert!(usage(90, 100).check(10).is_ok());
        let refused = usage(90, 100).check(11).unwrap_err();
        assert!(
            refused.to_string().contains("This chat's files may take"),
            "{refused}"
        );
        assert!(usage(u64::MAX, 100).check(1).is_err());
    }

    #[test]
    fn an_offer_needs_a_deal() {
        let chat = Home::Chat(ConversationId(7));
        let offer = ShareNote::parse("#q quotation");
        assert!(offer.offer);
        assert!(matches!(
            chat.check_share(Some(&offer)),
            Err(AppError::Conflict(m)) if m == OFFER_NEEDS_DEAL
        ));
        assert!(
            chat.check_share(Some(&ShareNote::parse("the photo")))
                .is_ok()
        );
        assert!(chat.check_share(None).is_ok());
    }

    #[test]
    fn a_chat_keeps_its_files_in_its_own_folder() {
        let key = Home::Chat(ConversationId(42))
            .key("0123456789abcdef0123456789abcdef", "photo.png")
            .unwrap();
        assert!(
            key.as_str().starts_with("chats/42/0123456789ab-"),
            "{}",
            key.as_str()
        );
        assert!(key.as_str().ends_with("photo.png"));
    }
}
