//! A closed deal's transcript: the conversation as both sides read it, worded by the chat's own
//! `describe()`, with the deal's facts and every file of the deal, as a PDF kept in the deal's
//! folder (one file, replaced in place when regenerated) and attached to the CRM deal.
//!
//! The close queues `RenderTranscript` in its own write, so the transcript follows every close,
//! also across restarts. The job reads after the close committed: every message that landed
//! before the close is in it, and nothing lands after it.

use super::fonts::FontFiles;
use super::pdf::{Entry, FileLine, Transcript, Typesetter};
use crate::model::chat::{FileOrigin, FileRef, MessageView, OfferStatus, SenderSide};
use crate::model::file_size::file_size;
use crate::model::ids::{ConversationId, DealId, FileId};
use crate::model::local_time::{LocalClock, TimeZone};
use crate::model::message::MessageContent;
use crate::model::{AppError, DealOutcome};
use crate::server::access::{self, Viewer};
use crate::server::deals::service::folder_of;
use crate::server::jobs::{self, Job, JobError, JobHandler};
use crate::server::messages::{self, Reader};
use crate::server::platform::config::TranscriptSettings;
use crate::server::platform::entities::{conversation, deal, file, user};
use crate::server::realtime::changes::{self, stmt};
use crate::server::realtime::{Audience, Hub};
use crate::server::storage::{FileStore, StoreKey};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;

/// Messages read from the database per query while gathering.
const PAGE: u64 = 2000;

/// A file of the deal as the final table lists it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct DealFile {
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    pub uploader_name: Option<String>,
}

/// Everything a transcript is made from.
#[derive(Clone, Debug)]
pub struct Source {
    pub deal_id: DealId,
    pub title: String,
    pub client: String,
    pub owner: Option<String>,
    pub closed_by: Option<String>,
    pub stage: crate::model::DealStage,
    pub outcome: Option<DealOutcome>,
    pub close_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub messages: Vec<MessageView>,
    /// Messages past `max_messages`, left out.
    pub omitted: u64,
    pub files: Vec<DealFile>,
}

/// "UTC", "UTC+01:00", "UTC−05:30".
pub fn zone_label(offset_min: i32) -> String {
    if offset_min == 0 {
        return "UTC".into();
    }
    let sign = if offset_min > 0 { '+' } else { '−' };
    let m = offset_min.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

fn file_detail(f: &FileRef) -> String {
    format!(
        "File: {} · {} · SHA-256 {}",
        f.name,
        file_size(f.size),
        f.sha256
    )
}

fn offer_outcome(status: OfferStatus) -> &'static str {
    match status {
        OfferStatus::Pending => "no decision",
        OfferStatus::Accepted => "accepted",
        OfferStatus::Rejected => "rejected",
        OfferStatus::Withdrawn => "withdrawn",
    }
}

