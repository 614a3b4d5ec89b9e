//! Internal chats in the browser: the Chats tab of the sidebar (kept live by the poll loop), the
//! page that starts a personal or group chat, and the chat's window with its members and the
//! CRM records it is linked to.

pub mod internal_chat_page;
pub mod internal_list;
pub mod internal_rows;
pub mod members_panel;
pub mod new_internal_chat;
pub mod record_chats;
pub mod record_links;
