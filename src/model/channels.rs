//! Channels as the admin page and the new-chat form show them, the two rights a channel
//! grants, and the rule for a channel's language tag.

use crate::model::ids::{ChannelId, QueueId, TeamId};
use crate::model::names::stored_names;
use crate::model::queues::{QueueView, TeamView};
use crate::model::role::Role;
use serde::{Deserialize, Serialize};

/// What a grant on a channel allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(value_type = "String", to_str = "ChannelRight::as_str")
)]
pub enum ChannelRight {
    /// Start chats in it.
    Use,
    /// See its waiting chats, accept them, be assigned and reply.
    Operate,
}

stored_names!(ChannelRight {
    Use => "use",
    Operate => "operate",
});

/// Who holds a right: roles and teams (administrators always hold every right).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grants {
    pub roles: Vec<Role>,
    pub teams: Vec<TeamId>,
}

/// A channel on the admin page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    pub id: ChannelId,
    pub name: String,
    pub active: bool,
    pub queue: QueueId,
    pub queue_name: String,
    pub language: String,
    pub on_behalf: bool,
    pub wrap_up_required: bool,
    /// Clients may attach files and images in chats without a deal.
    #[serde(default)]
    pub client_files: bool,
    pub is_default: bool,
    pub use_grants: Grants,
    pub operate_grants: Grants,
    /// The address of its picture, if it has one.
    #[serde(default)]
    pub image: Option<String>,
}

/// The address of a channel's picture in its `version` (a new picture, a new address, so
/// browsers may keep each one).
pub fn image_url(id: ChannelId, version: i64) -> String {
    format!("/channels/{id}/image?v={version}")
}

/// Everything the channels admin page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelsAdmin {
    pub channels: Vec<ChannelView>,
    pub queues: Vec<QueueView>,
    pub teams: Vec<TeamView>,
}

/// A channel a client may start a chat in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelChoice {
    pub id: ChannelId,
    pub name: String,
    pub is_default: bool,
}

/// One grant in a form's list: `role:client` or `team:3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    Role(Role),
    Team(TeamId),
}

impl Grant {
    pub fn encode(self) -> String {
        match self {
            Grant::Role(role) => format!("role:{}", role.as_str()),
            Grant::Team(id) => format!("team:{id}"),
        }
    }
}

/// A form's list of grants, comma separated (blank: none). None when an item is malformed.
pub fn parse_grants(raw: &str) -> Option<Grants> {
    let mut grants = Grants::default();
    for item in raw.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (kind, value) = item.split_once(':')?;
        match kind {
            "role" => grants.roles.push(Role::parse(value)?),
            "team" => grants
                .teams
                .push(TeamId(value.parse().ok().filter(|id: &i64| *id > 0)?)),
            _ => return None,
        }
    }
    Some(grants)
}

impl Grants {
    /// The form's list of these grants.
    pub fn encode(&self) -> String {
        self.roles
            .iter()
            .map(|r| Grant::Role(*r))
            .chain(self.teams.iter().map(|t| Grant::Team(*t)))
            .map(Grant::encode)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn holds(&self, grant: Grant) -> bool {
        match grant {
            Grant::Role(role) => self.roles.contains(&role),
            Grant::Team(team) => self.teams.contains(&team),
        }
    }
}

/// Languages the admin page suggests (any well-formed tag is accepted).
pub const SUGGESTED_LANGUAGES: [(&str, &str); 12] = [
    ("en", "English"),
    ("de", "German"),
    ("fr", "French"),
    ("es", "Spanish"),
    ("it", "Italian"),
    ("pt", "Portuguese"),
    ("nl", "Dutch"),
    ("pl", "Polish"),
    ("uk", "Ukrainian"),
    ("ar", "Arabic"),
    ("he", "Hebrew"),
    ("zh", "Chinese"),
];

/// A language tag as BCP 47 writes it: a 2–3 letter language, then optional subtags of 2–8
/// letters or digits ("en", "en-US", "zh-Hant-TW"); the language lower case, a 2-letter region
/// upper case, a 4-letter script capitalised. None when it is not such a tag.
pub fn parse_language(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 35 {
        return None;
    }
    let mut parts = raw.split(['-', '_']);
    let lang = parts.next()?;
    if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let mut tag = lang.to_ascii_lowercase();
    for sub in parts {
        if !(2..=8).contains(&sub.len()) || !sub.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        tag.push('-');
        let alpha = sub.bytes().all(|b| b.is_ascii_alphabetic());
        match sub.len() {
            2 if alpha => tag.push_str(&sub.to_ascii_uppercase()),
            4 if alpha => {
                tag.push_str(&sub[..1].to_ascii_uppercase());
                tag.push_str(&sub[1..].to_ascii_lowercase());
            }
            _ => tag.push_str(&sub.to_ascii_lowercase()),
        }
    }
    Some(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_travel_as_one_form_field() {
        let grants = Grants {
            roles: vec![Role::Client],
            teams: vec![TeamId(3), TeamId(12)],
        };
        assert_eq!(grants.encode(), "role:client,team:3,team:12");
        assert_eq!(parse_grants(&grants.encode()), Some(grants));
        assert_eq!(parse_grants(" "), Some(Grants::default()));
        for bad in ["role:boss", "team:x", "team:0", "client", "user:3"] {
            assert_eq!(parse_grants(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_language_tag_is_written_the_bcp47_way() {
        assert_eq!(parse_language(" en ").as_deref(), Some("en"));
        assert_eq!(parse_language("en_us").as_deref(), Some("en-US"));
        assert_eq!(parse_language("ZH-hant-tw").as_deref(), Some("zh-Hant-TW"));
        assert_eq!(parse_language("es-419").as_deref(), Some("es-419"));
        for bad in [
            "",
            "e",
            "english",
            "en-",
            "en--US",
            "1a",
            "en-U",
            "en-toolongsub",
        ] {
            assert_eq!(parse_language(bad), None, "{bad}");
        }
    }
}
