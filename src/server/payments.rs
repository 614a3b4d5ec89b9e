//! Payments: `#p` requests in the chat, checkout through a provider (TEST or Stripe), the
//! provider's events applied once, and cancellation.

pub mod providers;
pub mod routes;
pub mod service;
