//! "Max is typing…": a writer's browser announces that they are typing; the other side's open
//! chat shows it (clients see the staff side's, staff see the client's). Nothing is stored.

use crate::model::ids::ConversationId;
use crate::model::{AppError, Role};
use crate::server::access::{Viewer, load};
use crate::server::channels::service as channels;
use crate::server::realtime::Hub;
use crate::server::realtime::changes::stmt;
use crate::server::realtime::typing::{TYPING_CHANNEL, Typing};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use std::time::Instant;

/// Announces that `viewer` is typing in the chat. Only someone who may write there may announce;
/// announcements closer together than `typing::MIN_GAP` are answered but not passed on.
#[tracing::instrument(skip(db, hub, name))]
pub async fn announce(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    name: &str,
    conversation_id: ConversationId,
) -> Result<(), AppError> {
    let (conv, can) = load(db, viewer, conversation_id).await?;
    if !can.reply {
        return Err(AppError::Forbidden);
    }
    if !hub.typing.due(conv.id, viewer.id, Instant::now()) {
        return Ok(());
    }
    let staff = viewer.role != Role::Client;
    let name_for_client = match staff {
        true => channels::voice_of(db, conv.channel_id)
            .await?
            .unwrap_or_else(|| name.to_owned()),
        false => name.to_owned(),
    };
    let typing = hub.typing.publish(Typing {
        conversation_id: conv.id,
        user: viewer.id,
        staff,
        name_for_staff: name.to_owned(),
        name_for_client,
        origin: 0,
    });
    // Other instances hear it through NOTIFY (outside any transaction: it is sent at once).
    if db.get_database_backend() == DbBackend::Postgres {
        let payload = serde_json::to_string(&typing).map_err(|_| AppError::Internal)?;
        db.execute_raw(stmt(
            DbBackend::Postgres,
            "SELECT pg_notify(?, ?)",
            [TYPING_CHANNEL.into(), payload.into()],
        ))
        .await?;
    }
    Ok(())
}

/// What the reader shows of an announcement: the name, when it is the other side's.
pub fn shown_to(typing: &Typing, viewer: Viewer) -> Option<String> {
    let reader_is_staff = viewer.role != Role::Client;
    if typing.user == viewer.id || typing.staff == reader_is_staff {
        return None;
    }
    Some(if reader_is_staff {
        typing.name_for_staff.clone()
    } else {
        typing.name_for_client.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::UserId;

    fn typing(user: i64, staff: bool) -> Typing {
        Typing {
            conversation_id: ConversationId(1),
            user: UserId(user),
            staff,
            name_for_staff: "Max Staff".into(),
            name_for_client: "Sales".into(),
            origin: 0,
        }
    }

    fn viewer(id: i64, role: Role) -> Viewer {
        Viewer {
            id: UserId(id),
            role,
        }
    }

    #[test]
    fn each_side_sees_the_other_sides_typing_in_its_own_words() {
        let client = viewer(1, Role::Client);
        let manager = viewer(2, Role::Manager);
        let colleague = viewer(3, Role::Admin);
        let by_manager = typing(2, true);
        assert_eq!(shown_to(&by_manager, client).as_deref(), Some("Sales"));
        assert_eq!(shown_to(&by_manager, manager), None, "own typing");
        assert_eq!(shown_to(&by_manager, colleague), None, "same side");
        let by_client = typing(1, false);
        assert_eq!(shown_to(&by_client, manager).as_deref(), Some("Max Staff"));
        assert_eq!(shown_to(&by_client, client), None);
    }
}
