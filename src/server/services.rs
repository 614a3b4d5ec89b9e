//! Domain rules as plain async functions over a database handle; server functions stay thin.

pub mod accounts;
pub mod chat_access;
pub mod chat_list;
pub mod chats;
pub mod crm_sync;
pub mod deal_files;
pub mod deals;
pub mod file_rules;
pub mod login_throttle;
pub mod message_log;
pub mod message_writer;
pub mod offers;
pub mod passwords;
pub mod payments;
pub mod polling;
pub mod send_rate;
pub mod sessions;
pub mod uploads;
