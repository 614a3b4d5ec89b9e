//! Closing deals: the deal's manager (or an admin) closes it as won or lost; its chat becomes
//! read-only history both sides still open; an administrator may reopen it. `transcript`: the
//! closed deal's conversation as a PDF (`pdf`, set in the fonts of `fonts`), kept in its folder
//! and attached to the CRM deal; `record`: the deal's record page for staff.

pub mod fonts;
pub mod pdf;
pub mod record;
pub mod service;
pub mod transcript;
