//! Group chats linked to CRM records. A chat's admins (staff) link and unlink records, each
//! change one write with the line all members read ("Ana linked the chat to deal “Site”"); the
//! record's page lists the linked chats its reader is a member of. Pickers offer only records the
//! reader may see, narrowed by a parent record where the kind's row names one.

use crate::model::AppError;
use crate::model::ids::ConversationId;
use crate::model::internal_chat::InternalChatSummary;
use crate::model::message::SystemEvent;
use crate::model::record_link::{RecordChoice, RecordKindView, RecordLinkView, RecordRef};
use crate::server::access::Viewer;
use crate::server::internal_chats::list::{self as chat_list, Filter};
use crate::server::internal_chats::record_sources::Source;
use crate::server::internal_chats::service::managed;
use crate::server::messages::{self, NewMessage};
use crate::server::platform::db::is_unique_violation;
use crate::server::realtime::Hub;
use crate::server::realtime::changes::{self, Write, stmt};
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult};
use std::collections::HashMap;

#[derive(FromQueryResult)]
struct KindRow {
    name: String,
    label: String,
    parent: Option<String>,
}

/// The kinds of record chats can be linked to, in their order; rows without a source are left
/// out (and logged: a row nobody can pick from is a mistake in the data).
pub async fn kinds(db: &impl ConnectionTrait) -> Result<Vec<RecordKindView>, DbErr> {
    let rows = KindRow::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT name, label, parent FROM record_link_types ORDER BY position, name",
        [],
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            let known = Source::of(&r.name).is_some();
            if !known {
                tracing::error!(kind = r.name, "a record link type has no source of records");
            }
            known
        })
        .map(|r| RecordKindView {
            name: r.name,
            label: r.label,
            parent: r.parent,
        })
        .collect())
}

/// The kind named `name` among `kinds`, with its source (an unknown kind is the caller's
/// mistake). Callers read the kinds once per request and look each record's kind up here.
fn named<'k>(
    kinds: &'k [RecordKindView],
    name: &str,
) -> Result<(&'k RecordKindView, Source), AppError> {
    kinds
        .iter()
        .find(|k| k.name == name)
        .and_then(|k| Source::of(&k.name).map(|s| (k, s)))
        .ok_or_else(|| AppError::invalid("kind", format!("`{name}` is not a kind of record.")))
}

/// CRM records are for staff: clients in a chat see its links, never the pickers.
fn staff_only(viewer: Viewer) -> Result<(), AppError> {
    if viewer.role.is_staff() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A picker's choices of `kind`, by name, under `parent` (which must be the kind's parent kind).
pub async fn choices(
    db: &DatabaseConnection,
    viewer: Viewer,
    kind_name: &str,
    parent: Option<RecordRef>,
    search: &str,
) -> Result<Vec<RecordChoice>, AppError> {
    staff_only(viewer)?;
    let kinds = kinds(db).await?;
    let (kind, source) = named(&kinds, kind_name)?;
    let parent = match parent {
        None => None,
        Some(p) => {
            if kind.parent.as_deref() != Some(p.kind.as_str()) {
                return Err(AppError::invalid(
                    "parent_kind",
                    format!("{}s are not narrowed by {}.", kind.label, p.kind),
                ));
            }
            let parent_source = Source::of(&p.kind).ok_or(AppError::NotFound)?;
            // The parent must be a record the reader may see, like the ones it narrows.
            parent_source.find(db, viewer, &p.id).await?;
            let id = p.id.parse().map_err(|_| AppError::NotFound)?;
            Some((parent_source, id))
        }
    };
    source.search(db, viewer, search, parent).await
}

/// The chat's links, kinds in their order, then by name.
pub async fn links_of(
    db: &impl ConnectionTrait,
    id: ConversationId,
) -> Result<Vec<RecordLinkView>, AppError> {
    links_among(db, id, &kinds(db).await?).await
}

