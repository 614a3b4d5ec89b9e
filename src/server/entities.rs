//! sea-orm entities, one module per table.

pub mod login_throttle;
pub mod session;
pub mod user;
