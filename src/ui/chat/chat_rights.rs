//! What the open chat lets the reader do, as far as the page needs to know which controls to
//! offer. The server decides every request again (`chat_access`); this only avoids offering
//! buttons that would be refused.

use crate::model::chat::ChatDetail;
use crate::model::{Role, UserView};

/// Whether to offer deal management (stage, amount, creating or linking a deal).
///
/// `ChatDetail::can_change_stage` says it only for chats that have a deal; for a general
/// question without one the rule of `chat_access` is repeated: admins manage every deal,
/// managers the chats they accepted (where they may reply).
pub fn may_manage_deal(detail: &ChatDetail, me: &UserView) -> bool {
    detail.can_change_stage
        || match me.role {
            Role::Admin => true,
            Role::Manager => detail.can_reply,
            Role::Client => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::chat::ChatSummary;

    fn detail(can_reply: bool, can_change_stage: bool) -> ChatDetail {
        ChatDetail {
            summary: ChatSummary {
                id: crate::model::ids::ConversationId(1),
                title: "Question".into(),
                deal_id: None,
                stage: None,
                client_id: Some(crate::model::ids::UserId(3)),
                client_name: "Clara".into(),
                assignee_id: None,
                assignee_name: None,
                waiting_since_ms: None,
                last_message_preview: None,
                last_activity_ms: 0,
                last_seq: 1,
                unread: 0,
                last_read_seq: 0,
                seen_seq: 0,
                queue: None,
                queue_name: None,
                channel: None,
                channel_name: None,
                archived: false,
            },
            deal: None,
            messages: Vec::new(),
            has_older: false,
            can_reply,
            can_accept: false,
            can_change_stage,
            voice_image: None,
            can_attach: false,
        }
    }

    fn user(role: Role) -> UserView {
        UserView {
            id: crate::model::ids::UserId(2),
            email: "x@example.com".into(),
            display_name: "X".into(),
            role,
            disabled: false,
            sound_on: true,
        }
    }

    #[test]
    fn a_manager_manages_the_deal_of_a_chat_they_accepted() {
        assert!(may_manage_deal(&detail(true, false), &user(Role::Manager)));
        assert!(!may_manage_deal(
            &detail(false, false),
            &user(Role::Manager)
        ));
    }

    #[test]
    fn an_admin_manages_any_deal_and_a_client_none() {
        assert!(may_manage_deal(&detail(false, false), &user(Role::Admin)));
        assert!(!may_manage_deal(&detail(true, false), &user(Role::Client)));
        assert!(may_manage_deal(&detail(false, true), &user(Role::Manager)));
    }
}
