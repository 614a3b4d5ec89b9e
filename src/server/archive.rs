//! Closing deals: the deal's manager (or an admin) closes it as won or lost; its chat becomes
//! read-only history both sides still open; an administrator may reopen it.

pub mod service;
