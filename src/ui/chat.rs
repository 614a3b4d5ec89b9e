//! Chats: the sidebar list and search, the operator's inbox, the chat window (timeline,
//! composer, accept bar), the pages that hold them, and the live poll loop that feeds them.

pub mod accept_bar;
pub mod backoff;
pub mod chat_list;
pub mod chat_list_item;
pub mod chat_page;
pub mod chat_rights;
pub mod chat_rows;
pub mod chat_search;
pub mod chat_window;
pub mod client_msg_id;
pub mod composer;
pub mod end_chat;
pub mod home;
pub mod live;
pub mod message_item;
pub mod message_list;
pub mod message_text;
pub mod new_chat;
pub mod operator_console;
pub mod operator_status;
pub mod timeline;
pub mod transfer;
pub mod typing;
pub mod unread_badge;
pub mod window_parts;
