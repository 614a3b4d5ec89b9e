//! Operator metrics: per operator session its wait, first response, handle time and messages, and
//! for a range of days the median and 90th percentile per queue and per operator.

use crate::model::chat::CloseReason;
use crate::model::ids::ConversationId;
use serde::{Deserialize, Serialize};

/// The figures of a set of operator sessions (nearest-rank percentiles; None without samples).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Sessions opened in the range.
    pub sessions: i64,
    /// Of those, the ones an operator took.
    pub answered: i64,
    /// Messages people wrote in them (not the product's own lines).
    pub messages: i64,
    /// From the session's start (the chat began waiting) to an operator taking it.
    pub wait_p50_ms: Option<i64>,
    pub wait_p90_ms: Option<i64>,
    /// From the session's start to the operator's first message: what the client waited.
    pub first_response_p50_ms: Option<i64>,
    pub first_response_p90_ms: Option<i64>,
    /// From an operator taking it to its close.
    pub handle_p50_ms: Option<i64>,
}

/// One queue's or one operator's figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiguresRow {
    /// The queue's or operator's name ("Not taken" for sessions no operator took).
    pub label: String,
    pub figures: Figures,
}

/// One operator session as the metrics see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionFigures {
    pub conversation_id: ConversationId,
    pub title: String,
    pub client: String,
    pub operator: Option<String>,
    pub queue: Option<String>,
    pub opened_at_ms: i64,
    pub wait_ms: Option<i64>,
    pub first_response_ms: Option<i64>,
    pub handle_ms: Option<i64>,
    pub messages: i64,
    /// None while the session is open.
    pub close_reason: Option<CloseReason>,
}

/// The metrics page: the days it covers (as the admin's calendar has them) and the figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsReport {
    /// First and last day, `YYYY-MM-DD`, both included.
    pub from: String,
    pub to: String,
    pub total: Figures,
    pub by_queue: Vec<FiguresRow>,
    pub by_operator: Vec<FiguresRow>,
    /// The newest sessions of the range, newest first, at most `SESSIONS_SHOWN`.
    pub sessions: Vec<SessionFigures>,
}

/// How many sessions the page lists one by one.
pub const SESSIONS_SHOWN: u64 = 100;

/// A duration as a person reads it: "—" without one, "45 s", "3 min 20 s", "2 h 5 min", "3 d 4 h".
pub fn duration_label(ms: Option<i64>) -> String {
    let Some(ms) = ms else {
        return "—".to_owned();
    };
    let s = ms.max(0) / 1000;
    match s {
        0 if ms > 0 => "< 1 s".to_owned(),
        0..60 => format!("{s} s"),
        60..3600 if s % 60 == 0 => format!("{} min", s / 60),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        3600..86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

impl CloseReason {
    /// How the metrics page names the way a session closed.
    pub fn label(self) -> &'static str {
        match self {
            CloseReason::Ended => "ended",
            CloseReason::Idle => "closed as idle",
            CloseReason::Transferred => "transferred",
            CloseReason::DealClosed => "deal closed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_person_says_them() {
        assert_eq!(duration_label(None), "—");
        assert_eq!(duration_label(Some(0)), "0 s");
        assert_eq!(duration_label(Some(300)), "< 1 s");
        assert_eq!(duration_label(Some(45_400)), "45 s");
        assert_eq!(duration_label(Some(180_000)), "3 min");
        assert_eq!(duration_label(Some(200_000)), "3 min 20 s");
        assert_eq!(duration_label(Some(7_500_000)), "2 h 5 min");
        assert_eq!(duration_label(Some(273_600_000)), "3 d 4 h");
        assert_eq!(
            duration_label(Some(-5)),
            "0 s",
            "clocks of two instances disagree"
        );
    }
}