/// The transcript's words and order: a pure function of what was gathered, tested without a
/// database or a PDF.
pub fn compose(src: &Source, offset_min: i32, generated: DateTime<Utc>) -> Transcript {
    let clock = LocalClock {
        now_ms: generated.timestamp_millis(),
        zone: TimeZone::Fixed(offset_min),
    };
    let zone = zone_label(offset_min);
    let stamp = |ms: i64| format!("{} {} {zone}", clock.date(ms), clock.time_of_day(ms));
    let mut managers: Vec<String> = src.owner.iter().cloned().collect();
    for m in &src.messages {
        if m.side == SenderSide::Staff && !managers.contains(&m.sender_name) {
            managers.push(m.sender_name.clone());
        }
    }
    let mut facts = vec![
        (
            "Deal".to_owned(),
            format!("#{} · {}", src.deal_id, src.title),
        ),
        ("Client".to_owned(), src.client.clone()),
        (
            "Managers".to_owned(),
            if managers.is_empty() {
                "—".to_owned()
            } else {
                managers.join(", ")
            },
        ),
        ("Stage at close".to_owned(), src.stage.label().to_owned()),
    ];
    let mut outcome = match src.outcome {
        Some(DealOutcome::Won) => "Won".to_owned(),
        Some(DealOutcome::Lost) => "Lost".to_owned(),
        None => "Open".to_owned(),
    };
    if let Some(by) = &src.closed_by {
        outcome.push_str(&format!(", closed by {by}"));
    }
    if let Some(note) = src.close_note.as_deref().filter(|n| !n.is_empty()) {
        outcome.push_str(&format!(". Reason: {note}"));
    }
    facts.push(("Outcome".to_owned(), outcome));
    facts.push((
        "Opened".to_owned(),
        stamp(src.created_at.timestamp_millis()),
    ));
    if let Some(closed) = src.closed_at {
        facts.push(("Closed".to_owned(), stamp(closed.timestamp_millis())));
    }
    let mut count = src.messages.len().to_string();
    if src.omitted > 0 {
        count.push_str(&format!(
            " (the first {}; {} later ones are left out)",
            src.messages.len(),
            src.omitted
        ));
    }
    facts.push(("Messages".to_owned(), count));
    facts.push(("Times".to_owned(), zone.clone()));

    let mut entries = Vec::with_capacity(src.messages.len() + 32);
    let mut day = None;
    for m in &src.messages {
        let this_day = clock.day_of(m.created_at_ms);
        if day != Some(this_day) {
            day = Some(this_day);
            entries.push(Entry::Day(clock.weekday_date(m.created_at_ms)));
        }
        let time = clock.time_of_day(m.created_at_ms);
        if m.side == SenderSide::System || m.content.is_event() {
            let mut text = m.content.describe(&m.sender_name);
            if let Some(f) = m.content.file() {
                if !text.ends_with('.') {
                    text.push('.');
                }
                text.push(' ');
                text.push_str(&file_detail(f));
            }
            entries.push(Entry::Event { time, text });
            continue;
        }
        let (text, mut details) = match &m.content {
            MessageContent::Text { body } => (body.clone(), Vec::new()),
            MessageContent::File { body, .. } => (body.clone(), Vec::new()),
            MessageContent::Offer { body, offer, .. } => (
                body.clone(),
                vec![format!(
                    "Offer “{}”: {}",
                    offer.title,
                    offer_outcome(offer.status)
                )],
            ),
            MessageContent::Payment { body, payment } => (
                body.clone(),
                vec![format!(
                    "Payment request: {} · {} · {}{}",
                    payment.amount,
                    payment.description,
                    payment.status.label(),
                    if payment.test_mode {
                        " (test mode)"
                    } else {
                        ""
                    }
                )],
            ),
            other => (other.describe(&m.sender_name), Vec::new()),
        };
        if let Some(f) = m.content.file() {
            details.insert(0, file_detail(f));
        }
        entries.push(Entry::Message {
            who: m.sender_name.clone(),
            role: match m.side {
                SenderSide::Client => "Client",
                _ => "Deal manager",
            }
            .to_owned(),
            time,
            text,
            details,
        });
    }
    let files = src
        .files
        .iter()
        .map(|f| FileLine {
            name: f.name.clone(),
            size: file_size(f.size),
            uploader: f
                .uploader_name
                .clone()
                .unwrap_or_else(|| "Former user".into()),
            time: {
                let ms = f.created_at.timestamp_millis();
                format!("{} {}", clock.date(ms), clock.time_of_day(ms))
            },
            sha256: f.sha256.clone(),
        })
        .collect();
    let mut short_title: String = src.title.chars().take(60).collect();
    if src.title.chars().count() > 60 {
        short_title.push('…');
    }
    Transcript {
        title: format!("Transcript: {}", src.title),
        facts,
        entries,
        files,
        footer: format!("Deal #{} · {short_title}", src.deal_id),
        // To the second: a transcript made again says which one it is.
        generated_at: format!(
            "{} {zone}",
            (generated + chrono::Duration::minutes(i64::from(offset_min)))
                .format("%-d %b %Y %H:%M:%S")
        ),
    }
}

/// The file name a deal's transcript is stored and downloaded under.
pub fn file_name(deal_id: DealId) -> String {
    format!("transcript-deal-{deal_id}.pdf")
}

async fn name_of(
    db: &impl ConnectionTrait,
    id: Option<crate::model::ids::UserId>,
) -> Result<Option<String>, DbErr> {
    Ok(match id {
        Some(id) => user::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|u| u.display_name),
        None => None,
    })
}

