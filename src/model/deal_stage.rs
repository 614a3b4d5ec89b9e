//! The five stages a deal moves through, in order, as shown on the stepper.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DealStage {
    Inquiry,
    Proposal,
    Negotiation,
    Approval,
    Completion,
}

impl DealStage {
    pub const ALL: [DealStage; 5] = [
        DealStage::Inquiry,
        DealStage::Proposal,
        DealStage::Negotiation,
        DealStage::Approval,
        DealStage::Completion,
    ];

    /// Parses the stored or submitted name; anything else is refused.
    pub fn parse(raw: &str) -> Option<DealStage> {
        DealStage::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(raw.trim()))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DealStage::Inquiry => "inquiry",
            DealStage::Proposal => "proposal",
            DealStage::Negotiation => "negotiation",
            DealStage::Approval => "approval",
            DealStage::Completion => "completion",
        }
    }

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
        assert_eq!(DealStage::parse(" Proposal "), Some(DealStage::Proposal));
        assert_eq!(DealStage::parse("won"), None);
    }

    #[test]
    fn stages_are_ordered_along_the_stepper() {
        assert!(DealStage::Inquiry < DealStage::Completion);
        assert_eq!(DealStage::Negotiation.index(), 2);
    }
}
