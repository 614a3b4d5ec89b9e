//! The browser-side state behind the chat views, as plain data and functions: merging poll
//! answers into the chat list, the open chat's messages with optimistic echoes, day grouping,
//! retry delays. No signals here, so all of it is unit-tested without a browser.

pub mod backoff;
pub mod chat_rights;
pub mod chat_rows;
pub mod client_msg_id;
pub mod deal_fields;
pub mod file_size;
pub mod timeline;
pub mod upload_plan;
