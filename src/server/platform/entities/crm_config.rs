use crate::model::ids::UserId;
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// The connector's settings for one CRM, edited on the admin CRM page.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "crm_configs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider: String,
    /// `crm::stage_map::StageMap` as JSON; None: the default for the CRM.
    pub stage_map: Option<String>,
    /// `model::crm_rules::ConnectorRules` as JSON; None: the defaults.
    #[sea_orm(column_type = "Text", nullable)]
    pub rules: Option<String>,
    /// `model::crm_rules::PanelFields` as JSON; None: the fields the rules write.
    #[sea_orm(column_type = "Text", nullable)]
    pub panel_fields: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: UserId,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