/// Reads what the deal's transcript is made from: its chat's messages as the client reads them
/// (a record both sides may download; staff-only session events are left out), at most `max`.
pub async fn gather(
    db: &DatabaseConnection,
    deal: &deal::Model,
    conversation_id: ConversationId,
    max: u64,
) -> Result<Source, DbErr> {
    let client = user::Entity::find_by_id(deal.client_id).one(db).await?;
    let mut messages: Vec<MessageView> = Vec::new();
    let mut after = 0;
    loop {
        let left = max.saturating_sub(messages.len() as u64);
        if left == 0 {
            break;
        }
        let page =
            messages::after(db, Reader::Client, conversation_id, after, PAGE.min(left)).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.seq;
        messages.extend(page);
    }
    let omitted = if messages.len() as u64 >= max {
        let counted = db
            .query_one_raw(stmt(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM messages m WHERE m.conversation_id = ? AND m.seq > ? \
                 AND NOT m.staff_only",
                [conversation_id.into(), after.into()],
            ))
            .await?;
        counted
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0)
            .max(0) as u64
    } else {
        0
    };
    let files = DealFile::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT f.name, f.size, f.sha256, f.created_at, u.display_name AS uploader_name \
         FROM files f LEFT JOIN users u ON u.id = f.uploader_id \
         WHERE (f.deal_id = ? OR (f.conversation_id = ? AND f.deal_id IS NULL)) AND f.origin <> ? \
         ORDER BY f.id",
        [
            deal.id.into(),
            conversation_id.into(),
            FileOrigin::Transcript.as_str().into(),
        ],
    ))
    .all(db)
    .await?;
    Ok(Source {
        deal_id: deal.id,
        title: deal.title.clone(),
        client: client.map_or_else(
            || "Former user".to_owned(),
            |c| format!("{} <{}>", c.display_name, c.email),
        ),
        owner: name_of(db, deal.owner_id).await?,
        closed_by: name_of(db, deal.closed_by).await?,
        stage: deal.stage,
        outcome: deal.outcome,
        close_note: deal.close_note.clone(),
        created_at: deal.created_at,
        closed_at: deal.closed_at,
        messages,
        omitted,
        files,
    })
}

/// The chat a deal's transcript is about: the first one linked to it.
async fn chat_of(
    db: &impl ConnectionTrait,
    deal_id: DealId,
) -> Result<Option<conversation::Model>, DbErr> {
    conversation::Entity::find()
        .filter(conversation::Column::DealId.eq(deal_id))
        .order_by_asc(conversation::Column::Id)
        .one(db)
        .await
}

/// Runs `RenderTranscript` jobs.
pub struct TranscriptJobs {
    /// Read on the first transcript (about 20 MB of fonts, which most instances never need);
    /// until the fonts are there, jobs fail with the reason and are retried, so installing them
    /// is enough.
    typesetter: tokio::sync::OnceCell<Arc<Typesetter>>,
    store: Arc<dyn FileStore>,
    hub: Arc<Hub>,
    /// Where a PDF is written before it moves into the store.
    staging: PathBuf,
    settings: TranscriptSettings,
}

#[async_trait::async_trait]
impl JobHandler for TranscriptJobs {
    async fn run(&self, db: &DatabaseConnection, job: Job) -> Result<(), JobError> {
        match job {
            Job::RenderTranscript { deal_id } => self.render(db, deal_id).await,
            other => Err(JobError::Permanent(format!(
                "not a transcript job: {other:?}"
            ))),
        }
    }
}

impl TranscriptJobs {
    pub fn new(
        store: Arc<dyn FileStore>,
        hub: Arc<Hub>,
        staging: PathBuf,
        settings: TranscriptSettings,
    ) -> TranscriptJobs {
        TranscriptJobs {
            typesetter: tokio::sync::OnceCell::new(),
            store,
            hub,
            staging,
            settings,
        }
    }

