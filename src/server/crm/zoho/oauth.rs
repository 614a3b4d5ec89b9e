//! Zoho's OAuth 2.0 (accounts server): the consent address, exchanging a code, renewing an
//! access token, revoking a refresh token. Zoho answers many failures with HTTP 200 and an
//! `error` field, so an answer is judged by its body: no `access_token`, no token.

use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// The client registered in Zoho's API console.
#[derive(Clone)]
pub struct ClientCredentials {
    pub id: String,
    pub secret: SecretString,
}

/// What the token endpoint handed out.
pub struct Tokens {
    pub access_token: SecretString,
    /// Only a code exchange with `access_type=offline` gives one; a renewal never does.
    pub refresh_token: Option<SecretString>,
    pub expires_at: DateTime<Utc>,
    /// Where this account's data lives (`https://www.zohoapis.eu`).
    pub api_domain: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OAuthError {
    /// A used, expired or unknown code, or a revoked refresh token: only a new consent helps.
    #[error("Zoho refused the grant (invalid_code): connect again")]
    InvalidCode,
    #[error("Zoho does not know this client id (invalid_client)")]
    InvalidClient,
    #[error("the client secret is wrong (invalid_client_secret)")]
    InvalidClientSecret,
    #[error("Zoho refused the redirect URI: register {0} as the client's redirect URI")]
    InvalidRedirectUri(String),
    /// Too many tokens asked for lately: worth trying later.
    #[error("Zoho asks us to slow down: {0}")]
    Throttled(String),
    #[error("Zoho's accounts server could not be reached: {0}")]
    Unavailable(String),
    #[error("Zoho refused: {0}")]
    Other(String),
}

impl OAuthError {
    /// Whether the same request may succeed later without an admin doing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, OAuthError::Throttled(_) | OAuthError::Unavailable(_))
    }
}

/// The consent page's address: `access_type=offline` (and `prompt=consent`) is what makes
/// Zoho hand out a refresh token.
pub fn consent_url(
    accounts: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: &str,
    state: &str,
) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", scopes)
        .append_pair("access_type", "offline")
        .append_pair("prompt", "consent")
        .append_pair("state", state)
        .finish();
    format!("{}/oauth/v2/auth?{query}", accounts.trim_end_matches('/'))
}

/// Reads a token answer. Old tenants send `expires_in_sec` in seconds and `expires_in` in
/// milliseconds; others send `expires_in` in seconds.
pub fn read_tokens(
    status: u16,
    body: &Value,
    redirect_uri: &str,
    now: DateTime<Utc>,
) -> Result<Tokens, OAuthError> {
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    let Some(access) = text("access_token").filter(|t| !t.is_empty()) else {
        return Err(read_error(status, body, redirect_uri));
    };
    let secs = body
        .get("expires_in_sec")
        .and_then(Value::as_i64)
        .or_else(|| body.get("expires_in").and_then(Value::as_i64))
        .filter(|s| *s > 0)
        .unwrap_or(3600);
    Ok(Tokens {
        access_token: SecretString::from(access),
        refresh_token: text("refresh_token")
            .filter(|t| !t.is_empty())
            .map(SecretString::from),
        expires_at: now + Duration::seconds(secs.min(86_400)),
        api_domain: text("api_domain"),
    })
}

fn read_error(status: u16, body: &Value, redirect_uri: &str) -> OAuthError {
    let error = body.get("error").and_then(Value::as_str).unwrap_or("");
    let description = body
        .get("error_description")
        .and_then(Value::as_str)
        .unwrap_or(error);
    match error {
        "invalid_code" => OAuthError::InvalidCode,
        "invalid_client" => OAuthError::InvalidClient,
        "invalid_client_secret" => OAuthError::InvalidClientSecret,
        "invalid_redirect_uri" => OAuthError::InvalidRedirectUri(redirect_uri.to_owned()),
        // Zoho's throttle: 400 "Access Denied", "too many requests continuously".
        "Access Denied" => OAuthError::Throttled(description.to_owned()),
        _ if status == 429 || status >= 500 => OAuthError::Unavailable(format!("HTTP {status}")),
        "" => OAuthError::Other(format!("HTTP {status} without a token")),
        other => OAuthError::Other(other.to_owned()),
    }
}

/// Talks to one accounts server.
pub struct Accounts<'a> {
    pub http: &'a reqwest::Client,
    pub server: &'a str,
    pub client: &'a ClientCredentials,
}

