//! The one state value server functions read, and the slice of it each feature's handlers take
//! (`FromRef`), so a feature's routes name only what they use and never this file.

use crate::model::ids::UserId;
use crate::server::accounts::auth::SessionState;
use crate::server::accounts::email::Links;
use crate::server::accounts::login_throttle::Policy;
use crate::server::accounts::passwords::Hasher;
use crate::server::accounts::routes::AccountsState;
use crate::server::accounts::session_cache::SessionCache;
use crate::server::accounts::sessions::{Lifetime, SessionKey};
use crate::server::accounts::setup::SetupCode;
use crate::server::channels::routes::ChannelsState;
use crate::server::chat::poll_reads::PollReads;
use crate::server::chat::polling::PollSeats;
use crate::server::chat::routes::ChatState;
use crate::server::chat::routing::Router;
use crate::server::chat::writer::MessageWriter;
use crate::server::crm::routes::CrmState;
use crate::server::crm::switch::Crms;
use crate::server::crm::zoho::connection::ZohoConnector;
use crate::server::files::routes::FilesState;
use crate::server::files::uploads::UploadArea;
use crate::server::payments::providers::PaymentProvider;
use crate::server::payments::routes::PaymentsState;
use crate::server::platform::config::Settings;
use crate::server::platform::rate_limit::{AbuseLimits, RateLimit};
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
    pub hasher: Hasher,
    /// The first-run setup code, while no administrator exists.
    pub setup: Arc<SetupCode>,
    pub hub: Arc<Hub>,
    /// Sessions this instance read lately (`accounts::session_cache`).
    pub session_cache: Arc<SessionCache>,
    pub writer: MessageWriter,
    /// Routing: who is present, automatic assignment.
    pub router: Arc<Router>,
    pub send_rate: Arc<RateLimit<UserId>>,
    pub poll_seats: Arc<PollSeats>,
    /// Polls woken together read together (`chat::poll_reads`).
    pub poll_reads: Arc<PollReads>,
    /// The abuse limits per client address and per user.
    pub limits: Arc<AbuseLimits>,
    /// The CRM in use (built-in, or Zoho once connected).
    pub crm: Arc<Crms>,
    /// Connecting Zoho from the admin CRM page.
    pub zoho: Arc<ZohoConnector>,
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
            cache: state.session_cache.clone(),
            key: state.session_key.clone(),
            life: state.session_lifetime(),
            secure: state.settings.secure_cookies(),
            setup: state.setup.clone(),
        }
    }
}

impl FromRef<AppState> for AccountsState {
    fn from_ref(state: &AppState) -> Self {
        AccountsState {
            db: state.db.clone(),
            key: state.session_key.clone(),
        }
    }
}

impl FromRef<AppState> for ChatState {
    fn from_ref(state: &AppState) -> Self {
        ChatState {
            db: state.db.clone(),
            hub: state.hub.clone(),
            writer: state.writer.clone(),
            router: state.router.clone(),
            rate: state.send_rate.clone(),
            seats: state.poll_seats.clone(),
            reads: state.poll_reads.clone(),
            sessions: state.session_cache.clone(),
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
            limits: state.limits.clone(),
        }
    }
}

impl FromRef<AppState> for ChannelsState {
    fn from_ref(state: &AppState) -> Self {
        ChannelsState {
            db: state.db.clone(),
            store: state.files.clone(),
            staging: state.settings.data_dir.join("tmp"),
            max_image_bytes: state.settings.files.max_channel_image_bytes,
        }
    }
}

impl FromRef<AppState> for CrmState {
    fn from_ref(state: &AppState) -> Self {
        CrmState {
            zoho: state.zoho.clone(),
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

    pub fn session_lifetime(&self) -> Lifetime {
        Lifetime {
            ttl: self.session_ttl(),
            absolute: Duration::days(
                i64::try_from(self.settings.session.absolute_days).unwrap_or(30),
            ),
        }
    }

    /// The links account mails carry, and how long they work.
    pub fn mail_links(&self) -> Links {
        let mail = &self.settings.mail;
        Links {
            base: self.settings.public_base(),
            verify_for: Duration::hours(i64::try_from(mail.verify_hours).unwrap_or(48)),
            reset_for: Duration::minutes(i64::try_from(mail.reset_minutes).unwrap_or(60)),
        }
    }

    pub fn login_policy(&self) -> Policy {
        Policy::from(&self.settings.auth)
    }
}
