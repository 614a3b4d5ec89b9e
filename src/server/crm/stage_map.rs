//! Our five stages and a CRM's deal stages (a pick list each organisation customises). The
//! default fits Zoho's standard list; a CRM value nobody mapped is never guessed at.

use crate::model::AppError;
use crate::model::{DealOutcome, DealStage};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageMap {
    /// The CRM value for each of our stages while the deal is open.
    pub open: Vec<(DealStage, String)>,
    pub won: String,
    pub lost: String,
    /// Each CRM value that means one of our stages (several may mean the same one).
    pub reverse: Vec<(String, DealStage)>,
}

/// Zoho's standard stages, until the admin maps the organisation's own.
impl Default for StageMap {
    fn default() -> Self {
        StageMap::zoho_standard()
    }
}

impl StageMap {
    /// Zoho's standard stages: Qualification, Needs Analysis, Value Proposition, Identify
    /// Decision Makers, Proposal/Price Quote, Negotiation/Review, Closed Won, Closed Lost, Closed
    /// Lost to Competition.
    pub fn zoho_standard() -> StageMap {
        let s = |x: &str| x.to_owned();
        StageMap {
            open: vec![
                (DealStage::Inquiry, s("Qualification")),
                (DealStage::Proposal, s("Proposal/Price Quote")),
                (DealStage::Negotiation, s("Negotiation/Review")),
                (DealStage::Approval, s("Identify Decision Makers")),
                (DealStage::Completion, s("Closed Won")),
            ],
            won: s("Closed Won"),
            lost: s("Closed Lost"),
            reverse: vec![
                (s("Qualification"), DealStage::Inquiry),
                (s("Needs Analysis"), DealStage::Inquiry),
                (s("Value Proposition"), DealStage::Inquiry),
                (s("Proposal/Price Quote"), DealStage::Proposal),
                (s("Negotiation/Review"), DealStage::Negotiation),
                (s("Identify Decision Makers"), DealStage::Approval),
                (s("Closed Won"), DealStage::Completion),
            ],
        }
    }

    /// Refuses a map naming a value the CRM's pick list (`choices`) lacks: the CRM would refuse
    /// every deal sent with it. The error names the form field.
    pub fn check(&self, choices: &[String]) -> Result<(), AppError> {
        let known = |v: &str| choices.iter().any(|c| c == v);
        let missing = |field: &str, v: &str| {
            AppError::invalid(
                field,
                format!("“{v}” is not one of the CRM's deal stages; choose one of its list."),
            )
        };
        for (stage, value) in &self.open {
            if !known(value) {
                return Err(missing(crate::model::crm::stage_field(*stage), value));
            }
        }
        if !known(&self.won) {
            return Err(missing("won", &self.won));
        }
        if !known(&self.lost) {
            return Err(missing("lost", &self.lost));
        }
        if let Some((value, _)) = self.reverse.iter().find(|(v, _)| !known(v)) {
            return Err(missing("from", value));
        }
        Ok(())
    }

    /// The CRM value for a deal at `stage`, closed with `outcome` if it is closed.
    pub fn to_crm(&self, stage: DealStage, outcome: Option<DealOutcome>) -> &str {
        match outcome {
            Some(DealOutcome::Won) => &self.won,
            Some(DealOutcome::Lost) => &self.lost,
            None => self.open.iter().find(|(s, _)| *s == stage).map_or(
                self.open.first().map_or("", |(_, v)| v.as_str()),
                |(_, v)| v,
            ),
        }
    }

    /// Our stage for a CRM value; None for a value nobody mapped.
    pub fn from_crm(&self, value: &str) -> Option<DealStage> {
        self.reverse
            .iter()
            .find(|(v, _)| v.eq_ignore_ascii_case(value.trim()))
            .map(|(_, s)| *s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_goes_to_a_zoho_value_that_comes_back_to_it() {
        let map = StageMap::zoho_standard();
        for stage in DealStage::ALL {
            assert_eq!(
                map.from_crm(map.to_crm(stage, None)),
                Some(stage),
                "{stage:?}"
            );
        }
    }

    #[test]
    fn a_map_naming_a_value_the_crm_lacks_is_refused_with_its_field() {
        let map = StageMap::zoho_standard();
        let standard: Vec<String> = [
            "Qualification",
            "Needs Analysis",
            "Value Proposition",
            "Identify Decision Makers",
            "Proposal/Price Quote",
            "Negotiation/Review",
            "Closed Won",
            "Closed Lost",
        ]
        .map(str::to_owned)
        .to_vec();
        assert_eq!(map.check(&standard), Ok(()));
        let custom: Vec<String> = standard
            .iter()
            .filter(|v| *v != "Negotiation/Review")
            .cloned()
            .collect();
        let err = map.check(&custom).unwrap_err();
        assert!(err.for_field("to_negotiation").is_some(), "{err:?}");
    }

    #[test]
    fn a_closed_deal_says_how_it_ended_and_unknown_values_are_not_guessed() {
        let map = StageMap::zoho_standard();
        assert_eq!(
            map.to_crm(DealStage::Negotiation, Some(DealOutcome::Lost)),
            "Closed Lost"
        );
        assert_eq!(
            map.to_crm(DealStage::Proposal, Some(DealOutcome::Won)),
            "Closed Won"
        );
        assert_eq!(map.from_crm("needs analysis"), Some(DealStage::Inquiry));
        assert_eq!(map.from_crm("Closed Lost"), None);
        assert_eq!(map.from_crm("Our Custom Stage"), None);
    }
}
