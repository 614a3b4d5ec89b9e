//! Adapters to systems outside the app, each behind a trait chosen from configuration at start-up.

pub mod crm;
pub mod files;
pub mod payments;
