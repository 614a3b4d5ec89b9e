//! The one state value every handler and server function reads.

use crate::server::config::Settings;
use crate::server::integrations::crm::CrmPort;
use crate::server::integrations::files::FileStore;
use crate::server::integrations::payments::PaymentProvider;
use crate::server::realtime::Hub;
use crate::server::services::login_throttle::Policy;
use crate::server::services::message_writer::MessageWriter;
use crate::server::services::send_rate::SendRate;
use crate::server::services::sessions::SessionKey;
use crate::server::services::uploads::{self, UploadArea};
use axum::extract::FromRef;
use chrono::Duration;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub session_key: SessionKey,
    pub hub: Arc<Hub>,
    pub writer: MessageWriter,
    pub send_rate: Arc<SendRate>,
    pub crm: Arc<dyn CrmPort>,
    pub files: Arc<dyn FileStore>,
    pub uploads: Arc<UploadArea>,
    pub payments: Arc<dyn PaymentProvider>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    pub fn session_ttl(&self) -> Duration {
        Duration::hours(i64::try_from(self.settings.session.ttl_hours).unwrap_or(24 * 14))
    }

    pub fn login_policy(&self) -> Policy {
        Policy::from(&self.settings.auth)
    }

    pub fn upload_deps(&self) -> uploads::Deps<'_> {
        uploads::Deps {
            db: &self.db,
            hub: &self.hub,
            store: self.files.as_ref(),
            area: &self.uploads,
            files: &self.settings.files,
            chat: &self.settings.chat,
        }
    }
}
