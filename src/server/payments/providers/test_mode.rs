//! The built-in test-mode provider: its checkout is a page of this app, marked TEST, where the
//! payer confirms or declines. No money moves. The page's answer becomes a `ProviderEvent` with
//! an id derived from the checkout and the answer, so submitting the page twice is one event.

use super::{
    Checkout, CheckoutRequest, Outcome, PaymentError, PaymentProvider, Provider, ProviderEvent,
};
use chrono::{DateTime, Utc};
use rand::RngCore;

/// Where the test checkout pages live; `{ref}` follows.
pub const CHECKOUT_PATH: &str = "/pay/test";

pub struct TestProvider;

/// The payer's answer on the test checkout page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestAnswer {
    Pay,
    Decline,
}

impl TestAnswer {
    pub fn parse(raw: &str) -> Option<TestAnswer> {
        match raw {
            "pay" => Some(TestAnswer::Pay),
            "decline" => Some(TestAnswer::Decline),
            _ => None,
        }
    }
}

/// The event the test checkout's answer stands for.
pub fn answer_event(provider_ref: &str, answer: TestAnswer) -> ProviderEvent {
    let (name, outcome) = match answer {
        TestAnswer::Pay => ("paid", Outcome::Paid),
        TestAnswer::Decline => ("declined", Outcome::Failed),
    };
    ProviderEvent {
        id: format!("{provider_ref}.{name}"),
        event_type: format!("test.checkout.{name}"),
        provider_ref: Some(provider_ref.to_owned()),
        charged: None,
        outcome,
    }
}

/// A checkout ref: unguessable, so the page's address is not a way into someone's payment.
pub fn is_checkout_ref(raw: &str) -> bool {
    raw.len() == 36 && raw.starts_with("tcs_") && raw[4..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[async_trait::async_trait]
impl PaymentProvider for TestProvider {
    fn name(&self) -> Provider {
        Provider::Test
    }

    async fn create_checkout(&self, _req: &CheckoutRequest<'_>) -> Result<Checkout, PaymentError> {
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let provider_ref = format!("tcs_{}", hex::encode(bytes));
        Ok(Checkout {
            url: format!("{CHECKOUT_PATH}/{provider_ref}"),
            provider_ref,
        })
    }

    async fn expire_checkout(&self, _provider_ref: &str) -> Result<(), PaymentError> {
        // The page checks the payment's status on every answer: a canceled request cannot be paid.
        Ok(())
    }

    fn read_webhook(
        &self,
        _signature: Option<&str>,
        _body: &[u8],
        _now: DateTime<Utc>,
    ) -> Result<ProviderEvent, PaymentError> {
        Err(PaymentError::BadWebhook(
            "the test provider has no webhooks".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::PaymentId;

    #[tokio::test]
    async fn checkout_refs_are_unguessable_and_checked() {
        let a = TestProvider.create_checkout(&req()).await.unwrap();
        let b = TestProvider.create_checkout(&req()).await.unwrap();
        assert_ne!(a.provider_ref, b.provider_ref);
        assert!(is_checkout_ref(&a.provider_ref), "{}", a.provider_ref);
        assert!(a.url.ends_with(&a.provider_ref));
        assert!(!is_checkout_ref("tcs_../../etc"));
        assert!(!is_checkout_ref("tcs_1"));
    }

    #[test]
    fn the_same_answer_is_the_same_event() {
        let one = answer_event("tcs_x", TestAnswer::Pay);
        assert_eq!(one, answer_event("tcs_x", TestAnswer::Pay));
        assert_ne!(one.id, answer_event("tcs_x", TestAnswer::Decline).id);
        assert_eq!(
            answer_event("tcs_x", TestAnswer::Decline).outcome,
            Outcome::Failed
        );
    }

    fn req() -> CheckoutRequest<'static> {
        CheckoutRequest {
            payment_id: PaymentId(1),
            amount: crate::model::money::Money::parse("10", "EUR").unwrap(),
            description: "x",
            customer_email: "a@b.c",
            return_url: "/".into(),
        }
    }
}
