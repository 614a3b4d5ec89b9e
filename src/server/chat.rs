//! Client conversations: starting, reading, accepting, sending (with group commit), the
//! sidebar/inbox list, marking read, the long-poll that delivers all of it live, operator
//! sessions and routing (who gets a waiting chat), and who is typing.

pub mod list;
pub mod notify;
pub mod poll_reads;
pub mod polling;
pub mod routes;
pub mod routing;
pub mod service;
pub mod sessions;
pub mod transfer;
pub mod typing;
pub mod writer;