/// `links_of`, with the kinds already read.
async fn links_among(
    db: &impl ConnectionTrait,
    id: ConversationId,
    kinds: &[RecordKindView],
) -> Result<Vec<RecordLinkView>, AppError> {
    #[derive(FromQueryResult)]
    struct Link {
        record_type: String,
        record_id: String,
    }
    let links = Link::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT record_type, record_id FROM chat_record_links WHERE conversation_id = ?",
        [id.into()],
    ))
    .all(db)
    .await?;
    let mut views = Vec::with_capacity(links.len());
    for (position, kind) in kinds.iter().enumerate() {
        let ids: Vec<String> = links
            .iter()
            .filter(|l| l.record_type == kind.name)
            .map(|l| l.record_id.clone())
            .collect();
        let Some(source) = Source::of(&kind.name) else {
            continue;
        };
        let titles: HashMap<String, String> = source.titles(db, &ids).await?.into_iter().collect();
        for id in ids {
            let title = titles
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("{} {id} (deleted)", kind.label));
            views.push((
                position,
                RecordLinkView {
                    href: titles.contains_key(&id).then(|| source.href(&id)).flatten(),
                    record: RecordRef {
                        kind: kind.name.clone(),
                        id,
                    },
                    kind_label: kind.label.clone(),
                    title,
                },
            ));
        }
    }
    views.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.title.cmp(&y.title)));
    Ok(views.into_iter().map(|(_, v)| v).collect())
}

/// A record checked for linking: it exists, the linker may see it, and how the line names it.
pub struct Checked {
    record: RecordRef,
    kind_label: String,
    title: String,
}

/// Checks records before a write links them (404 for one the linker may not see).
pub async fn check(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    records: &[RecordRef],
) -> Result<Vec<Checked>, AppError> {
    check_among(db, viewer, records, &kinds(db).await?).await
}

/// `check`, with the kinds already read.
async fn check_among(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    records: &[RecordRef],
    kinds: &[RecordKindView],
) -> Result<Vec<Checked>, AppError> {
    staff_only(viewer)?;
    let mut checked = Vec::with_capacity(records.len());
    for record in records {
        let (kind, source) = named(kinds, &record.kind)?;
        let found = source.find(db, viewer, &record.id).await?;
        checked.push(Checked {
            record: record.clone(),
            kind_label: kind.label.clone(),
            title: found.title,
        });
    }
    Ok(checked)
}

/// Whether the chat already has `record`.
async fn has(w: &Write, id: ConversationId, record: &RecordRef) -> Result<bool, DbErr> {
    Ok(w.txn
        .query_one_raw(stmt(
            w.txn.get_database_backend(),
            "SELECT 1 AS one FROM chat_record_links \
             WHERE conversation_id = ? AND record_type = ? AND record_id = ?",
            [
                id.into(),
                record.kind.clone().into(),
                record.id.clone().into(),
            ],
        ))
        .await?
        .is_some())
}

/// Links the chat to each checked record it is not linked to yet, with a line for each, inside
/// the write `w`; returns how many were new.
pub async fn link_in(
    w: &mut Write,
    id: ConversationId,
    viewer: Viewer,
    by: &str,
    records: Vec<Checked>,
) -> Result<usize, DbErr> {
    let mut added = 0;
    for c in records {
        if has(w, id, &c.record).await? {
            continue;
        }
        w.txn
            .execute_raw(stmt(
                w.txn.get_database_backend(),
                "INSERT INTO chat_record_links \
                 (conversation_id, record_type, record_id, created_by, created_at) \
                 VALUES (?, ?, ?, ?, ?)",
                [
                    id.into(),
                    c.record.kind.into(),
                    c.record.id.into(),
                    viewer.id.into(),
                    Utc::now().into(),
                ],
            ))
            .await?;
        messages::append(
            w,
            id,
            vec![NewMessage::event(&SystemEvent::RecordLinked {
                by: by.to_owned(),
                kind: c.kind_label,
                title: c.title,
            })],
        )
        .await?;
        added += 1;
    }
    Ok(added)
}

