//! Accounts: sign-in, sign-up, the account page, and the administrator's user list.

pub mod account;
pub mod admin_users;
pub mod login;
pub mod signup;
