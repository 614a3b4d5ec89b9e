//! The connector's settings on the admin CRM page: the deal stage mapping between our five
//! stages and the CRM's pick list (read from the CRM, so a value it lacks is refused when saved).

use crate::model::crm::StageMappingView;
use crate::model::ids::UserId;
use crate::model::{AppError, DealStage};
use crate::server::crm::port::CrmError;
use crate::server::crm::stage_map::StageMap;
use crate::server::crm::stored::{self, Setting};
use crate::server::crm::switch::{Crms, stage_map};
use sea_orm::DatabaseConnection;

/// The admin's answers on the mapping form.
pub struct StageForm {
    /// The CRM value for each of our stages, in order (`DealStage::ALL`).
    pub to_crm: [String; 5],
    pub won: String,
    pub lost: String,
    /// For each CRM value in the order the form showed them: our stage's name, or empty.
    pub from_crm: Vec<String>,
}

fn crm_app_error(e: CrmError) -> AppError {
    e.asking("for its stages")
}

/// The mapping as the page shows it; None while the CRM in use has our own stages (built-in).
pub async fn stage_mapping(
    db: &DatabaseConnection,
    crms: &Crms,
) -> Result<Option<StageMappingView>, AppError> {
    let crm = crms.current().await?;
    let choices = match crm.stage_choices().await {
        Ok(Some(choices)) => choices,
        // Nothing to map, or nothing to ask until Zoho is reconnected (the page says so).
        Ok(None) | Err(CrmError::Waiting(_)) => return Ok(None),
        Err(e) => return Err(crm_app_error(e)),
    };
    let map = stage_map(db, crm.provider()).await?;
    Ok(Some(view(&map, choices)))
}

/// The view of `map` over the CRM's `choices`.
pub fn view(map: &StageMap, choices: Vec<String>) -> StageMappingView {
    StageMappingView {
        to_crm: DealStage::ALL
            .iter()
            .map(|s| (*s, map.to_crm(*s, None).to_owned()))
            .collect(),
        won: map.won.clone(),
        lost: map.lost.clone(),
        from_crm: choices.iter().map(|c| map.from_crm(c)).collect(),
        choices,
    }
}

/// Reads the form into a map over `choices`; refuses a value the CRM lacks, naming its field.
pub fn read_form(form: &StageForm, choices: &[String]) -> Result<StageMap, AppError> {
    if form.from_crm.len() != choices.len() {
        return Err(AppError::Conflict(
            "The CRM's stage list changed while you edited; reload the page.".into(),
        ));
    }
    let mut reverse = Vec::new();
    for (value, ours) in choices.iter().zip(&form.from_crm) {
        match ours.trim() {
            "" => {}
            name => reverse.push((
                value.clone(),
                DealStage::parse(name).ok_or_else(|| {
                    AppError::invalid("from", format!("“{name}” is not a stage."))
                })?,
            )),
        }
    }
    let map = StageMap {
        open: DealStage::ALL
            .iter()
            .zip(&form.to_crm)
            .map(|(s, v)| (*s, v.trim().to_owned()))
            .collect(),
        won: form.won.trim().to_owned(),
        lost: form.lost.trim().to_owned(),
        reverse,
    };
    map.check(choices)?;
    Ok(map)
}

/// Saves the admin's mapping for the CRM in use.
pub async fn save_stage_mapping(
    db: &DatabaseConnection,
    crms: &Crms,
    admin: UserId,
    form: &StageForm,
) -> Result<(), AppError> {
    let crm = crms.current().await?;
    let Some(choices) = crm.stage_choices().await.map_err(crm_app_error)? else {
        return Err(AppError::Conflict(
            "The built-in CRM uses the app's own stages: there is nothing to map.".into(),
        ));
    };
    let map = read_form(form, &choices)?;
    stored::save(db, crm.provider(), admin, Setting::StageMap, &map).await?;
    tracing::info!(admin = %admin, provider = crm.provider(), "admin saved the deal stage mapping");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices() -> Vec<String> {
        ["New", "Quoted", "Haggling", "Signed", "Won", "Lost"]
            .map(str::to_owned)
            .to_vec()
    }

    fn form(to: [&str; 5], from: [&str; 6]) -> StageForm {
        StageForm {
            to_crm: to.map(str::to_owned),
            won: "Won".into(),
            lost: "Lost".into(),
            from_crm: from.map(str::to_owned).to_vec(),
        }
    }

    #[test]
    fn a_custom_pick_list_maps_both_ways() {
        let map = read_form(
            &form(
                ["New", "Quoted", "Haggling", "Signed", "Won"],
                [
                    "inquiry",
                    "proposal",
                    "negotiation",
                    "approval",
                    "completion",
                    "",
                ],
            ),
            &choices(),
        )
        .unwrap();
        assert_eq!(map.to_crm(DealStage::Negotiation, None), "Haggling");
        assert_eq!(map.from_crm("Signed"), Some(DealStage::Approval));
        assert_eq!(map.from_crm("Lost"), None);
        let shown = view(&map, choices());
        assert_eq!(shown.from_crm[5], None);
        assert_eq!(shown.to_crm[1], (DealStage::Proposal, "Quoted".to_owned()));
    }

    #[test]
    fn bad_answers_are_named() {
        let unknown = read_form(
            &form(
                ["New", "Quoted", "Nope", "Signed", "Won"],
                ["", "", "", "", "", ""],
            ),
            &choices(),
        )
        .unwrap_err();
        assert!(unknown.for_field("to_negotiation").is_some(), "{unknown:?}");
        let not_a_stage = read_form(
            &form(
                ["New", "Quoted", "Haggling", "Signed", "Won"],
                ["soon", "", "", "", "", ""],
            ),
            &choices(),
        )
        .unwrap_err();
        assert!(not_a_stage.for_field("from").is_some());
        let stale = read_form(
            &form(
                ["New", "Quoted", "Haggling", "Signed", "Won"],
                ["", "", "", "", "", ""],
            ),
            &choices()[..5],
        )
        .unwrap_err();
        assert!(matches!(stale, AppError::Conflict(_)));
    }
}
