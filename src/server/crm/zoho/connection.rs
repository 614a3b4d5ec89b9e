//! Connecting and disconnecting Zoho (the admin CRM page).
//!
//! *Connect with Zoho* stores a random `state` (its SHA-256, bound to the SHA-256 of the admin's
//! session id, with the client credentials sealed) and sends the browser to Zoho's consent page.
//! Zoho's callback must bring that state back to the same session within the connect window,
//! once. The code is exchanged only at an accounts server we know (the callback names it, and a
//! forged one would receive our client secret). The connected account and its organisations are
//! read with the new token; with one organisation it is chosen at once, otherwise the admin picks.

use crate::model::AppError;
use crate::model::crm::{
    ConnectionStatus, CrmConnectionView, CrmOrgView, DATA_CENTRES, ZohoConnectionView,
};
use crate::model::ids::UserId;
use crate::server::accounts::sessions::{SessionUser, new_token, token_digest};
use crate::server::crm::zoho::api::{ZOHO, ZohoApi, ZohoError, column};
use crate::server::crm::zoho::oauth::{self, Accounts, ClientCredentials, OAuthError};
use crate::server::platform::entities::{crm_connection, crm_oauth_state, user};
use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::sync::Arc;

/// The longest client id or secret accepted (Zoho's are well under 100 characters).
const MAX_CREDENTIAL_CHARS: usize = 200;

/// What Zoho's redirect brings back to `/admin/crm/zoho/callback`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub location: Option<String>,
    #[serde(rename = "accounts-server")]
    pub accounts_server: Option<String>,
}

/// Why a connect did not finish, in words for the CRM page.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConnectError {
    #[error(
        "This connect link is unknown, belongs to another sign-in, or has expired. Start again with Connect with Zoho."
    )]
    BadState,
    #[error("This connect link was already used. Start again with Connect with Zoho.")]
    Replayed,
    #[error("Zoho's consent was declined ({0}); nothing was connected.")]
    Declined(String),
    #[error("The callback named an accounts server we do not know ({0}); nothing was sent to it.")]
    UnknownAccountsServer(String),
    #[error("Zoho named an API domain we do not know ({0}).")]
    UnknownApiDomain(String),
    #[error("Zoho gave no refresh token; connect again and accept offline access.")]
    NoRefreshToken,
    #[error("Zoho's callback had no code.")]
    NoCode,
    #[error("{0}")]
    OAuth(OAuthError),
    #[error("The stored client credentials do not open with this installation's key.")]
    Sealed,
    #[error("Zoho could not be asked: {0}")]
    Zoho(String),
    #[error("database: {0}")]
    Database(String),
}

impl ConnectError {
    /// The short code the CRM page's address carries after a callback.
    pub fn code(&self) -> &'static str {
        match self {
            ConnectError::BadState => "bad_state",
            ConnectError::Replayed => "replayed",
            ConnectError::Declined(_) => "declined",
            ConnectError::UnknownAccountsServer(_) => "unknown_accounts_server",
            ConnectError::UnknownApiDomain(_) => "unknown_api_domain",
            ConnectError::NoRefreshToken => "no_refresh_token",
            ConnectError::NoCode => "no_code",
            ConnectError::OAuth(e) => match e {
                OAuthError::InvalidCode => "invalid_code",
                OAuthError::InvalidClient => "invalid_client",
                OAuthError::InvalidClientSecret => "invalid_client_secret",
                OAuthError::InvalidRedirectUri(_) => "invalid_redirect_uri",
                OAuthError::Throttled(_) => "throttled",
                OAuthError::Unavailable(_) => "accounts_unavailable",
                OAuthError::Other(_) => "refused",
            },
            ConnectError::Sealed => "sealed",
            ConnectError::Zoho(_) => "zoho",
            ConnectError::Database(_) => "database",
        }
    }
}

impl From<sea_orm::DbErr> for ConnectError {
    fn from(e: sea_orm::DbErr) -> Self {
        ConnectError::Database(e.to_string())
    }
}

impl From<ZohoError> for ConnectError {
    fn from(e: ZohoError) -> Self {
        ConnectError::Zoho(e.to_string())
    }
}

