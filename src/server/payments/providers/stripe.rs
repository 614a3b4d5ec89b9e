//! Stripe: a Checkout Session per payment (REST, form-encoded, bearer key), and webhooks
//! verified by their `Stripe-Signature` (HMAC-SHA256 over `{t}.{body}` with the endpoint's
//! signing secret, within a tolerance). Only a verified `checkout.session.*` event changes a
//! payment; the redirect back from Stripe's page changes nothing.

use super::{
    Checkout, CheckoutRequest, Outcome, PaymentError, PaymentProvider, Provider, ProviderEvent,
};
use crate::server::platform::config::StripeSettings;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::Sha256;
use std::time::Duration;

pub struct StripeProvider {
    http: reqwest::Client,
    api_base: String,
    secret_key: SecretString,
    webhook_secret: SecretString,
    tolerance_secs: i64,
}

impl StripeProvider {
    pub fn new(settings: &StripeSettings) -> Result<StripeProvider, PaymentError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_secs))
            .build()
            .map_err(|e| PaymentError::Unavailable(e.to_string()))?;
        Ok(StripeProvider {
            http,
            api_base: settings.api_base.trim_end_matches('/').to_owned(),
            secret_key: settings.secret_key.clone(),
            webhook_secret: settings.webhook_secret.clone(),
            tolerance_secs: i64::try_from(settings.webhook_tolerance_secs).unwrap_or(300),
        })
    }

    async fn post(&self, path: &str, form: &[(String, String)]) -> Result<Session, PaymentError> {
        let res = self
            .http
            .post(format!("{}{path}", self.api_base))
            .bearer_auth(self.secret_key.expose_secret())
            .form(form)
            .send()
            .await;
        read_session(res).await
    }

    async fn get(&self, path: &str) -> Result<Session, PaymentError> {
        let res = self
            .http
            .get(format!("{}{path}", self.api_base))
            .bearer_auth(self.secret_key.expose_secret())
            .send()
            .await;
        read_session(res).await
    }
}

