//! Payment requests as both sides of a chat see them.

use crate::model::ids::PaymentId;
use crate::model::money::Money;
use crate::model::names::stored_names;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(value_type = "String", to_str = "PaymentStatus::as_str")
)]
pub enum PaymentStatus {
    Pending,
    Paid,
    Failed,
    Canceled,
}

stored_names!(PaymentStatus {
    Pending => "pending",
    Paid => "paid",
    Failed => "failed",
    Canceled => "canceled",
});

/// Who takes a payment, as stored with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(value_type = "String", to_str = "Provider::as_str")
)]
pub enum Provider {
    /// The built-in checkout page marked TEST; no money moves.
    Test,
    Stripe,
}

stored_names!(Provider {
    Test => "test",
    Stripe => "stripe",
});

impl PaymentStatus {
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
    pub id: PaymentId,
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
