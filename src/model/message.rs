//! What a message holds, as one type: built once from the stored row on the server, sent to the
//! browser as it is, rendered by one `match`, and put into words by one `describe()` for the
//! chat, the chat list's preview and the CRM's notes.

use crate::model::DealStage;
use crate::model::chat::{FileRef, OfferStatus, OfferView};
use crate::model::money::Money;
use crate::model::payment::{PaymentStatus, PaymentView};
use serde::{Deserialize, Serialize};

/// A message's content. The tag is the stored kind (`messages.kind`), so the JSON a browser gets
/// reads `{"kind": "offer", "body": …, "file": …, "offer": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MessageContent {
    /// What a person typed.
    Text { body: String },
    /// Something that happened in the chat, said by the product itself.
    System { event: SystemEvent },
    /// A file shared in the chat, with a note (possibly empty): by staff, or by the client of a
    /// chat without a deal whose channel allows it.
    File { body: String, file: Option<FileRef> },
    /// A shared file the client is asked to accept or reject (`#q`).
    Offer {
        body: String,
        file: Option<FileRef>,
        offer: OfferView,
    },
    /// The client accepted or rejected an offer (with the reason given, if any).
    OfferDecision {
        offer: OfferView,
        file: Option<FileRef>,
        reason: Option<String>,
    },
    /// The manager withdrew an offer before the client decided.
    OfferWithdrawn {
        offer: OfferView,
        file: Option<FileRef>,
    },
    /// Someone added a file to the deal's folder.
    FolderFile { file: Option<FileRef> },
    /// A manager asked for a payment (`#p`): the client's Pay button.
    Payment { body: String, payment: PaymentView },
    /// A payment request was paid, failed or canceled. `status` is what this message reports;
    /// `payment` is the request as it stands now.
    PaymentStatus {
        payment: PaymentView,
        status: PaymentStatus,
    },
    /// A stored message this version cannot read (logged on the server when it was read).
    Unreadable,
}

/// Something that happened, stored as data (who, from, to, how much) and worded by `describe`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SystemEvent {
    /// A manager took the chat from the queue.
    Accepted { by: String },
    /// The queue's routing gave the chat to an operator.
    Assigned { to: String },
    /// The deal moved along the stages.
    StageMoved {
        by: String,
        from: DealStage,
        to: DealStage,
    },
    /// The deal's amount was set.
    AmountSet { amount: Money },
    /// A deal was created for the chat (`created`) or an existing one linked to it.
    DealLinked { title: String, created: bool },
    /// The operator ended their session (staff only); the client may write again later.
    SessionEnded { by: String, note: Option<String> },
    /// Nobody wrote for the idle timeout: the session closed on the staff side (staff only).
    IdleClosed { after_secs: i64 },
    /// The operator handed the chat to a colleague (staff only).
    Transferred {
        from: String,
        to: String,
        note: Option<String>,
    },
    /// The operator put the chat back in a queue (staff only).
    Requeued {
        by: String,
        queue: String,
        note: Option<String>,
    },
    /// The client wrote after the last session closed: the chat waits for an operator again
    /// (staff only).
    SessionReopened,
    /// The deal was closed as won or lost, with the reason given.
    DealClosed {
        by: String,
        outcome: crate::model::DealOutcome,
        note: Option<String>,
    },
    /// An administrator reopened the closed deal: back to `stage`.
    DealReopened { by: String, stage: DealStage },
    /// Someone started a group chat (internal chats).
    GroupCreated { by: String, title: String },
    /// A chat admin added members to a group chat.
    MembersAdded { by: String, names: Vec<String> },
    /// A chat admin removed a member from a group chat.
    MemberRemoved { by: String, name: String },
    /// A chat admin changed a member's role in a group chat.
    RoleChanged {
        by: String,
        name: String,
        role: crate::model::internal_chat::MemberRole,
    },
    /// A chat admin renamed a group chat.
    Renamed { by: String, title: String },
    /// A chat admin closed a group chat: it is read-only since.
    ChatClosed { by: String },
    /// A chat admin linked the chat to a CRM record (`kind` is the kind's label).
    RecordLinked {
        by: String,
        kind: String,
        title: String,
    },
    /// A chat admin removed the chat's link to a CRM record.
    RecordUnlinked {
        by: String,
        kind: String,
        title: String,
    },
    /// Words without structure: how messages from before events were stored as data.
    Note { text: String },
}

