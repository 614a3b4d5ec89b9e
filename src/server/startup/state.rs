//! The one state value server functions read, and the slice of it each feature's handlers take
//! (`FromRef`), so a feature's routes name only what they use and never this file.

use crate::server::accounts::auth::SessionState;
use crate::server::accounts::login_throttle::Policy;
use crate::server::accounts::sessions::SessionKey;
use crate::server::chat::routes::ChatState;
use crate::server::chat::send_rate::SendRate;
use crate::server::chat::writer::MessageWriter;
use crate::server::crm::port::CrmPort;
use crate::server::files::routes::FilesState;
use crate::server::files::uploads::UploadArea;
use crate::server::payments::providers::PaymentProvider;
use crate::server::payments::routes::PaymentsState;
use crate::server::platform::config::Settings;
use crate::server::realtime::Hub;
use crate::server::storage::FileStore;
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

impl FromRef<AppState> for SessionState {
    fn from_ref(state: &AppState) -> Self {
        SessionState {
            db: state.db.clone(),
            key: state.session_key.clone(),
            ttl: state.session_ttl(),
        }
    }
}

impl FromRef<AppState> for ChatState {
    fn from_ref(state: &AppState) -> Self {
        ChatState {
            db: state.db.clone(),
            hub: state.hub.clone(),
            writer: state.writer.clone(),
            rate: state.send_rate.clone(),
            settings: state.settings.clone(),
            payment_provider: state.payments.name(),
        }
    }
}

impl FromRef<AppState> for FilesState {
    fn from_ref(state: &AppState) -> Self {
        FilesState {
            db: state.db.clone(),
            hub: state.hub.clone(),
            store: state.files.clone(),
            area: state.uploads.clone(),
            settings: state.settings.clone(),
        }
    }
}

impl FromRef<AppState> for PaymentsState {
    fn from_ref(state: &AppState) -> Self {
        PaymentsState {
            db: state.db.clone(),
            hub: state.hub.clone(),
            payments: state.payments.clone(),
        }
    }
}

impl AppState {
    pub fn session_ttl(&self) -> Duration {
        Duration::hours(i64::try_from(self.settings.session.ttl_hours).unwrap_or(24 * 14))
    }

    pub fn login_policy(&self) -> Policy {
        Policy::from(&self.settings.auth)
    }
}
