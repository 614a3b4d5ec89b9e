//! Accounts: sign-in, sign-up, password reset by email, first-run setup, the account page, and
//! the administrator's user list.

pub mod account;
pub mod admin_users;
pub mod duplicates;
pub mod login;
pub mod password_reset;
pub mod setup;
pub mod signup;