/// A line with the operator's note after it, when there is one.
fn with_note(line: String, note: &Option<String>) -> String {
    match note.as_deref() {
        Some(note) if !note.is_empty() => format!("{line} Note: {note}"),
        _ => line,
    }
}

impl SystemEvent {
    /// The event as a client of a channel that answers in its own name reads it: the operator
    /// who acted is the channel.
    pub fn in_voice_of(self, voice: &str) -> SystemEvent {
        let voice = voice.to_owned();
        match self {
            SystemEvent::Accepted { .. } => SystemEvent::Accepted { by: voice },
            SystemEvent::Assigned { .. } => SystemEvent::Assigned { to: voice },
            SystemEvent::StageMoved { from, to, .. } => SystemEvent::StageMoved {
                by: voice,
                from,
                to,
            },
            SystemEvent::DealClosed { outcome, note, .. } => SystemEvent::DealClosed {
                by: voice,
                outcome,
                note,
            },
            other => other,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            SystemEvent::Accepted { by } => format!("{by} accepted the chat."),
            SystemEvent::Assigned { to } => format!("{to} joined the chat."),
            SystemEvent::StageMoved { by, from, to } => {
                format!("{by} moved the deal from {from} to {to}.")
            }
            SystemEvent::AmountSet { amount } => format!("Deal amount set to {amount}."),
            SystemEvent::DealLinked { title, created } => format!(
                "Deal “{title}” {} for this chat.",
                if *created { "created" } else { "linked" }
            ),
            SystemEvent::SessionEnded { by, note } => match note.as_deref() {
                Some(note) if !note.is_empty() => format!("{by} ended the chat. Note: {note}"),
                _ => format!("{by} ended the chat."),
            },
            SystemEvent::IdleClosed { after_secs } => {
                format!(
                    "The chat closed after {} without a message.",
                    span(*after_secs)
                )
            }
            SystemEvent::Transferred { from, to, note } => {
                with_note(format!("{from} transferred the chat to {to}."), note)
            }
            SystemEvent::Requeued { by, queue, note } => {
                with_note(format!("{by} moved the chat to the {queue} queue."), note)
            }
            SystemEvent::SessionReopened => {
                "The client wrote again: the chat waits for an operator.".to_owned()
            }
            SystemEvent::DealClosed { by, outcome, note } => match note.as_deref() {
                Some(note) if !note.is_empty() => {
                    format!("{by} closed the deal as {outcome}. Reason: {note}")
                }
                _ => format!("{by} closed the deal as {outcome}."),
            },
            SystemEvent::DealReopened { by, stage } => {
                format!("{by} reopened the deal at {stage}.")
            }
            SystemEvent::GroupCreated { by, title } => format!("{by} created “{title}”."),
            SystemEvent::MembersAdded { by, names } => {
                format!("{by} added {}.", in_words(names))
            }
            SystemEvent::MemberRemoved { by, name } => format!("{by} removed {name}."),
            SystemEvent::RoleChanged { by, name, role } => {
                format!("{by} made {name} {}.", role.with_article())
            }
            SystemEvent::Renamed { by, title } => format!("{by} renamed the chat to “{title}”."),
            SystemEvent::ChatClosed { by } => {
                format!("{by} closed the chat: it can be read, not written in.")
            }
            SystemEvent::RecordLinked { by, kind, title } => {
                format!("{by} linked the chat to {} “{title}”.", kind.to_lowercase())
            }
            SystemEvent::RecordUnlinked { by, kind, title } => {
                format!("{by} unlinked {} “{title}”.", kind.to_lowercase())
            }
            SystemEvent::Note { text } => text.clone(),
        }
    }
}