impl Accounts<'_> {
    async fn token(
        &self,
        grant: &[(&str, &str)],
        redirect_uri: &str,
    ) -> Result<Tokens, OAuthError> {
        let mut form = vec![
            ("client_id", self.client.id.as_str()),
            ("client_secret", self.client.secret.expose_secret()),
        ];
        form.extend_from_slice(grant);
        let response = self
            .http
            .post(format!(
                "{}/oauth/v2/token",
                self.server.trim_end_matches('/')
            ))
            .form(&form)
            .send()
            .await
            .map_err(|e| OAuthError::Unavailable(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        read_tokens(status, &body, redirect_uri, Utc::now())
    }

    /// Exchanges the consent's single-use code.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Tokens, OAuthError> {
        self.token(
            &[
                ("grant_type", "authorization_code"),
                ("redirect_uri", redirect_uri),
                ("code", code),
            ],
            redirect_uri,
        )
        .await
    }

    /// A new access token from the refresh token.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<Tokens, OAuthError> {
        self.token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose_secret()),
            ],
            "",
        )
        .await
    }

    /// Revokes a refresh token (and with it the access it gives).
    pub async fn revoke(&self, token: &SecretString) -> Result<(), OAuthError> {
        let response = self
            .http
            .post(format!(
                "{}/oauth/v2/token/revoke",
                self.server.trim_end_matches('/')
            ))
            .query(&[("token", token.expose_secret())])
            .send()
            .await
            .map_err(|e| OAuthError::Unavailable(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status == 200 && body.get("status").and_then(Value::as_str) == Some("success") {
            Ok(())
        } else if status == 429 || status >= 500 {
            Err(OAuthError::Unavailable(format!("HTTP {status}")))
        } else {
            // Zoho answers 400 for a token it does not know: already revoked.
            Err(OAuthError::Other(format!("HTTP {status}: {body}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn the_consent_url_asks_for_offline_access_with_every_parameter_encoded() {
        let url = consent_url(
            "https://accounts.zoho.eu/",
            "1000.ABC",
            "https://deals.example.com/admin/crm/zoho/callback",
            "ZohoCRM.modules.ALL,WorkDrive.files.ALL",
            "s t&ate",
        );
        let parsed = url::Url::parse(&url).unwrap();
        assert_eq!(parsed.host_str(), Some("accounts.zoho.eu"));
        assert_eq!(parsed.path(), "/oauth/v2/auth");
        let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(q["access_type"], "offline");
        assert_eq!(q["prompt"], "consent");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["state"], "s t&ate");
        assert_eq!(q["scope"], "ZohoCRM.modules.ALL,WorkDrive.files.ALL");
        assert_eq!(
            q["redirect_uri"],
            "https://deals.example.com/admin/crm/zoho/callback"
        );
    }

    #[test]
    fn a_token_answer_gives_its_expiry_in_seconds_or_the_old_tenants_way() {
        let t = read_tokens(
            200,
            &json!({"access_token":"1000.a.b","refresh_token":"1000.c.d","api_domain":"https://www.zohoapis.com","token_type":"Bearer","expires_in":3600}),
            "",
            now(),
        )
        .unwrap();
        assert_eq!(t.access_token.expose_secret(), "1000.a.b");
        assert_eq!(t.refresh_token.unwrap().expose_secret(), "1000.c.d");
        assert_eq!(t.expires_at, now() + Duration::seconds(3600));
        assert_eq!(t.api_domain.as_deref(), Some("https://www.zohoapis.com"));
        let old = read_tokens(
            200,
            &json!({"access_token":"1000.a.b","expires_in_sec":3600,"expires_in":3_600_000}),
            "",
            now(),
        )
        .unwrap();
        assert_eq!(old.expires_at, now() + Duration::seconds(3600));
        assert!(old.refresh_token.is_none());
    }

    #[test]
    fn an_answer_without_an_access_token_is_an_error_whatever_its_status() {
        let err = |status, body| {
            read_tokens(status, &body, "https://x/cb", now())
                .err()
                .unwrap()
        };
        assert_eq!(
            err(200, json!({"error":"invalid_code"})),
            OAuthError::InvalidCode
        );
        assert_eq!(
            err(200, json!({"error":"invalid_client"})),
            OAuthError::InvalidClient
        );
        assert_eq!(
            err(200, json!({"error":"invalid_client_secret"})),
            OAuthError::InvalidClientSecret
        );
        assert_eq!(
            err(200, json!({"error":"invalid_redirect_uri"})),
            OAuthError::InvalidRedirectUri("https://x/cb".into())
        );
        let throttled = err(
            400,
            json!({"error":"Access Denied","error_description":"You have made too many requests continuously.","status":"failure"}),
        );
        assert!(throttled.is_transient(), "{throttled:?}");
        assert!(err(503, Value::Null).is_transient());
        assert!(!err(200, json!({})).is_transient());
        assert!(!err(200, json!({"access_token":""})).is_transient());
    }
}
