//! Which CRM the app works with right now: Zoho from the moment it is connected (also while the
//! admin has yet to choose the organisation or must reconnect: its work then waits instead of
//! going to the built-in CRM), else the built-in one. Read from the connection row at each use,
//! so every instance follows a connect or disconnect.

use crate::server::crm::builtin::BuiltinCrm;
use crate::server::crm::port::CrmPort;
use crate::server::crm::zoho::api::ZohoApi;
use crate::server::crm::zoho::crm::ZohoCrm;
use sea_orm::{DatabaseConnection, DbErr};
use std::sync::Arc;

pub struct Crms {
    builtin: Arc<dyn CrmPort>,
    zoho: Arc<dyn CrmPort>,
    api: Arc<ZohoApi>,
}

impl Crms {
    pub fn new(db: DatabaseConnection, api: Arc<ZohoApi>) -> Crms {
        Crms {
            builtin: Arc::new(BuiltinCrm::new(db)),
            zoho: Arc::new(ZohoCrm::new(api.clone())),
            api,
        }
    }

    /// The CRM in use.
    pub async fn current(&self) -> Result<Arc<dyn CrmPort>, DbErr> {
        Ok(match self.api.row().await? {
            Some(_) => self.zoho.clone(),
            None => self.builtin.clone(),
        })
    }
}
