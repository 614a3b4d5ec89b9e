//! Layered settings: built-in defaults, `config/local.toml`, the file named by `APP_CONFIG_FILE`,
//! then `APP_*` environment variables. Validated once at start-up; an error names the bad key.

use crate::model::payment::Provider;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

const DEFAULTS: &str = include_str!("../../../config/default.toml");

#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub session: SessionSettings,
    pub auth: AuthSettings,
    pub limits: LimitSettings,
    pub chat: ChatSettings,
    pub files: FileSettings,
    pub payments: PaymentSettings,
    pub jobs: JobSettings,
    pub transcripts: TranscriptSettings,
    pub secrets: SecretSettings,
    pub crm: CrmSettings,
    pub routing: RoutingSettings,
    pub rate_limits: RateLimitSettings,
    pub mail: MailSettings,
    pub bootstrap: BootstrapSettings,
}

#[derive(Clone, Debug, Deserialize)]
pub struct MailSettings {
    /// `folder` (each mail an `.eml` file under DATA_DIR/mail) or `smtp`.
    pub transport: MailTransport,
    /// The sender, `Name <address>` or an address.
    pub from: String,
    /// How long a verification link works.
    pub verify_hours: u64,
    /// How long a password-reset link works.
    pub reset_minutes: u64,
    /// A manager's message waits this long for the client to read it before it is mailed.
    pub notify_delay_secs: u64,
    /// At most one unread-messages mail per chat and client in this time.
    pub notify_interval_mins: u64,
    pub smtp: SmtpSettings,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(try_from = "String")]
pub enum MailTransport {
    Folder,
    Smtp,
}

impl TryFrom<String> for MailTransport {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        choose(
            &value,
            &[
                ("folder", MailTransport::Folder),
                ("smtp", MailTransport::Smtp),
            ],
        )
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
    pub password: SecretString,
    pub timeout_secs: u64,
}

/// How the SMTP connection is protected.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(try_from = "String")]
pub enum SmtpSecurity {
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain, then STARTTLS, which must succeed (port 587).
    StartTls,
    /// No TLS at all: only for a relay on the same machine or a test server.
    None,
}

impl TryFrom<String> for SmtpSecurity {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        choose(
            &value,
            &[
                ("tls", SmtpSecurity::Tls),
                ("starttls", SmtpSecurity::StartTls),
                ("none", SmtpSecurity::None),
            ],
        )
    }
}

