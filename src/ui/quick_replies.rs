//! Quick replies: the operator's picker in the composer (a chunk of its own) and the admin page
//! of templates.

pub mod admin_quick_replies;
pub mod picker;
