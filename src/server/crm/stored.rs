//! The connector's settings row per CRM (`crm_configs`): each setting is JSON in its own column,
//! read with its default when missing (or unreadable, which is logged), and saved on its own
//! without touching the others.

use crate::model::ids::UserId;
use crate::server::platform::entities::crm_config;
use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    sea_query::OnConflict,
};
use serde::{Serialize, de::DeserializeOwned};

/// A setting of the row: its column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    StageMap,
    Rules,
    PanelFields,
}

impl Setting {
    fn column(self) -> crm_config::Column {
        match self {
            Setting::StageMap => crm_config::Column::StageMap,
            Setting::Rules => crm_config::Column::Rules,
            Setting::PanelFields => crm_config::Column::PanelFields,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Setting::StageMap => "stage mapping",
            Setting::Rules => "connector rules",
            Setting::PanelFields => "fields beside the chat",
        }
    }
}

/// The setting stored for `provider`, or `T::default()`.
pub async fn read<T: DeserializeOwned + Default>(
    db: &impl ConnectionTrait,
    provider: &str,
    setting: Setting,
) -> Result<T, DbErr> {
    let stored = crm_config::Entity::find_by_id(provider.to_owned())
        .one(db)
        .await?
        .and_then(|c| match setting {
            Setting::StageMap => c.stage_map,
            Setting::Rules => c.rules,
            Setting::PanelFields => c.panel_fields,
        });
    Ok(match stored.map(|json| serde_json::from_str(&json)) {
        Some(Ok(value)) => value,
        Some(Err(e)) => {
            tracing::error!(provider, setting = setting.name(), error = %e, "a stored CRM setting does not read; using the default");
            T::default()
        }
        None => T::default(),
    })
}

/// Saves one setting for `provider`, leaving the others as they are.
pub async fn save<T: Serialize>(
    db: &DatabaseConnection,
    provider: &str,
    admin: UserId,
    setting: Setting,
    value: &T,
) -> Result<(), DbErr> {
    let json = serde_json::to_string(value).map_err(|e| DbErr::Custom(e.to_string()))?;
    let of = |s: Setting| Set((s == setting).then(|| json.clone()));
    crm_config::Entity::insert(crm_config::ActiveModel {
        provider: Set(provider.to_owned()),
        stage_map: of(Setting::StageMap),
        rules: of(Setting::Rules),
        panel_fields: of(Setting::PanelFields),
        updated_at: Set(Utc::now()),
        updated_by: Set(admin),
    })
    .on_conflict(
        OnConflict::column(crm_config::Column::Provider)
            .update_columns([
                setting.column(),
                crm_config::Column::UpdatedAt,
                crm_config::Column::UpdatedBy,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}