/// Names in a sentence: `Bo`, `Bo and Cy`, `Bo, Cy and Di`; many as the first few and a count.
fn in_words(names: &[String]) -> String {
    const SHOWN: usize = 5;
    match names {
        [] => "nobody".to_owned(),
        [one] => one.clone(),
        _ if names.len() > SHOWN => format!(
            "{} and {} others",
            names[..SHOWN].join(", "),
            names.len() - SHOWN
        ),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A span of time in words: whole minutes as minutes, else seconds.
fn span(secs: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if secs >= 60 && secs % 60 == 0 {
        plural(secs / 60, "minute")
    } else {
        plural(secs, "second")
    }
}

impl MessageContent {
    /// The message in words, for a reader who sees `sender` as its author: the text of a
    /// bubble, or the whole sentence of an event line (which names the sender itself).
    pub fn describe(&self, sender: &str) -> String {
        let file_name = |file: &Option<FileRef>| {
            file.as_ref()
                .map_or_else(|| "a file (since removed)".to_owned(), |f| f.name.clone())
        };
        match self {
            MessageContent::Text { body } => body.clone(),
            MessageContent::System { event } => event.describe(),
            MessageContent::File { body, file } if body.is_empty() => file_name(file),
            MessageContent::File { body, .. } => body.clone(),
            MessageContent::Offer { body, offer, .. } if body.is_empty() => {
                format!("Offer: {}", offer.title)
            }
            MessageContent::Offer { body, .. } => body.clone(),
            MessageContent::OfferDecision { offer, reason, .. } => {
                let verb = match offer.status {
                    OfferStatus::Rejected => "rejected",
                    _ => "accepted",
                };
                let mut line = format!("{sender} {verb} “{}”.", offer.title);
                if let Some(reason) = reason.as_deref().filter(|r| !r.is_empty()) {
                    line.push_str(&format!(" Reason: {reason}"));
                }
                line
            }
            MessageContent::OfferWithdrawn { offer, .. } => {
                format!("{sender} withdrew “{}”.", offer.title)
            }
            MessageContent::FolderFile { file } => format!(
                "{sender} added {} to the deal files",
                if file.is_some() {
                    "a file"
                } else {
                    "a file (since removed)"
                }
            ),
            MessageContent::Payment { body, payment } if body.is_empty() => {
                format!("Payment request: {}", payment.amount)
            }
            MessageContent::Payment { body, .. } => body.clone(),
            MessageContent::PaymentStatus { payment, status } => {
                let amount = &payment.amount;
                match status {
                    PaymentStatus::Paid => format!("Payment of {amount} paid."),
                    PaymentStatus::Failed => format!("Payment of {amount} failed."),
                    PaymentStatus::Canceled => format!("Payment request of {amount} canceled."),
                    PaymentStatus::Pending => format!("Payment of {amount} requested."),
                }
            }
            MessageContent::Unreadable => "This message cannot be shown.".to_owned(),
        }
    }

    /// A one-line event about the chat (said by the product, or about a file, an offer or a
    /// payment) rather than a bubble someone wrote; its words already name who did it.
    pub fn is_event(&self) -> bool {
        matches!(
            self,
            MessageContent::System { .. }
                | MessageContent::OfferDecision { .. }
                | MessageContent::OfferWithdrawn { .. }
                | MessageContent::FolderFile { .. }
                | MessageContent::PaymentStatus { .. }
                | MessageContent::Unreadable
        )
    }

    /// The file the message shows, if any.
    pub fn file(&self) -> Option<&FileRef> {
        match self {
            MessageContent::File { file, .. }
            | MessageContent::Offer { file, .. }
            | MessageContent::OfferDecision { file, .. }
            | MessageContent::OfferWithdrawn { file, .. }
            | MessageContent::FolderFile { file } => file.as_ref(),
            _ => None,
        }
    }

    /// The offer the message shows, as it stands now.
    pub fn offer_mut(&mut self) -> Option<&mut OfferView> {
        match self {
            MessageContent::Offer { offer, .. }
            | MessageContent::OfferDecision { offer, .. }
            | MessageContent::OfferWithdrawn { offer, .. } => Some(offer),
            _ => None,
        }
    }

    pub fn offer(&self) -> Option<&OfferView> {
        match self {
            MessageContent::Offer { offer, .. }
            | MessageContent::OfferDecision { offer, .. }
            | MessageContent::OfferWithdrawn { offer, .. } => Some(offer),
            _ => None,
        }
    }

    /// The payment request the message shows, as it stands now.
    pub fn payment_mut(&mut self) -> Option<&mut PaymentView> {
        match self {
            MessageContent::Payment { payment, .. }
            | MessageContent::PaymentStatus { payment, .. } => Some(payment),
            _ => None,
        }
    }

    pub fn payment(&self) -> Option<&PaymentView> {
        match self {
            MessageContent::Payment { payment, .. }
            | MessageContent::PaymentStatus { payment, .. } => Some(payment),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(status: OfferStatus) -> OfferView {
        OfferView {
            id: crate::model::ids::OfferId(1),
            title: "quotation v1".into(),
            status,
            reason: None,
        }
    }

    fn pay(status: PaymentStatus) -> PaymentView {
        PaymentView {
            id: crate::model::ids::PaymentId(2),
            amount: Money::parse("1500", "EUR").expect("money"),
            description: "Deposit".into(),
            status,
            test_mode: true,
        }
    }

    #[test]
    fn events_are_worded_once() {
        let moved = SystemEvent::StageMoved {
            by: "Mia".into(),
            from: DealStage::Inquiry,
            to: DealStage::Proposal,
        };
        assert_eq!(
            moved.describe(),
            "Mia moved the deal from Inquiry to Proposal."
        );
        let paid = MessageContent::PaymentStatus {
            payment: pay(PaymentStatus::Paid),
            status: PaymentStatus::Paid,
        };
        assert_eq!(paid.describe("dealchat"), "Payment of 1,500 EUR paid.");
        let canceled = MessageContent::PaymentStatus {
            payment: pay(PaymentStatus::Canceled),
            status: PaymentStatus::Canceled,
        };
        assert_eq!(
            canceled.describe("dealchat"),
            "Payment request of 1,500 EUR canceled."
        );
        let rejected = MessageContent::OfferDecision {
            offer: offer(OfferStatus::Rejected),
            file: None,
            reason: Some("Too dear".into()),
        };
        assert_eq!(
            rejected.describe("Clara"),
            "Clara rejected “quotation v1”. Reason: Too dear"
        );
    }

    #[test]
    fn a_channel_that_answers_in_its_name_is_who_acted() {
        let moved = SystemEvent::StageMoved {
            by: "Mia".into(),
            from: DealStage::Inquiry,
            to: DealStage::Proposal,
        };
        assert_eq!(
            moved.in_voice_of("Support").describe(),
            "Support moved the deal from Inquiry to Proposal."
        );
        let joined = SystemEvent::Assigned { to: "Mia".into() };
        assert_eq!(
            joined.in_voice_of("Support").describe(),
            "Support joined the chat."
        );
        let accepted = SystemEvent::Accepted { by: "Mia".into() };
        assert_eq!(
            accepted.in_voice_of("Support").describe(),
            "Support accepted the chat."
        );
        let amount = SystemEvent::Note {
            text: "Mia said".into(),
        };
        assert_eq!(amount.clone().in_voice_of("Support"), amount);
    }

    #[test]
    fn a_folder_file_is_described_not_left_empty() {
        let added = MessageContent::FolderFile { file: None };
        assert_eq!(
            added.describe("Clara Client"),
            "Clara Client added a file (since removed) to the deal files"
        );
        assert!(added.is_event());
    }

    #[test]
    fn an_idle_close_says_its_timeout_in_minutes_or_seconds() {
        let said = |after_secs| SystemEvent::IdleClosed { after_secs }.describe();
        assert_eq!(
            said(7200),
            "The chat closed after 120 minutes without a message."
        );
        assert_eq!(
            said(60),
            "The chat closed after 1 minute without a message."
        );
        assert_eq!(
            said(90),
            "The chat closed after 90 seconds without a message."
        );
        assert_eq!(said(1), "The chat closed after 1 second without a message.");
    }

    #[test]
    fn the_json_tag_is_the_stored_kind() {
        let json = serde_json::to_value(MessageContent::Offer {
            body: "see attached".into(),
            file: None,
            offer: offer(OfferStatus::Pending),
        })
        .expect("json");
        assert_eq!(json["kind"], "offer");
        assert_eq!(json["offer"]["status"], "pending");
        let event = serde_json::to_value(MessageContent::System {
            event: SystemEvent::Accepted { by: "Mia".into() },
        })
        .expect("json");
        assert_eq!(event["event"]["event"], "accepted");
    }
}
