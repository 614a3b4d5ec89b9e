//! Channels: where clients start chats ("Sales", "Support"), the queue each feeds, who may use
//! and operate each, how operators' replies are signed to clients, and the channel's picture.
//! Who may operate a chat is checked by `access` (in SQL for lists and routing); this folder
//! keeps the settings.

pub mod image;
pub mod routes;
pub mod service;
