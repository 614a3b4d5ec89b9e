//! Chats linked to CRM records (a deal, a contact, an account of the built-in CRM). The kinds of
//! record are data (`record_link_types`): each has a name, a label, and the kind whose pick
//! narrows its choices (an account narrows deals and contacts). A record is named by its kind and
//! its id as text, so ids of any CRM fit.

use crate::model::AppError;
use serde::{Deserialize, Serialize};

/// The longest kind name and record id, as stored.
pub const MAX_KIND_CHARS: usize = 40;
pub const MAX_RECORD_ID_CHARS: usize = 64;

/// A record: its kind (`deal`) and id (`12`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RecordRef {
    pub kind: String,
    pub id: String,
}

impl RecordRef {
    /// A record as a form names it: the kind (lower-case letters and `_`) and the id (letters,
    /// digits, `-`, `_`, `.`), each checked for length and form.
    pub fn parse(kind: &str, id: &str) -> Result<RecordRef, AppError> {
        let kind = kind.trim();
        let id = id.trim();
        if kind.is_empty()
            || kind.chars().count() > MAX_KIND_CHARS
            || !kind.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        {
            return Err(AppError::invalid("kind", "Choose a kind of record."));
        }
        if id.is_empty()
            || id.chars().count() > MAX_RECORD_ID_CHARS
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(AppError::invalid("record_id", "Choose a record."));
        }
        Ok(RecordRef {
            kind: kind.to_owned(),
            id: id.to_owned(),
        })
    }

    /// Records as a form sends them: `"deal:12, contact:5"`; each once.
    pub fn parse_list(raw: Option<&str>) -> Result<Vec<RecordRef>, AppError> {
        let mut refs: Vec<RecordRef> = Vec::new();
        for part in raw.unwrap_or("").split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (kind, id) = part
                .split_once(':')
                .ok_or_else(|| AppError::invalid("links", format!("`{part}` is not kind:id.")))?;
            let r = RecordRef::parse(kind, id)?;
            if !refs.contains(&r) {
                refs.push(r);
            }
        }
        Ok(refs)
    }
}

/// A kind of record a chat can be linked to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordKindView {
    pub name: String,
    pub label: String,
    /// The kind whose pick narrows this one's choices (`account` for deals and contacts).
    pub parent: Option<String>,
}

/// A record a picker offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordChoice {
    pub record: RecordRef,
    pub title: String,
    /// A second line: the deal's client, the contact's email.
    pub detail: Option<String>,
}

/// A chat's link to a record, as the chat and the record's page show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordLinkView {
    pub record: RecordRef,
    pub kind_label: String,
    /// The record's name now ("Record 12 (gone)" once it is deleted).
    pub title: String,
    /// The record's page in the app, for kinds that have one.
    pub href: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_named_by_a_kind_and_an_id_of_plain_characters() {
        assert_eq!(
            RecordRef::parse(" deal ", "12"),
            Ok(RecordRef {
                kind: "deal".into(),
                id: "12".into()
            })
        );
        assert!(RecordRef::parse("Deal", "12").is_err());
        assert!(RecordRef::parse("deal", "1 2").is_err());
        assert!(RecordRef::parse("deal", "").is_err());
        assert!(RecordRef::parse("deal", &"9".repeat(MAX_RECORD_ID_CHARS + 1)).is_err());
        assert!(RecordRef::parse(&"a".repeat(MAX_KIND_CHARS + 1), "1").is_err());
        assert!(RecordRef::parse("deal;drop", "1").is_err());
    }

    #[test]
    fn a_list_of_records_keeps_each_once_and_names_what_it_cannot_read() {
        let refs = RecordRef::parse_list(Some("deal:12, contact:5,deal:12,")).expect("parsed");
        assert_eq!(
            refs.iter()
                .map(|r| format!("{}:{}", r.kind, r.id))
                .collect::<Vec<_>>(),
            ["deal:12", "contact:5"]
        );
        assert_eq!(RecordRef::parse_list(None), Ok(Vec::new()));
        assert!(RecordRef::parse_list(Some("deal12")).is_err());
    }
}
