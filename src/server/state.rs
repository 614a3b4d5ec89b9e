//! The one state value every handler and server function reads.

use crate::server::config::Settings;
use crate::server::services::login_throttle::Policy;
use crate::server::services::sessions::SessionKey;
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
}
