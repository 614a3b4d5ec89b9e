//! Closing deals: the staff's close and reopen controls beside the chat, and the closed chat's
//! line with its transcript; the deal's record page (`/deals/:id`, a lazy route).

pub mod closed_line;
pub mod deal_close;
pub mod deal_record;
