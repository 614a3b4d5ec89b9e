//! The payment port: opening a checkout for a payment request, and reading what the provider
//! says happened. The built-in test-mode provider (a checkout page marked TEST) is the embedded
//! default; Stripe (Checkout Sessions, signed webhooks) implements the same trait.
//!
//! A payment becomes paid only through a `ProviderEvent`: for Stripe, a webhook whose
//! `Stripe-Signature` verified; for the test provider, its own checkout page. Nothing the
//! browser sends to the app's API can produce one.

pub mod stripe;
pub mod test_mode;

use crate::model::ids::PaymentId;
use crate::model::money::Money;
use chrono::{DateTime, Utc};

pub use crate::model::payment::Provider;

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// Worth retrying: the provider could not be reached or answered with a server error.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request as made.
    #[error("payment provider refused the request: {0}")]
    Rejected(String),
    /// A webhook that did not come from the provider (or came too late, or is unreadable).
    #[error("webhook refused: {0}")]
    BadWebhook(String),
}

/// What the payer is sent to check out.
#[derive(Clone, Debug)]
pub struct CheckoutRequest<'a> {
    pub payment_id: PaymentId,
    pub amount: Money,
    pub description: &'a str,
    pub customer_email: &'a str,
    /// Where the provider sends the payer back, after paying or giving up.
    pub return_url: String,
}

/// An open checkout: the provider's id for it, and the page the payer goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkout {
    pub provider_ref: String,
    pub url: String,
}

/// What an event says about a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Paid,
    Failed,
    /// The checkout expired unpaid; the payment stays pending and the next Pay opens a new one.
    CheckoutExpired,
    /// Nothing to change (a completed checkout still waiting for a delayed payment method, or
    /// an event type we do not act on).
    Nothing,
}

/// One event from the provider, verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderEvent {
    /// The provider's event id: applied once, however often it is delivered.
    pub id: String,
    pub event_type: String,
    /// The checkout the event is about.
    pub provider_ref: Option<String>,
    /// What the provider charged, when it says: checked against the request.
    pub charged: Option<(i64, String)>,
    pub outcome: Outcome,
}

#[async_trait::async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Short stable name stored with each payment (`test`, `stripe`).
    fn name(&self) -> Provider;

    /// Opens a checkout for the request. Called again for the same payment only after the
    /// earlier checkout expired.
    async fn create_checkout(&self, req: &CheckoutRequest<'_>) -> Result<Checkout, PaymentError>;

    /// Closes an open checkout so it can no longer be paid (before a manager cancels the
    /// request). `Rejected` when it was already completed.
    async fn expire_checkout(&self, provider_ref: &str) -> Result<(), PaymentError>;

    /// Verifies a webhook delivery and reads its event. Providers without webhooks refuse.
    fn read_webhook(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<ProviderEvent, PaymentError>;
}
