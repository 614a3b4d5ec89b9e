//! Calls to Zoho's APIs (CRM, WorkDrive) on behalf of the connection: the access token is
//! renewed ahead of its expiry and once more when Zoho answers 401; 429 and 5xx wait and try
//! again; at most `crm.zoho.max_concurrent` calls are in flight per instance.
//!
//! The connection row is read on every call, so a disconnect or a reconnect on another instance
//! takes effect at the next call. Access tokens are kept sealed in that row too: instances share
//! them instead of each asking Zoho for its own (Zoho hands out at most ten per refresh token in
//! ten minutes).

use crate::model::crm::ConnectionStatus;
use crate::server::crm::zoho::oauth::{Accounts, ClientCredentials, OAuthError};
use crate::server::platform::config::ZohoSettings;
use crate::server::platform::entities::crm_connection;
use crate::server::platform::secret_box::SecretBox;
use chrono::{DateTime, Duration, Utc};
use reqwest::RequestBuilder;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::sync::{Mutex, Semaphore};

/// The provider name of the Zoho connection row (and of every CRM id we keep for Zoho).
pub const ZOHO: &str = "zoho";

/// Sealed columns are sealed under these names.
pub mod column {
    pub const CLIENT_ID: &str = "zoho.client_id";
    pub const CLIENT_SECRET: &str = "zoho.client_secret";
    pub const REFRESH_TOKEN: &str = "zoho.refresh_token";
    pub const ACCESS_TOKEN: &str = "zoho.access_token";
}

#[derive(Debug, thiserror::Error)]
pub enum ZohoError {
    #[error("Zoho is not connected")]
    NotConnected,
    /// Zoho no longer accepts our refresh token: an admin must connect again.
    #[error("Zoho needs reconnecting: {0}")]
    ReconnectNeeded(String),
    /// Unreachable, failing or busy beyond our retries: worth trying later.
    #[error("Zoho unavailable: {0}")]
    Unavailable(String),
    /// Zoho refused the request itself (the whole request, not one record of it).
    #[error("Zoho refused the request (HTTP {status} {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
        /// The whole answer (a write's per-record reasons are in it).
        body: Value,
    },
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

/// An answer Zoho gave: its status and JSON body (`Null` for 204 and 304, or a body that is
/// not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

/// Where a call goes: the API domain (`https://www.zohoapis.com`), and WorkDrive's upload and
/// download servers of the same data centre.
pub struct Endpoint<'a> {
    pub api: &'a str,
    pub upload: String,
    pub download: String,
}

/// The address of one of Zoho's services in the data centre of an API domain:
/// `https://www.zohoapis.eu` → `https://{service}.zoho.eu` (Canada's `zohoapis.ca` →
/// `{service}.zohocloud.ca`); any other address (a stand-in) as it is.
pub fn zoho_host(api: &str, service: &str) -> String {
    match api.split_once("://www.zohoapis.") {
        Some((scheme, "ca")) => format!("{scheme}://{service}.zohocloud.ca"),
        Some((scheme, tld)) => format!("{scheme}://{service}.zoho.{tld}"),
        None => api.to_owned(),
    }
}

/// The setting when given, else the service's host for the API domain.
fn host_or(setting: &str, api: &str, service: &str) -> String {
    if setting.is_empty() {
        zoho_host(api, service)
    } else {
        setting.trim_end_matches('/').to_owned()
    }
}

/// Which HTTP client a call uses: API calls have a deadline for the whole exchange; file
/// transfers (WorkDrive uploads and downloads of up to gigabytes) only for connecting and for
/// each read, so a long transfer that keeps moving is not cut.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    Api,
    File,
}

struct CachedToken {
    token: SecretString,
    expires_at: DateTime<Utc>,
    /// The refresh token it came from: a reconnect makes it stale at once.
    from: String,
}

pub struct ZohoApi {
    db: DatabaseConnection,
    secrets: SecretBox,
    http: reqwest::Client,
    files: reqwest::Client,
    settings: ZohoSettings,
    permits: Semaphore,
    token: Mutex<Option<CachedToken>>,
}

