//! Internal chats: personal chats between two users (one per pair) and group chats of employees
//! and portal users with member roles (admin, member, viewer). Only members read them
//! (`access::load` decides it like for every chat); messages, read marks, typing and the
//! long-poll are the chat feature's, so an internal chat is written and read like a deal chat.
//! `service` starts and manages them, `list` reads the Chats tab, `rules` holds the plain rules,
//! `record_links` links group chats to CRM records found through `record_sources`.

pub mod list;
pub mod record_links;
pub mod record_sources;
pub mod rules;
pub mod service;
