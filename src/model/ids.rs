//! The ids of stored things, one type each, so a conversation's id cannot be passed where a
//! deal's is wanted. They travel as plain numbers (in JSON, forms and URLs) and are stored as
//! BIGINT columns.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident;)+) => {$(
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        #[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(raw: &str) -> Result<$name, Self::Err> {
                raw.parse().map($name)
            }
        }
    )+};
}

id_type! {
    /// A conversation (a chat).
    ConversationId;
    /// A deal.
    DealId;
    /// A user: client, manager or administrator.
    UserId;
    /// A stored file.
    FileId;
    /// An offer (a file shared with `#q`).
    OfferId;
    /// A payment request.
    PaymentId;
    /// A message.
    MessageId;
    /// A mail in the outbox.
    MailId;
    /// One operator session: the staff side of a client chat from waiting to closed.
    OperatorSessionId;
    /// A team: a named group of employees.
    TeamId;
    /// A queue of waiting chats, worked by a team.
    QueueId;
    /// A channel clients start chats in ("Sales", "Support").
    ChannelId;
    /// A quick reply: an admin's template for the composer.
    QuickReplyId;
    /// A CRM record staff asked for from a chat (the connector's manual mode).
    CrmRequestId;
    /// A file on its way to Zoho WorkDrive (the WorkDrive store's push).
    WorkDrivePushId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_travel_as_plain_numbers() {
        assert_eq!(serde_json::to_string(&DealId(42)).expect("json"), "42");
        assert_eq!(
            serde_json::from_str::<ConversationId>("7").expect("json"),
            ConversationId(7)
        );
        assert_eq!("12".parse::<UserId>(), Ok(UserId(12)));
        assert_eq!(FileId(3).to_string(), "3");
    }
}