    async fn typesetter(&self) -> Result<Arc<Typesetter>, JobError> {
        let dir = self.settings.font_dir.clone();
        self.typesetter
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || {
                    FontFiles::load(&dir).map(|fonts| Arc::new(Typesetter::new(&fonts)))
                })
                .await
                .map_err(|e| JobError::Retry(format!("loading fonts stopped: {e}")))?
                .map_err(|e| JobError::Retry(e.to_string()))
            })
            .await
            .cloned()
    }

    #[tracing::instrument(skip(self, db))]
    async fn render(&self, db: &DatabaseConnection, deal_id: DealId) -> Result<(), JobError> {
        let Some(deal) = deal::Entity::find_by_id(deal_id).one(db).await? else {
            return Ok(());
        };
        let Some(closed_at) = deal.closed_at else {
            return Ok(()); // Reopened since: its next close queues a transcript again.
        };
        let typesetter = self.typesetter().await?;
        let Some(chat) = chat_of(db, deal.id).await? else {
            return Err(JobError::Permanent(format!("deal {deal_id} has no chat")));
        };
        let started = std::time::Instant::now();
        let source = gather(db, &deal, chat.id, self.settings.max_messages).await?;
        let count = source.messages.len();
        let doc = compose(&source, self.settings.utc_offset_minutes, Utc::now());
        drop(source);
        let rendered = tokio::task::spawn_blocking(move || typesetter.render(&doc))
            .await
            .map_err(|e| JobError::Retry(format!("the renderer stopped: {e}")))?
            .map_err(|e| JobError::Retry(e.to_string()))?;
        let (pdf, pages) = (rendered.pdf, rendered.pages);
        let render_ms = started.elapsed().as_millis();
        let sha256 = hex::encode(Sha256::digest(&pdf));
        let size = i64::try_from(pdf.len()).unwrap_or(i64::MAX);
        let name = file_name(deal.id);
        let folder = deal
            .folder_ref
            .clone()
            .unwrap_or_else(|| folder_of(deal.id));
        let key = StoreKey::parse(&folder)
            .and_then(|f| f.child(&name))
            .map_err(|e| JobError::Permanent(e.to_string()))?;
        // Written whole beside the store, then moved in: a download never reads half a file,
        // and a retry after a crash writes the same key again (no second copy).
        tokio::fs::create_dir_all(&self.staging)
            .await
            .map_err(|e| JobError::Retry(format!("staging: {e}")))?;
        let staged = self
            .staging
            .join(format!("transcript-{}-{}", deal.id, uuid::Uuid::new_v4()));
        tokio::fs::write(&staged, &pdf)
            .await
            .map_err(|e| JobError::Retry(format!("staging: {e}")))?;
        let bytes = pdf.len();
        drop(pdf);
        if let Err(e) = self.store.put_staged(&key, &staged).await {
            let _ = tokio::fs::remove_file(&staged).await;
            return Err(JobError::Retry(format!("file store: {e}")));
        }
        let file_id = record(
            db,
            &self.hub,
            &deal,
            chat.id,
            closed_at,
            &name,
            size,
            &sha256,
            key.as_str(),
        )
        .await?;
        tracing::info!(
            deal = %deal.id,
            messages = count,
            bytes,
            pages,
            render_ms = render_ms as u64,
            file = ?file_id,
            "transcript stored"
        );
        Ok(())
    }
}

/// Records the transcript as the deal's file (replacing the one before, in place), marks the
/// deal changed so open chats show it, and queues its delivery to the CRM, in one write. None
/// when the deal was reopened while rendering (this transcript is of a close that no longer
/// holds).
#[allow(clippy::too_many_arguments)]
async fn record(
    db: &DatabaseConnection,
    hub: &Hub,
    deal: &deal::Model,
    conversation_id: ConversationId,
    closed_at: DateTime<Utc>,
    name: &str,
    size: i64,
    sha256: &str,
    storage_key: &str,
) -> Result<Option<FileId>, JobError> {
    let mut w = changes::begin(db).await?;
    let now = deal::Entity::find_by_id(deal.id).one(&w.txn).await?;
    let Some(now) = now.filter(|d| d.closed_at == Some(closed_at)) else {
        return Ok(None);
    };
    let existing = match now.transcript_file_id {
        Some(id) => file::Entity::find_by_id(id).one(&w.txn).await?,
        None => None,
    };
    let file_id = match existing {
        Some(row) => {
            let id = row.id;
            let mut row: file::ActiveModel = row.into();
            row.name = Set(name.to_owned());
            row.size = Set(size);
            row.sha256 = Set(sha256.to_owned());
            row.storage_key = Set(storage_key.to_owned());
            row.created_at = Set(Utc::now());
            row.update(&w.txn).await?;
            id
        }
        None => {
            file::ActiveModel {
                deal_id: Set(Some(deal.id)),
                conversation_id: Set(Some(conversation_id)),
                uploader_id: Set(None),
                name: Set(name.to_owned()),
                size: Set(size),
                content_type: Set("application/pdf".to_owned()),
                sha256: Set(sha256.to_owned()),
                storage_key: Set(storage_key.to_owned()),
                origin: Set(FileOrigin::Transcript),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&w.txn)
            .await?
            .id
        }
    };
    w.txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE deals SET transcript_file_id = ?, tick = ? WHERE id = ?",
            [file_id.into(), w.tick.into(), deal.id.into()],
        ))
        .await?;
    messages::touch(&mut w, conversation_id).await?;
    // The chat is nobody's since the close: its manager and whoever closed it hear of it too.
    w.audience
        .merge(&Audience::users([now.owner_id, now.closed_by]));
    jobs::enqueue(&w.txn, Job::TranscriptToCrm { deal_id: deal.id }).await?;
    w.commit(hub).await?;
    Ok(Some(file_id))
}

