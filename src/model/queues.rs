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

/// Everything the admin page of teams and queues shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuesAdmin {
    pub teams: Vec<TeamView>,
    pub queues: Vec<QueueView>,
    pub operators: Vec<OperatorView>,
}
