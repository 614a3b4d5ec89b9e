//! Closing deals: the staff's close and reopen controls beside the chat.

pub mod deal_close;
