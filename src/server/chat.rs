//! Client conversations: starting, reading, accepting, sending (with group commit), the
//! sidebar/inbox list, marking read, and the long-poll that delivers all of it live.

pub mod list;
pub mod notify;
pub mod polling;
pub mod routes;
pub mod service;
pub mod sessions;
pub mod writer;
