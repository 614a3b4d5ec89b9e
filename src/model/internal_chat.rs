//! Internal chats as the browser gets them: personal chats between two users and group chats
//! with member roles (who may manage, write or only read). Times are milliseconds since the Unix
//! epoch (UTC), as in `model::chat`.

use crate::model::chat::{ConversationKind, MessageView};
use crate::model::ids::{ConversationId, TeamId, UserId};
use crate::model::names::stored_names;
use crate::model::record_link::RecordLinkView;
use crate::model::{AppError, label};
use serde::{Deserialize, Serialize};

/// What a member of a group chat may do there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberRole {
    /// Reads, writes, and manages the chat: its name, members, their roles, closing it.
    Admin,
    /// Reads and writes (messages, files).
    Member,
    /// Reads only.
    Viewer,
}

stored_names!(MemberRole {
    Admin => "admin",
    Member => "member",
    Viewer => "viewer",
});

impl MemberRole {
    pub fn may_write(self) -> bool {
        matches!(self, MemberRole::Admin | MemberRole::Member)
    }

    pub fn may_manage(self) -> bool {
        self == MemberRole::Admin
    }

    pub fn label(self) -> &'static str {
        match self {
            MemberRole::Admin => "Admin",
            MemberRole::Member => "Member",
            MemberRole::Viewer => "Viewer",
        }
    }

    /// The role in a sentence ("made Bo a viewer").
    pub fn with_article(self) -> &'static str {
        match self {
            MemberRole::Admin => "an admin",
            MemberRole::Member => "a member",
            MemberRole::Viewer => "a viewer",
        }
    }
}

/// The longest group chat name, in characters.
pub const MAX_TITLE_CHARS: usize = 100;

/// A group chat's name as given: cleaned of characters that could disguise it, 1 to
/// `MAX_TITLE_CHARS` characters.
pub fn parse_title(raw: &str) -> Result<String, AppError> {
    let title = label::clean(raw);
    if title.is_empty() {
        return Err(AppError::invalid("title", "Give the chat a name."));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(AppError::invalid(
            "title",
            format!("A chat's name may be at most {MAX_TITLE_CHARS} characters."),
        ));
    }
    Ok(title)
}

/// Ids as a form sends them: `"3, 5,8"`; blanks between are ignored, each id once.
pub fn parse_ids(field: &'static str, raw: Option<&str>) -> Result<Vec<i64>, AppError> {
    let mut ids = Vec::new();
    for part in raw.unwrap_or("").split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let id: i64 = part
            .parse()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| AppError::invalid(field, format!("`{part}` is not an id.")))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Who to add to a group chat: people, and teams whose members are added as they are now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Invitees {
    pub users: Vec<UserId>,
    pub teams: Vec<TeamId>,
}

impl Invitees {
    pub fn parse(users: Option<&str>, teams: Option<&str>) -> Result<Invitees, AppError> {
        Ok(Invitees {
            users: parse_ids("user_ids", users)?
                .into_iter()
                .map(UserId)
                .collect(),
            teams: parse_ids("team_ids", teams)?
                .into_iter()
                .map(TeamId)
                .collect(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.teams.is_empty()
    }
}

/// A row of the Chats tab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternalChatSummary {
    pub id: ConversationId,
    pub kind: ConversationKind,
    /// A group's name; for a personal chat, the other person's name.
    pub title: String,
    /// The other person of a personal chat.
    pub other_id: Option<UserId>,
    pub my_role: MemberRole,
    pub closed: bool,
    pub last_message_at_ms: i64,
    /// Messages by others after the reader's read marker.
    pub unread: i64,
    pub members: i64,
}

/// A member as the chat's member list shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: UserId,
    pub name: String,
    pub role: MemberRole,
    /// An employee (not a portal user).
    pub staff: bool,
}

/// An internal chat as it opens: its row, members, newest messages and the reader's rights.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternalChatDetail {
    pub summary: InternalChatSummary,
    pub members: Vec<MemberView>,
    pub messages: Vec<MessageView>,
    pub has_older: bool,
    pub can_write: bool,
    pub can_manage: bool,
    /// The CRM records the chat is linked to.
    pub links: Vec<RecordLinkView>,
    /// The reader may link and unlink records: a chat admin who is staff.
    pub can_link: bool,
}

/// Someone a personal chat may be started with, or a group member picked from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonView {
    pub id: UserId,
    pub name: String,
    pub staff: bool,
}

/// A team whose members can be added to a group chat at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamChoice {
    pub id: TeamId,
    pub name: String,
    pub members: i64,
}

/// The admin's settings of internal chats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternalChatSettings {
    /// The role people get when added to a group chat (its creator is its admin).
    pub default_role: MemberRole,
}

impl Default for InternalChatSettings {
    fn default() -> Self {
        InternalChatSettings {
            default_role: MemberRole::Member,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_say_what_they_allow() {
        assert!(MemberRole::Admin.may_manage() && MemberRole::Admin.may_write());
        assert!(!MemberRole::Member.may_manage() && MemberRole::Member.may_write());
        assert!(!MemberRole::Viewer.may_manage() && !MemberRole::Viewer.may_write());
        assert_eq!(MemberRole::parse("viewer"), Some(MemberRole::Viewer));
        assert_eq!(MemberRole::parse("owner"), None);
    }

    #[test]
    fn titles_are_cleaned_and_bounded() {
        assert_eq!(
            parse_title("  Roof\u{202E} team ").as_deref(),
            Ok("Roof team")
        );
        assert!(parse_title(" \u{200F} ").is_err());
        assert!(parse_title(&"x".repeat(MAX_TITLE_CHARS + 1)).is_err());
        assert!(parse_title(&"x".repeat(MAX_TITLE_CHARS)).is_ok());
    }

    #[test]
    fn ids_are_read_once_each_and_bad_ones_named() {
        assert_eq!(parse_ids("user_ids", Some(" 3, 5,,3 ")), Ok(vec![3, 5]));
        assert_eq!(parse_ids("user_ids", None), Ok(vec![]));
        let err = parse_ids("user_ids", Some("3,x")).expect_err("x is no id");
        assert!(matches!(err, AppError::Invalid { ref field, .. } if field == "user_ids"));
        assert!(parse_ids("team_ids", Some("-1")).is_err());
    }
}
