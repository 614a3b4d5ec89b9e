//! Which CRM the app works with right now: Zoho from the moment it is connected (also while the
//! admin has yet to choose the organisation or must reconnect: its work then waits instead of
//! going to the built-in CRM), else the built-in one. Read from the connection row at each use,
//! so every instance follows a connect or disconnect, with the admin's stage mapping.

use crate::server::crm::builtin::BuiltinCrm;
use crate::server::crm::port::CrmPort;
use crate::server::crm::record_cache::RecordCache;
use crate::server::crm::stage_map::StageMap;
use crate::server::crm::stored::{self, Setting};
use crate::server::crm::zoho::api::{ZOHO, ZohoApi};
use crate::server::crm::zoho::crm::ZohoCrm;
use sea_orm::{DatabaseConnection, DbErr};
use std::sync::Arc;

pub struct Crms {
    db: DatabaseConnection,
    builtin: Arc<dyn CrmPort>,
    zoho: Arc<ZohoCrm>,
    api: Arc<ZohoApi>,
    records: RecordCache,
}

impl Crms {
    /// `panel_cache`: how long a record read for beside a chat may be shown again unread.
    pub fn new(
        db: DatabaseConnection,
        api: Arc<ZohoApi>,
        panel_cache: std::time::Duration,
    ) -> Crms {
        Crms {
            builtin: Arc::new(BuiltinCrm::new(db.clone())),
            zoho: Arc::new(ZohoCrm::new(api.clone())),
            api,
            db,
            records: RecordCache::new(panel_cache),
        }
    }

    /// The records shown beside chats, read recently.
    pub fn records(&self) -> &RecordCache {
        &self.records
    }

    /// The CRM in use.
    pub async fn current(&self) -> Result<Arc<dyn CrmPort>, DbErr> {
        if self.api.row().await?.is_none() {
            return Ok(self.builtin.clone());
        }
        self.zoho.set_stages(stage_map(&self.db, ZOHO).await?);
        Ok(self.zoho.clone())
    }
}

/// The admin's stage mapping for `provider`, or the default (Zoho's standard stages).
pub async fn stage_map(db: &DatabaseConnection, provider: &str) -> Result<StageMap, DbErr> {
    stored::read(db, provider, Setting::StageMap).await
}