/// Requests per minute one client address or one user may make of a kind (bursts up to the same
/// number); more are answered 429 with `Retry-After`.
#[derive(Clone, Debug, Deserialize)]
pub struct RateLimitSettings {
    pub auth_per_ip_per_minute: u32,
    pub chat_starts_per_ip_per_minute: u32,
    pub chat_starts_per_user_per_minute: u32,
    pub uploads_per_user_per_minute: u32,
    pub searches_per_user_per_minute: u32,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
    pub public_url: String,
    pub site_root: String,
    /// Addresses of reverse proxies in front of the app: only from them is `X-Forwarded-For`
    /// believed, and their connections are not capped per address. A list, or one
    /// comma-separated string.
    #[serde(deserialize_with = "list_or_commas")]
    pub trusted_proxies: Vec<String>,
    /// `public_url` parsed (filled in by `load_with` once validated).
    #[serde(skip)]
    public: Option<url::Url>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    /// SQLite's page cache per pooled connection, in KiB (ignored on PostgreSQL).
    pub sqlite_cache_kib: u32,
    /// How many rows a SQLite query's worker thread may hand over before it waits for the
    /// request to take them (ignored on PostgreSQL).
    pub sqlite_row_buffer: usize,
    /// How long a request waits for a connection (or to open one) before it answers 503.
    pub acquire_timeout_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SessionSettings {
    pub secret: SecretString,
    pub ttl_hours: u64,
    /// A session ends this long after sign-in, however busy.
    pub absolute_days: u64,
    /// How long an instance may answer from a session it read, unless told of a change sooner
    /// (sign-out, password change, account disabled); 0: every request reads the database.
    pub cache_secs: u64,
    /// The most sessions an instance remembers.
    pub cache_entries: usize,
}

#[derive(Clone, Debug, Deserialize)]
pub struct AuthSettings {
    pub min_password_len: usize,
    pub max_failed_logins: u32,
    pub failure_window_secs: u64,
    pub lockout_secs: u64,
    /// Password hashes run at once (each holds about 19 MiB); 0: one per core.
    pub max_concurrent_hashes: usize,
    /// A login that would wait longer than this for a hashing slot is answered 503.
    pub hash_wait_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LimitSettings {
    pub max_body_bytes: usize,
    /// Open connections in all; more are closed at once.
    pub max_connections: usize,
    /// Open connections from one address (trusted proxies are exempt).
    pub max_connections_per_ip: usize,
    /// A request body that sends nothing for this long is cut off.
    pub body_idle_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ChatSettings {
    pub max_message_chars: usize,
    pub sends_per_second: u32,
    pub send_burst: u32,
    pub history_page: u64,
    pub poll_timeout_secs: u64,
    /// Long-polls one user may have waiting; a new one ends their oldest.
    pub max_polls_per_user: usize,
    pub write_batch_max: usize,
    /// Most members of one group chat (internal chats).
    pub group_max_members: usize,
    /// Most CRM records one group chat may be linked to.
    pub group_max_links: usize,
    /// Replaces every queue's chat timeout (a queue's is 60–180 minutes); for tests that
    /// cannot wait an hour. Unset in production.
    #[serde(default)]
    pub idle_close_secs: Option<u64>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct RoutingSettings {
    /// An operator whose console has not polled for this long gets no new chats.
    pub operator_gone_secs: u64,
    /// How often every automatic queue is looked at for chats nobody's event assigned.
    pub sweep_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct FileSettings {
    pub store: FileStoreKind,
    /// Largest file a client or manager may upload, in bytes.
    pub max_upload_bytes: u64,
    /// Content types accepted for upload; `type/*` accepts a whole family. A list, or one
    /// comma-separated string (as an environment variable gives it).
    #[serde(deserialize_with = "list_or_commas")]
    pub allowed_types: Vec<String>,
    /// An unfinished upload is discarded this long after it began.
    pub upload_expiry_hours: u64,
    /// Uploads one user may have in progress at once.
    pub max_uploads_in_progress: u64,
    /// Bytes one deal's files (stored and arriving) may take.
    pub deal_quota_bytes: u64,
    /// Bytes the files of one chat without a deal (stored and arriving) may take.
    pub chat_quota_bytes: u64,
    /// Largest picture of a channel, in bytes.
    pub max_channel_image_bytes: usize,
    pub s3: S3Settings,
    pub workdrive: WorkDriveSettings,
}

/// Files in Zoho WorkDrive (`files.store = "workdrive"`), through the Zoho connection of the
/// admin CRM page (its grant includes `WorkDrive.files.ALL`).
#[derive(Clone, Debug, Deserialize)]
pub struct WorkDriveSettings {
    /// The team folder (or any folder) the app's folders are made in: the id in its address.
    pub parent_id: String,
    /// Files up to this many bytes go up in one `POST /upload` (WorkDrive takes 250 MB there).
    pub direct_max_bytes: u64,
    /// Files from this many bytes go up in chunks through an upload session (WorkDrive opens
    /// sessions for files over 1 GB); sizes between go up whole to the upload server in stream
    /// mode.
    pub chunked_from_bytes: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct S3Settings {
    /// Empty: Amazon S3 itself; otherwise the address of an S3-compatible server.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

#[derive(Clone, Debug, Deserialize)]
pub struct PaymentSettings {
    /// Who takes payments: `test` (the built-in checkout page marked TEST; no money moves) or
    /// `stripe` (Stripe Checkout, `payments.stripe`); the name each payment is stored with.
    #[serde(deserialize_with = "provider_named")]
    pub provider: Provider,
    /// The TEST provider on a public (https) site moves no money: refused there unless this is set.
    pub allow_test_mode: bool,
    pub stripe: StripeSettings,
}

#[derive(Clone, Debug, Deserialize)]
pub struct StripeSettings {
    pub api_base: String,
    pub secret_key: SecretString,
    pub webhook_secret: SecretString,
    pub webhook_tolerance_secs: u64,
    pub timeout_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct JobSettings {
    /// Whether this instance runs due jobs; instances sharing a database may leave it to some.
    pub run: bool,
    /// A job that failed this many times goes to the dead letter (the failed-jobs page).
    pub max_attempts: u32,
    /// How often due jobs are looked for, in milliseconds.
    pub poll_ms: u64,
    /// A job waiting for someone to act (the CRM to be reconnected) looks again this often.
    pub wait_recheck_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct TranscriptSettings {
    /// Where the fonts are looked for (any depth), read once at start-up.
    pub font_dir: PathBuf,
    /// Times in transcripts are shown at this offset from UTC, in minutes (east positive).
    pub utc_offset_minutes: i32,
    /// A transcript holds at most this many messages (the first ones) and says how many it left out.
    pub max_messages: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SecretSettings {
    /// Seals CRM credentials and tokens in the database: 32 bytes, base64. Empty: one is
    /// generated on first start into the data dir.
    pub key: SecretString,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CrmSettings {
    /// How often deals changed in the CRM are read and applied here, in seconds.
    pub poll_secs: u64,
    /// The largest file the connector attaches to a CRM record (a Task's or Case's files), in
    /// MiB; a larger one is named in the record's Description instead.
    pub max_attachment_mb: u64,
    /// A record read for the panel beside a chat is shown again without reading the CRM for
    /// this long (the panel's own reloads; opening a chat always reads afresh). 0: never.
    pub panel_cache_secs: u64,
    pub zoho: ZohoSettings,
}

/// Zoho's addresses and the client's manners. Every address is a setting so tests (and Zoho's
/// other data centres) can point elsewhere.
#[derive(Clone, Debug, Deserialize)]
pub struct ZohoSettings {
    /// Empty: the accounts server of the data centre the admin picks. Set: always this one (it
    /// is then also the only accounts server a callback may name).
    pub accounts_url: String,
    /// Empty: the API domain Zoho's token answer names (one of Zoho's own). Set: always this one.
    pub api_url: String,
    /// What the app asks Zoho to allow, comma-separated.
    pub scopes: String,
    /// Calls to Zoho in flight at once, per instance (Zoho allows 10 to 25 per organisation).
    pub max_concurrent: usize,
    /// A call that found Zoho busy (429) or failing (5xx, unreachable) is tried this many more
    /// times, waiting 1 s, 2 s, 4 s … (or what Retry-After says) in between.
    pub max_retries: u32,
    /// The first wait before a retry, in milliseconds; each next one doubles it.
    pub retry_base_ms: u64,
    pub timeout_secs: u64,
    /// An access token is renewed this long before Zoho said it expires.
    pub refresh_ahead_secs: u64,
    /// How long an admin has between *Connect with Zoho* and Zoho's callback.
    pub connect_window_secs: u64,
    /// Empty: WorkDrive's upload server of the API domain's data centre (`upload.zoho.eu`).
    pub workdrive_upload_url: String,
    /// Empty: WorkDrive's download server of the API domain's data centre.
    pub workdrive_download_url: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct BootstrapSettings {
    pub admin_email: String,
    pub admin_password: SecretString,
    pub admin_name: String,
}

/// Where deal files are kept (`files.store`).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(try_from = "String")]
pub enum FileStoreKind {
    /// On disk under the data dir.
    Local,
    /// An S3-compatible object store (`files.s3`).
    S3,
    /// Zoho WorkDrive (`files.workdrive`).
    WorkDrive,
}

// Read from text so that a wrong value is told in the words of the settings, with the choices
// (the configuration reader adds the key).
impl TryFrom<String> for FileStoreKind {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        choose(
            &value,
            &[
                ("local", FileStoreKind::Local),
                ("s3", FileStoreKind::S3),
                ("workdrive", FileStoreKind::WorkDrive),
            ],
        )
    }
}

/// `payments.provider`, read from text like the other choices.
fn provider_named<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Provider, D::Error> {
    let raw = String::deserialize(d)?;
    choose(&raw, &Provider::ALL.map(|p| (p.as_str(), p))).map_err(serde::de::Error::custom)
}

/// The choice named `value`, or an error naming every choice.
fn choose<T: Copy>(value: &str, choices: &[(&str, T)]) -> Result<T, String> {
    choices
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, choice)| *choice)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
            format!("must be {} (got `{value}`)", names.join(" or "))
        })
}

fn list_or_commas<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::List(list) => list,
        Either::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration could not be read: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration key `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

fn invalid(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        message: message.into(),
    }
}

impl Settings {
    /// Reads every layer from the process environment.
    pub fn load() -> Result<Settings, ConfigError> {
        Self::load_with(&[])
    }

    /// Reads every layer, then applies `overrides` (dotted keys) on top; tests use this.
    pub fn load_with(overrides: &[(&str, String)]) -> Result<Settings, ConfigError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .add_source(config::File::with_name("config/local").required(false));
        if let Ok(path) = std::env::var("APP_CONFIG_FILE") {
            builder = builder.add_source(config::File::with_name(&path).required(true));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("APP")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true),
        );
        for (key, value) in overrides {
            builder = builder.set_override(*key, value.as_str())?;
        }
        let mut settings: Settings = builder.build()?.try_deserialize()?;
        settings.validate()?;
        settings.server.public = url::Url::parse(&settings.server.public_url).ok();
        Ok(settings)
    }

    /// The address users reach, parsed; its origin is the one requests must come from.
    pub fn public_url(&self) -> url::Url {
        self.server.public.clone().unwrap_or_else(|| {
            url::Url::parse(&self.server.public_url)
                .unwrap_or_else(|_| url::Url::parse("http://127.0.0.1:3000").expect("a valid URL"))
        })
    }

    /// The reverse proxies' addresses (validated by `validate`).
    pub fn trusted_proxies(&self) -> Vec<std::net::IpAddr> {
        self.server
            .trusted_proxies
            .iter()
            .filter_map(|p| p.parse().ok())
            .collect()
    }

    /// The public URL without a trailing slash, for links in mails and pages.
    pub fn public_base(&self) -> String {
        self.public_url().as_str().trim_end_matches('/').to_owned()
    }

    /// How many password hashes may run at once.
    pub fn hash_permits(&self) -> usize {
        match self.auth.max_concurrent_hashes {
            0 => std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            n => n,
        }
    }

    pub fn bind_addr(&self) -> SocketAddr {
        // Checked by `validate`.
        self.server
            .bind
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 3000)))
    }

    /// Cookies get the Secure flag when users reach us over https.
    pub fn secure_cookies(&self) -> bool {
        self.server.public_url.starts_with("https://")
    }

    pub fn bootstrap_admin(&self) -> Option<(&str, &str, &str)> {
        let b = &self.bootstrap;
        (!b.admin_email.is_empty()).then_some((
            b.admin_email.as_str(),
            b.admin_password.expose_secret(),
            b.admin_name.as_str(),
        ))
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = &self.database.url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "database.url",
                format!("must start with sqlite:// or postgres:// (got `{url}`)"),
            ));
        }
        if let Some(bad) = self
            .server
            .trusted_proxies
            .iter()
            .find(|p| p.parse::<std::net::IpAddr>().is_err())
        {
            return Err(invalid(
                "server.trusted_proxies",
                format!("`{bad}` is not an IP address"),
            ));
        }
        if self.limits.max_connections == 0 || self.limits.max_connections_per_ip == 0 {
            return Err(invalid(
                "limits.max_connections",
                "max_connections and max_connections_per_ip must be at least 1",
            ));
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                "mail.from",
                format!(
                    "`{}` is not an address like `dealchat <no-reply@example.com>`",
                    self.mail.from
                ),
            ));
        }
        if self.mail.transport == MailTransport::Smtp && self.mail.smtp.host.trim().is_empty() {
            return Err(invalid(
                "mail.smtp.host",
                "is required when mail.transport is smtp",
            ));
        }
        if self.limits.body_idle_secs == 0 {
            return Err(invalid("limits.body_idle_secs", "must be at least 1"));
        }
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        if self.database.acquire_timeout_secs == 0 {
            return Err(invalid(
                "database.acquire_timeout_secs",
                "must be at least 1",
            ));
        }
        if self.jobs.max_attempts == 0 {
            return Err(invalid("jobs.max_attempts", "must be at least 1"));
        }
        if self.jobs.poll_ms < 10 {
            return Err(invalid("jobs.poll_ms", "must be at least 10"));
        }
        if self.jobs.wait_recheck_secs == 0 {
            return Err(invalid("jobs.wait_recheck_secs", "must be at least 1"));
        }
        if self.transcripts.utc_offset_minutes.abs() > 14 * 60 {
            return Err(invalid(
                "transcripts.utc_offset_minutes",
                "must be within ±840 (14 hours)",
            ));
        }
        if self.transcripts.max_messages == 0 {
            return Err(invalid("transcripts.max_messages", "must be at least 1"));
        }
        if self.database.sqlite_cache_kib < 64 {
            return Err(invalid("database.sqlite_cache_kib", "must be at least 64"));
        }
        if !(1..=1_000_000).contains(&self.database.sqlite_row_buffer) {
            return Err(invalid(
                "database.sqlite_row_buffer",
                "must be between 1 and 1000000",
            ));
        }
        if self.server.bind.parse::<SocketAddr>().is_err() {
            return Err(invalid(
                "server.bind",
                format!(
                    "`{}` is not an address like 127.0.0.1:3000",
                    self.server.bind
                ),
            ));
        }
        let public = &self.server.public_url;
        if url::Url::parse(public)
            .map(|u| !matches!(u.scheme(), "http" | "https"))
            .unwrap_or(true)
        {
            return Err(invalid(
                "server.public_url",
                format!("`{public}` is not an http(s) URL"),
            ));
        }
        let secret = self.session.secret.expose_secret();
        if !secret.is_empty() && secret.len() < 32 {
            return Err(invalid(
                "session.secret",
                "must be at least 32 characters (or empty to generate one)",
            ));
        }
        if self.session.ttl_hours == 0 {
            return Err(invalid("session.ttl_hours", "must be at least 1"));
        }
        if !(8..=128).contains(&self.auth.min_password_len) {
            return Err(invalid(
                "auth.min_password_len",
                "must be between 8 and 128",
            ));
        }
        if self.auth.max_failed_logins == 0 {
            return Err(invalid("auth.max_failed_logins", "must be at least 1"));
        }
        if self.limits.max_body_bytes < 1024 {
            return Err(invalid("limits.max_body_bytes", "must be at least 1024"));
        }
        let chat = &self.chat;
        if !(1..=100_000).contains(&chat.max_message_chars) {
            return Err(invalid(
                "chat.max_message_chars",
                "must be between 1 and 100000",
            ));
        }
        if chat.sends_per_second == 0 || chat.send_burst == 0 {
            return Err(invalid(
                "chat.sends_per_second",
                "sends_per_second and send_burst must be at least 1",
            ));
        }
        if !(1..=500).contains(&chat.history_page) {
            return Err(invalid("chat.history_page", "must be between 1 and 500"));
        }
        if !(2..=10_000).contains(&chat.group_max_members) {
            return Err(invalid(
                "chat.group_max_members",
                "must be between 2 and 10000",
            ));
        }
        if !(1..=500).contains(&chat.group_max_links) {
            return Err(invalid("chat.group_max_links", "must be between 1 and 500"));
        }
        if chat
            .idle_close_secs
            .is_some_and(|s| !(1..=10_800).contains(&s))
        {
            return Err(invalid(
                "chat.idle_close_secs",
                "must be between 1 and 10800 (3 hours)",
            ));
        }
        let routing = &self.routing;
        if !(10..=3_600).contains(&routing.operator_gone_secs) {
            return Err(invalid(
                "routing.operator_gone_secs",
                "must be between 10 and 3600",
            ));
        }
        if !(1..=600).contains(&routing.sweep_secs) {
            return Err(invalid("routing.sweep_secs", "must be between 1 and 600"));
        }
        if !(1..=120).contains(&chat.poll_timeout_secs) {
            return Err(invalid(
                "chat.poll_timeout_secs",
                "must be between 1 and 120",
            ));
        }
        if !(1..=10_000).contains(&chat.write_batch_max) {
            return Err(invalid(
                "chat.write_batch_max",
                "must be between 1 and 10000",
            ));
        }
        self.validate_files()?;
        self.validate_payments()?;
        self.validate_crm()?;
        if let Some((email, password, _)) = self.bootstrap_admin() {
            if crate::model::account_input::Email::parse(email).is_err() {
                return Err(invalid(
                    "bootstrap.admin_email",
                    format!("`{email}` is not a valid email"),
                ));
            }
            if password.chars().count() < self.auth.min_password_len {
                return Err(invalid(
                    "bootstrap.admin_password",
                    format!("must be at least {} characters", self.auth.min_password_len),
                ));
            }
        }
        Ok(())
    }
}

impl Settings {
    fn validate_crm(&self) -> Result<(), ConfigError> {
        let key = self.secrets.key.expose_secret();
        if !key.is_empty()
            && crate::server::platform::secret_box::SecretBox::parse_key(key).is_none()
        {
            return Err(invalid(
                "secrets.key",
                "must be 32 bytes in base64 (or empty to generate one)",
            ));
        }
        if !(1..=100).contains(&self.crm.max_attachment_mb) {
            return Err(invalid(
                "crm.max_attachment_mb",
                "must be between 1 and 100",
            ));
        }
        if !(1..=86_400).contains(&self.crm.poll_secs) {
            return Err(invalid("crm.poll_secs", "must be between 1 and 86400"));
        }
        let z = &self.crm.zoho;
        for (key, value) in [
            ("crm.zoho.accounts_url", &z.accounts_url),
            ("crm.zoho.api_url", &z.api_url),
        ] {
            if !value.is_empty()
                && url::Url::parse(value)
                    .map(|u| !matches!(u.scheme(), "http" | "https"))
                    .unwrap_or(true)
            {
                return Err(invalid(key, format!("`{value}` is not an http(s) URL")));
            }
        }
        if z.scopes.trim().is_empty() {
            return Err(invalid("crm.zoho.scopes", "must name at least one scope"));
        }
        if !(1..=25).contains(&z.max_concurrent) {
            return Err(invalid(
                "crm.zoho.max_concurrent",
                "must be between 1 and 25 (Zoho's own limit)",
            ));
        }
        if z.max_retries > 10 {
            return Err(invalid("crm.zoho.max_retries", "must be at most 10"));
        }
        if z.timeout_secs == 0 || z.connect_window_secs < 60 {
            return Err(invalid(
                "crm.zoho.timeout_secs",
                "timeout_secs must be at least 1 and connect_window_secs at least 60",
            ));
        }
        if z.refresh_ahead_secs >= 3000 {
            return Err(invalid(
                "crm.zoho.refresh_ahead_secs",
                "must be under 3000 (tokens last an hour)",
            ));
        }
        Ok(())
    }

    fn validate_payments(&self) -> Result<(), ConfigError> {
        let p = &self.payments;
        match p.provider {
            Provider::Test if self.secure_cookies() && !p.allow_test_mode => Err(invalid(
                "payments.provider",
                "is test (no money moves) on an https site; choose stripe, or set \
                 payments.allow_test_mode = true for a staging site",
            )),
            Provider::Test => Ok(()),
            Provider::Stripe => {
                if url::Url::parse(&p.stripe.api_base).is_err() {
                    return Err(invalid(
                        "payments.stripe.api_base",
                        format!("`{}` is not a URL", p.stripe.api_base),
                    ));
                }
                if p.stripe.secret_key.expose_secret().is_empty() {
                    return Err(invalid(
                        "payments.stripe.secret_key",
                        "is required when payments.provider is stripe",
                    ));
                }
                if p.stripe.webhook_secret.expose_secret().is_empty() {
                    return Err(invalid(
                        "payments.stripe.webhook_secret",
                        "is required when payments.provider is stripe",
                    ));
                }
                if !(1..=3600).contains(&p.stripe.webhook_tolerance_secs) {
                    return Err(invalid(
                        "payments.stripe.webhook_tolerance_secs",
                        "must be between 1 and 3600",
                    ));
                }
                if !(1..=120).contains(&p.stripe.timeout_secs) {
                    return Err(invalid(
                        "payments.stripe.timeout_secs",
                        "must be between 1 and 120",
                    ));
                }
                Ok(())
            }
        }
    }

    fn validate_files(&self) -> Result<(), ConfigError> {
        let files = &self.files;
        match files.store {
            FileStoreKind::Local => {}
            FileStoreKind::S3 => {
                if files.s3.bucket.is_empty() {
                    return Err(invalid(
                        "files.s3.bucket",
                        "is required when files.store is s3",
                    ));
                }
                if !files.s3.endpoint.is_empty() && url::Url::parse(&files.s3.endpoint).is_err() {
                    return Err(invalid(
                        "files.s3.endpoint",
                        format!("`{}` is not a URL", files.s3.endpoint),
                    ));
                }
            }
            FileStoreKind::WorkDrive => {
                let w = &files.workdrive;
                if w.parent_id.trim().is_empty() {
                    return Err(invalid(
                        "files.workdrive.parent_id",
                        "is required when files.store is workdrive",
                    ));
                }
                if w.direct_max_bytes == 0 || w.chunked_from_bytes < w.direct_max_bytes {
                    return Err(invalid(
                        "files.workdrive.chunked_from_bytes",
                        "must be at least files.workdrive.direct_max_bytes, which must be at least 1",
                    ));
                }
            }
        }
        if files.max_channel_image_bytes < 1024 {
            return Err(invalid(
                "files.max_channel_image_bytes",
                "must be at least 1024",
            ));
        }
        if files.max_upload_bytes == 0 {
            return Err(invalid("files.max_upload_bytes", "must be at least 1"));
        }
        if files.allowed_types.is_empty() {
            return Err(invalid(
                "files.allowed_types",
                "must list at least one type",
            ));
        }
        if let Some(bad) = files.allowed_types.iter().find(|t| {
            let mut parts = t.split('/');
            let (Some(family), Some(sub), None) = (parts.next(), parts.next(), parts.next()) else {
                return true;
            };
            family.is_empty() || sub.is_empty() || family == "*"
        }) {
            return Err(invalid(
                "files.allowed_types",
                format!("`{bad}` is not a content type like application/pdf or image/*"),
            ));
        }
        if !(1..=24 * 30).contains(&files.upload_expiry_hours) {
            return Err(invalid(
                "files.upload_expiry_hours",
                "must be between 1 and 720",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(key: &str, value: &str) -> Result<Settings, ConfigError> {
        Settings::load_with(&[(key, value.to_owned())])
    }

    fn bad_key(result: Result<Settings, ConfigError>) -> String {
        match result {
            Err(ConfigError::Invalid { key, .. }) => key.to_owned(),
            other => panic!("expected an invalid key, got {other:?}"),
        }
    }

    #[test]
    fn built_in_defaults_are_valid() {
        let s = Settings::load_with(&[]).expect("defaults load");
        assert!(s.database.url.starts_with("sqlite:"));
        assert!(!s.secure_cookies());
    }

    #[test]
    fn a_bad_database_url_names_its_key() {
        assert_eq!(bad_key(with("database.url", "mysql://x")), "database.url");
    }

    #[test]
    fn a_bad_bind_address_names_its_key() {
        assert_eq!(bad_key(with("server.bind", "localhost")), "server.bind");
    }

    #[test]
    fn a_short_session_secret_is_refused() {
        assert_eq!(bad_key(with("session.secret", "short")), "session.secret");
    }

    #[test]
    fn a_non_number_limit_is_a_load_error_naming_the_key() {
        let err = with("limits.max_body_bytes", "lots").expect_err("must fail");
        assert!(err.to_string().contains("max_body_bytes"), "{err}");
    }

    #[test]
    fn a_zero_message_length_names_its_key() {
        assert_eq!(
            bad_key(with("chat.max_message_chars", "0")),
            "chat.max_message_chars"
        );
    }

    #[test]
    fn job_limits_name_their_keys() {
        assert_eq!(bad_key(with("jobs.max_attempts", "0")), "jobs.max_attempts");
        assert_eq!(bad_key(with("jobs.poll_ms", "0")), "jobs.poll_ms");
        assert_eq!(
            bad_key(with("transcripts.utc_offset_minutes", "900")),
            "transcripts.utc_offset_minutes"
        );
        assert_eq!(
            bad_key(with("transcripts.max_messages", "0")),
            "transcripts.max_messages"
        );
    }

    #[test]
    fn a_tiny_sqlite_cache_names_its_key() {
        assert_eq!(
            bad_key(with("database.sqlite_cache_kib", "8")),
            "database.sqlite_cache_kib"
        );
    }

    #[test]
    fn a_sqlite_row_buffer_out_of_range_names_its_key() {
        for bad in ["0", "1000001"] {
            assert_eq!(
                bad_key(with("database.sqlite_row_buffer", bad)),
                "database.sqlite_row_buffer"
            );
        }
    }

    #[test]
    fn a_zero_acquire_timeout_names_its_key() {
        assert_eq!(
            bad_key(with("database.acquire_timeout_secs", "0")),
            "database.acquire_timeout_secs"
        );
    }

    /// A load error that names the key and the choices it has.
    fn names_key_and_choices(result: Result<Settings, ConfigError>, key: &str, choices: &[&str]) {
        let err = result.expect_err("must fail").to_string();
        assert!(err.contains(key), "{err}");
        for choice in choices {
            assert!(err.contains(choice), "{err}");
        }
    }

    #[test]
    fn an_unknown_file_store_names_its_key() {
        names_key_and_choices(
            with("files.store", "ftp"),
            "files.store",
            &["local or s3 or workdrive", "`ftp`"],
        );
    }

    #[test]
    fn an_unknown_payment_provider_names_its_key() {
        names_key_and_choices(
            with("payments.provider", "paypal"),
            "payments.provider",
            &["test or stripe", "`paypal`"],
        );
    }

    #[test]
    fn secrets_are_never_printed() {
        let s = Settings::load_with(&[
            (
                "session.secret",
                "a-session-secret-of-32-characters!".into(),
            ),
            ("bootstrap.admin_email", "admin@example.com".into()),
            ("bootstrap.admin_password", "an-admin-password".into()),
            ("payments.provider", "stripe".into()),
            (
                "payments.stripe.secret_key",
                "sk_test_not_to_be_seen".into(),
            ),
            (
                "payments.stripe.webhook_secret",
                "whsec_not_to_be_seen".into(),
            ),
            ("files.s3.secret_access_key", "s3-key-not-to-be-seen".into()),
        ])
        .expect("valid");
        let printed = format!("{s:?}");
        for secret in [
            "a-session-secret",
            "an-admin-password",
            "sk_test_not_to_be_seen",
            "whsec_not_to_be_seen",
            "s3-key-not-to-be-seen",
        ] {
            assert!(!printed.contains(secret), "{secret} printed in {printed}");
        }
        assert_eq!(s.payments.provider, Provider::Stripe);
    }

    #[test]
    fn s3_without_a_bucket_names_its_key() {
        assert_eq!(bad_key(with("files.store", "s3")), "files.s3.bucket");
        assert_eq!(
            bad_key(with("payments.provider", "stripe")),
            "payments.stripe.secret_key"
        );
    }

    #[test]
    fn the_default_upload_limit_is_5_gib() {
        let s = Settings::load_with(&[]).expect("defaults load");
        assert_eq!(s.files.max_upload_bytes, 5 * 1024 * 1024 * 1024);
        assert_eq!(s.files.store, FileStoreKind::Local);
    }

    #[test]
    fn allowed_types_may_be_one_comma_separated_string() {
        let s = with("files.allowed_types", "application/pdf, image/*").expect("valid");
        assert_eq!(s.files.allowed_types, ["application/pdf", "image/*"]);
        assert_eq!(
            bad_key(with("files.allowed_types", "pdf")),
            "files.allowed_types"
        );
    }

    #[test]
    fn https_public_url_turns_on_secure_cookies() {
        let s = Settings::load_with(&[
            ("server.public_url", "https://chat.example.com".into()),
            ("payments.allow_test_mode", "true".into()),
        ])
        .expect("valid");
        assert!(s.secure_cookies());
        assert_eq!(
            s.public_url().origin().ascii_serialization(),
            "https://chat.example.com"
        );
    }

    #[test]
    fn the_test_provider_is_refused_on_an_https_site_unless_allowed() {
        assert_eq!(
            bad_key(with("server.public_url", "https://chat.example.com")),
            "payments.provider"
        );
    }

    #[test]
    fn passwords_are_at_least_12_characters_by_default() {
        let s = Settings::load_with(&[]).expect("defaults load");
        assert_eq!(s.auth.min_password_len, 12);
    }
}
