//! The five stages a deal moves through, in order, as shown on the stepper.

use crate::model::names::stored_names;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(value_type = "String", to_str = "DealStage::as_str")
)]
pub enum DealStage {
    Inquiry,
    Proposal,
    Negotiation,
    Approval,
    Completion,
}

stored_names!(DealStage {
    Inquiry => "inquiry",
    Proposal => "proposal",
    Negotiation => "negotiation",
    Approval => "approval",
    Completion => "completion",
});

impl DealStage {
    pub fn label(self) -> &'static str {
        match self {
            DealStage::Inquiry => "Inquiry",
            DealStage::Proposal => "Proposal",
            DealStage::Negotiation => "Negotiation",
            DealStage::Approval => "Approval",
            DealStage::Completion => "Completion",
        }
    }

    /// Position on the stepper, from 0.
    pub fn index(self) -> usize {
        DealStage::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

/// How a closed deal ended: won (the Completion path) or lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(value_type = "String", to_str = "DealOutcome::as_str")
)]
pub enum DealOutcome {
    Won,
    Lost,
}

stored_names!(DealOutcome {
    Won => "won",
    Lost => "lost",
});

impl fmt::Display for DealOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for DealStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_parses_back_from_its_name() {
        for stage in DealStage::ALL {
            assert_eq!(DealStage::parse(stage.as_str()), Some(stage));
        }
        assert_eq!(DealStage::parse(" proposal "), Some(DealStage::Proposal));
        assert_eq!(
            DealStage::parse("Proposal"),
            None,
            "the stored names, exactly"
        );
        assert_eq!(DealStage::parse("won"), None);
    }

    #[test]
    fn stages_are_ordered_along_the_stepper() {
        assert!(DealStage::Inquiry < DealStage::Completion);
        assert_eq!(DealStage::Negotiation.index(), 2);
    }
}