/// The parts of a Checkout Session we read.
#[derive(Debug, Deserialize)]
struct Session {
    id: String,
    url: Option<String>,
    status: Option<String>,
    amount_total: Option<i64>,
    currency: Option<String>,
    payment_status: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

async fn read_session(
    res: Result<reqwest::Response, reqwest::Error>,
) -> Result<Session, PaymentError> {
    let res = res.map_err(|e| PaymentError::Unavailable(e.to_string()))?;
    let status = res.status();
    let text = res
        .text()
        .await
        .map_err(|e| PaymentError::Unavailable(e.to_string()))?;
    if status.is_success() {
        return serde_json::from_str(&text)
            .map_err(|e| PaymentError::Unavailable(format!("unreadable Stripe answer: {e}")));
    }
    let detail = serde_json::from_str::<ErrorBody>(&text)
        .map(|b| {
            format!(
                "{}: {}",
                b.error.kind.unwrap_or_default(),
                b.error.message.unwrap_or_default()
            )
        })
        .unwrap_or_else(|_| format!("HTTP {status}"));
    if status.as_u16() == 429 || status.is_server_error() {
        Err(PaymentError::Unavailable(detail))
    } else {
        Err(PaymentError::Rejected(detail))
    }
}

/// Currencies Stripe counts in whole units, and those it counts in thousandths.
const ZERO_DECIMAL: [&str; 16] = [
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
];
const THREE_DECIMAL: [&str; 5] = ["BHD", "JOD", "KWD", "OMR", "TND"];

/// Our hundredths as Stripe's smallest unit of the currency.
pub fn stripe_amount(minor: i64, currency: &str) -> Result<i64, PaymentError> {
    let code = currency.to_ascii_uppercase();
    if ZERO_DECIMAL.contains(&code.as_str()) {
        if minor % 100 != 0 {
            return Err(PaymentError::Rejected(format!(
                "{code} has no decimals; ask for a whole amount"
            )));
        }
        Ok(minor / 100)
    } else if THREE_DECIMAL.contains(&code.as_str()) {
        Ok(minor * 10)
    } else {
        Ok(minor)
    }
}

/// Stripe's smallest unit of the currency back into our hundredths.
pub fn from_stripe_amount(amount: i64, currency: &str) -> i64 {
    let code = currency.to_ascii_uppercase();
    if ZERO_DECIMAL.contains(&code.as_str()) {
        amount * 100
    } else if THREE_DECIMAL.contains(&code.as_str()) {
        amount / 10
    } else {
        amount
    }
}

/// The form Stripe's `POST /v1/checkout/sessions` takes for one payment request.
pub fn session_form(req: &CheckoutRequest<'_>) -> Result<Vec<(String, String)>, PaymentError> {
    let currency = req.amount.currency.as_str();
    let id = req.payment_id.to_string();
    let pairs = [
        ("mode", "payment".to_owned()),
        ("client_reference_id", id.clone()),
        ("customer_email", req.customer_email.to_owned()),
        ("success_url", req.return_url.clone()),
        ("cancel_url", req.return_url.clone()),
        ("line_items[0][quantity]", "1".to_owned()),
        (
            "line_items[0][price_data][currency]",
            currency.to_ascii_lowercase(),
        ),
        (
            "line_items[0][price_data][unit_amount]",
            stripe_amount(req.amount.minor, currency)?.to_string(),
        ),
        (
            "line_items[0][price_data][product_data][name]",
            req.description.to_owned(),
        ),
        ("metadata[payment_id]", id.clone()),
        ("payment_intent_data[metadata][payment_id]", id),
    ];
    Ok(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// Checks a `Stripe-Signature` header (`t=…,v1=…[,v1=…]`) against the body: one `v1` must be
/// HMAC-SHA256(secret, "{t}.{body}") in hex, and `t` within `tolerance_secs` of `now`.
pub fn verify_signature(
    header: &str,
    body: &[u8],
    secret: &str,
    tolerance_secs: i64,
    now: DateTime<Utc>,
) -> Result<(), PaymentError> {
    let bad = |why: &str| PaymentError::BadWebhook(why.to_owned());
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => signatures.push(sig),
            _ => {}
        }
    }
    let t = timestamp.ok_or_else(|| bad("the signature has no timestamp"))?;
    if signatures.is_empty() {
        return Err(bad("the signature has no v1 scheme"));
    }
    if (now.timestamp() - t).abs() > tolerance_secs {
        return Err(bad("the signature's timestamp is outside the tolerance"));
    }
    let matches = signatures.iter().any(|sig| {
        let Some(expected) = decode_hex(sig) else {
            return false;
        };
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        // Constant-time comparison.
        mac.verify_slice(&expected).is_ok()
    });
    if matches {
        Ok(())
    } else {
        Err(bad("no signature matches the body"))
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: serde_json::Value,
}

/// Reads a verified event's body into what it means for a payment.
pub fn parse_event(body: &[u8]) -> Result<ProviderEvent, PaymentError> {
    let event: Event = serde_json::from_slice(body)
        .map_err(|e| PaymentError::BadWebhook(format!("unreadable event: {e}")))?;
    let is_session = event.event_type.starts_with("checkout.session.");
    let session = if is_session {
        serde_json::from_value::<Session>(event.data.object)
            .map(Some)
            .map_err(|e| PaymentError::BadWebhook(format!("unreadable session: {e}")))?
    } else {
        None
    };
    let outcome = match (event.event_type.as_str(), session.as_ref()) {
        ("checkout.session.completed", Some(s)) if s.payment_status.as_deref() == Some("paid") => {
            Outcome::Paid
        }
        ("checkout.session.async_payment_succeeded", Some(_)) => Outcome::Paid,
        ("checkout.session.async_payment_failed", Some(_)) => Outcome::Failed,
        ("checkout.session.expired", Some(_)) => Outcome::CheckoutExpired,
        _ => Outcome::Nothing,
    };
    let charged = session.as_ref().and_then(|s| {
        let currency = s.currency.as_deref()?.to_ascii_uppercase();
        Some((from_stripe_amount(s.amount_total?, &currency), currency))
    });
    // A payment is paid only for an amount we can check against the request.
    let outcome = if outcome == Outcome::Paid && charged.is_none() {
        tracing::warn!(event = %event.id, "paid event without amount_total; not applied");
        Outcome::Nothing
    } else {
        outcome
    };
    Ok(ProviderEvent {
        id: event.id,
        event_type: event.event_type,
        provider_ref: session.as_ref().map(|s| s.id.clone()),
        charged,
        outcome,
    })
}

#[async_trait::async_trait]
impl PaymentProvider for StripeProvider {
    fn name(&self) -> Provider {
        Provider::Stripe
    }

    async fn create_checkout(&self, req: &CheckoutRequest<'_>) -> Result<Checkout, PaymentError> {
        let session = self
            .post("/v1/checkout/sessions", &session_form(req)?)
            .await?;
        let url = session
            .url
            .ok_or_else(|| PaymentError::Rejected("the session has no checkout URL".into()))?;
        Ok(Checkout {
            provider_ref: session.id,
            url,
        })
    }

    async fn expire_checkout(&self, provider_ref: &str) -> Result<(), PaymentError> {
        let path = format!("/v1/checkout/sessions/{provider_ref}");
        match self.post(&format!("{path}/expire"), &[]).await {
            Ok(_) => Ok(()),
            // Stripe expires only open sessions: one already expired is fine, a complete one
            // means the client paid.
            Err(PaymentError::Rejected(why)) => match self.get(&path).await?.status.as_deref() {
                Some("expired") => Ok(()),
                Some("complete") => Err(PaymentError::Rejected(
                    "the client already completed this checkout".into(),
                )),
                _ => Err(PaymentError::Rejected(why)),
            },
            Err(e) => Err(e),
        }
    }

    fn read_webhook(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<ProviderEvent, PaymentError> {
        let header = signature
            .ok_or_else(|| PaymentError::BadWebhook("no Stripe-Signature header".into()))?;
        verify_signature(
            header,
            body,
            self.webhook_secret.expose_secret(),
            self.tolerance_secs,
            now,
        )?;
        parse_event(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::money::Money;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1"}"#;
    // HMAC-SHA256(SECRET, "1700000000.{"id":"evt_1"}"), computed independently.
    const SIG: &str = "248a374f50f943a28b0f6ab50faf9a7e7e29b710fa26df9fb1618b9bf8ea9c9a";

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    #[test]
    fn a_correct_signature_verifies() {
        let header = format!("t=1700000000,v1={SIG},v0=ignored");
        assert!(verify_signature(&header, BODY, SECRET, 300, at(1_700_000_100)).is_ok());
        // One of several v1 signatures (during a secret roll) is enough.
        let rolled = format!("t=1700000000,v1={},v1={SIG}", "00".repeat(32));
        assert!(verify_signature(&rolled, BODY, SECRET, 300, at(1_700_000_000)).is_ok());
    }

    #[test]
    fn a_wrong_secret_body_or_time_is_refused() {
        let header = format!("t=1700000000,v1={SIG}");
        let now = at(1_700_000_000);
        assert!(verify_signature(&header, BODY, "whsec_other", 300, now).is_err());
        assert!(verify_signature(&header, br#"{"id":"evt_2"}"#, SECRET, 300, now).is_err());
        assert!(verify_signature(&header, BODY, SECRET, 300, at(1_700_000_301)).is_err());
        assert!(verify_signature(&format!("v1={SIG}"), BODY, SECRET, 300, now).is_err());
        assert!(verify_signature("t=1700000000,v1=zz", BODY, SECRET, 300, now).is_err());
        assert!(verify_signature("t=1700000000", BODY, SECRET, 300, now).is_err());
    }

    #[test]
    fn amounts_follow_stripes_currency_units() {
        assert_eq!(stripe_amount(150_000, "EUR").unwrap(), 150_000);
        assert_eq!(stripe_amount(150_000, "JPY").unwrap(), 1_500);
        assert!(stripe_amount(150_050, "JPY").is_err());
        assert_eq!(stripe_amount(150_000, "KWD").unwrap(), 1_500_000);
        assert_eq!(from_stripe_amount(1_500, "jpy"), 150_000);
        assert_eq!(from_stripe_amount(1_500_000, "KWD"), 150_000);
    }

    #[test]
    fn the_session_form_carries_the_request() {
        let form = session_form(&CheckoutRequest {
            payment_id: crate::model::ids::PaymentId(12),
            amount: Money::parse("1500", "EUR").unwrap(),
            description: "Deposit",
            customer_email: "c@example.com",
            return_url: "http://app/chats/3".into(),
        })
        .unwrap();
        let get = |k: &str| {
            form.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("mode"), Some("payment"));
        assert_eq!(get("client_reference_id"), Some("12"));
        assert_eq!(get("line_items[0][price_data][currency]"), Some("eur"));
        assert_eq!(
            get("line_items[0][price_data][unit_amount]"),
            Some("150000")
        );
        assert_eq!(
            get("line_items[0][price_data][product_data][name]"),
            Some("Deposit")
        );
    }

    #[test]
    fn events_mean_what_stripe_documents() {
        let event = |ty: &str, payment_status: &str| {
            format!(
                r#"{{"id":"evt_9","object":"event","type":"{ty}","data":{{"object":{{"id":"cs_1","object":"checkout.session","client_reference_id":"12","amount_total":150000,"currency":"eur","payment_status":"{payment_status}","status":"complete"}}}}}}"#
            )
        };
        let paid = parse_event(event("checkout.session.completed", "paid").as_bytes()).unwrap();
        assert_eq!(paid.outcome, Outcome::Paid);
        assert_eq!(paid.provider_ref.as_deref(), Some("cs_1"));
        assert_eq!(paid.charged, Some((150_000, "EUR".into())));
        let later = parse_event(event("checkout.session.completed", "unpaid").as_bytes()).unwrap();
        assert_eq!(later.outcome, Outcome::Nothing);
        let failed =
            parse_event(event("checkout.session.async_payment_failed", "unpaid").as_bytes())
                .unwrap();
        assert_eq!(failed.outcome, Outcome::Failed);
        let expired = parse_event(event("checkout.session.expired", "unpaid").as_bytes()).unwrap();
        assert_eq!(expired.outcome, Outcome::CheckoutExpired);
        let no_amount = parse_event(
            br#"{"id":"evt_3","type":"checkout.session.completed","data":{"object":{"id":"cs_1","payment_status":"paid","currency":"eur"}}}"#,
        )
        .unwrap();
        assert_eq!(
            no_amount.outcome,
            Outcome::Nothing,
            "paid without amount_total"
        );
        let other = parse_event(
            br#"{"id":"evt_2","type":"charge.refunded","data":{"object":{"id":"ch_1"}}}"#,
        )
        .unwrap();
        assert_eq!(other.outcome, Outcome::Nothing);
        assert!(parse_event(b"not json").is_err());
    }
}
