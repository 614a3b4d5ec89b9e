//! Deals: created with a project chat (or from a question), read as a view, moved through the
//! stages, priced, linked to a chat. Every change is queued for the CRM in its own transaction.
//! `list`: the staff's Deals page.

pub mod list;
pub mod service;