/// Staff who read a closed deal's chat ask for its transcript to be made again (after a fix of the
/// fonts, say). The current one stays downloadable until the new one replaces it.
#[tracing::instrument(skip(db))]
pub async fn regenerate(
    db: &DatabaseConnection,
    viewer: Viewer,
    conversation_id: ConversationId,
) -> Result<(), AppError> {
    // Whoever on the staff side reads the archived chat (its managers, administrators): the
    // manager's session ended with the close, so "manages the deal" no longer says who.
    let (conv, _) = access::load(db, viewer, conversation_id).await?;
    let deal_id = conv
        .deal_id
        .ok_or_else(|| AppError::Conflict("This chat has no deal.".into()))?;
    if !viewer.role.is_staff() {
        return Err(AppError::Forbidden);
    }
    let deal = deal::Entity::find_by_id(deal_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if deal.closed_at.is_none() {
        return Err(AppError::Conflict(
            "A transcript is made when the deal closes; this one is open.".into(),
        ));
    }
    jobs::enqueue(db, Job::RenderTranscript { deal_id }).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::chat::OfferView;
    use crate::model::ids::{MessageId, OfferId, PaymentId};
    use crate::model::message::SystemEvent;
    use crate::model::money::Money;
    use crate::model::payment::PaymentStatus;
    use crate::model::payment::PaymentView;
    use crate::model::{DealStage, ids::UserId};

    // 3 Dec 2026 23:30 UTC.
    const LATE: i64 = 1_796_340_600_000;

    fn message(
        seq: i64,
        side: SenderSide,
        who: &str,
        at: i64,
        content: MessageContent,
    ) -> MessageView {
        MessageView {
            id: MessageId(seq),
            conversation_id: ConversationId(1),
            seq,
            sender_id: (side != SenderSide::System).then_some(UserId(seq)),
            sender_name: who.into(),
            side,
            client_msg_id: None,
            created_at_ms: at,
            content,
        }
    }

    fn pdf_ref() -> FileRef {
        FileRef {
            id: FileId(5),
            name: "quote.pdf".into(),
            size: 2500,
            content_type: "application/pdf".into(),
            sha256: "ab".repeat(32),
        }
    }

    fn source() -> Source {
        let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or_default();
        Source {
            deal_id: DealId(12),
            title: "Roof".into(),
            client: "Clara <clara@example.com>".into(),
            owner: Some("Max".into()),
            closed_by: Some("Max".into()),
            stage: DealStage::Completion,
            outcome: Some(DealOutcome::Won),
            close_note: Some("Signed".into()),
            created_at: at(LATE - 3_600_000),
            closed_at: Some(at(LATE + 7_200_000)),
            messages: vec![
                message(
                    1,
                    SenderSide::Client,
                    "Clara",
                    LATE - 60_000,
                    MessageContent::Text {
                        body: "Привет, 你好".into(),
                    },
                ),
                message(
                    2,
                    SenderSide::Staff,
                    "Bo",
                    LATE,
                    MessageContent::Offer {
                        body: "#q v1".into(),
                        file: Some(pdf_ref()),
                        offer: OfferView {
                            id: OfferId(1),
                            title: "Quote v1".into(),
                            status: OfferStatus::Accepted,
                            reason: None,
                        },
                    },
                ),
                message(
                    3,
                    SenderSide::Staff,
                    "Max",
                    LATE + 3_600_000,
                    MessageContent::Payment {
                        body: String::new(),
                        payment: PaymentView {
                            id: PaymentId(1),
                            amount: Money::parse("100", "EUR").expect("money"),
                            description: "Deposit".into(),
                            status: PaymentStatus::Paid,
                            test_mode: true,
                        },
                    },
                ),
                message(
                    4,
                    SenderSide::System,
                    "dealchat",
                    LATE + 7_200_000,
                    MessageContent::System {
                        event: SystemEvent::DealClosed {
                            by: "Max".into(),
                            outcome: DealOutcome::Won,
                            note: None,
                        },
                    },
                ),
            ],
            omitted: 0,
            files: vec![DealFile {
                name: "quote.pdf".into(),
                size: 2500,
                sha256: "ab".repeat(32),
                created_at: at(LATE),
                uploader_name: None,
            }],
        }
    }

    #[test]
    fn the_transcript_has_the_deals_facts_days_messages_events_and_files() {
        let t = compose(
            &source(),
            0,
            DateTime::from_timestamp_millis(LATE + 86_400_000).unwrap_or_default(),
        );
        assert_eq!(t.title, "Transcript: Roof");
        assert_eq!(t.footer, "Deal #12 · Roof");
        let fact = |label: &str| {
            t.facts
                .iter()
                .find(|(l, _)| l == label)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            fact("Managers").as_deref(),
            Some("Max, Bo"),
            "the owner, then who wrote"
        );
        assert_eq!(
            fact("Outcome").as_deref(),
            Some("Won, closed by Max. Reason: Signed")
        );
        assert_eq!(fact("Stage at close").as_deref(), Some("Completion"));
        assert_eq!(fact("Closed").as_deref(), Some("4 Dec 2026 01:30 UTC"));
        assert_eq!(fact("Messages").as_deref(), Some("4"));
        // Two calendar days, each with its heading before its first message.
        let days: Vec<_> = t
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Day(d) => Some(d.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(days, ["Thu 3 Dec 2026", "Fri 4 Dec 2026"]);
        let Entry::Message {
            who,
            role,
            text,
            details,
            time,
        } = &t.entries[1]
        else {
            panic!("{:?}", t.entries[1])
        };
        assert_eq!(
            (who.as_str(), role.as_str(), text.as_str(), time.as_str()),
            ("Clara", "Client", "Привет, 你好", "23:29")
        );
        assert!(details.is_empty());
        let Entry::Message { details, role, .. } = &t.entries[2] else {
            panic!("{:?}", t.entries[2])
        };
        assert_eq!(role, "Deal manager");
        assert_eq!(
            details[0],
            format!("File: quote.pdf · 2.5 KB · SHA-256 {}", "ab".repeat(32))
        );
        assert_eq!(details[1], "Offer “Quote v1”: accepted");
        let Entry::Message { details, .. } = &t.entries[4] else {
            panic!("{:?}", t.entries[4])
        };
        assert_eq!(
            details[0],
            "Payment request: 100 EUR · Deposit · Paid (test mode)"
        );
        let Entry::Event { text, .. } = t.entries.last().expect("entries") else {
            panic!()
        };
        assert_eq!(
            text,
            &SystemEvent::DealClosed {
                by: "Max".into(),
                outcome: DealOutcome::Won,
                note: None
            }
            .describe()
        );
        assert_eq!(t.files.len(), 1);
        assert_eq!(t.files[0].uploader, "Former user");
        assert_eq!(t.generated_at, "4 Dec 2026 23:30:00 UTC");
    }

    #[test]
    fn times_follow_the_configured_offset_and_left_out_messages_are_counted() {
        let mut src = source();
        src.omitted = 7;
        let t = compose(
            &src,
            120,
            DateTime::from_timestamp_millis(LATE).unwrap_or_default(),
        );
        let fact = |label: &str| {
            t.facts
                .iter()
                .find(|(l, _)| l == label)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(fact("Times").as_deref(), Some("UTC+02:00"));
        assert_eq!(
            fact("Messages").as_deref(),
            Some("4 (the first 4; 7 later ones are left out)")
        );
        // 23:30 UTC is already the next day two hours east: one heading for all.
        let days = t
            .entries
            .iter()
            .filter(|e| matches!(e, Entry::Day(_)))
            .count();
        assert_eq!(days, 1);
        assert_eq!(zone_label(-330), "UTC−05:30");
    }
}