impl ZohoApi {
    pub fn new(db: DatabaseConnection, secrets: SecretBox, settings: ZohoSettings) -> ZohoApi {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(settings.timeout_secs))
            // A token travels in a header: never follow Zoho elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        let files = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(settings.timeout_secs))
            .read_timeout(std::time::Duration::from_secs(settings.timeout_secs))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        ZohoApi {
            files,
            permits: Semaphore::new(settings.max_concurrent.max(1)),
            db,
            secrets,
            http,
            settings,
            token: Mutex::new(None),
        }
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn settings(&self) -> &ZohoSettings {
        &self.settings
    }

    pub fn secrets(&self) -> &SecretBox {
        &self.secrets
    }

    /// The connection row as stored, whatever its status.
    pub async fn row(&self) -> Result<Option<crm_connection::Model>, DbErr> {
        crm_connection::Entity::find_by_id(ZOHO.to_owned())
            .one(&self.db)
            .await
    }

    /// The API domain calls go to: the setting, else the one Zoho named at connect.
    pub fn api_domain<'a>(&'a self, row: &'a crm_connection::Model) -> &'a str {
        if self.settings.api_url.is_empty() {
            row.api_domain.trim_end_matches('/')
        } else {
            self.settings.api_url.trim_end_matches('/')
        }
    }

