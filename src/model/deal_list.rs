//! The staff's Deals page: deals with their client, owner, stage and outcome, searched and
//! filtered; each opens its record page and its chat.

use crate::model::ids::{ConversationId, DealId, UserId};
use crate::model::money::Money;
use crate::model::names::stored_names;
use crate::model::{DealOutcome, DealStage};
use serde::{Deserialize, Serialize};

/// The most deals one page lists (the newest first).
pub const DEALS_SHOWN: usize = 200;

/// Which deals by their state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DealState {
    #[default]
    Open,
    Closed,
    All,
}

stored_names!(DealState {
    Open => "open",
    Closed => "closed",
    All => "all",
});

/// One deal's line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealRow {
    pub id: DealId,
    pub title: String,
    pub stage: DealStage,
    pub outcome: Option<DealOutcome>,
    pub amount: Option<Money>,
    pub client_name: String,
    pub owner_name: Option<String>,
    /// Its chat, to open.
    pub conversation_id: Option<ConversationId>,
    pub created_at_ms: i64,
    pub closed_at_ms: Option<i64>,
}

/// Someone who owns a deal the reader may see: a choice of the owner filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerChoice {
    pub id: UserId,
    pub name: String,
}

/// What the Deals page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealsPage {
    pub deals: Vec<DealRow>,
    /// More deals matched than are listed.
    pub more: bool,
    pub owners: Vec<OwnerChoice>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_parse_from_their_names() {
        for state in DealState::ALL {
            assert_eq!(DealState::parse(state.as_str()), Some(state));
        }
        assert_eq!(DealState::parse("archived"), None);
    }
}
