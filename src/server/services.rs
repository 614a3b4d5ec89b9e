//! Domain rules as plain async functions over a database handle; server functions stay thin.

pub mod accounts;
pub mod login_throttle;
pub mod passwords;
pub mod sessions;
