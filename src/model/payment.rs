//! Payment requests as both sides of a chat see them.

use crate::model::money::Money;
use serde::{Deserialize, Serialize};

/// The built-in TEST checkout (no money moves).
pub const PROVIDER_TEST: &str = "test";
pub const PROVIDER_STRIPE: &str = "stripe";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentStatus {
    Pending,
    Paid,
    Failed,
    Canceled,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 4] = [
        PaymentStatus::Pending,
        PaymentStatus::Paid,
        PaymentStatus::Failed,
        PaymentStatus::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Canceled => "canceled",
        }
    }

    pub fn parse(raw: &str) -> Option<PaymentStatus> {
        PaymentStatus::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Words for a card's badge.
    pub fn label(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "Awaiting payment",
            PaymentStatus::Paid => "Paid",
            PaymentStatus::Failed => "Payment failed",
            PaymentStatus::Canceled => "Canceled",
        }
    }
}

/// A payment request as it stands now (a card shows the newest state it heard of).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    pub id: i64,
    pub amount: Money,
    pub description: String,
    pub status: PaymentStatus,
    /// The provider runs in test mode: no money moves.
    pub test_mode: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(PaymentStatus::parse("refunded"), None);
    }
}