/// Connects, reads and disconnects the Zoho connection.
pub struct ZohoConnector {
    db: DatabaseConnection,
    api: Arc<ZohoApi>,
    /// `{public_url}/admin/crm/zoho/callback`.
    redirect_uri: String,
}

impl ZohoConnector {
    pub fn new(db: DatabaseConnection, api: Arc<ZohoApi>, public_base: &str) -> ZohoConnector {
        ZohoConnector {
            db,
            api,
            redirect_uri: format!("{public_base}/admin/crm/zoho/callback"),
        }
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// How long a connect may take between *Connect with Zoho* and the callback.
    fn connect_window(&self) -> Duration {
        Duration::seconds(i64::try_from(self.api.settings().connect_window_secs).unwrap_or(600))
    }

    /// The accounts server consent starts at for data centre `dc`.
    fn accounts_for(&self, dc: &str) -> Option<String> {
        let configured = &self.api.settings().accounts_url;
        if !configured.is_empty() {
            return Some(configured.trim_end_matches('/').to_owned());
        }
        DATA_CENTRES
            .iter()
            .find(|d| d.code == dc)
            .map(|d| d.accounts.to_owned())
    }

    /// Whether a callback may name `server` as the accounts server to exchange the code at.
    fn known_accounts_server(&self, server: &str) -> bool {
        let server = server.trim_end_matches('/');
        let configured = &self.api.settings().accounts_url;
        if configured.is_empty() {
            DATA_CENTRES.iter().any(|d| d.accounts == server)
        } else {
            configured.trim_end_matches('/') == server
        }
    }

    fn known_api_domain(&self, domain: &str) -> bool {
        let domain = domain.trim_end_matches('/');
        DATA_CENTRES.iter().any(|d| d.api == domain)
    }

    /// Starts connecting: keeps the state and credentials, answers the consent page's address.
    pub async fn start(
        &self,
        admin: &SessionUser,
        client_id: &str,
        client_secret: &str,
        data_centre: &str,
    ) -> Result<String, AppError> {
        let (client_id, client_secret) = (client_id.trim(), client_secret.trim());
        for (field, value, label) in [
            ("client_id", client_id, "Client ID"),
            ("client_secret", client_secret, "Client secret"),
        ] {
            if value.is_empty() {
                return Err(AppError::invalid(field, format!("{label} is required.")));
            }
            if value.chars().count() > MAX_CREDENTIAL_CHARS
                || value.chars().any(char::is_whitespace)
            {
                return Err(AppError::invalid(
                    field,
                    format!(
                        "{label} must be at most {MAX_CREDENTIAL_CHARS} characters, without spaces."
                    ),
                ));
            }
        }
        let accounts = self.accounts_for(data_centre).ok_or_else(|| {
            AppError::invalid("data_centre", "Choose one of Zoho's data centres.")
        })?;
        let now = Utc::now();
        let window = self.connect_window();
        // States nobody came back with are of no use after the window.
        crm_oauth_state::Entity::delete_many()
            .filter(crm_oauth_state::Column::CreatedAt.lt(now - window))
            .exec(&self.db)
            .await?;
        let state = new_token();
        let secrets = self.api.secrets();
        crm_oauth_state::ActiveModel {
            state_hash: Set(token_digest(&state)),
            session_hash: Set(token_digest(&admin.session_id)),
            user_id: Set(admin.user.id),
            client_id: Set(secrets.seal(column::CLIENT_ID, client_id)),
            client_secret: Set(secrets.seal(column::CLIENT_SECRET, client_secret)),
            accounts_server: Set(accounts.clone()),
            created_at: Set(now),
            used_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        tracing::info!(admin = %admin.user.id, %accounts, "admin starts connecting Zoho");
        Ok(oauth::consent_url(
            &accounts,
            client_id,
            &self.redirect_uri,
            &self.api.settings().scopes,
            &state,
        ))
    }

    /// Zoho's callback: checks the state, exchanges the code, keeps the connection.
    pub async fn finish(
        &self,
        admin: &SessionUser,
        callback: &Callback,
    ) -> Result<ConnectionStatus, ConnectError> {
        let state = callback
            .state
            .as_deref()
            .filter(|s| !s.is_empty() && s.len() <= 200)
            .ok_or(ConnectError::BadState)?;
        let row = crm_oauth_state::Entity::find_by_id(token_digest(state))
            .one(&self.db)
            .await?
            .filter(|r| r.session_hash == token_digest(&admin.session_id))
            .ok_or(ConnectError::BadState)?;
        let window = self.connect_window();
        if row.used_at.is_some() {
            return Err(ConnectError::Replayed);
        }
        if row.created_at + window < Utc::now() {
            return Err(ConnectError::BadState);
        }
        // Claimed once: a second callback with the same state finds it used.
        let claimed = crm_oauth_state::Entity::update_many()
            .set(crm_oauth_state::ActiveModel {
                used_at: Set(Some(Utc::now())),
                ..Default::default()
            })
            .filter(crm_oauth_state::Column::StateHash.eq(row.state_hash.clone()))
            .filter(crm_oauth_state::Column::UsedAt.is_null())
            .exec(&self.db)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(ConnectError::Replayed);
        }
        if let Some(error) = &callback.error {
            return Err(ConnectError::Declined(error.chars().take(100).collect()));
        }
        let code = callback
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or(ConnectError::NoCode)?;
        let accounts_server = match callback.accounts_server.as_deref() {
            Some(named) if self.known_accounts_server(named) => {
                named.trim_end_matches('/').to_owned()
            }
            Some(named) => {
                return Err(ConnectError::UnknownAccountsServer(
                    named.chars().take(200).collect(),
                ));
            }
            None => row.accounts_server.clone(),
        };
        let secrets = self.api.secrets();
        let client = ClientCredentials {
            id: secrets
                .open_string(column::CLIENT_ID, &row.client_id)
                .map_err(|_| ConnectError::Sealed)?,
            secret: secrets
                .open(column::CLIENT_SECRET, &row.client_secret)
                .map_err(|_| ConnectError::Sealed)?,
        };
        let accounts = Accounts {
            http: self.api.http(),
            server: &accounts_server,
            client: &client,
        };
        let tokens = accounts
            .exchange_code(code, &self.redirect_uri)
            .await
            .map_err(ConnectError::OAuth)?;
        let refresh = tokens.refresh_token.ok_or(ConnectError::NoRefreshToken)?;
        let api_domain = match tokens.api_domain.as_deref() {
            _ if !self.api.settings().api_url.is_empty() => self.api.settings().api_url.clone(),
            Some(d) if self.known_api_domain(d) => d.trim_end_matches('/').to_owned(),
            Some(d) => {
                return Err(ConnectError::UnknownApiDomain(
                    d.chars().take(200).collect(),
                ));
            }
            None => DATA_CENTRES
                .iter()
                .find(|d| d.accounts == accounts_server)
                .map_or_else(|| DATA_CENTRES[0].api.to_owned(), |d| d.api.to_owned()),
        };
        let before = self.api.row().await?;
        let now = Utc::now();
        let connection = crm_connection::ActiveModel {
            provider: Set(ZOHO.to_owned()),
            status: Set(ConnectionStatus::ChooseOrg),
            status_reason: Set(None),
            client_id: Set(secrets.seal(column::CLIENT_ID, &client.id)),
            client_secret: Set(secrets.seal(column::CLIENT_SECRET, client.secret.expose_secret())),
            accounts_server: Set(accounts_server.clone()),
            api_domain: Set(api_domain),
            location: Set(callback
                .location
                .clone()
                .unwrap_or_default()
                .chars()
                .take(16)
                .collect()),
            refresh_token: Set(secrets.seal(column::REFRESH_TOKEN, refresh.expose_secret())),
            access_token: Set(Some(
                secrets.seal(column::ACCESS_TOKEN, tokens.access_token.expose_secret()),
            )),
            access_expires_at: Set(Some(tokens.expires_at)),
            account_email: Set(None),
            account_name: Set(None),
            account_user_id: Set(None),
            org_id: Set(None),
            org_name: Set(None),
            connected_by: Set(admin.user.id),
            connected_at: Set(now),
            updated_at: Set(now),
        };
        if before.is_some() {
            connection.update(&self.db).await?;
        } else {
            connection.insert(&self.db).await?;
        }
        self.api.forget_token().await;
        // The grant it replaces is of no further use: revoke it (a failure only leaves it to expire
        // unused at Zoho).
        if let Some(old) = &before {
            self.revoke(old).await.ok();
        }
        self.read_account(before.as_ref()).await?;
        let status = self
            .api
            .row()
            .await?
            .map_or(ConnectionStatus::ChooseOrg, |r| r.status);
        tracing::info!(admin = %admin.user.id, ?status, "Zoho connected");
        Ok(status)
    }

    /// Reads who connected and their organisations; picks the organisation when there is one
    /// choice (or the one chosen before a reconnect).
    async fn read_account(
        &self,
        before: Option<&crm_connection::Model>,
    ) -> Result<(), ConnectError> {
        let me = self
            .api
            .call_while_connecting(|http, at| {
                http.get(format!("{}/crm/v8/users", at.api))
                    .query(&[("type", "CurrentUser")])
            })
            .await?;
        let user = me
            .body
            .get("users")
            .and_then(Value::as_array)
            .and_then(|u| u.first())
            .cloned()
            .unwrap_or(Value::Null);
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let orgs = self.orgs().await?;
        let earlier = before.and_then(|b| b.org_id.clone());
        let chosen = match orgs.as_slice() {
            [only] => Some(only.clone()),
            many => earlier.and_then(|id| many.iter().find(|o| o.id == id).cloned()),
        };
        let mut update = crm_connection::ActiveModel {
            provider: Set(ZOHO.to_owned()),
            account_email: Set(text(&user, "email")),
            account_name: Set(text(&user, "full_name")),
            account_user_id: Set(text(&user, "id")),
            updated_at: Set(Utc::now()),
            ..Default::default()
        };
        if let Some(org) = chosen {
            update.org_id = Set(Some(org.id));
            update.org_name = Set(Some(org.name));
            update.status = Set(ConnectionStatus::Connected);
        }
        update.update(&self.db).await?;
        Ok(())
    }

    /// The organisations the connected account can use.
    pub async fn orgs(&self) -> Result<Vec<CrmOrgView>, ZohoError> {
        let answer = self
            .api
            .call_while_connecting(|http, at| http.get(format!("{}/crm/v8/org", at.api)))
            .await?;
        Ok(read_orgs(&answer.body))
    }

    /// The admin picks the organisation the app works in.
    pub async fn choose_org(&self, admin: UserId, org_id: &str) -> Result<(), AppError> {
        let row = self.api.row().await?.ok_or(AppError::NotFound)?;
        let orgs = self.orgs().await.map_err(zoho_app_error)?;
        let org = orgs.into_iter().find(|o| o.id == org_id).ok_or_else(|| {
            AppError::invalid(
                "org",
                "That organisation is not one of this Zoho account's.",
            )
        })?;
        let status = match row.status {
            ConnectionStatus::ReconnectNeeded => ConnectionStatus::ReconnectNeeded,
            ConnectionStatus::ChooseOrg | ConnectionStatus::Connected => {
                ConnectionStatus::Connected
            }
        };
        crm_connection::ActiveModel {
            provider: Set(ZOHO.to_owned()),
            org_id: Set(Some(org.id.clone())),
            org_name: Set(Some(org.name.clone())),
            status: Set(status),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
        .update(&self.db)
        .await?;
        tracing::info!(admin = %admin, org = %org.id, "admin chose the Zoho organisation");
        Ok(())
    }

    /// Revokes the refresh token at Zoho and deletes the connection. The connection is deleted
    /// even when Zoho cannot be reached; the answer then says so, so the admin can remove the
    /// app's access in Zoho by hand.
    pub async fn disconnect(&self, admin: UserId) -> Result<Option<String>, AppError> {
        let row = self.api.row().await?.ok_or(AppError::NotFound)?;
        let warning = self.revoke(&row).await.err().map(|e| {
            format!(
                "Disconnected here, but Zoho could not revoke the access ({e}). Remove the app \
                 under Connected Apps in your Zoho account."
            )
        });
        crm_connection::Entity::delete_by_id(ZOHO.to_owned())
            .exec(&self.db)
            .await?;
        self.api.forget_token().await;
        tracing::info!(admin = %admin, revoked = warning.is_none(), "admin disconnected Zoho");
        Ok(warning)
    }

    async fn revoke(&self, row: &crm_connection::Model) -> Result<(), OAuthError> {
        let secrets = self.api.secrets();
        let open = |column: &str, sealed: &str| {
            secrets
                .open(column, sealed)
                .map_err(|e| OAuthError::Other(e.to_string()))
        };
        let client = ClientCredentials {
            id: open(column::CLIENT_ID, &row.client_id)?
                .expose_secret()
                .to_owned(),
            secret: open(column::CLIENT_SECRET, &row.client_secret)?,
        };
        let refresh: SecretString = open(column::REFRESH_TOKEN, &row.refresh_token)?;
        Accounts {
            http: self.api.http(),
            server: &row.accounts_server,
            client: &client,
        }
        .revoke(&refresh)
        .await
    }

    /// The CRM page's view of the connection. `orgs` are read from Zoho only while the admin
    /// has to choose one.
    pub async fn view(&self) -> Result<CrmConnectionView, AppError> {
        let row = self.api.row().await?;
        let zoho = match row {
            None => None,
            Some(r) => {
                let connected_by = user::Entity::find_by_id(r.connected_by)
                    .one(&self.db)
                    .await?
                    .map_or_else(String::new, |u| u.display_name);
                let orgs = if r.status == ConnectionStatus::ChooseOrg {
                    self.orgs().await.unwrap_or_default()
                } else {
                    Vec::new()
                };
                Some(ZohoConnectionView {
                    status: r.status,
                    status_reason: r.status_reason,
                    account_email: r.account_email,
                    account_name: r.account_name,
                    org: r.org_id.map(|id| CrmOrgView {
                        id,
                        name: r.org_name.unwrap_or_default(),
                    }),
                    api_domain: r.api_domain,
                    location: r.location,
                    connected_by,
                    connected_at: r.connected_at.to_rfc3339(),
                    orgs,
                })
            }
        };
        let provider = if zoho.is_some() { ZOHO } else { "builtin" };
        Ok(CrmConnectionView {
            provider: provider.to_owned(),
            zoho,
            redirect_uri: self.redirect_uri.clone(),
            data_centres: DATA_CENTRES
                .iter()
                .map(|d| (d.code.to_owned(), d.label.to_owned()))
                .collect(),
        })
    }
}

/// The organisations in `GET /crm/v8/org`'s answer; `zgid` identifies one in `X-CRM-ORG`.
pub fn read_orgs(body: &Value) -> Vec<CrmOrgView> {
    body.get("org")
        .and_then(Value::as_array)
        .map(|orgs| {
            orgs.iter()
                .filter_map(|o| {
                    let id = o.get("zgid").or_else(|| o.get("id")).and_then(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .or_else(|| Some(v.to_string()))
                    })?;
                    let name = o
                        .get("company_name")
                        .and_then(Value::as_str)
                        .unwrap_or(&id)
                        .to_owned();
                    Some(CrmOrgView { id, name })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A Zoho failure as the CRM page says it.
pub fn zoho_app_error(e: ZohoError) -> AppError {
    match e {
        ZohoError::NotConnected => AppError::NotFound,
        ZohoError::Database(e) => e.into(),
        other => AppError::Unavailable(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn organisations_are_named_by_zgid() {
        let orgs = read_orgs(&json!({"org":[
            {"id":"111","zgid":"70001","company_name":"Acme"},
            {"id":"222","company_name":"Beta"}
        ]}));
        assert_eq!(
            orgs,
            vec![
                CrmOrgView {
                    id: "70001".into(),
                    name: "Acme".into()
                },
                CrmOrgView {
                    id: "222".into(),
                    name: "Beta".into()
                },
            ]
        );
        assert!(read_orgs(&Value::Null).is_empty());
    }
}
