//! The three kinds of account and what each may do.

use crate::model::names::stored_names;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Who a user is to the product. Stored as its lowercase name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(value_type = "String", to_str = "Role::as_str")
)]
pub enum Role {
    /// A portal user: sees only their own chats and deals.
    Client,
    /// A deal manager (operator): works the inbox.
    Manager,
    /// An employee who also manages users and settings.
    Admin,
}

stored_names!(Role {
    Client => "client",
    Manager => "manager",
    Admin => "admin",
});

impl Role {
    /// Employees work the operator side of the product.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Manager | Role::Admin)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Client => "Client",
            Role::Manager => "Deal manager",
            Role::Admin => "Administrator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }

    #[test]
    fn unknown_role_names_are_refused() {
        assert_eq!(Role::parse("superuser"), None);
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(Role::parse(""), None);
    }

    #[test]
    fn only_managers_and_admins_are_staff() {
        assert!(!Role::Client.is_staff());
        assert!(Role::Manager.is_staff());
        assert!(Role::Admin.is_staff());
    }
}
