//! Accounts: sign-up, sign-in with a throttle, sessions in HttpOnly cookies, the signed-in
//! viewer for handlers, and the administrator's user list.

pub mod auth;
pub mod duplicates;
pub mod email;
pub mod login_throttle;
pub mod passwords;
pub mod redirect;
pub mod routes;
pub mod service;
pub mod session_cache;
pub mod sessions;
pub mod setup;