/// The number of records the chat is linked to.
async fn count(db: &impl ConnectionTrait, id: ConversationId) -> Result<usize, DbErr> {
    let row = db
        .query_one_raw(stmt(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM chat_record_links WHERE conversation_id = ?",
            [id.into()],
        ))
        .await?;
    let n: i64 = match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// The most records one chat may be linked to, as an error when `more` would pass it.
pub fn fits(now: usize, more: usize, max: usize) -> Result<(), AppError> {
    if now + more > max {
        return Err(AppError::Conflict(format!(
            "A chat can be linked to at most {max} records."
        )));
    }
    Ok(())
}

/// Links a group chat to a record (its admins, staff); linking it again changes nothing.
#[tracing::instrument(skip(db, hub))]
pub async fn link(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    id: ConversationId,
    record: RecordRef,
    max_links: usize,
) -> Result<Vec<RecordLinkView>, AppError> {
    staff_only(viewer)?;
    managed(db, viewer, id).await?;
    let kinds = kinds(db).await?;
    let checked = check_among(db, viewer, std::slice::from_ref(&record), &kinds).await?;
    let by = crate::server::accounts::service::display_name(db, viewer.id).await?;
    let mut w = changes::begin(db).await?;
    if !has(&w, id, &record).await? {
        fits(count(&w.txn, id).await?, 1, max_links)?;
    }
    match link_in(&mut w, id, viewer, &by, checked).await {
        Ok(0) => drop(w),
        Ok(_) => {
            w.commit(hub).await?;
        }
        // The same link made at the same moment by another admin: it is there.
        Err(e) if is_unique_violation(&e, "chat_record_links_pkey", "record_id") => drop(w),
        Err(e) => return Err(e.into()),
    }
    links_among(db, id, &kinds).await
}

/// Removes a group chat's link to a record (its admins, staff).
#[tracing::instrument(skip(db, hub))]
pub async fn unlink(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    id: ConversationId,
    record: RecordRef,
) -> Result<Vec<RecordLinkView>, AppError> {
    staff_only(viewer)?;
    managed(db, viewer, id).await?;
    let kinds = kinds(db).await?;
    let Some(view) = links_among(db, id, &kinds)
        .await?
        .into_iter()
        .find(|l| l.record == record)
    else {
        return Err(AppError::NotFound);
    };
    let by = crate::server::accounts::service::display_name(db, viewer.id).await?;
    let mut w = changes::begin(db).await?;
    let gone = w
        .txn
        .execute_raw(stmt(
            w.txn.get_database_backend(),
            "DELETE FROM chat_record_links \
             WHERE conversation_id = ? AND record_type = ? AND record_id = ?",
            [id.into(), record.kind.into(), record.id.into()],
        ))
        .await?;
    if gone.rows_affected() == 0 {
        // Another admin unlinked it a moment ago.
        drop(w);
        return links_among(db, id, &kinds).await;
    }
    messages::append(
        &mut w,
        id,
        vec![NewMessage::event(&SystemEvent::RecordUnlinked {
            by,
            kind: view.kind_label,
            title: view.title,
        })],
    )
    .await?;
    w.commit(hub).await?;
    links_among(db, id, &kinds).await
}

/// The chats linked to `record` that the reader is a member of (staff who may see the record;
/// 404 for a record they may not see).
pub async fn chats_of(
    db: &DatabaseConnection,
    viewer: Viewer,
    record: &RecordRef,
) -> Result<Vec<InternalChatSummary>, AppError> {
    staff_only(viewer).map_err(|_| AppError::NotFound)?;
    let kinds = kinds(db).await?;
    let (_, source) = named(&kinds, &record.kind)?;
    source.find(db, viewer, &record.id).await?;
    Ok(
        chat_list::summaries(db, viewer, Filter::LinkedTo(&record.kind, &record.id))
            .await?
            .into_iter()
            .map(|r| r.summary)
            .collect(),
    )
}

/// The personal chat with the record's contact (a deal's client), started if there is none
/// (staff who may see the record).
pub async fn direct_with_contact(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    record: &RecordRef,
) -> Result<InternalChatSummary, AppError> {
    staff_only(viewer)?;
    let kinds = kinds(db).await?;
    let (kind, source) = named(&kinds, &record.kind)?;
    source.find(db, viewer, &record.id).await?;
    let Some(person) = source.person(db, &record.id).await? else {
        return Err(AppError::Conflict(format!(
            "This {} has no contact who uses the app.",
            kind.label.to_lowercase()
        )));
    };
    crate::server::internal_chats::service::start_direct(db, hub, viewer, person).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_holds_at_most_the_configured_number_of_links() {
        assert!(fits(19, 1, 20).is_ok());
        assert!(matches!(fits(20, 1, 20), Err(AppError::Conflict(_))));
        assert!(matches!(fits(0, 3, 2), Err(AppError::Conflict(_))));
    }
}