    /// One call to Zoho. `build` makes the request afresh for each attempt (so a body must be
    /// one it can make again, such as a stream that opens its file when first polled); the
    /// token and org headers are added here. Answers below 400 are returned; 401 renews the
    /// token and tries once more; 429, 5xx and transport failures wait and try again up to
    /// `max_retries`; any other 4xx is `Refused`.
    pub async fn call(
        &self,
        build: impl Fn(&reqwest::Client, &Endpoint<'_>) -> RequestBuilder,
    ) -> Result<Answer, ZohoError> {
        Ok(answer(self.send_when(false, Transfer::Api, build).await?).await)
    }

    /// `call`, also while the admin has yet to choose the organisation: for reading the
    /// account and its organisations while connecting. CRM work waits for the choice.
    pub async fn call_while_connecting(
        &self,
        build: impl Fn(&reqwest::Client, &Endpoint<'_>) -> RequestBuilder,
    ) -> Result<Answer, ZohoError> {
        Ok(answer(self.send_when(true, Transfer::Api, build).await?).await)
    }

    /// A file transfer with `call`'s token, retries and limits; the answer's body is left
    /// unread, for the caller to stream.
    pub async fn transfer(
        &self,
        build: impl Fn(&reqwest::Client, &Endpoint<'_>) -> RequestBuilder,
    ) -> Result<reqwest::Response, ZohoError> {
        self.send_when(false, Transfer::File, build).await
    }

    async fn send_when(
        &self,
        connecting: bool,
        transfer: Transfer,
        build: impl Fn(&reqwest::Client, &Endpoint<'_>) -> RequestBuilder,
    ) -> Result<reqwest::Response, ZohoError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ZohoError::Unavailable("shutting down".into()))?;
        let row = self.usable_row(connecting).await?;
        let api = self.api_domain(&row);
        let endpoint = Endpoint {
            api,
            upload: host_or(&self.settings.workdrive_upload_url, api, "upload"),
            download: host_or(&self.settings.workdrive_download_url, api, "download"),
        };
        let client = match transfer {
            Transfer::Api => &self.http,
            Transfer::File => &self.files,
        };
        let mut renewed = false;
        let mut retries = 0u32;
        loop {
            let token = self.access_token(&row, renewed).await?;
            let mut request = build(client, &endpoint).header(
                reqwest::header::AUTHORIZATION,
                format!("Zoho-oauthtoken {}", token.expose_secret()),
            );
            if let Some(org) = &row.org_id {
                request = request.header("X-CRM-ORG", org);
            }
            let wait = match request.send().await {
                Err(e) => Failure::Transient(e.without_url().to_string(), None),
                Ok(response) if response.status().as_u16() < 400 => return Ok(response),
                Ok(response) => read_failure(response).await,
            };
            match wait {
                Failure::Unauthorised(_) if !renewed => renewed = true,
                Failure::Transient(why, after) if retries < self.settings.max_retries => {
                    let pause = after.unwrap_or_else(|| {
                        std::time::Duration::from_millis(
                            self.settings
                                .retry_base_ms
                                .saturating_mul(1 << retries.min(10)),
                        )
                    });
                    tracing::info!(%why, retry = retries + 1, ?pause, "Zoho busy or failing; trying again");
                    tokio::time::sleep(pause).await;
                    retries += 1;
                }
                Failure::Transient(why, _) => return Err(ZohoError::Unavailable(why)),
                Failure::Unauthorised(refused) | Failure::Refused(refused) => return Err(refused),
            }
        }
    }

    /// The row, if calls may be made with it.
    async fn usable_row(&self, connecting: bool) -> Result<crm_connection::Model, ZohoError> {
        let row = self.row().await?.ok_or(ZohoError::NotConnected)?;
        match row.status {
            ConnectionStatus::ReconnectNeeded => Err(ZohoError::ReconnectNeeded(
                row.status_reason
                    .unwrap_or_else(|| "Zoho refused the stored grant".into()),
            )),
            ConnectionStatus::ChooseOrg if !connecting => Err(ZohoError::ReconnectNeeded(
                "an administrator has yet to choose the Zoho CRM organisation".into(),
            )),
            ConnectionStatus::ChooseOrg | ConnectionStatus::Connected => Ok(row),
        }
    }

    /// A usable access token: the one this instance holds, the one stored in `row` (perhaps by
    /// another instance), or a new one from the refresh token. `renew` skips the first two (Zoho just refused one).
    async fn access_token(
        &self,
        row: &crm_connection::Model,
        renew: bool,
    ) -> Result<SecretString, ZohoError> {
        let mut cached = self.token.lock().await;
        let fresh_until = Utc::now()
            + Duration::seconds(i64::try_from(self.settings.refresh_ahead_secs).unwrap_or(300));
        if !renew
            && let Some(c) = cached.as_ref()
            && c.from == row.refresh_token
            && c.expires_at > fresh_until
        {
            return Ok(c.token.clone());
        }
        if !renew
            && let (Some(sealed), Some(expires_at)) = (&row.access_token, row.access_expires_at)
            && expires_at > fresh_until
            && let Ok(token) = self.secrets.open(column::ACCESS_TOKEN, sealed)
        {
            *cached = Some(CachedToken {
                token: token.clone(),
                expires_at,
                from: row.refresh_token.clone(),
            });
            return Ok(token);
        }
        let opened = (|| {
            Ok::<_, crate::server::platform::secret_box::SecretError>((
                ClientCredentials {
                    id: self
                        .secrets
                        .open_string(column::CLIENT_ID, &row.client_id)?,
                    secret: self
                        .secrets
                        .open(column::CLIENT_SECRET, &row.client_secret)?,
                },
                self.secrets
                    .open(column::REFRESH_TOKEN, &row.refresh_token)?,
            ))
        })();
        let (client, refresh_token) = match opened {
            Ok(v) => v,
            Err(e) => {
                *cached = None;
                return Err(self.needs_reconnect(row, &e.to_string()).await);
            }
        };
        let accounts = Accounts {
            http: &self.http,
            server: &row.accounts_server,
            client: &client,
        };
        match accounts.refresh(&refresh_token).await {
            Ok(tokens) => {
                crm_connection::Entity::update_many()
                    .set(crm_connection::ActiveModel {
                        access_token: Set(Some(
                            self.secrets
                                .seal(column::ACCESS_TOKEN, tokens.access_token.expose_secret()),
                        )),
                        access_expires_at: Set(Some(tokens.expires_at)),
                        ..Default::default()
                    })
                    .filter(crm_connection::Column::Provider.eq(ZOHO))
                    // A reconnect since we read the row brought its own tokens.
                    .filter(crm_connection::Column::RefreshToken.eq(row.refresh_token.clone()))
                    .exec(&self.db)
                    .await?;
                tracing::info!(expires_at = %tokens.expires_at, "renewed the Zoho access token");
                *cached = Some(CachedToken {
                    token: tokens.access_token.clone(),
                    expires_at: tokens.expires_at,
                    from: row.refresh_token.clone(),
                });
                Ok(tokens.access_token)
            }
            Err(e) if e.is_transient() => Err(ZohoError::Unavailable(e.to_string())),
            Err(
                e @ (OAuthError::InvalidCode
                | OAuthError::InvalidClient
                | OAuthError::InvalidClientSecret),
            ) => {
                *cached = None;
                Err(self.needs_reconnect(row, &e.to_string()).await)
            }
            Err(e) => Err(ZohoError::Unavailable(e.to_string())),
        }
    }

    /// Marks the connection as needing a reconnect (unless it was replaced meanwhile). Called with
    /// the token lock held, so it does not take it.
    async fn needs_reconnect(&self, row: &crm_connection::Model, why: &str) -> ZohoError {
        tracing::warn!(
            reason = why,
            "Zoho refused the stored grant; an admin must reconnect"
        );
        let marked = crm_connection::Entity::update_many()
            .set(crm_connection::ActiveModel {
                status: Set(ConnectionStatus::ReconnectNeeded),
                status_reason: Set(Some(why.to_owned())),
                access_token: Set(None),
                access_expires_at: Set(None),
                updated_at: Set(Utc::now()),
                ..Default::default()
            })
            .filter(crm_connection::Column::Provider.eq(ZOHO))
            .filter(crm_connection::Column::RefreshToken.eq(row.refresh_token.clone()))
            .exec(&self.db)
            .await;
        match marked {
            Err(e) => ZohoError::Database(e),
            Ok(_) => ZohoError::ReconnectNeeded(why.to_owned()),
        }
    }

    /// Forgets the access token this instance holds (after a disconnect or reconnect here).
    pub async fn forget_token(&self) {
        *self.token.lock().await = None;
    }
}

/// Why an attempt did not give an answer.
enum Failure {
    /// 401: the token may have expired early or been revoked.
    Unauthorised(ZohoError),
    /// Worth another attempt, after the wait Zoho asked for if it did.
    Transient(String, Option<std::time::Duration>),
    Refused(ZohoError),
}

/// A successful answer read whole.
async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

/// Why Zoho answered 400 or more.
async fn read_failure(response: reqwest::Response) -> Failure {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| std::time::Duration::from_secs(s.min(30)));
    let text = response.text().await.unwrap_or_default();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    // 507 (WorkDrive's storage is full) stays full until someone frees space: not retried.
    if status == 429 || (status >= 500 && status != 507) {
        return Failure::Transient(
            format!("HTTP {status} {}", error_code(&body).0),
            retry_after,
        );
    }
    let (code, message) = error_code(&body);
    let refused = ZohoError::Refused {
        status,
        code,
        message,
        body,
    };
    if status == 401 {
        Failure::Unauthorised(refused)
    } else {
        Failure::Refused(refused)
    }
}

/// The error's code and message: CRM's `{"code","message"}` or WorkDrive's
/// `{"errors":[{"id","title"}]}`.
pub fn error_code(body: &Value) -> (String, String) {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    if let Some(first) = body
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return (text(first, "id"), text(first, "title"));
    }
    (text(body, "code"), text(body, "message"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_codes_are_read_from_crm_and_workdrive_bodies() {
        assert_eq!(
            error_code(
                &json!({"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"})
            ),
            ("INVALID_TOKEN".into(), "invalid oauth token".into())
        );
        assert_eq!(
            error_code(&json!({"errors":[{"id":"R501","title":"Resource does not exist"}]})),
            ("R501".into(), "Resource does not exist".into())
        );
        assert_eq!(error_code(&Value::Null), (String::new(), String::new()));
    }
}
