//! Channels: where clients start chats ("Sales", "Support"), the queue each feeds, who may use
//! and operate each, and how operators' replies are signed to clients. Who may operate a chat
//! is checked by `access` (in SQL for lists and routing); this folder keeps the settings.

pub mod service;
