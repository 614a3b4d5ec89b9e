//! Teams, queues and operators as the console and the admin pages show them, and the names of
//! routing rules and operator statuses.

use crate::model::ids::{QueueId, TeamId, UserId};
use crate::model::names::stored_names;
use serde::{Deserialize, Serialize};

/// How a queue hands its waiting chats to operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(value_type = "String", to_str = "Routing::as_str")
)]
pub enum Routing {
    /// Everyone in the queue sees the waiting chat and one of them accepts it.
    All,
    /// Assigned in turn: the available operator assigned longest ago goes next.
    RoundRobin,
    /// Assigned to the available operator holding the fewest chats (ties: assigned longest ago).
    LeastBusy,
}

stored_names!(Routing {
    All => "all",
    RoundRobin => "round_robin",
    LeastBusy => "least_busy",
});

impl Routing {
    /// Whether the server assigns the queue's chats itself.
    pub fn is_automatic(self) -> bool {
        self != Routing::All
    }

    pub fn label(self) -> &'static str {
        match self {
            Routing::All => "To all agents",
            Routing::RoundRobin => "Round robin",
            Routing::LeastBusy => "Least busy",
        }
    }
}

/// What an operator says about themselves in the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(value_type = "String", to_str = "OperatorStatus::as_str")
)]
pub enum OperatorStatus {
    /// Takes new chats.
    Available,
    /// Keeps their chats, gets no new ones.
    Away,
    /// Gone: gets no new chats.
    Offline,
}

stored_names!(OperatorStatus {
    Available => "available",
    Away => "away",
    Offline => "offline",
});

impl OperatorStatus {
    pub fn label(self) -> &'static str {
        match self {
            OperatorStatus::Available => "Available",
            OperatorStatus::Away => "Away",
            OperatorStatus::Offline => "Offline",
        }
    }
}

/// Shortest and longest chat timeout of a queue, in minutes.
pub const TIMEOUT_MINUTES: std::ops::RangeInclusive<i32> = 60..=180;
/// Largest capacity an operator may be given.
pub const MAX_CAPACITY: i32 = 50;

/// An employee as a team's member list shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: UserId,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    pub id: TeamId,
    pub name: String,
    pub members: Vec<Member>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    pub id: QueueId,
    pub name: String,
    /// None: every employee works the queue.
    pub team: Option<TeamId>,
    pub team_name: Option<String>,
    pub routing: Routing,
    pub timeout_minutes: i32,
    /// New chats go here (until channels choose).
    pub is_default: bool,
}

/// An employee as an operator: what they said, what the server sees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorView {
    pub id: UserId,
    pub name: String,
    pub status: OperatorStatus,
    /// Said available but not seen for a while: gets no chats until they are back.
    pub gone: bool,
    pub capacity: i32,
    pub open_sessions: i32,
}

/// One queue in the console: how many chats wait in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCount {
    pub id: QueueId,
    pub name: String,
    pub routing: Routing,
    pub waiting: i64,
}

/// The console's head: my status and load, and the queues I work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleState {
    pub me: OperatorView,
    pub queues: Vec<QueueCount>,
}

/// Where an operator hands a chat: a colleague, or a queue. Written `operator:ID` or `queue:ID`
/// (one field of a form).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TransferTo {
    Operator(UserId),
    Queue(QueueId),
}

impl TransferTo {
    pub fn parse(raw: &str) -> Option<TransferTo> {
        let (kind, id) = raw.trim().split_once(':')?;
        let id: i64 = id.parse().ok().filter(|id| *id > 0)?;
        match kind {
            "operator" => Some(TransferTo::Operator(UserId(id))),
            "queue" => Some(TransferTo::Queue(QueueId(id))),
            _ => None,
        }
    }

    pub fn encode(self) -> String {
        match self {
            TransferTo::Operator(id) => format!("operator:{id}"),
            TransferTo::Queue(id) => format!("queue:{id}"),
        }
    }
}

/// Whom the chat's operator may hand it to: employees (with why some cannot take it now) and
/// queues.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferTargets {
    pub operators: Vec<OperatorView>,
    pub queues: Vec<QueueCount>,
}

impl OperatorView {
    /// Why this operator cannot take a chat now, or None when they can.
    pub fn refusal(&self) -> Option<String> {
        if self.status != OperatorStatus::Available {
            Some(format!(
                "{} is {}.",
                self.name,
                self.status.label().to_lowercase()
            ))
        } else if self.gone {
            Some(format!("{}'s console is not open.", self.name))
        } else if self.open_sessions >= self.capacity {
            Some(format!(
                "{} already has {} of {} chats.",
                self.name, self.open_sessions, self.capacity
            ))
        } else {
            None
        }
    }
}

/// Everything the admin page of teams and queues shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuesAdmin {
    pub teams: Vec<TeamView>,
    pub queues: Vec<QueueView>,
    pub operators: Vec<OperatorView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transfer_target_is_an_operator_or_a_queue_by_id() {
        for to in [
            TransferTo::Operator(UserId(7)),
            TransferTo::Queue(QueueId(3)),
        ] {
            assert_eq!(TransferTo::parse(&to.encode()), Some(to));
        }
        for bad in ["", "operator:", "queue:x", "team:3", "operator:-1", "7"] {
            assert_eq!(TransferTo::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_operator_who_cannot_take_a_chat_says_why() {
        let mut max = OperatorView {
            id: UserId(2),
            name: "Max".into(),
            status: OperatorStatus::Available,
            gone: false,
            capacity: 5,
            open_sessions: 4,
        };
        assert_eq!(max.refusal(), None);
        max.open_sessions = 5;
        assert_eq!(
            max.refusal().as_deref(),
            Some("Max already has 5 of 5 chats.")
        );
        max.gone = true;
        assert_eq!(max.refusal().as_deref(), Some("Max's console is not open."));
        max.status = OperatorStatus::Away;
        assert_eq!(max.refusal().as_deref(), Some("Max is away."));
    }
}
